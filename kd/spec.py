"""`StudentSpec`: the architecture of a RoBERTa-style student, shared by Compressor, AVATAR and MORPH.

All three methods build the student by overwriting fields of the teacher's `RobertaConfig` and training from
random initialisation, so one validated value object describes every student a search can propose. Fields that
a method does not search keep the defaults below (CodeBERT's values, except the sizes).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from transformers import RobertaConfig

TOKENIZER_KINDS: tuple[str, ...] = ("bpe", "wordpiece", "unigram", "wordlevel")
# A subset of transformers' ACT2FN; AVATAR/MORPH search {gelu, relu, silu, gelu_new}.
ACTIVATIONS: tuple[str, ...] = (
    "gelu",
    "relu",
    "silu",
    "swish",
    "gelu_new",
    "gelu_fast",
    "gelu_pytorch_tanh",
    "quick_gelu",
    "tanh",
    "sigmoid",
    "mish",
)
POSITION_EMBEDDING_TYPES: tuple[str, ...] = ("absolute", "relative_key", "relative_key_query")
_INT_FIELDS = (
    "vocab_size",
    "num_hidden_layers",
    "hidden_size",
    "num_attention_heads",
    "intermediate_size",
    "max_position_embeddings",
    "type_vocab_size",
)


@dataclass(frozen=True, kw_only=True)
class StudentSpec:
    """One student architecture. Invalid combinations raise `ValueError` naming the field and value."""

    vocab_size: int
    num_hidden_layers: int
    hidden_size: int
    num_attention_heads: int
    intermediate_size: int
    tokenizer: str = "bpe"
    # RoBERTa offsets positions by pad_token_id + 1, so 514 positions hold 512 tokens.
    max_position_embeddings: int = 514
    hidden_act: str = "gelu"
    hidden_dropout_prob: float = 0.1
    attention_probs_dropout_prob: float = 0.1
    position_embedding_type: str = "absolute"
    type_vocab_size: int = 1
    layer_norm_eps: float = 1e-5
    pad_token_id: int = 1
    bos_token_id: int = 0
    eos_token_id: int = 2

    def __post_init__(self) -> None:
        for name in _INT_FIELDS:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.hidden_size % self.num_attention_heads:
            raise ValueError(
                f"hidden_size {self.hidden_size} is not divisible by num_attention_heads "
                f"{self.num_attention_heads}"
            )
        _check_choice("tokenizer", self.tokenizer, TOKENIZER_KINDS)
        _check_choice("hidden_act", self.hidden_act, ACTIVATIONS)
        _check_choice("position_embedding_type", self.position_embedding_type, POSITION_EMBEDDING_TYPES)
        for name in ("hidden_dropout_prob", "attention_probs_dropout_prob"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0.0 <= value < 1.0:
                raise ValueError(f"Expected {name} in [0, 1), got {value!r}")
        if not isinstance(self.layer_norm_eps, int | float) or self.layer_norm_eps <= 0:
            raise ValueError(f"layer_norm_eps must be > 0, got {self.layer_norm_eps!r}")
        self._check_special_ids()

    def _check_special_ids(self) -> None:
        ids = {"pad_token_id": self.pad_token_id, "bos_token_id": self.bos_token_id}
        ids["eos_token_id"] = self.eos_token_id
        for name, value in ids.items():
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < self.vocab_size:
                raise ValueError(
                    f"{name} must be an integer in [0, vocab_size={self.vocab_size}), got {value!r}"
                )
        if len(set(ids.values())) != 3:
            raise ValueError(f"pad/bos/eos token ids must be distinct, got {ids}")
        if self.max_position_embeddings < self.pad_token_id + 2:
            raise ValueError(
                f"max_position_embeddings {self.max_position_embeddings} leaves no room for tokens: RoBERTa "
                f"positions start at pad_token_id + 1 = {self.pad_token_id + 1}"
            )

    @property
    def name(self) -> str:
        """Short id such as "L12-H96-A8-I64-V1000"; non-default tokenizer / positions are appended."""
        parts = [
            f"L{self.num_hidden_layers}",
            f"H{self.hidden_size}",
            f"A{self.num_attention_heads}",
            f"I{self.intermediate_size}",
            f"V{self.vocab_size}",
        ]
        if self.max_position_embeddings != 514:
            parts.append(f"P{self.max_position_embeddings}")
        if self.tokenizer != "bpe":
            parts.append(self.tokenizer)
        return "-".join(parts)

    @property
    def max_seq_len(self) -> int:
        """Longest input in tokens (special tokens included) that the position table can hold."""
        return self.max_position_embeddings - self.pad_token_id - 1

    def replace(self, **changes: Any) -> StudentSpec:
        """A copy with `changes` applied and validated again."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StudentSpec:
        """Inverse of `to_dict`; unknown keys are an error (a typo would otherwise be silently ignored)."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ValueError(f"Unknown StudentSpec field(s) {unknown}; valid fields: {sorted(known)}")
        return cls(**data)

    def to_roberta_config(self, num_labels: int = 2, **overrides: Any) -> RobertaConfig:
        """A `transformers.RobertaConfig` for this student; `overrides` win over the spec's values.

        The tokenizer kind is stored as the extra attribute `kd_tokenizer` so `from_roberta_config` recovers it.
        """
        from transformers import RobertaConfig

        if self.position_embedding_type != "absolute":
            raise ValueError(
                f"position_embedding_type {self.position_embedding_type!r} is not implemented by "
                "transformers' RobertaModel in this version; only 'absolute' can be built"
            )
        values = {
            k: v for k, v in self.to_dict().items() if k not in ("tokenizer", "position_embedding_type")
        }
        values.update(num_labels=num_labels, kd_tokenizer=self.tokenizer)
        values.update(overrides)
        return RobertaConfig(**values)

    @classmethod
    def from_roberta_config(cls, cfg: Any) -> StudentSpec:
        """Read a spec back from a `RobertaConfig` (or any config object with the same attributes)."""
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            if f.name == "tokenizer":
                values[f.name] = getattr(cfg, "kd_tokenizer", "bpe")
            elif hasattr(cfg, f.name) and getattr(cfg, f.name) is not None:
                values[f.name] = getattr(cfg, f.name)
        return cls(**values)


def _check_choice(name: str, value: object, options: tuple[str, ...]) -> None:
    if value not in options:
        raise ValueError(f"Unknown {name} {value!r}; expected one of {list(options)}")
