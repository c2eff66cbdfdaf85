"""Models of a study: load a :class:`~fidelity.study_config.ModelEntry` (model dir, Compressor release, hub
name, or an MLflow run's exported model), optionally quantized, with its size and a content fingerprint.

The fingerprint keys every cache of the study, so re-running with one more student recomputes nothing
for the models already scored, and a retrained model under the same path is scored anew.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from tokenizers import Tokenizer

from fidelity.study_config import ModelEntry
from kd.models.classifier import CodeClassifier

log = logging.getLogger(__name__)


@dataclass
class StudyModel:
    """A loaded model of the study and what the report says about it."""

    entry: ModelEntry
    model: CodeClassifier
    tokenizer: Tokenizer
    source: str  # the resolved model path / hub name
    fingerprint: str
    max_length: int
    method: str
    params: int
    size_mb: float  # serialized state dict (int8 / fp16 students are smaller than params × 4 B)

    @property
    def name(self) -> str:
        return self.entry.name


def export_dir_of_run(run_id: str, tracking_uri: str | None) -> str:
    """The model directory a training run exported (``model.init_args.export_dir`` of its ``config.yaml``
    artifact, relative paths taken from the current directory)."""
    import mlflow
    import yaml

    from kd.tracking import default_tracking_uri

    client = mlflow.MlflowClient(tracking_uri or default_tracking_uri())
    try:
        client.get_run(run_id)
        local = client.download_artifacts(run_id, "config.yaml")
    except mlflow.exceptions.MlflowException as exc:
        raise ValueError(f"MLflow run {run_id!r}: cannot read its config.yaml artifact ({exc})") from None
    config = yaml.safe_load(Path(local).read_text()) or {}
    export = ((config.get("model") or {}).get("init_args") or {}).get("export_dir")
    if not export:
        raise ValueError(f"MLflow run {run_id!r} exported no model (no model.init_args.export_dir)")
    if not Path(export).is_dir():
        raise FileNotFoundError(f"MLflow run {run_id!r} exported to {export!r}, which does not exist here")
    return str(export)


def quantize_model(model: CodeClassifier, mode: str) -> CodeClassifier:
    """``int8``: dynamic int8 quantization of every ``nn.Linear`` (weights int8, activations quantized on
    the fly; PyTorch's post-training dynamic quantization). ``fp16``: weights rounded to half precision
    and computed in float32 (what a half-precision checkpoint holds, run on a CPU)."""
    model = model.eval()
    if mode == "int8":
        from torch.ao.quantization import quantize_dynamic

        return quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)  # type: ignore[no-any-return]
    if mode == "fp16":
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.half().float())
        return model
    raise ValueError(f"Unknown quantization {mode!r}; expected int8 or fp16")


def serialized_mb(model: torch.nn.Module, half: bool = False) -> float:
    """Megabytes of the model's state dict as ``torch.save`` writes it (fp16 checkpoints: halves)."""
    state = model.state_dict()
    if half:
        state = {k: v.half() if v.is_floating_point() else v for k, v in state.items()}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getbuffer().nbytes / 1e6


def load_study_model(
    entry: ModelEntry, task: str, default_max_length: int, tracking_uri: str | None = None
) -> StudyModel:
    """Load ``entry``; errors name the model (``student 'x': ...``)."""
    from kd.cost import actual_param_count
    from kd.distill import model_fingerprint
    from kd.models.io import META, input_length, load_classifier
    from kd.models.ref import ModelRef
    from kd.modules import n_inputs_for

    try:
        source = entry.source or export_dir_of_run(str(entry.mlflow_run), tracking_uri)
        loaded = load_classifier(source, n_inputs_for(task), tokenizer=entry.tokenizer)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ValueError(
            f"model {entry.name!r}: cannot load {entry.source or entry.mlflow_run!r}: {exc}"
        ) from exc
    model = loaded.model.eval()
    max_length = input_length(
        model, entry.max_length or default_max_length, bool(entry.max_length), entry.name
    )
    params = actual_param_count(model)
    meta_path = Path(source) / META
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    method = entry.method or str(meta.get("method", "external"))
    if entry.quantize:
        model = quantize_model(model, entry.quantize)
        method = entry.method or f"{method}+{entry.quantize}"
    base = model_fingerprint(ModelRef(source, tokenizer=entry.tokenizer))
    fingerprint = hashlib.sha256(f"{base}|{entry.quantize}".encode()).hexdigest()[:20]
    return StudyModel(
        entry=entry,
        model=model,
        tokenizer=loaded.tokenizer,
        source=source,
        fingerprint=fingerprint,
        max_length=max_length,
        method=method,
        params=params,
        size_mb=serialized_mb(model, half=entry.quantize == "fp16"),
    )
