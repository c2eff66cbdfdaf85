"""One classifier over any Hugging Face encoder: single-function head or clone-pair head.

Single head (RoBERTa classification head): ``<s>`` → dropout → dense(h→h) → tanh → dropout → out(h→C).
Pair head (CodeXGLUE/Compressor clone detection): the two functions are encoded independently,
their ``<s>`` vectors concatenated → dropout → dense(2h→h) → tanh → dropout → out(h→C).
Index 1 is the positive class (clone / vulnerable) for every model this project builds or imports.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import PreTrainedModel


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

    def __init__(self, encoder: PreTrainedModel, n_inputs: int = 1, num_labels: int = 2,
                 dropout: float | None = None) -> None:
        super().__init__()
        if n_inputs not in (1, 2):
            raise ValueError(f"Expected `n_inputs` in {{1, 2}}, got {n_inputs}")
        self.encoder = encoder
        self.n_inputs = n_inputs
        self.num_labels = num_labels
        hidden = int(encoder.config.hidden_size)
        p = float(dropout if dropout is not None else getattr(encoder.config, "hidden_dropout_prob", 0.1))
        self.classifier = ClassificationHead(hidden * n_inputs, hidden, num_labels, p)

    @property
    def hidden_size(self) -> int:
        return int(self.encoder.config.hidden_size)

    def embed(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """The ``<s>`` vector of each row: (N, L) → (N, h)."""
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        return out.last_hidden_state[:, 0, :]

    def classify(self, vectors: torch.Tensor) -> torch.Tensor:
        """(B·n_inputs, h) → (B, C); pairs are concatenated per example."""
        return self.classifier(vectors.reshape(-1, self.hidden_size * self.n_inputs))

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.classify(self.embed(input_ids, attention_mask))
