"""MLflow records of a study: one parent run (settings, teacher metrics, the report as artifacts) and one
nested run per student (``mlflow.parentRunId``) with ``fidelity/<followup>/<relation>`` metrics, their
interval bounds (``..._lo`` / ``..._hi``), direct-attack metrics and the ``kd.*`` tags — so the MLflow
UI's compare view lines the students up, and ``python -m fidelity compare`` tabulates them.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fidelity.study import StudyResult
from fidelity.study_compare import Comparisons
from fidelity.study_report import study_comparisons
from fidelity.study_stats import Row

_STATS = (
    "agreement_violation",
    "flip_rate_difference",
    "robustness_drop_difference",
    "robustness_drop_relative",
)
_ATTACK = ("asr", "robust_acc", "robustness_drop", "robustness_drop_difference", "robustness_drop_relative")


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, f"{key}."))
        elif isinstance(v, list | tuple) and v and isinstance(v[0], dict):
            for i, item in enumerate(v):
                out.update(_flatten(item, f"{key}.{i}."))
        else:
            out[key] = str(v)[:500]
    return out


def _interval_metrics(prefix: str, row: Row, keys: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for k in keys:
        if k in row:
            out[f"{prefix}/{k}"] = float(row[k])
            if f"{k}_lo" in row:
                out[f"{prefix}/{k}_lo"], out[f"{prefix}/{k}_hi"] = (
                    float(row[f"{k}_lo"]),
                    float(row[f"{k}_hi"]),
                )
    for k in ("mcnemar_p", "mcnemar_p_holm"):
        if k in row:
            out[f"{prefix}/{k}"] = float(row[k])
    return out


def _log_metrics(client: Any, run_id: str, metrics: dict[str, float]) -> None:
    from mlflow.entities import Metric

    now = int(time.time() * 1000)
    items = [Metric(k, v, now, 0) for k, v in metrics.items() if v == v]  # NaN never reaches the store
    for start in range(0, len(items), 900):  # the store's batch limit is 1000
        client.log_batch(run_id, metrics=items[start : start + 900])


def log_study(r: StudyResult, report_dir: Path, comp: Comparisons | None = None) -> str:
    """Parent + nested runs; returns the parent run id. An interruption marks the open run KILLED.

    The parent run also carries the comparisons across students as ``compare/<scope>/<name>/<measure>``
    (scope ``kind``, ``kinds`` or ``pair``; ``_lo`` / ``_hi`` interval bounds), so they chart in the UI."""
    import mlflow

    from kd.tracking import artifact_location_for, default_tracking_uri, get_or_create_experiment

    uri = r.config.mlflow.tracking_uri or default_tracking_uri()
    client = mlflow.MlflowClient(uri)
    name = r.config.mlflow.experiment
    exp_id = get_or_create_experiment(client, name, artifact_location_for(uri))
    common = {"kd.task": r.config.task, "kd.teacher": r.teacher.source, "study.name": r.config.name}
    parent = client.create_run(
        exp_id, tags={**common, "kd.method": "study"}, run_name=f"study-{r.config.name}"
    )
    open_runs = [parent.info.run_id]
    try:
        for key, value in _flatten(asdict(r.config)).items():
            client.log_param(parent.info.run_id, key, value)
        teacher = {f"study/teacher_attack/{a['attack']}": a for a in r.teacher_attacks}
        metrics = {k: v for p, a in teacher.items() for k, v in _interval_metrics(p, a, _ATTACK).items()}
        if r.students:
            metrics.update(_interval_metrics("study/teacher", r.students[0].originals, ("acc_teacher",)))
        metrics.update((comp or study_comparisons(r)).metrics())
        _log_metrics(client, parent.info.run_id, metrics)
        for s in r.students:
            tags = {
                **common,
                "mlflow.parentRunId": parent.info.run_id,
                "kd.method": s.model.method,
                "kd.student": s.model.source,
                "kd.student_params": str(s.model.params),
                "kd.student_size_mb": f"{s.model.size_mb:.6g}",
            }
            child = client.create_run(exp_id, tags=tags, run_name=s.model.name)
            open_runs.append(child.info.run_id)
            metrics = s.result.metrics()
            for f in s.followups:
                metrics.update(_interval_metrics(f"fidelity/{f['followup']}", f, _STATS))
            metrics.update(
                _interval_metrics("fidelity/originals", s.originals, ("acc_student", "acc_difference"))
            )
            for a in s.attacks:
                metrics.update(_interval_metrics(f"fidelity/student_attack/{a['attack']}", a, _ATTACK))
            _log_metrics(client, child.info.run_id, metrics)
            client.set_terminated(child.info.run_id)
            open_runs.pop()
        client.log_artifacts(parent.info.run_id, str(report_dir), "study")
        client.set_terminated(parent.info.run_id)
    except BaseException:
        for run_id in open_runs:
            client.set_terminated(run_id, status="KILLED")
        raise
    return str(parent.info.run_id)
