"""A black-box :class:`~fidelity.attacks.base.Predictor` over a local :class:`CodeClassifier`.

An attack query changes one function of an input, and each function is encoded on its own (pairs are
two ``<s>`` vectors plus the head), so the cost of a query is one encoder pass over the perturbed
function. This predictor caches ``<s>`` vectors keyed by the **token ids the model sees** (after
whitespace normalisation and truncation), not by the text: the unchanged side of a clone pair is
encoded once per attack, and a renaming that only touches the truncated tail of a long function costs
no encoder pass at all (it still counts as a query, since the attack is black-box).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import torch

from fidelity.attacks.base import CodeInput
from kd.data.encoding import CodeEncoder

if TYPE_CHECKING:  # importing it pulls in transformers (seconds); only the type is needed here
    from kd.models.classifier import CodeClassifier


class EncoderPredictor:
    """``predict(inputs)`` → probabilities ``(N, C)`` for single functions or pairs, batched and cached.

    ``encoded`` counts encoder passes over one function (what the attack really costs), ``requested``
    the functions asked for; the difference is what the caches saved.
    """

    def __init__(
        self,
        model: CodeClassifier,
        encoder: CodeEncoder,
        batch_size: int = 64,
        cache_size: int = 8192,
    ) -> None:
        if batch_size < 1 or cache_size < 1:
            raise ValueError(f"Expected positive `batch_size`/`cache_size`, got {batch_size}/{cache_size}")
        self.model = model.eval()
        self.encoder = encoder
        self.batch_size, self.cache_size = batch_size, cache_size
        self.cache: dict[tuple[int, ...], torch.Tensor] = {}
        self.encoded = 0
        self.requested = 0

    def clear(self) -> None:
        """Forget every cached vector and encoding (bounds memory between attacks)."""
        self.cache.clear()
        # CodeEncoder keeps its own text -> ids cache; a fresh encoder is the public way to drop it.
        self.encoder = CodeEncoder(self.encoder.tokenizer, self.encoder.max_length, self.encoder.normalize)

    def _flatten(self, inputs: Sequence[CodeInput]) -> list[str]:
        """Texts in model row order: rows 2i, 2i+1 are pair i (a single function is paired with itself)."""
        n = self.model.n_inputs
        flat: list[str] = []
        for x in inputs:
            texts = (x,) if isinstance(x, str) else tuple(x)
            if n == 2 and len(texts) == 1:
                texts = texts * 2
            if len(texts) != n or not all(isinstance(t, str) for t in texts):
                raise ValueError(f"Expected {n} code string(s) per input for this model, got {x!r:.80}")
            flat.extend(texts)
        return flat

    def _encode(self, keys: list[tuple[int, ...]]) -> None:
        """Encoder passes for ``keys`` (distinct, uncached), shortest first so batches pad little."""
        device = next(self.model.parameters()).device
        order = sorted(range(len(keys)), key=lambda i: len(keys[i]))
        for start in range(0, len(order), self.batch_size):
            chunk = [keys[i] for i in order[start : start + self.batch_size]]
            input_ids, mask = self.encoder.pad(chunk)  # (B, L) each, L = longest in the chunk
            vectors = self.model.embed(input_ids.to(device), mask.to(device)).float().cpu()  # (B, h)
            self.cache.update(zip(chunk, vectors, strict=True))
        self.encoded += len(keys)

    @torch.inference_mode()
    def predict(self, inputs: Sequence[CodeInput]) -> torch.Tensor:
        flat = self._flatten(inputs)
        if not flat:
            return torch.empty(0, self.model.num_labels)
        keys = [tuple(ids) for ids in self.encoder.encode_many(flat)]
        todo = [k for k in dict.fromkeys(keys) if k not in self.cache]
        if len(self.cache) + len(todo) > self.cache_size:
            kept = {k: self.cache[k] for k in dict.fromkeys(keys) if k in self.cache}
            self.clear()
            self.cache.update(kept)  # the rows of this call stay: an unchanged pair side is not re-encoded
        self.requested += len(flat)
        self._encode(todo)
        device = next(self.model.parameters()).device
        vectors = torch.stack([self.cache[k] for k in keys]).to(device)  # (N·n_inputs, h)
        return torch.softmax(self.model.classify(vectors).float(), dim=-1).cpu()
