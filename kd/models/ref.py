"""Config-level references to models: where a model comes from, or how to build a fresh one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from kd.models.sources import check_local_source
from kd.spec import StudentSpec


@dataclass
class ModelRef:
    """An existing model: hub name (``microsoft/codebert-base``), local HF dir (any encoder family), a
    metacompress model dir, or a Compressor release dir. ``tokenizer`` overrides the model's own tokenizer.

    ``pooling`` and ``pair_features`` choose the new head of an ``hf`` model (``auto``: first token, or mean
    for sentence-transformers checkpoints and T5 encoders; see :mod:`kd.models.encoders`); saved models
    keep the head they were trained with. A local-looking ``source`` that does not exist is an error here,
    when the config is parsed."""

    source: str
    format: Literal["auto", "hf", "metacompress", "compressor"] = "auto"
    tokenizer: str | None = None
    pooling: Literal["auto", "cls", "mean"] = "auto"
    pair_features: Literal["concat", "siamese"] = "concat"

    def __post_init__(self) -> None:
        check_local_source(self.source, "model directory")
        if self.tokenizer is not None:
            check_local_source(self.tokenizer, "tokenizer")


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

    def __post_init__(self) -> None:
        if self.tokenizer != "train":
            check_local_source(self.tokenizer, "tokenizer")
