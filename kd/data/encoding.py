"""Turning code into model inputs: whitespace collapse, tokenisation, truncation, the family's special tokens.

This is the CodeXGLUE/Compressor preprocessing: ``" ".join(code.split())``, encode without special
tokens, keep ``max_length - k`` ids, wrap with the special tokens of the model's family (``k`` of them):
``<s> a </s>`` (RoBERTa, CodeBERT, Compressor students), ``[CLS] a [SEP]`` (BERT, DistilBERT, ModernBERT,
MiniLM), ``a </s>`` (T5 encoders). Pairs for cross-encoding: ``<s> a </s></s> b </s>``,
``[CLS] a [SEP] b [SEP]`` with token type ids, ``a </s> b </s>`` (:meth:`CodeEncoder.encode_pair`).
The roles come from the tokenizer (:class:`kd.data.specials.SpecialTokens`). Padding is done per batch
(dynamic), never to a fixed length. Encodings of distinct functions are cached: BigCloneBench pairs reuse
functions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import torch
from tokenizers import Tokenizer

from kd.data.specials import SpecialTokens, declare
from kd.tokenization import normalize_whitespace

ROLE_KEYS = ("cls_token", "bos_token", "sep_token", "eos_token", "pad_token", "unk_token")


def load_backend_tokenizer(source: str | Path) -> Tokenizer:
    """A ``tokenizers.Tokenizer`` from a tokenizer.json file, a directory holding one, or a hub name.

    Roles declared by a model directory's ``tokenizer_config.json`` / ``special_tokens_map.json`` (or by
    the hub tokenizer) are written into the returned tokenizer (:func:`kd.data.specials.declare`)."""
    path = Path(source)
    if path.is_file():
        return Tokenizer.from_file(str(path))
    if (path / "tokenizer.json").is_file():
        return declare(Tokenizer.from_file(str(path / "tokenizer.json")), declared_roles(path))
    from transformers import AutoTokenizer  # a directory without tokenizer.json, or a hub name

    from kd.models.sources import require_hub

    require_hub(str(source))
    hf = AutoTokenizer.from_pretrained(str(source), trust_remote_code=False)
    roles = {k: getattr(hf, k, None) for k in ROLE_KEYS}
    return declare(hf.backend_tokenizer, {k: str(v) for k, v in roles.items() if v is not None})


def declared_roles(directory: Path) -> dict[str, str]:
    """Special-token roles a model directory's tokenizer config files declare (strings only)."""
    roles: dict[str, str] = {}
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        f = directory / name
        if not f.is_file():
            continue
        try:
            data = json.loads(f.read_text())
        except (OSError, ValueError) as exc:
            raise ValueError(f"{f}: not valid JSON ({exc})") from exc
        for key in ROLE_KEYS:
            value = data.get(key)
            value = value.get("content") if isinstance(value, dict) else value
            if isinstance(value, str):
                roles.setdefault(key, value)
    return roles


class CodeEncoder:
    """Encodes code for one model; keeps a cache of encoded texts."""

    def __init__(self, tokenizer: Tokenizer, max_length: int = 400, normalize: bool = True) -> None:
        self.specials = SpecialTokens.of(tokenizer)
        if max_length < self.specials.n_single + 1:
            raise ValueError(f"Expected `max_length` >= {self.specials.n_single + 1}, got {max_length}")
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.normalize = normalize
        # ids as before (RoBERTa names); `bos_id` is None for families without a leading token (T5)
        self.bos_id, self.eos_id, self.pad_id = self.specials.lead, self.specials.sep, self.specials.pad
        self._backend = tokenizer
        if tokenizer.truncation or tokenizer.padding:
            # e.g. sentence-transformers' tokenizer.json pads/truncates to 128: lengths are ours to decide
            self._backend = Tokenizer.from_str(tokenizer.to_str())
            self._backend.no_truncation()
            self._backend.no_padding()
        self._cache: dict[str, list[int]] = {}

    @classmethod
    def from_source(cls, source: str | Path, max_length: int = 400) -> CodeEncoder:
        return cls(load_backend_tokenizer(source), max_length)

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.get_vocab_size(with_added_tokens=True)

    def fingerprint(self) -> str:
        """Identifies the preprocessing (vocabulary, merges, settings) for cache keys."""
        digest = hashlib.sha256(self.tokenizer.to_str().encode()).hexdigest()[:16]
        return f"{digest}-L{self.max_length}-n{int(self.normalize)}"

    def _content(self, texts: Sequence[str]) -> list[list[int]]:
        prepared = [normalize_whitespace(t) if self.normalize else t for t in texts]
        return [enc.ids for enc in self._backend.encode_batch(prepared, add_special_tokens=False)]

    def encode_many(self, texts: Sequence[str]) -> list[list[int]]:
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            keep = self.max_length - self.specials.n_single
            for text, ids in zip(todo, self._content(todo), strict=True):
                self._cache[text] = self.specials.single(ids[:keep])
        return [self._cache[t] for t in texts]

    def prime(self, texts: Sequence[str], ids: Sequence[list[int]]) -> None:
        """Seed the cache with ``ids`` that an encoder of this :meth:`fingerprint` computed for ``texts``
        (:mod:`kd.data.token_cache` reads them from disk)."""
        self._cache.update(zip(texts, ids, strict=True))

    def encode(self, text: str) -> list[int]:
        return self.encode_many([text])[0]

    def encode_pair(self, a: str, b: str) -> tuple[list[int], list[int]]:
        """One cross-encoder input for a pair: ids and token type ids in the family's pair layout.

        Truncation is longest-first (as Hugging Face tokenizers): the longer side is cut until both fit
        in ``max_length`` minus the pair's special tokens."""
        ids_a, ids_b = self._content([a, b])
        budget = self.max_length - self.specials.n_pair
        if len(ids_a) + len(ids_b) > budget:
            short = min(len(ids_a), len(ids_b), budget // 2)
            if len(ids_a) <= len(ids_b):
                ids_a, ids_b = ids_a[:short], ids_b[: budget - short]
            else:
                ids_a, ids_b = ids_a[: budget - short], ids_b[:short]
        return self.specials.pair(ids_a, ids_b)

    def pad(self, seqs: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Right-pad to the longest sequence in the batch (dynamic padding); the mask marks real tokens."""
        width = max((len(s) for s in seqs), default=1)
        ids = torch.full((len(seqs), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for row, seq in enumerate(seqs):
            ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
            mask[row, : len(seq)] = 1
        return ids, mask

    def batch(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        ids, mask = self.pad(self.encode_many(texts))
        return {"input_ids": ids, "attention_mask": mask}

    def batch_pairs(self, pairs: Sequence[tuple[str, str]]) -> dict[str, torch.Tensor]:
        """Cross-encoder batch: ``input_ids``, ``attention_mask``, ``token_type_ids`` (padding has type 0)."""
        encoded = [self.encode_pair(a, b) for a, b in pairs]
        ids, mask = self.pad([e[0] for e in encoded])
        types = torch.zeros_like(ids)
        for row, (_, tt) in enumerate(encoded):
            types[row, : len(tt)] = torch.tensor(tt, dtype=torch.long)
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.tokenizer.save(str(directory / "tokenizer.json"))
        (directory / "encoding.json").write_text(
            json.dumps({"max_length": self.max_length, "normalize": self.normalize}, indent=2)
        )

    @classmethod
    def load(cls, directory: Path) -> CodeEncoder:
        meta_path = directory / "encoding.json"
        meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        enc = cls(load_backend_tokenizer(directory), int(meta.get("max_length", 400)))
        enc.normalize = bool(meta.get("normalize", True))
        return enc
