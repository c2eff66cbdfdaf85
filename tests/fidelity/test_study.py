"""``python -m fidelity study`` end to end on tiny random models and the demo data: the teacher is scored and
attacked once and cached (adding a student costs only that student), the report/CSV/MLflow outputs, and
malformed study YAML naming the bad key."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import pytest
import torch
import yaml

import fidelity.study as study_mod
import fidelity.study_attacks as attacks_mod
from fidelity.cli import main
from fidelity.study import run_study
from fidelity.study_config import StudyConfigError, load_study, parse_study
from fidelity.study_report import write_study
from kd.data.demo import ensure_demo_data
from kd.models.io import save_model_dir
from tests.kd.helpers import tiny_model

pytestmark = pytest.mark.usefixtures("isolated_cache")


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("study-models")
    torch.manual_seed(0)
    teacher, tok = tiny_model(2)
    out = {"teacher": save_model_dir(teacher, tok, root / "teacher", {"method": "teacher"})}
    for seed, name in ((1, "s1"), (2, "s2"), (3, "s3")):
        torch.manual_seed(seed)
        out[name] = save_model_dir(tiny_model(2, tok)[0], tok, root / name, {"method": "hinton"})
    out["data"] = ensure_demo_data(root / "demo") / "bigclonebench"
    return out


def _config(models: dict[str, Path], tmp_path: Path, students: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "name": "tiny",
        "task": "clone",
        "data": str(models["data"]),
        "split": "test",
        "max_length": 64,
        "teacher": {"name": "teacher", "source": str(models["teacher"])},
        "students": [{"name": s, "source": str(models[s])} for s in students],
        "probe": {"n": 12, "transforms": ["rename_parameters", "insert_dead_code"], "seed": 0},
        "attacks": {"names": ["mhm", "wir_random"], "n_attack": 6, "max_queries": 6, "candidates": 3},
        "statistics": {"n_boot": 200},
        "output": str(tmp_path / "report"),
        "mlflow": {"experiment": "study", "tracking_uri": f"sqlite:///{tmp_path}/mlflow.db"},
        **extra,
    }


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts scoring passes (by progress label) and attack runs (by target) made by the study."""
    calls: Counter[str] = Counter()
    real_predict, real_attack = study_mod.predict_logits, attacks_mod.run_attacks

    def predict(*args: Any, desc: str = "", **kwargs: Any) -> torch.Tensor:
        calls[f"score:{desc}"] += 1
        return real_predict(*args, desc=desc, **kwargs)

    def attack(*args: Any) -> Any:
        calls[f"attack:{args[-1]}"] += 1
        return real_attack(*args)

    monkeypatch.setattr(study_mod, "predict_logits", predict)
    monkeypatch.setattr(attacks_mod, "run_attacks", attack)
    return calls


def test_adding_a_student_reuses_the_teachers_cached_outputs(
    models: dict[str, Path], tmp_path: Path, counted: Counter[str]
) -> None:
    first = run_study(parse_study(_config(models, tmp_path, ["s1", "s2"])), progress=False)
    assert counted == Counter(
        {
            "score:teacher on probe": 1,
            "attack:teacher": 1,
            "score:s1 on probe": 1,
            "score:s2 on probe": 1,
            "attack:s1": 1,
            "attack:s2": 1,
        }
    )
    counted.clear()
    second = run_study(parse_study(_config(models, tmp_path, ["s1", "s2", "s3"])), progress=False)
    assert counted == Counter({"score:s3 on probe": 1, "attack:s3": 1})  # only the new student ran
    assert len(second.students) == 3
    # cached outputs give the same numbers as the first computation
    for a, b in zip(first.students, second.students[:2], strict=True):
        assert a.result.table == b.result.table
        assert a.attacks == b.attacks
    # every student saw the same follow-ups, including the teacher's transferred adversarial examples
    kinds = {fu.kind for fu in second.probe.followups.values()}
    assert kinds == {"transform", "attack"}
    assert {r["model"] for r in second.teacher_attacks} == {"teacher"}


def test_study_rows_hold_intervals_and_paired_tests(models: dict[str, Path], tmp_path: Path) -> None:
    result = run_study(parse_study(_config(models, tmp_path, ["s1"])), progress=False)
    (student,) = result.students
    rows = {r["followup"]: r for r in student.followups}
    assert "all" in rows and "rename_parameters" in rows
    for r in rows.values():
        assert (
            0.0
            <= r["agreement_violation_lo"]
            <= r["agreement_violation"]
            <= r["agreement_violation_hi"]
            <= 1.0
        )
        assert 0.0 <= r["mcnemar_p"] <= r["mcnemar_p_holm"] <= 1.0
        assert r["agreement_violation"] == pytest.approx(
            student.result.table[r["followup"]]["agreement_violation"]
        )
    for a in student.attacks:
        assert {"asr_lo", "robustness_drop_difference_lo", "mcnemar_p", "mcnemar_p_holm"} <= set(a)
        assert a["n"] == 6


def test_study_cli_writes_reports_csv_and_nested_mlflow_runs(
    models: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "study.yaml"
    config = _config(models, tmp_path, ["s1", "s2"])
    config["comparisons"] = [["s1", "s2"], ["s1", "s2", "-insert_dead_code"]]
    path.write_text(yaml.safe_dump(config))
    assert main(["study", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert "## Agreement violation per follow-up" in out and "MLflow parent run" in out
    # random tiny students may collapse to one label: then they are named and left out of the pooling
    assert "## Do distilled models lose the most" in out
    assert "| distilled | s1, s2 |" in out or ("s1: collapsed" in out and "s2: collapsed" in out)
    # a collapsed student's claim lines say its smaller drop is not robustness
    claims = [line for line in out.splitlines() if line.startswith("- s1, ") and "drop − teacher" in line]
    assert claims and all(("s1: collapsed" in out) == ("collapsed to one label" in line) for line in claims)
    assert "## Student vs student" in out and "s1 − s2: own flip rate" in out
    report = tmp_path / "report"
    tidy = pd.read_csv(report / "tidy.csv")
    assert set(tidy["student"]) == {"s1", "s2"}
    assert {"agreement_violation", "flip_rate_student", "robustness_drop_relative"} <= set(tidy["relation"])
    assert not tidy.duplicated(["student", "followup", "relation"]).any()
    html = (report / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 3 and "<table" in html
    assert (report / "teacher.attacks.jsonl").is_file() and (report / "s1.attacks.jsonl").is_file()
    client = mlflow.MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    exp = client.get_experiment_by_name("study")
    assert exp is not None
    runs = client.search_runs([exp.experiment_id])
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
    assert len(parents) == 1 and {r.info.run_name for r in children} == {"s1", "s2"}
    assert all(r.data.tags["mlflow.parentRunId"] == parents[0].info.run_id for r in children)
    assert "fidelity/all/agreement_violation_lo" in children[0].data.metrics
    assert all(r.info.status == "FINISHED" for r in runs)
    # the comparisons: one CSV row per (scope, name, measure), the same numbers on the parent run
    comp = pd.read_csv(report / "comparisons.csv")
    pair = comp[(comp["scope"] == "pair") & (comp["name"] == "s1_vs_s2")].set_index("measure")
    assert {"flip_rate", "agreement_violation"} <= set(pair.index)
    metrics = parents[0].data.metrics
    for measure in ("flip_rate", "agreement_violation"):
        assert metrics[f"compare/pair/s1_vs_s2/{measure}"] == pytest.approx(pair.loc[measure, "estimate"])
        assert pair.loc[measure, "ci_low"] <= pair.loc[measure, "estimate"] <= pair.loc[measure, "ci_high"]
    assert 0.0 <= metrics["compare/pair/s1_vs_s2/flip_mcnemar_p"] <= 1.0
    # the pair without insert_dead_code is the pair on rename_parameters alone: its count and s1's own flip rate
    # equal the per-follow-up figures of the tidy table (computed by the evaluation, not the comparison)
    assert "s1 − s2 (without insert_dead_code): own flip rate" in out
    only = comp[comp["name"] == "s1_vs_s2_without_insert_dead_code"].set_index("measure")
    tidy_rename = tidy[(tidy["student"] == "s1") & (tidy["followup"] == "rename_parameters")].set_index(
        "relation"
    )
    assert only.loc["flip_rate", "n"] == tidy_rename.loc["flip_rate_student", "n_pairs"]
    assert (
        f"{tidy_rename.loc['flip_rate_student', 'value']:.3f} vs"
        in out.split("(without insert_dead_code)")[1]
    )
    assert "compare/pair/s1_vs_s2_without_insert_dead_code/flip_rate" in metrics


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda c: c["students"][0].update(sorce="x"), "students[0].sorce"),
        (lambda c: c.update(probes={"n": 3}), "unknown key `probes`"),
        (lambda c: c["attacks"].update(max_querys=3), "attacks.max_querys"),
        (lambda c: c["probe"].update(n="many"), "`probe.n` must be int"),
        (lambda c: c.pop("teacher"), "missing required key `teacher`"),
        (lambda c: c["students"][0].update(quantize="int4"), "students[0].quantize"),
        (lambda c: c["students"][0].pop("source"), "students[0]"),
        (lambda c: c.update(task="translation"), "`task` must be one of"),
        (lambda c: c.update(comparisons=[["s1", "ghost"]]), "`comparisons[0]` names 'ghost'"),
        (lambda c: c.update(comparisons=[["s1"]]), "`comparisons[0]` must name two different students"),
        (
            lambda c: c.update(
                students=[*c["students"], {**c["students"][0], "name": "s2"}],
                comparisons=[["s1", "s2", "natural_rename"]],
            ),
            "only `-<transform>` entries may follow",
        ),  # fmt: skip
    ],
)
def test_malformed_study_yaml_names_the_bad_key(
    models: dict[str, Path], tmp_path: Path, change: Any, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _config(models, tmp_path, ["s1"])
    change(config)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(StudyConfigError, match=rf"{path}: .*{__import__('re').escape(message)}"):
        load_study(path)
    assert main(["study", "--config", str(path)]) == 2
    assert message in capsys.readouterr().err


def test_missing_student_fails_before_any_work(
    models: dict[str, Path], tmp_path: Path, counted: Counter[str]
) -> None:
    config = _config(models, tmp_path, ["s1"])
    config["students"].append({"name": "ghost", "source": str(tmp_path / "nope")})
    with pytest.raises(ValueError, match="model 'ghost'"):
        run_study(parse_study(config), progress=False)
    assert not counted


def test_quantized_students_are_smaller_and_named(models: dict[str, Path], tmp_path: Path) -> None:
    config = _config(models, tmp_path, [])
    config["students"] = [
        {"name": "t-int8", "source": str(models["teacher"]), "quantize": "int8"},
        {"name": "t-fp16", "source": str(models["teacher"]), "quantize": "fp16"},
    ]
    config["attacks"]["direct"] = False
    result = run_study(parse_study(config), progress=False)
    fp16 = result.students[1]
    assert fp16.model.method == "teacher+fp16"
    assert fp16.model.size_mb < 0.75 * result.teacher.size_mb
    assert result.students[0].model.fingerprint != result.teacher.fingerprint
    write_study(result, tmp_path / "q")
    assert (tmp_path / "q" / "report.md").read_text().count("t-int8") >= 2


def test_power_note_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["study", "--n", "0.03"]) == 0
    assert "n ≈ 1068" in capsys.readouterr().out


def test_student_from_an_mlflow_run_uses_the_model_it_exported(
    models: dict[str, Path], tmp_path: Path
) -> None:
    from fidelity.study_config import ModelEntry
    from fidelity.study_models import load_study_model

    uri = f"sqlite:///{tmp_path}/runs.db"
    client = mlflow.MlflowClient(uri)
    exp = client.create_experiment("fits", (tmp_path / "art").as_uri())
    run = client.create_run(exp)
    config = {
        "model": {"class_path": "kd.methods.vanilla.HintonKD", "init_args": {"export_dir": str(models["s2"])}}
    }
    client.log_text(run.info.run_id, yaml.safe_dump(config), "config.yaml")
    by_run = load_study_model(ModelEntry(name="from-run", mlflow_run=run.info.run_id), "clone", 64, uri)
    by_path = load_study_model(ModelEntry(name="s2", source=str(models["s2"])), "clone", 64, uri)
    assert by_run.source == str(models["s2"]) and by_run.fingerprint == by_path.fingerprint
    assert by_run.method == "hinton"
    with pytest.raises(ValueError, match="model 'ghost'.*MLflow run 'nope'"):
        load_study_model(ModelEntry(name="ghost", mlflow_run="nope"), "clone", 64, uri)


# a tiny Hugging Face encoder with a 34-position table, for checking position limits against HF itself
TINY_HF = dict(
    vocab_size=50,
    hidden_size=16,
    num_hidden_layers=1,
    num_attention_heads=2,
    intermediate_size=32,
    max_position_embeddings=34,
)


def test_a_student_with_a_short_position_table_reads_what_it_can_hold(tmp_path: Path) -> None:
    """AVATAR/MORPH students have their own max_seq_len (e.g. 274 positions): the study's default length is cut
    to it (reading 400 tokens would index past the table), and an explicit longer max_length names the model."""
    from transformers import RobertaConfig, RobertaModel

    from fidelity.study_config import ModelEntry
    from fidelity.study_models import load_study_model
    from kd.models.io import from_config, max_input_tokens
    from tests.kd.helpers import TINY_SPEC, tiny_tokenizer

    # the limit, checked against Hugging Face's RoBERTa itself: 34 positions, padding index 1 -> 32 tokens
    hf = RobertaModel(RobertaConfig(**TINY_HF, pad_token_id=1))
    hf(torch.full((1, 32), 5))
    with pytest.raises((IndexError, RuntimeError)):  # past the table (which error depends on the version)
        hf(torch.full((1, 33), 5))

    tok = tiny_tokenizer()
    spec = TINY_SPEC.replace(vocab_size=tok.get_vocab_size(), max_position_embeddings=34)
    model = from_config(spec.to_roberta_config(), 2, tok)
    assert max_input_tokens(model) == 32
    directory = save_model_dir(model, tok, tmp_path / "short", {"method": "avatar"})
    loaded = load_study_model(ModelEntry(name="short", source=str(directory)), "clone", 64)
    assert loaded.max_length == 32
    with pytest.raises(ValueError, match="model 'short': max_length 64 exceeds the 32 tokens"):
        load_study_model(ModelEntry(name="short", source=str(directory), max_length=64), "clone", 64)


def test_input_length_cuts_defaults_and_names_explicit_overruns() -> None:
    from types import SimpleNamespace

    from transformers import BertConfig, BertModel

    from kd.models.io import input_length, max_input_tokens

    # BERT numbers positions from 0: all 34 usable (checked on Hugging Face's BertModel)
    config = BertConfig(**TINY_HF)
    BertModel(config)(torch.full((1, 34), 5))
    model = SimpleNamespace(encoder=SimpleNamespace(config=config))
    assert max_input_tokens(model) == 34  # type: ignore[arg-type]
    assert input_length(model, 30, True, "b") == 30  # type: ignore[arg-type]
    assert input_length(model, 400, False, "b") == 34  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="model 'b': max_length 400 exceeds the 34 tokens"):
        input_length(model, 400, True, "b")  # type: ignore[arg-type]
    assert input_length(SimpleNamespace(), 400, True, "x") == 400  # type: ignore[arg-type]  # no table: no limit


@pytest.mark.parametrize(
    "path", sorted((Path(__file__).resolve().parents[2] / "studies").glob("*.yaml")), ids=str
)
def test_shipped_study_configs_parse(path: Path) -> None:
    config = load_study(path)
    assert config.students and config.probe.n >= 1
