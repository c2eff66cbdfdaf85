"""One classifier over any Hugging Face encoder: single-function head or clone-pair head.

Single head (RoBERTa classification head): ``<s>`` → dropout → dense(h→h) → tanh → dropout → out(h→C).
Pair head (CodeXGLUE/Compressor clone detection): the two functions are encoded independently,
their ``<s>`` vectors concatenated → dropout → dense(2h→h) → tanh → dropout → out(h→C).
Index 1 is the positive class (clone / vulnerable) for every model this project builds or imports.

Options for models trained from scratch (small data, no pre-training): ``pooling="mean"`` (masked mean
of the last layer instead of ``<s>``) and ``pair_features="siamese"`` ([u, v, |u−v|, u⊙v] instead of
[u, v]); both learn similarity much faster. The CodeXGLUE defaults are ``cls`` and ``concat``.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import PreTrainedModel

POOLINGS = ("cls", "mean")
PAIR_FEATURES = ("concat", "siamese")


def length_groups(sorted_lengths: list[int], max_padding: float = 0.1, max_groups: int = 8) -> list[int]:
    """Boundaries ``[0, b1, …, n]`` of the fewest equal-sized groups (at most ``max_groups``) of the ascending
    ``sorted_lengths`` whose padding to each group's longest row is at most ``max_padding`` of the positions.

    ``[4, 4, 8, 8]`` at 10 %: one group pads 4 of 16 positions (25 %), two groups ``[0, 2, 4]`` pad none."""
    n, real = len(sorted_lengths), sum(sorted_lengths)
    if n == 0:
        return [0, 0]
    groups = 1
    while True:
        bounds = [n * g // groups for g in range(groups + 1)]
        padded = sum((bounds[g + 1] - bounds[g]) * sorted_lengths[bounds[g + 1] - 1] for g in range(groups))
        if groups >= min(max_groups, n) or (padded and 1 - real / padded <= max_padding):
            return bounds
        groups += 1


def padded_positions(lengths: list[int], grouped: bool) -> int:
    """Token positions the encoder processes for rows of these lengths: the whole batch cut to its longest row,
    or (``grouped``) each :func:`length_groups` group cut to its own longest row (the benches' padding share is
    ``1 − sum(lengths) / padded_positions``)."""
    ordered = sorted(lengths)
    if not ordered:
        return 0
    if not grouped:
        return len(ordered) * ordered[-1]
    bounds = length_groups(ordered)
    return sum((bounds[g + 1] - bounds[g]) * ordered[bounds[g + 1] - 1] for g in range(len(bounds) - 1))


def check_head(pooling: str, pair_features: str) -> None:
    """Raise a ValueError naming the option when ``pooling`` or ``pair_features`` is not a known head."""
    if pooling not in POOLINGS:
        raise ValueError(f"Expected `pooling` in {POOLINGS}, got {pooling!r}")
    if pair_features not in PAIR_FEATURES:
        raise ValueError(f"Expected `pair_features` in {PAIR_FEATURES}, got {pair_features!r}")


class ClassificationHead(nn.Module):
    def __init__(self, in_features: int, hidden: int, num_labels: int, dropout: float) -> None:
        super().__init__()
        self.dropout = nn.Dropout(dropout)
        self.dense = nn.Linear(in_features, hidden)
        self.out_proj = nn.Linear(hidden, num_labels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.tanh(self.dense(self.dropout(x)))
        return self.out_proj(self.dropout(x))


class CodeClassifier(nn.Module):
    """``forward(input_ids, attention_mask)`` → logits (B, C).

    For pairs (``n_inputs == 2``) the inputs are (2B, L): rows 2i and 2i+1 are the two functions of
    pair i, so each function is encoded alone (and its vector can be cached and reused).
    """

    def __init__(
        self,
        encoder: PreTrainedModel,
        n_inputs: int = 1,
        num_labels: int = 2,
        dropout: float | None = None,
        pooling: str = "cls",
        pair_features: str = "concat",
    ) -> None:
        super().__init__()
        if n_inputs not in (1, 2):
            raise ValueError(f"Expected `n_inputs` in {{1, 2}}, got {n_inputs}")
        check_head(pooling, pair_features)
        self.pooling = pooling
        self.pair_features = pair_features if n_inputs == 2 else "concat"
        self.encoder = encoder
        self.n_inputs = n_inputs
        self.num_labels = num_labels
        hidden = int(encoder.config.hidden_size)
        p = float(dropout if dropout is not None else getattr(encoder.config, "hidden_dropout_prob", 0.1))
        width = hidden * (4 if self.pair_features == "siamese" else n_inputs)
        self.classifier = ClassificationHead(width, hidden, num_labels, p)

    @property
    def hidden_size(self) -> int:
        return int(self.encoder.config.hidden_size)

    def embed(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The first-token (``<s>``/``[CLS]``) or mean vector of each row: (N, L) → (N, h).

        ``token_type_ids`` only for cross-encoded pairs of families that have them (BERT); single
        inputs leave them out (all zeros, the encoder's default)."""
        extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state
        return self.pool(out, attention_mask)

    def pool(self, hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """One layer's token states (N, L, h) → (N, h): the first token, or the masked mean (``pooling``)."""
        if self.pooling == "cls":
            return hidden[:, 0, :]
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)  # (N, L, 1)
        return (hidden * mask).sum(1) / mask.sum(1).clamp_min(1.0)

    def forward_with_hidden(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...]]:
        """Logits (B, C) and every layer's token states for feature distillation.

        The states are the encoder's ``hidden_states``: index 0 the embedding output, index k the output of
        layer k, each (N, L, h). The logits are exactly :meth:`forward`'s (from ``last_hidden_state``)."""
        extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
        out = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, output_hidden_states=True, **extra
        )
        logits = self.classify(self.pool(out.last_hidden_state, attention_mask))
        return logits, tuple(out.hidden_states)

    def classify(self, vectors: torch.Tensor) -> torch.Tensor:
        """(B·n_inputs, h) → (B, C); pairs are concatenated per example."""
        if self.pair_features == "siamese":
            pairs = vectors.reshape(-1, 2, self.hidden_size)  # (B, 2, h)
            u, v = pairs[:, 0], pairs[:, 1]
            return self.classifier(torch.cat([u, v, (u - v).abs(), u * v], dim=-1))
        return self.classifier(vectors.reshape(-1, self.hidden_size * self.n_inputs))

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
    ) -> torch.Tensor:
        return self.classify(self.embed(input_ids, attention_mask, token_type_ids))

    def forward_grouped(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        max_padding: float = 0.1,
        max_groups: int = 8,
    ) -> torch.Tensor:
        """:meth:`forward` with the rows encoded in groups of similar length, each cut to its own longest row.

        A clone batch is (2B, L) at the longest of 2B functions, and the two functions of a pair differ in
        length, so a length-bucketed pair batch still pads ~23 % of its positions (BigCloneBench, 400 tokens).
        Rows are encoded independently (attention never crosses rows; padded keys are masked; position ids
        count real tokens from the left), so encoding them sorted by length in up to ``max_groups`` groups gives
        every row the same vector as :meth:`forward` up to float rounding, with padding under ``max_padding``
        where that many groups suffice (~7 % on BigCloneBench). On a 2-core CPU the student's forward +
        backward took 0.53× the whole batch's time (``bench/ab_distill_step.py --grouped``). In training
        mode dropout draws its masks per group: the same distribution, not the same numbers as
        :meth:`forward` for one seed. Right padding is assumed (what :class:`kd.data.encoding.CodeEncoder`
        produces)."""
        if input_ids.shape[0] == 0:  # an empty batch (the encoder cannot reshape 0 rows): (0, C) logits
            return self.classify(self.classifier.dense.weight.new_zeros(0, self.hidden_size))
        lengths = attention_mask.sum(1)
        order = torch.argsort(lengths, stable=True)
        sorted_lengths = lengths[order].tolist()
        bounds = length_groups(sorted_lengths, max_padding, max_groups)
        if len(bounds) == 2:  # one group: the whole batch, cut to its longest row
            width = max(int(sorted_lengths[-1]), 1)
            return self(input_ids[:, :width], attention_mask[:, :width])
        parts = []
        for g in range(len(bounds) - 1):
            rows = order[bounds[g] : bounds[g + 1]]
            width = max(int(sorted_lengths[bounds[g + 1] - 1]), 1)
            parts.append(self.embed(input_ids[rows, :width], attention_mask[rows, :width]))
        vectors = torch.cat(parts)[torch.argsort(order)]  # back to the batch's row order (differentiable)
        return self.classify(vectors)
