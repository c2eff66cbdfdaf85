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
