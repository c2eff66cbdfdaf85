"""Compressed model dirs: how a model was made (``compression`` in ``metacompress.json``) and loading it back.

A compressed dir is an ordinary metacompress model dir (``config.json``, ``model.pt``, ``tokenizer.json``,
``metacompress.json``) whose ``metacompress.json`` holds a ``compression`` recipe::

    {"kind": "int8-dynamic" | "fp16" | "bf16" | "prune-unstructured" | "prune-structured",
     "method": "quantize" | "prune", ...settings (mode, sparsity, target_ratio, importance, groups)...,
     "source": "...", "source_fingerprint": "...", "structure": {...} | null, "dtype": "float32" | ...,
     "per_channel": bool, "sizes": {...}, "fine_tuned": bool, "previous": <the source's recipe> | null}

:func:`load_compressed` is what ``kd.models.io.load_model_dir`` calls for such a dir: it builds the skeleton
from ``structure`` (pruned layer/head/neuron/channel counts), loads ``model.pt`` with ``weights_only=True``
and re-applies the quantization (int8 weights are stored as plain int8 tensors + scales) or the dtype.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer
from transformers import AutoConfig

from kd.compress.quantize import DTYPES, check_mode, dequantized_state, restore_int8, to_dtype
from kd.compress.structured import Structure, reshape_to, structure_of
from kd.compress.unstructured import nonzero_parameters
from kd.models.classifier import CodeClassifier
from kd.models.io import META, from_config, save_model_dir

KINDS = ("int8-dynamic", "fp16", "bf16", "prune-unstructured", "prune-structured")


def source_fingerprint(source: str | Path) -> str:
    """Content hash of the source model's files (the same one the teacher-output cache uses)."""
    from kd.distill import model_fingerprint
    from kd.models.ref import ModelRef

    return model_fingerprint(ModelRef(str(source)))


def structure_or_none(model: CodeClassifier) -> dict | None:
    try:
        return structure_of(model).to_json()
    except (ValueError, AttributeError):
        return None  # not a BERT/RoBERTa-style encoder: loads from config.json as usual


def payload(state: dict[str, torch.Tensor]) -> dict[str, float]:
    """Parameters and parameters × bits of what ``model.pt`` stores (int8 scales/zero points included)."""
    meta_suffixes = ("weight_scale", "weight_zero_point", "position_ids", "token_type_ids")
    params = sum(v.numel() for k, v in state.items() if not k.endswith(meta_suffixes))
    bits = sum(v.numel() * v.element_size() * 8 for v in state.values())
    by_dtype: dict[str, int] = {}
    for k, v in state.items():
        if not k.endswith(meta_suffixes):
            by_dtype[str(v.dtype).removeprefix("torch.")] = (
                by_dtype.get(str(v.dtype).removeprefix("torch."), 0) + v.numel()
            )
    return {"params": params, "payload_mb": bits / 8 / 1e6, "params_by_dtype": by_dtype}  # type: ignore[dict-item]


def save_compressed(
    model: CodeClassifier,
    tokenizer: Tokenizer,
    directory: Path,
    recipe: dict[str, Any],
    state: dict[str, torch.Tensor] | None = None,
    float_model: CodeClassifier | None = None,
    task: str | None = None,
) -> Path:
    """Write a compressed model dir. ``state`` replaces ``model.state_dict()`` in ``model.pt`` (int8);
    ``float_model`` is then the float twin whose config/head settings are written."""
    if recipe.get("kind") not in KINDS:
        raise ValueError(f"Expected recipe kind in {KINDS}, got {recipe.get('kind')!r}")
    base = float_model if float_model is not None else model
    stored = (
        state
        if state is not None
        else {k: v for k, v in model.state_dict().items() if isinstance(v, torch.Tensor)}
    )
    recipe = {**recipe, "structure": structure_or_none(base)}
    recipe["sizes"] = {**payload(stored), "nonzero_params": nonzero_parameters(base)}
    extra = {"method": recipe["method"], "compression": recipe, **({"task": task} if task else {})}
    save_model_dir(base, tokenizer, directory, extra)
    if state is not None:
        torch.save(state, directory / "model.pt")
    meta = json.loads((directory / META).read_text())
    meta["compression"]["sizes"]["model_pt_bytes"] = (directory / "model.pt").stat().st_size
    (directory / META).write_text(json.dumps(meta, indent=2))
    return directory


def _skeleton(directory: Path, meta: dict, tok: Tokenizer, structure: Structure | None) -> CodeClassifier:
    config = AutoConfig.from_pretrained(str(directory), trust_remote_code=False)
    if structure is not None:
        config = copy.deepcopy(config)
        # Any valid skeleton will do: reshape_to gives every module its recorded shape.
        config.hidden_size = structure.hidden
        config.num_attention_heads = 1
        config.intermediate_size = 1
        config.num_hidden_layers = max(1, len(structure.layers))
    model = from_config(
        config,
        int(meta["n_inputs"]),
        tok,
        int(meta.get("num_labels", 2)),
        meta.get("pooling", "cls"),
        meta.get("pair_features", "concat"),
    )
    if structure is not None:
        reshape_to(model, structure)
    return model


def load_compressed(directory: str | Path, meta: dict, tok: Tokenizer) -> CodeClassifier:
    """The model a compressed dir describes, ready for inference (eval mode)."""
    directory = Path(directory)
    recipe = meta["compression"]
    if not isinstance(recipe, dict) or recipe.get("kind") not in KINDS:
        raise ValueError(f"{directory / META}: `compression.kind` must be one of {KINDS}, got {recipe!r}")
    structure = Structure.from_json(recipe["structure"]) if recipe.get("structure") else None
    model = _skeleton(directory, meta, tok, structure)
    state = torch.load(directory / "model.pt", map_location="cpu", weights_only=True)
    quant = recipe.get("quantization")
    if quant == "int8-dynamic":
        per_channel = bool(recipe.get("per_channel", False))
        model.load_state_dict(dequantized_state(state, per_channel), strict=True)
        restore_int8(model, state, per_channel)
    elif quant in DTYPES:
        to_dtype(model, check_mode(quant))
        model.load_state_dict(state, strict=True)
    else:
        model.load_state_dict(state, strict=True)
    return model.eval()


def mlflow_tags(recipe: dict[str, Any]) -> dict[str, str]:
    """``kd.compression*`` tags (``fidelity compare`` groups by ``kd.compression``); sizes as parameters × bits."""
    setting = {
        k: recipe[k]
        for k in ("mode", "sparsity", "target_ratio", "target_mb", "importance")
        if recipe.get(k) is not None
    }
    sizes = recipe.get("sizes", {})
    tags = {
        "kd.compression": str(recipe.get("kind")),
        "kd.compression_setting": json.dumps(setting, sort_keys=True),
        "kd.compression_source": str(recipe.get("source_fingerprint")),
        "kd.compression_fine_tuned": str(bool(recipe.get("fine_tuned"))),
    }
    if "params" in sizes:
        tags["kd.student_params"] = str(sizes["params"])
        tags["kd.student_size_mb"] = f"{sizes['payload_mb']:.6g}"  # parameters × their bits, not × 4 B
        tags["kd.student_nonzero_params"] = str(sizes.get("nonzero_params"))
    if "model_pt_bytes" in sizes:
        tags["kd.student_bytes_on_disk"] = str(sizes["model_pt_bytes"])
    return tags
