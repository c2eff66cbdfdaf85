"""MLflow tracking: a local sqlite store under ``mlruns/``, run tags, config artifact, resumable runs.

Recent MLflow releases refuse the plain file store by default, so the default tracking URI is
``sqlite:///mlruns/mlflow.db`` (artifacts in ``mlruns/artifacts``). ``MLFLOW_TRACKING_URI`` or the
logger's ``tracking_uri`` point it at a server instead.
"""

from __future__ import annotations

import json
import logging
import os
import re
import weakref
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.cli import SaveConfigCallback
from lightning.pytorch.loggers import MLFlowLogger
from lightning.pytorch.utilities.rank_zero import rank_zero_only

log = logging.getLogger(__name__)
RUN_ID_KEY = "mlflow_run_id"
#: MLflow 3's experiment-kind tag (the key and value its UI sets from the experiment's "type" selector):
#: with it an experiment opens on the training-runs table instead of the GenAI traces overview.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
EXPERIMENT_KIND = "custom_model_development"


def default_tracking_uri(root: str | Path = "mlruns") -> str:
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    path = Path(root).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path / 'mlflow.db'}"


def default_artifact_location(root: str | Path = "mlruns") -> str:
    return (Path(root).resolve() / "artifacts").as_uri()


def artifact_location_for(tracking_uri: str) -> str | None:
    """Where a new experiment's artifacts go for this store.

    A local sqlite store keeps them beside its database (``<db folder>/artifacts``); any other local store uses
    the project default; a tracking **server** (``http(s)://``) or a remote database decides itself (None), so
    artifacts travel over HTTP to the server's ``--artifacts-destination`` instead of landing in a folder of
    the machine that ran the fit.
    """
    if tracking_uri.startswith("sqlite:///"):
        return (Path(tracking_uri.removeprefix("sqlite:///")).parent / "artifacts").resolve().as_uri()
    if "://" not in tracking_uri or tracking_uri.startswith("file:"):
        return default_artifact_location()
    return None


def get_or_create_experiment(client: Any, name: str, artifact_location: str | None) -> str:
    """The id of experiment ``name``, created if missing — safe when several processes start at once.

    Two fits (or two ranks, or two search trials) that find no experiment both try to create it; the loser's
    ``RESOURCE_ALREADY_EXISTS`` is answered by reading the winner's id instead of failing the fit. A new
    experiment is tagged as a model-training one (:data:`EXPERIMENT_KIND_TAG`), so the UI opens on its runs.
    """
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is not None and found.lifecycle_stage != "deleted":
        return str(found.experiment_id)
    try:
        return str(
            client.create_experiment(
                name=name, artifact_location=artifact_location, tags={EXPERIMENT_KIND_TAG: EXPERIMENT_KIND}
            )
        )
    except MlflowException as exc:
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        log.info("experiment %r was created concurrently (%s); using it", name, exc.error_code)
        return str(found.experiment_id)


class KDMLFlowLogger(MLFlowLogger):
    """MLFlowLogger with this project's defaults and exact resume.

    When ``run_id`` names an existing run (a resumed fit), steps already recorded for a metric are
    not logged again, so a resumed run has neither gaps nor duplicated steps.
    """

    def __init__(
        self,
        experiment_name: str = "metacompress",
        run_name: str | None = None,
        tracking_uri: str | None = None,
        run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        artifact_location: str | None = None,
    ) -> None:
        uri = tracking_uri or default_tracking_uri()
        super().__init__(
            experiment_name=experiment_name,
            run_name=run_name,
            tracking_uri=uri,
            tags=tags,
            artifact_location=artifact_location or artifact_location_for(uri),
            run_id=run_id,
            synchronous=True,
        )
        self._last_step: dict[str, int] | None = None
        self._resumed = run_id is not None
        _LIVE_LOGGERS.add(self)

    @property
    def experiment(self) -> Any:
        from lightning.pytorch.utilities.rank_zero import rank_zero_only

        first = (
            getattr(rank_zero_only, "rank", 0) == 0
        )  # other ranks get Lightning's dummy experiment: one run per fit
        if first and not self._initialized and self._run_id is None and self._experiment_id is None:
            import mlflow

            mlflow.set_tracking_uri(self._tracking_uri)
            self._experiment_id = get_or_create_experiment(
                self._mlflow_client, self._experiment_name, self._artifact_location
            )
        return super().experiment

    def _recorded_steps(self) -> dict[str, int]:
        if self._last_step is None:
            self._last_step = {}
            if self._resumed:
                client = self.experiment
                for key in client.get_run(self.run_id).data.metrics:
                    history = client.get_metric_history(self.run_id, key)
                    self._last_step[key] = max((m.step for m in history), default=-1)
                client.update_run(self.run_id, status="RUNNING")
        return self._last_step

    @rank_zero_only  # as MLFlowLogger's: under DDP only rank 0 has the run (a resumed fit's rank 1 has no run to read)
    def log_metrics(self, metrics: Mapping[str, float], step: int | None = None) -> None:
        recorded = self._recorded_steps()
        if recorded and step is not None:
            metrics = {k: v for k, v in metrics.items() if step > recorded.get(k, -1)}
            if not metrics:
                return
        super().log_metrics(metrics, step)


_LIVE_LOGGERS: weakref.WeakSet[KDMLFlowLogger] = weakref.WeakSet()


def end_started_runs(status: str = "KILLED") -> list[str]:
    """Mark the run of every :class:`KDMLFlowLogger` of this process that has started one as ``status``.

    Used when a command stops on a signal: Lightning has finalised the run as FAILED (or not at all, when
    the signal came before the fit), and this records what happened. A logger that never started a run
    starts none here. Returns the run ids marked."""
    marked = []
    for logger in list(_LIVE_LOGGERS):
        run_id = getattr(logger, "_run_id", None)
        if run_id is None:
            continue
        try:
            logger._mlflow_client.set_terminated(run_id, status)
            marked.append(str(run_id))
        except Exception as exc:  # the store may be gone; the exit code still tells what happened
            log.warning("could not mark MLflow run %s as %s: %s", run_id, status, exc)
    return marked


def _metric_slug(reason: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", reason.lower()).strip("_") or "other"


class DataSkipsCallback(L.Callback):
    """Logs the datamodule's skipped-record counts (``on_error: skip``) to the run, whenever they change.

    Metrics ``data/skipped/total`` and ``data/skipped/<reason>`` (reason in lower case, ``_`` for anything
    else), and the artifact ``data/skips.json`` (counts and the first offenders, file:line). Splits load
    lazily, so the counts are checked at the start of training, after each validation, at the end of fit or
    test, and when a run is interrupted."""

    def __init__(self) -> None:
        self._logged: dict[str, int] | None = None

    def _log(self, trainer: L.Trainer) -> None:
        skips = getattr(getattr(trainer, "datamodule", None), "skips", None)
        counts = getattr(skips, "counts", None)
        if counts is None or not trainer.is_global_zero or counts == self._logged:
            return
        counts = dict(counts)
        metrics = {"data/skipped/total": float(sum(counts.values()))}
        metrics.update({f"data/skipped/{_metric_slug(r)}": float(n) for r, n in counts.items()})
        report = {"counts": counts, "first": dict(getattr(skips, "examples", {}))}
        for logger in trainer.loggers:
            if isinstance(logger, MLFlowLogger):
                logger.log_metrics(metrics, step=trainer.global_step)
                logger.experiment.log_text(logger.run_id, json.dumps(report, indent=2), "data/skips.json")
        self._logged = counts

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._log(trainer)

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._log(trainer)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._log(trainer)

    def on_test_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._log(trainer)

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        self._log(trainer)


class RunInfoCallback(L.Callback):
    """Sets the ``kd.*`` tags from the module and stores the MLflow run id in every checkpoint."""

    def _tag(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        get_tags = getattr(pl_module, "mlflow_tags", None)
        tags: dict[str, str] = get_tags() if callable(get_tags) else {}
        for logger in trainer.loggers:
            if isinstance(logger, MLFlowLogger) and tags:
                for k, v in tags.items():
                    logger.experiment.set_tag(logger.run_id, k, v)

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._tag(trainer, pl_module)

    def on_test_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._tag(trainer, pl_module)

    def on_validation_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.state.fn == "validate":
            self._tag(trainer, pl_module)

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        # No checkpoint is written here: a mid-batch loop state does not resume exactly. The last regular
        # checkpoint (``save_last``) is the resume point; steps replayed after it are not logged twice.
        if trainer.state.fn != "fit":
            return
        last = getattr(trainer.checkpoint_callback, "last_model_path", "") or ""
        saved = any(
            Path(p).is_file()
            for p in (last, getattr(trainer.checkpoint_callback, "best_model_path", ""))
            if p
        )
        hint = "resume with --ckpt_path last" if saved else "no checkpoint was written yet, nothing to resume"
        log.warning(
            "fit interrupted at step %d (%s); %s", trainer.global_step, type(exception).__name__, hint
        )

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict) -> None:
        for logger in trainer.loggers:
            if isinstance(logger, MLFlowLogger):
                checkpoint[RUN_ID_KEY] = logger.run_id


class MLflowSaveConfig(SaveConfigCallback):
    """Also logs the fully resolved config as an MLflow artifact (``config.yaml``).

    With an sqlite/server store ``trainer.log_dir`` is None, so the local copy goes to
    ``trainer.default_root_dir/config.yaml`` instead of Lightning's log dir.
    """

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        if self.already_saved:
            return
        if trainer.log_dir is not None:
            super().setup(trainer, pl_module, stage)
            return
        if trainer.is_global_zero:
            root = Path(trainer.default_root_dir)
            root.mkdir(parents=True, exist_ok=True)
            self.parser.save(
                self.config, root / self.config_filename, skip_none=False, overwrite=True, multifile=False
            )
            self.save_config(trainer, pl_module, stage)
        self.already_saved = True

    def save_config(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        for logger in trainer.loggers:
            if not isinstance(logger, MLFlowLogger):
                continue
            text = self.parser.dump(self.config, skip_none=False)
            logger.experiment.log_text(logger.run_id, text, "config.yaml")


def run_id_from_checkpoint(path: str | Path) -> str | None:
    """The MLflow run id stored by :class:`RunInfoCallback` (None for foreign checkpoints)."""
    import torch

    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    value = ckpt.get(RUN_ID_KEY)
    return str(value) if value else None
