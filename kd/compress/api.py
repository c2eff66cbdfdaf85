"""Model dir → compressed model dir: the functions behind ``python -m kd.compress`` and ``PruneKD``."""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import torch

from kd.compress.quantize import check_mode, quantize_int8, to_dtype
from kd.compress.recipe import save_compressed, source_fingerprint
from kd.compress.structured import GROUPS, Batch, Importance, KeepPlan, apply_plan, importance, plan_for_size
from kd.compress.unstructured import linear_sparsity, prune_unstructured
from kd.cost import actual_param_count
from kd.data.encoding import CodeEncoder
from kd.models.classifier import CodeClassifier
from kd.models.io import META, LoadedModel, detect_format, import_compressor, load_classifier, load_model_dir

log = logging.getLogger(__name__)
TASK_OF_INPUTS = {2: "clone", 1: "vulnerability"}


def load_source(source: str | Path, task: str | None = None) -> tuple[LoadedModel, dict]:
    """Any model dir (metacompress, Compressor release, HF with ``task``) and its metacompress.json (or {})."""
    path = Path(source)
    fmt = detect_format(path)
    if fmt == "metacompress":
        loaded, meta = load_model_dir(path), json.loads((path / META).read_text())
    elif fmt == "compressor":
        loaded, meta = import_compressor(path), {}
    else:
        if task is None:
            raise ValueError(f"{source}: a Hugging Face model needs --task (clone or vulnerability)")
        from kd.modules import n_inputs_for

        loaded, meta = load_classifier(str(source), n_inputs_for(task), "hf"), {}
    if meta.get("compression", {}).get("quantization") and meta["compression"]["quantization"] != "none":
        raise ValueError(
            f"{source} is already quantized ({meta['compression']['kind']}); compress its source"
        )
    return loaded, meta


def _base_recipe(source: str | Path, meta: dict, model: torch.nn.Module) -> dict[str, Any]:
    return {
        "source": str(source),
        "source_fingerprint": source_fingerprint(source),
        "source_params": actual_param_count(model),
        "previous": meta.get("compression"),
        "fine_tuned": False,
    }


def _task(meta: dict, loaded: LoadedModel, task: str | None) -> str | None:
    return task or meta.get("task") or TASK_OF_INPUTS.get(loaded.model.n_inputs)


def quantize_dir(
    source: str | Path, mode: str, output: Path, per_channel: bool = False, task: str | None = None
) -> Path:
    """``int8-dynamic`` (Linear layers), ``fp16`` or ``bf16`` copy of ``source`` in ``output``."""
    mode = check_mode(mode)
    loaded, meta = load_source(source, task)
    model = loaded.model.eval()
    recipe = {
        "kind": mode,
        "method": "quantize",
        "quantization": mode,
        "mode": mode,
        "per_channel": per_channel,
        **_base_recipe(source, meta, model),
    }
    if mode == "int8-dynamic":
        float_model = copy.deepcopy(model)
        quantized, state = quantize_int8(model, per_channel)
        recipe["dtype"] = "qint8 Linear weights, float32 rest"
        return save_compressed(
            cast(CodeClassifier, quantized),
            loaded.tokenizer,
            output,
            recipe,
            state,
            float_model,
            _task(meta, loaded, task),
        )
    to_dtype(model, mode)
    recipe["dtype"] = str(next(model.parameters()).dtype).removeprefix("torch.")
    return save_compressed(model, loaded.tokenizer, output, recipe, task=_task(meta, loaded, task))


@dataclass(frozen=True)
class StructuredSettings:
    """Target (``target_ratio`` of the source's parameters, or ``target_mb`` as parameters × 4 B), groups,
    importance; ``calibration`` batches are needed for ``taylor``."""

    target_ratio: float | None = None
    target_mb: float | None = None
    groups: tuple[str, ...] = GROUPS
    importance: Importance = "magnitude"

    def target_params(self, source_params: int) -> int:
        if (self.target_ratio is None) == (self.target_mb is None):
            raise ValueError("give exactly one of `target_ratio` (e.g. 0.5) and `target_mb` (e.g. 1.5)")
        if self.target_ratio is not None:
            if not 0.0 < self.target_ratio <= 1.0:
                raise ValueError(f"Expected `target_ratio` in (0, 1], got {self.target_ratio}")
            return int(self.target_ratio * source_params)
        assert self.target_mb is not None
        if self.target_mb <= 0:
            raise ValueError(f"Expected `target_mb` > 0, got {self.target_mb}")
        return int(self.target_mb * 1e6 / 4)

    def to_json(self) -> dict[str, Any]:
        return {
            "target_ratio": self.target_ratio,
            "target_mb": self.target_mb,
            "groups": list(self.groups),
            "importance": self.importance,
        }


def prune_structured_model(
    model: torch.nn.Module, settings: StructuredSettings, calibration: Sequence[Batch] | None = None
) -> tuple[Any, KeepPlan]:
    """Prune ``model`` (a CodeClassifier) in place to the settings' size; returns it and the plan."""
    if settings.importance == "taylor" and not calibration:
        raise ValueError("importance 'taylor' needs calibration data (--data/--task, or a datamodule)")
    target = settings.target_params(actual_param_count(model))
    scores = importance(model, settings.importance, calibration)  # type: ignore[arg-type]
    plan = plan_for_size(model, scores, target, settings.groups)  # type: ignore[arg-type]
    apply_plan(model, plan)  # type: ignore[arg-type]
    return model, plan


def split_batches(
    split: Any, tokenizer: Any, n: int, max_length: int = 400, batch_size: int = 16
) -> list[Batch]:
    """The first ``n`` examples of a labelled split, tokenised for the model as (ids, mask, labels) batches."""
    enc = CodeEncoder(tokenizer, max_length)
    labels = split.labels()
    batches = []
    for start in range(0, min(n, len(split)), batch_size):
        idx = list(range(start, min(start + batch_size, n, len(split))))
        ids, mask = enc.pad(enc.encode_many([t for i in idx for t in split.texts(i)]))
        batches.append((ids, mask, labels[idx]))
    return batches


def calibration_batches(
    data_dir: str, task: str, tokenizer: Any, n: int, max_length: int = 400, seed: int = 0
) -> list[Batch]:
    """A seeded sample of ``n`` examples of the labelled train split of ``data_dir``."""
    from kd.data.datamodules import CloneDetectionDataModule, DefectDataModule

    cls = CloneDetectionDataModule if task == "clone" else DefectDataModule
    split = cls(data_dir, max_train_examples=n, seed=seed).split("train")
    return split_batches(split, tokenizer, n, max_length)


def prune_dir(
    source: str | Path,
    output: Path,
    method: str,
    sparsity: float | None = None,
    settings: StructuredSettings | None = None,
    data_dir: str | None = None,
    task: str | None = None,
    calibration_examples: int = 128,
    max_length: int = 400,
) -> Path:
    """``unstructured`` (global magnitude, ``sparsity``) or ``structured`` (``settings``) copy of ``source``."""
    loaded, meta = load_source(source, task)
    model = loaded.model.eval()
    base = _base_recipe(source, meta, model)
    task = _task(meta, loaded, task)
    if method == "unstructured":
        if sparsity is None:
            raise ValueError("unstructured pruning needs --sparsity (e.g. 0.5)")
        prune_unstructured(model, sparsity)
        recipe = {"kind": "prune-unstructured", "method": "prune", "sparsity": sparsity, **base}
        recipe["linear_sparsity"] = linear_sparsity(model)
    elif method == "structured":
        settings = settings or StructuredSettings(target_ratio=0.5)
        batches = None
        if settings.importance == "taylor":
            if data_dir is None or task is None:
                raise ValueError("importance 'taylor' needs --data and --task for its calibration slice")
            batches = calibration_batches(data_dir, task, loaded.tokenizer, calibration_examples, max_length)
        model, plan = prune_structured_model(model, settings, batches)
        recipe = {
            "kind": "prune-structured",
            "method": "prune",
            **settings.to_json(),
            **base,
            "plan": plan.to_json(),
        }
        recipe["calibration_examples"] = calibration_examples if batches else 0
        recipe["ratio"] = actual_param_count(model) / base["source_params"]
    else:
        raise ValueError(f"Expected `method` in ('unstructured', 'structured'), got {method!r}")
    return save_compressed(model, loaded.tokenizer, output, recipe, task=task)


def size_report(directory: str | Path) -> dict[str, Any]:
    """Bytes on disk (model.pt and the whole dir), parameters and parameters × bits from the recipe."""
    path = Path(directory)
    files = [f for f in path.iterdir() if f.is_file()]
    meta = json.loads((path / META).read_text()) if (path / META).is_file() else {}
    sizes = meta.get("compression", {}).get("sizes", {})
    weights = path / "model.pt" if (path / "model.pt").is_file() else path / "model.bin"
    report = {
        "weights_bytes": weights.stat().st_size if weights.is_file() else None,
        "dir_bytes": sum(f.stat().st_size for f in files),
        **{k: v for k, v in sizes.items() if k != "model_pt_bytes"},
    }
    if "params" not in report:
        loaded, _ = load_source(path)
        params = actual_param_count(loaded.model)
        report.update(params=params, payload_mb=params * 4 / 1e6)
    return report
