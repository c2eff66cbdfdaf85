"""Encoder-only backbones of any Hugging Face family, and the pooling each one should use.

``AutoModel`` gives the bare encoder of encoder-only families (BERT, RoBERTa, DistilBERT, ModernBERT, …);
for encoder-decoder configs (T5, mT5, UMT5, CodeT5) only the encoder is built (``T5EncoderModel`` …).
``trust_remote_code`` is always False: architectures come from the installed ``transformers`` only.

Pooling (``pooling="auto"``): a sentence-transformers checkpoint says how it was trained to pool
(``modules.json`` → ``1_Pooling/config.json``: mean for all-MiniLM-L6-v2); a family whose inputs have no
leading token (T5 encoders) has no first-token vector, so it mean-pools; every other model uses the
first-token (``<s>`` / ``[CLS]``) vector, as CodeXGLUE does.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import transformers
from transformers import AutoConfig, AutoModel, PretrainedConfig, PreTrainedModel

from kd.models.sources import require_hub

# encoder-decoder model types whose encoder transformers ships as its own class
ENCODER_ONLY_CLASSES = {
    "t5": "T5EncoderModel",
    "mt5": "MT5EncoderModel",
    "umt5": "UMT5EncoderModel",
}


def _encoder_class(config: PretrainedConfig) -> Any:
    # T5EncoderModel saves its config with is_encoder_decoder=False: the model type decides
    name = ENCODER_ONLY_CLASSES.get(str(config.model_type))
    if name is not None:
        return getattr(transformers, name)
    if getattr(config, "is_encoder_decoder", False):
        raise ValueError(
            f"model_type {config.model_type!r} is an encoder-decoder without an encoder-only class in "
            f"transformers; supported encoder-decoders: {', '.join(sorted(ENCODER_ONLY_CLASSES))}"
        )
    return AutoModel


def _no_pooler(cls: Any, config: PretrainedConfig) -> dict[str, Any]:
    """``add_pooling_layer=False`` for families that build an (unused, untrained here) pooler."""
    model_cls: Any = cls if cls is not AutoModel else AutoModel._model_mapping[type(config)]
    params = inspect.signature(model_cls).parameters
    return {"add_pooling_layer": False} if "add_pooling_layer" in params else {}


def encoder_from_config(config: PretrainedConfig) -> PreTrainedModel:
    """A randomly initialised encoder of ``config``'s family."""
    cls = _encoder_class(config)
    if cls is AutoModel:
        return AutoModel.from_config(config, trust_remote_code=False, **_no_pooler(cls, config))
    return cls(config)  # type: ignore[no-any-return]


def encoder_from_pretrained(name_or_path: str) -> PreTrainedModel:
    """Pre-trained weights of a hub name or local directory, encoder part only."""
    require_hub(name_or_path)
    config = AutoConfig.from_pretrained(name_or_path, trust_remote_code=False)
    cls = _encoder_class(config)
    return cls.from_pretrained(  # type: ignore[no-any-return]
        name_or_path, config=config, trust_remote_code=False, **_no_pooler(cls, config)
    )


def sentence_transformers_pooling(directory: Path) -> str | None:
    """``"mean"``/``"cls"`` when ``directory`` is a sentence-transformers checkpoint that pools that way."""
    modules = directory / "modules.json"
    if not modules.is_file():
        return None
    try:
        entries = json.loads(modules.read_text())
        pool_dir = next(e["path"] for e in entries if str(e.get("type", "")).endswith(".Pooling"))
        cfg = json.loads((directory / pool_dir / "config.json").read_text())
    except (OSError, ValueError, StopIteration, KeyError, TypeError):
        return None
    if cfg.get("pooling_mode_mean_tokens"):
        return "mean"
    if cfg.get("pooling_mode_cls_token"):
        return "cls"
    return None  # max / weighted pooling: not a head this project has; the caller's default applies


def default_pooling(source: str, has_lead_token: bool) -> str:
    """The pooling ``pooling="auto"`` resolves to for ``source`` (see module docstring)."""
    st = sentence_transformers_pooling(Path(source))
    if st is not None:
        return st
    return "cls" if has_lead_token else "mean"
