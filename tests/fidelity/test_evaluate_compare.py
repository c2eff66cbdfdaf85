"""``python -m fidelity evaluate`` and ``compare`` end to end (tiny models, demo data, sqlite MLflow)."""

from __future__ import annotations

from pathlib import Path

import mlflow
import pandas as pd
import pytest
import torch

from fidelity.cli import main
from fidelity.evaluate import evaluate_models, student_probs
from fidelity.probe import ProbeConfig
from kd.data.datamodules import CloneDetectionDataModule
from kd.data.demo import ensure_demo_data
from kd.data.encoding import CodeEncoder
from kd.models.io import load_classifier, save_model_dir
from tests.conftest import BCB, COMPRESSOR_3MB, needs_shared
from tests.fidelity.attack_checks import AttackSpy, assert_summary, check_attacked
from tests.kd.helpers import tiny_model

FAST = ["--n", "8", "--attacks", "mhm", "--max-queries", "6", "--candidates", "3", "--max-length", "64"]
TRANSFORMS = ["--transforms", "rename_parameters", "insert_dead_code"]

pytestmark = pytest.mark.usefixtures("isolated_cache")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("models")
    torch.manual_seed(0)
    teacher, tok = tiny_model(2)
    torch.manual_seed(1)
    student, _ = tiny_model(2, tok)
    data = ensure_demo_data(root / "demo") / "bigclonebench"
    return (
        save_model_dir(teacher, tok, root / "teacher"),
        save_model_dir(student, tok, root / "student", {"method": "hinton"}),
        data,
    )


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


def test_evaluate_prints_the_table_and_logs_an_mlflow_run(
    tmp_path: Path,
    models: tuple[Path, Path, Path],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    teacher, student, data = models
    spy = AttackSpy(monkeypatch)
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    args = [
        "evaluate",
        "--teacher",
        str(teacher),
        "--student",
        str(student),
        "--data",
        str(data),
        "--task",
        "clone",
        *FAST,
        *TRANSFORMS,
        "--attack-student",
        "--tracking-uri",
        uri,
        "--experiment",
        "ev",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "| followup | n_pairs | agreement_violation" in out
    for row in ("| rename_parameters |", "| insert_dead_code |", "| mhm |", "| all |"):
        assert row in out
    assert "teacher acc" in out and "student acc" in out
    assert "| attack | target | n_attacked | n_success | asr |" in out
    assert "| mhm | teacher |" in out and "| mhm | student |" in out
    client = mlflow.MlflowClient(uri)
    experiment = client.get_experiment_by_name("ev")
    assert experiment is not None
    (run,) = client.search_runs([experiment.experiment_id])
    metrics, tags = run.data.metrics, run.data.tags
    assert 0.0 <= metrics["fidelity/all/agreement_violation"] <= 1.0
    assert "fidelity/mhm/robustness_drop_relative" in metrics
    assert metrics["fidelity/insert_dead_code/n_pairs"] == 8  # dead code applies to every method
    assert (
        tags["kd.method"] == "hinton" and tags["kd.task"] == "clone" and float(tags["kd.student_size_mb"]) > 0
    )
    files = {Path(a.path).name for a in client.list_artifacts(run.info.run_id, "fidelity")}
    assert {"relations.csv", "divergent.csv", "summary.md", "summary.html", "violations.png"} <= files
    assert Path(tmp_path / "artifacts").is_dir()  # artifacts beside the sqlite store, not in ./mlruns
    # --attack-student: MHM ran on the probe's 8 originals against the teacher (probe) and the student,
    # and what was logged is what those attacks achieved, re-derived by check_attacked.
    sample = CloneDetectionDataModule(str(data), max_length=64).split("test").subset(8, 0)
    expected = [(sample.texts(i), y) for i, y in enumerate(sample.labels().tolist())]
    student_model = load_classifier(student, 2).model
    on_student = [r for r in spy.records if _same_weights(r.model, student_model)]
    on_teacher = [r for r in spy.records if r not in on_student]
    for records, target in ((on_student, "student"), (on_teacher, "teacher")):
        assert [(tuple(r.result.original), r.result.label) for r in records] == expected
        assert all(r.result.attack == "mhm" and r.config.max_queries == 6 for r in records)
        prefix = f"fidelity/{target}_attack/mhm/"
        logged = {k.removeprefix(prefix): v for k, v in metrics.items() if k.startswith(prefix)}
        assert_summary(logged, [check_attacked(r, "java") for r in records])
    assert run.data.params["attack_student"] == "True" and "attacks.csv" in files


def test_student_reads_its_own_max_length(models: tuple[Path, Path, Path]) -> None:
    teacher, student, data = models
    config = ProbeConfig(n_probe=6, transforms=("rename_parameters",), attacks=())
    probe, result = evaluate_models(
        str(teacher), str(student), str(data), "clone", config, max_length=64, student_max_length=12
    )
    loaded = load_classifier(student, 2)
    short = student_probs(probe, loaded.model.eval(), CodeEncoder(loaded.tokenizer, 12), 64)
    full = student_probs(probe, loaded.model.eval(), CodeEncoder(loaded.tokenizer, 64), 64)
    assert torch.allclose(result.student_probs, short) and not torch.allclose(short, full)


def test_evaluate_reports_bad_input_without_a_traceback(
    tmp_path: Path, models: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    teacher, student, data = models
    base = [
        "evaluate",
        "--teacher",
        str(teacher),
        "--student",
        str(student),
        "--task",
        "clone",
        "--no-mlflow",
    ]
    assert main([*base, "--data", str(tmp_path / "missing")]) == 2
    assert "missing" in capsys.readouterr().err
    assert main([*base, "--data", str(data), "--transforms", "unroll_loops"]) == 2
    assert "for_to_while" in capsys.readouterr().err  # the valid names are listed
    assert main([*base, "--data", str(data), "--attacks", "fgsm"]) == 2
    assert "wir_random" in capsys.readouterr().err


def _training_run(client: mlflow.MlflowClient, exp_id: str, method: str, acc: float, viol: float) -> None:
    run = client.create_run(
        exp_id,
        run_name=f"{method}-student",
        tags={
            "kd.method": method,
            "kd.task": "clone",
            "kd.student_size_mb": "3.1",
            "kd.student_gflops": "0.12",
        },
    )
    for key, value in {
        "test/acc": acc,
        "test/f1": acc - 0.1,
        "fidelity/all/agreement_violation": viol,
    }.items():
        client.log_metric(run.info.run_id, key, value)
    client.set_terminated(run.info.run_id)


def test_compare_tabulates_runs_to_csv_and_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client = mlflow.MlflowClient(uri)
    exp_id = client.create_experiment("cmp", (tmp_path / "art").as_uri())
    _training_run(client, exp_id, "hinton", 0.91, 0.12)
    _training_run(client, exp_id, "compressor", 0.88, 0.2)
    client.create_experiment("other", (tmp_path / "art2").as_uri())
    assert (
        main(["compare", "--experiment", "cmp", "--tracking-uri", uri, "--output", str(tmp_path / "out")])
        == 0
    )
    table = pd.read_csv(tmp_path / "out" / "compare.csv")
    assert list(table["method"]) == ["compressor", "hinton"]
    assert list(table["accuracy"]) == [0.88, 0.91] and list(table["agreement_violation"]) == [0.2, 0.12]
    assert table["size_mb"].tolist() == [3.1, 3.1] and table["robustness_drop_student"].isna().all()
    markdown = (tmp_path / "out" / "compare.md").read_text()
    assert (
        markdown.startswith("| run | method | task | size_mb |") and "| hinton-student | hinton |" in markdown
    )
    capsys.readouterr()
    assert main(["compare", "--experiment", "other", "--tracking-uri", uri]) == 2
    assert "no runs found" in capsys.readouterr().err


@pytest.mark.slow
@needs_shared
def test_evaluate_compressor_3mb_teacher_on_bigclonebench(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    teacher = COMPRESSOR_3MB / "clone"
    tok = load_classifier(teacher, 2).tokenizer
    torch.manual_seed(0)
    model, _ = tiny_model(2, tok)
    student = save_model_dir(model, tok, tmp_path / "student", {"method": "hinton"})
    args = [
        "evaluate",
        "--teacher",
        str(teacher),
        "--student",
        str(student),
        "--data",
        str(BCB),
        "--task",
        "clone",
        *FAST,
        *TRANSFORMS,
        "--max-length",
        "400",
        "--no-mlflow",
    ]
    assert main(args) == 0
    out = capsys.readouterr().out
    line = next(row for row in out.splitlines() if "teacher acc" in row)
    assert (
        float(line.split("teacher acc ")[1].split(",")[0]) >= 0.5
    )  # the released model is a real classifier
