"""Config-level references to models: where a model comes from, or how to build a fresh one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kd.spec import StudentSpec


@dataclass
class ModelRef:
    """An existing model: hub name (``microsoft/codebert-base``), local HF dir, a metacompress model
    dir, or a Compressor release dir. ``tokenizer`` overrides the model's own tokenizer."""

    source: str
    format: Literal["auto", "hf", "metacompress", "compressor"] = "auto"
    tokenizer: str | None = None


@dataclass
class FreshModel:
    """A randomly initialised encoder of architecture ``spec``.

    ``tokenizer``: a tokenizer.json path / directory / hub name, or ``"train"`` to train a vocabulary
    of ``spec.vocab_size`` (kind ``spec.tokenizer``) on the training split's code, as Compressor does.
    """

    spec: StudentSpec
    tokenizer: str = "train"
    pooling: Literal["cls", "mean"] = "cls"
    pair_features: Literal["concat", "siamese"] = "concat"
