"""FidelityCallback: MetaCompress relations between teacher and student at every validation of a fit.

The probe set (originals, transform and attack follow-ups, teacher outputs) is built once in
``on_fit_start`` and cached on disk; each validation then runs only the student, batched, and logs
``fidelity/<followup>/<relation>`` and ``fidelity/all/<relation>`` through ``pl_module.log`` — so
``ModelCheckpoint(monitor="fidelity/all/agreement_violation", mode="min")`` and EarlyStopping can use
them. With an MLflow logger, each evaluation also stores a report (CSV of divergent examples, bar and
trend charts, Markdown/HTML summary) under the artifact folder ``fidelity/step_<global step>``.

With ``attack_student: true`` the attacks also run directly against the final student in
``on_train_end`` (after the last step, whatever stopped the fit; the model is still on its device and
the loggers still open), logged at the last global step as ``fidelity/student_attack/<attack>/<metric>``
beside ``fidelity/teacher_attack/<attack>/<metric>`` (the same attacks against the teacher).

Turn it off with ``enabled: false`` (or remove its block from the config).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning as L
import pandas as pd
from lightning.pytorch.loggers import MLFlowLogger
from lightning.pytorch.utilities import rank_zero_warn

from fidelity.evaluate import (
    ALL,
    AttackComparison,
    FidelityResult,
    Thresholds,
    compare_attacks,
    fidelity_relations,
    single_threaded,
    student_probs,
)
from fidelity.metrics import FidelityRelations
from fidelity.probe import (
    ProbeConfig,
    ProbeSet,
    Teacher,
    build_probe,
    probe_skip_metrics,
    probe_skips_json,
    probe_summary,
)
from fidelity.report import (
    NOTE_MARKER,
    fidelity_summary_text,
    headline_markdown,
    relations_frame,
    write_report,
)
from kd import signals
from kd.data.encoding import CodeEncoder
from kd.data.splits import CodeSplit

log = logging.getLogger(__name__)
NOTE_TAG = "mlflow.note.content"  # the run description MLflow's run page shows first


class FidelityCallback(L.Callback):
    """Metamorphic fidelity tests of the student against the frozen teacher of a ``DistillationModule``.

    Args:
        n_probe: validation examples in the probe (sampled with ``seed``).
        transforms: transform names; None = every transform for the task's language (Java for clone
            detection, C for vulnerability detection).
        attacks: identifier attacks run once against the teacher (``mhm``, ``alert``, ``wir_random``).
        attack_max_queries / attack_candidates: per-example query budget and candidates per step.
        n_attack: attacks run on the first ``n_attack`` probe examples (they dominate probe building).
        every_n_validations: evaluate at every n-th validation (1 = every validation/checkpoint). With
            n > 1, a ModelCheckpoint monitoring a ``fidelity/*`` key finds it missing in between.
        tau_d / tau_c / tau_g: relation thresholds (see :mod:`fidelity.relations`).
        per_followup: log every follow-up's relations, not only ``all`` and ``originals``.
        log_examples: store the CSV of divergent examples; log_artifacts: store any report at all.
        attack_student: at the end of the fit, also run the attacks directly against the student on
            the same ``n_attack`` originals (costs up to ``attack_max_queries`` student queries per
            example and attack) and log its attack metrics beside the teacher's.
        max_chars / max_seconds_per_function: the probe's per-function budget (see
            :class:`fidelity.probe.ProbeConfig`): longer functions are left out, and a function whose
            transforms took that long gets no more; skips are logged as ``fidelity/probe/skipped/*`` metrics
            and the artifact ``fidelity/probe_skips.json``.
    """

    def __init__(
        self,
        n_probe: int = 200,
        transforms: list[str] | None = None,
        attacks: Sequence[str] = ("mhm", "wir_random"),
        attack_max_queries: int = 50,
        attack_candidates: int = 10,
        n_attack: int = 50,
        seed: int = 0,
        every_n_validations: int = 1,
        tau_d: float = 0.1,
        tau_c: float = 0.9,
        tau_g: float = 0.1,
        per_followup: bool = True,
        log_examples: bool = True,
        log_artifacts: bool = True,
        split: str = "val",
        batch_size: int = 64,
        use_cache: bool = True,
        progress: bool = True,
        enabled: bool = True,
        attack_student: bool = False,
        max_chars: int = 100_000,
        max_seconds_per_function: float = 5.0,
    ) -> None:
        super().__init__()
        self.config = ProbeConfig(
            n_probe,
            tuple(transforms) if transforms is not None else None,
            tuple(attacks),
            attack_max_queries,
            attack_candidates,
            n_attack,
            seed=seed,
            max_chars=max_chars,
            max_seconds=max_seconds_per_function,
        )
        FidelityRelations(tau_d=tau_d, tau_c=tau_c, tau_g=tau_g)  # validates the thresholds now
        if every_n_validations < 1:
            raise ValueError(f"Expected `every_n_validations` >= 1, got {every_n_validations}")
        if split not in ("train", "distill", "val", "test"):
            raise ValueError(f"Unknown split {split!r}; expected one of train, distill, val, test")
        self.thresholds = Thresholds(tau_d, tau_c, tau_g)
        self.every_n_validations = every_n_validations
        self.per_followup, self.log_examples, self.log_artifacts = per_followup, log_examples, log_artifacts
        self.split, self.batch_size, self.use_cache, self.progress = split, batch_size, use_cache, progress
        self.enabled, self.attack_student = enabled, attack_student
        self.probe: ProbeSet | None = None
        self.attacks: AttackComparison | None = None  # set at the end of a fit with attack_student
        self.last: FidelityResult | None = None
        self.history: list[dict[str, float]] = []  # the "all" row per evaluation, with its step
        self.validations = 0
        self.seconds: list[float] = []  # wall time of each per-checkpoint evaluation (benchmarks)
        self.report_seconds: list[float] = []  # of which: writing and logging the MLflow report
        self._encoder: CodeEncoder | None = None
        self._split: CodeSplit | None = None
        self._max_length = 400

    # -- distributed fits ----------------------------------------------------------------------
    # Under DDP one rank (global zero) builds the probe, scores the student and attacks it; the other ranks wait
    # at a barrier, so the probe is built once, the teacher is queried once and every metric is logged once.
    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.probe, self._encoder, self._split, self.attacks = None, None, None, None
        self._on_one_rank(trainer, "fidelity-probe", self._build_probe, pl_module)

    def on_validation_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking or trainer.state.fn != "fit":
            return
        self._on_one_rank(trainer, "fidelity-evaluate", self._evaluate, pl_module)

    def on_train_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self._on_one_rank(trainer, "fidelity-attack", self._attack_student, pl_module)

    @staticmethod
    def _on_one_rank(trainer: L.Trainer, name: str, work: Any, pl_module: L.LightningModule) -> None:
        if trainer.world_size <= 1:
            work(trainer, pl_module)
            return
        try:
            if trainer.is_global_zero:
                work(trainer, pl_module)
        finally:
            trainer.strategy.barrier(name)

    # -- probe ---------------------------------------------------------------------------------
    def _build_probe(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not self.enabled:
            return
        if not (hasattr(pl_module, "teacher") and hasattr(pl_module, "teacher_predict")):
            rank_zero_warn(
                f"FidelityCallback: {type(pl_module).__name__} has no frozen teacher "
                "(not a DistillationModule); fidelity tests are skipped"
            )
            return
        dm = getattr(trainer, "datamodule", None)
        if dm is None or not hasattr(dm, "split"):
            rank_zero_warn("FidelityCallback: no code datamodule on the trainer; fidelity tests are skipped")
            return
        from kd.distill import model_fingerprint

        self._max_length = int(dm.max_length)
        model, tokenizer = pl_module.teacher()  # type: ignore[operator]

        teacher_predict: Any = pl_module.teacher_predict

        def predict(examples: list[tuple[str, ...]]) -> Any:
            return teacher_predict(examples, self._max_length, desc="teacher on probe")

        fingerprint = model_fingerprint(getattr(pl_module, "teacher_ref"))  # noqa: B009
        teacher = Teacher(model, tokenizer, fingerprint, self._max_length, predict)
        task = str(getattr(pl_module, "task"))  # noqa: B009
        self._split = dm.split(self.split)
        signals.phase("probe")
        self.probe = build_probe(self._split, task, self.config, teacher, self.use_cache, self.progress)
        summary = probe_summary(self.probe)
        metrics = {
            "fidelity/probe/build_seconds": summary.pop("build_seconds"),
            **probe_skip_metrics(self.probe),
        }
        summary.update(max_chars=self.config.max_chars, max_seconds_per_function=self.config.max_seconds)
        for logger in trainer.loggers:
            logger.log_metrics(metrics, step=0)
            logger.log_hyperparams({f"fidelity.{k}": v for k, v in summary.items()})
            if isinstance(logger, MLFlowLogger) and self.probe.skipped:
                text = probe_skips_json(self.probe, self.config)
                logger.experiment.log_text(logger.run_id, text, "fidelity/probe_skips.json")

    # -- per checkpoint ------------------------------------------------------------------------
    def _evaluate(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.probe is None:
            return
        self.validations += 1
        if (self.validations - 1) % self.every_n_validations:
            return
        start = time.perf_counter()
        if self._encoder is None:
            self._encoder = CodeEncoder(pl_module.tokenizer, self._max_length)  # type: ignore[arg-type]
        probs = student_probs(self.probe, pl_module.model, self._encoder, self.batch_size)  # type: ignore[arg-type]
        result = fidelity_relations(self.probe, probs, self.thresholds)
        metrics = result.metrics()
        if not self.per_followup:
            metrics = {k: v for k, v in metrics.items() if k.split("/")[1] in (ALL, "originals")}
        one_rank = trainer.world_size > 1  # logged by the rank that evaluated; no cross-rank reduction
        pl_module.log_dict(metrics, on_step=False, on_epoch=True, batch_size=1, rank_zero_only=one_rank)
        self.last = result
        self.history.append({"step": float(trainer.global_step), **result.table[ALL]})
        scored = time.perf_counter()
        if self.log_artifacts and trainer.is_global_zero:
            with single_threaded():  # pandas/matplotlib and per-row tensor reads: no thread-pool waits
                self._log_report(trainer, pl_module, result)
        self.seconds.append(time.perf_counter() - start)
        self.report_seconds.append(time.perf_counter() - scored)
        pl_module.log(
            "fidelity/seconds",
            self.seconds[-1],
            on_step=False,
            on_epoch=True,
            batch_size=1,
            rank_zero_only=one_rank,
        )

    def _log_report(self, trainer: L.Trainer, pl_module: L.LightningModule, result: FidelityResult) -> None:
        loggers = [lg for lg in trainer.loggers if isinstance(lg, MLFlowLogger)]
        if not loggers or self.probe is None:
            return
        meta = {
            "task": self.probe.task,
            "global_step": trainer.global_step,
            "epoch": trainer.current_epoch,
            "method": getattr(pl_module, "method", type(pl_module).__name__),
            "n_probe": len(self.probe.originals),
            "thresholds": self.thresholds,
        }
        with tempfile.TemporaryDirectory(prefix="fidelity-") as tmp:
            report, pinned = Path(tmp) / "report", Path(tmp) / "dashboard.html"
            write_report(report, self.probe, result, meta, pd.DataFrame(self.history), self.log_examples)
            shutil.copyfile(report / "summary.html", pinned)
            for logger in loggers:
                client, run_id = logger.experiment, logger.run_id
                client.log_artifacts(run_id, str(report), f"fidelity/step_{trainer.global_step:07d}")
                # The latest report at a fixed place, and the headline relations as the run's description.
                client.log_artifact(run_id, str(pinned), "fidelity")
                note = client.get_run(run_id).data.tags.get(NOTE_TAG, "")
                if not note or note.startswith(NOTE_MARKER):  # never overwrite a description a person wrote
                    client.set_tag(
                        run_id, NOTE_TAG, headline_markdown(relations_frame(result), trainer.global_step)
                    )

    # -- end of fit -----------------------------------------------------------------------------
    def _attack_student(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if not (self.attack_student and self.probe is not None and self._split is not None):
            return
        encoder = CodeEncoder(pl_module.tokenizer, self._max_length)  # type: ignore[arg-type]
        model: Any = pl_module.model
        self.attacks = compare_attacks(self.probe, self._split, self.config, model, encoder, self.progress)
        for logger in trainer.loggers:
            logger.log_metrics(self.attacks.metrics(), step=trainer.global_step)

    def summary_text(self, worst: int = 3) -> str:
        """The last evaluation in a few lines (see :func:`fidelity.report.fidelity_summary_text`)."""
        return fidelity_summary_text(self.last, worst)

    # -- resume --------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {"history": self.history, "validations": self.validations}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.history = list(state_dict.get("history", []))
        self.validations = int(state_dict.get("validations", 0))
