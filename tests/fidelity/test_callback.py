"""FidelityCallback inside real (tiny) distillation fits: probe once, metrics per validation, MLflow."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightning as L
import mlflow
import pytest
import torch
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.loggers import MLFlowLogger

from fidelity.callback import FidelityCallback
from kd.data.datamodules import CloneDetectionDataModule
from kd.distill import DistillationModule
from kd.methods.vanilla import HintonKD
from kd.models.ref import FreshModel, ModelRef
from kd.spec import StudentSpec
from kd.teacher import TeacherFineTune
from tests.fidelity.attack_checks import TIMING, AttackSpy, assert_summary, check_attacked

TRANSFORMS = ["rename_local_variables", "insert_dead_code", "for_to_while"]
STUDENT = StudentSpec(
    vocab_size=300, num_hidden_layers=1, hidden_size=16, num_attention_heads=2, intermediate_size=32
)

pytestmark = pytest.mark.usefixtures("isolated_cache")


def _datamodule(demo_root: Path) -> CloneDetectionDataModule:
    return CloneDetectionDataModule(
        str(demo_root / "bigclonebench"),
        batch_size=8,
        max_train_examples=32,
        max_eval_examples=16,
        max_length=64,
    )


def _callback(**kwargs: Any) -> FidelityCallback:
    args: dict[str, Any] = {
        "n_probe": 8,
        "transforms": TRANSFORMS,
        "attacks": ["mhm"],
        "attack_max_queries": 6,
        "attack_candidates": 3,
        "progress": False,
    }
    return FidelityCallback(**{**args, **kwargs})


def _fit(
    tmp_path: Path,
    demo_root: Path,
    teacher_dir: Path,
    callbacks: list[L.Callback],
    module: L.LightningModule | None = None,
    logger: Any = False,
) -> L.Trainer:
    torch.manual_seed(0)
    module = module or HintonKD(ModelRef(str(teacher_dir)), FreshModel(STUDENT, str(teacher_dir)), lr=1e-3)
    trainer = L.Trainer(
        accelerator="cpu",
        max_steps=4,
        val_check_interval=2,
        limit_val_batches=1,
        enable_progress_bar=False,
        enable_model_summary=False,
        logger=logger,
        default_root_dir=tmp_path,
        callbacks=callbacks,
        num_sanity_val_steps=1,
    )
    trainer.fit(module, datamodule=_datamodule(demo_root))
    return trainer


class _ProbeTeacherCalls:
    """Counts teacher passes over the probe (``desc="teacher on probe"``) across fits."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.calls: list[int] = []
        original = DistillationModule.teacher_predict

        def counting(
            module: DistillationModule,
            examples: list[tuple[str, ...]],
            max_length: int,
            desc: str = "teacher",
            encoder: Any = None,
        ) -> torch.Tensor:
            if desc == "teacher on probe":
                self.calls.append(len(examples))
            return original(module, examples, max_length, desc, encoder)

        monkeypatch.setattr(DistillationModule, "teacher_predict", counting)


def test_teacher_scores_the_probe_once_per_fit_and_relations_are_logged_each_validation(
    tmp_path: Path, demo_root: Path, teacher_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counter = _ProbeTeacherCalls(monkeypatch)
    callback = _callback()
    ckpt = ModelCheckpoint(dirpath=tmp_path / "ckpt", monitor="fidelity/all/agreement_violation", mode="min")
    trainer = _fit(tmp_path, demo_root, teacher_dir, [callback, ckpt])
    assert callback.probe is not None
    assert counter.calls == [len(callback.probe.all_examples())]  # one batched pass, originals + follow-ups
    assert len(callback.history) == 2  # two validations (sanity check excluded), student-only each time
    assert [h["step"] for h in callback.history] == [2.0, 4.0]
    metrics = trainer.callback_metrics
    for key in (
        "fidelity/all/agreement_violation",
        "fidelity/all/robustness_drop_relative",
        "fidelity/insert_dead_code/flip_rate_student",
        "fidelity/originals/acc_student",
    ):
        assert key in metrics, key
    assert 0.0 <= float(metrics["fidelity/all/agreement_violation"]) <= 1.0
    assert ckpt.best_model_path and ckpt.best_model_score is not None
    assert float(ckpt.best_model_score) == min(h["agreement_violation"] for h in callback.history)
    # A second fit on the same teacher and data reuses the cached probe: no teacher pass at all.
    again = _callback()
    _fit(tmp_path / "again", demo_root, teacher_dir, [again])
    assert len(counter.calls) == 1
    assert again.probe is not None and again.probe.key == callback.probe.key


def test_metrics_and_report_artifacts_reach_mlflow_at_each_checkpoint(
    tmp_path: Path, demo_root: Path, teacher_dir: Path
) -> None:
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    logger = MLFlowLogger(
        experiment_name="fid", tracking_uri=uri, artifact_location=(tmp_path / "art").as_uri()
    )
    _fit(tmp_path, demo_root, teacher_dir, [_callback()], logger=logger)
    client = mlflow.MlflowClient(uri)
    run_id = logger.run_id
    assert run_id is not None
    history = client.get_metric_history(run_id, "fidelity/all/agreement_violation")
    assert [m.step for m in history] == [1, 3]  # logged at the global step of each validation
    assert "fidelity/rename_local_variables/js_distance" in client.get_run(run_id).data.metrics
    listed = sorted(a.path for a in client.list_artifacts(run_id, "fidelity"))
    assert listed == ["fidelity/dashboard.html", "fidelity/step_0000002", "fidelity/step_0000004"]
    steps = listed[1:]  # dashboard.html: the latest report, pinned (see tests/fidelity/test_probe_budget.py)
    files = {Path(a.path).name for a in client.list_artifacts(run_id, steps[-1])}
    assert {
        "divergent.csv",
        "relations.csv",
        "violations.png",
        "trends.png",
        "summary.md",
        "summary.html",
    } <= files
    summary = Path(
        client.download_artifacts(run_id, f"{steps[-1]}/summary.md", str(tmp_path / "dl"))
    ).read_text()
    assert "agreement_violation" in summary and "insert_dead_code" in summary


def test_attack_student_at_fit_end_attacks_the_final_student_and_logs_what_it_found(
    tmp_path: Path, demo_root: Path, teacher_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = AttackSpy(monkeypatch)
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    logger = MLFlowLogger(
        experiment_name="fid", tracking_uri=uri, artifact_location=(tmp_path / "art").as_uri()
    )
    callback = _callback(
        transforms=[], attacks=["mhm", "wir_random"], attack_student=True, n_attack=6, log_artifacts=False
    )
    module = HintonKD(ModelRef(str(teacher_dir)), FreshModel(STUDENT, str(teacher_dir)), lr=1e-3)
    trainer = _fit(tmp_path, demo_root, teacher_dir, [callback], module=module, logger=logger)
    assert trainer.global_step == 4  # stopped by max_steps; the attack ran on the final student
    probe, attacks = callback.probe, callback.attacks
    assert probe is not None and attacks is not None and set(attacks.student) == {"mhm", "wir_random"}
    assert logger.run_id is not None
    logged = mlflow.MlflowClient(uri).get_run(logger.run_id).data.metrics
    student = module.model
    for attack in ("mhm", "wir_random"):
        # The first n_attack probe originals, attacked once each on the student as it is after the fit
        # (check_attacked re-runs this model) and once on the teacher when the probe was built.
        on_student = spy.of(student, attack)
        on_teacher = [r for r in spy.records if r.model is not student and r.result.attack == attack]
        for records in (on_student, on_teacher):
            assert [(tuple(r.result.original), r.result.label) for r in records] == list(
                zip(probe.originals[:6], probe.labels[:6].tolist(), strict=True)
            )
        assert all(r.config.max_queries == 6 and r.config.n_candidates == 3 for r in spy.records)
        student_outcomes = [check_attacked(r, "java") for r in on_student]
        assert_summary(attacks.student[attack], student_outcomes)
        assert_summary(probe.followups[attack].stats, [check_attacked(r, "java") for r in on_teacher])
        # What reaches MLflow is what was found: the student's summary and the probe's teacher side.
        student_logged = {
            k.rsplit("/", 1)[1]: v
            for k, v in logged.items()
            if k.startswith(f"fidelity/student_attack/{attack}/")
        }
        assert_summary(student_logged, student_outcomes)
        assert student_logged == pytest.approx(attacks.student[attack])  # every key, icr/tcr/timing too
        for key, value in probe.followups[attack].stats.items():
            assert logged[f"fidelity/teacher_attack/{attack}/{key}"] == pytest.approx(value)
    assert set(TIMING) <= set(attacks.student["mhm"]) and set(TIMING) <= set(attacks.teacher["mhm"])


def test_disabled_or_non_distillation_module_does_nothing(
    tmp_path: Path, demo_root: Path, teacher_dir: Path
) -> None:
    off = _callback(enabled=False)
    trainer = _fit(tmp_path, demo_root, teacher_dir, [off])
    assert off.probe is None and not any(k.startswith("fidelity/") for k in trainer.callback_metrics)
    plain = _callback()
    module = TeacherFineTune(ModelRef(str(teacher_dir)), lr=1e-3)
    with pytest.warns(UserWarning, match="not a DistillationModule"):
        trainer = _fit(tmp_path / "plain", demo_root, teacher_dir, [plain], module=module)
    assert plain.probe is None and not any(k.startswith("fidelity/") for k in trainer.callback_metrics)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"attacks": ["pgd"]}, "pgd"),
        ({"tau_c": 1.5}, "tau_c"),
        ({"n_probe": 0}, "n_probe"),
        ({"every_n_validations": 0}, "every_n_validations"),
    ],
)
def test_bad_settings_fail_at_construction_naming_the_value(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        FidelityCallback(**kwargs)


def test_unknown_transform_fails_at_fit_start_listing_valid_names(
    tmp_path: Path, demo_root: Path, teacher_dir: Path
) -> None:
    with pytest.raises(ValueError, match="for_to_while"):
        _fit(tmp_path, demo_root, teacher_dir, [_callback(transforms=["loop_unrolling"])])
