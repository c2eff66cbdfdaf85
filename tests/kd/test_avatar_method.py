"""AVATAR end to end on CPU: a tiny search stage (3 trials, 1 epoch each, tiny data), then fits that reuse it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import mlflow
import pytest
import torch

from kd.cli import KDCLI
from kd.data.demo import ensure_demo_data
from kd.losses import kd_kl_loss
from kd.methods.avatar import AvatarKD, AvatarSearch
from kd.models.io import save_model_dir
from kd.models.ref import ModelRef
from kd.search.result import load_search_result
from kd.search.stage import main as search_stage
from kd.spec import StudentSpec
from tests.kd.helpers import TINY_GENES, tiny_fit_args, tiny_model

TARGET_MB = 0.2


@dataclass
class Stage:
    root: Path
    out: Path
    data_dir: Path
    teacher: Path
    stage_run: str


def _args(root: Path, data_dir: Path, teacher: Path, out: Path, extra: list[str] | None = None) -> list[str]:
    search = {
        "n_trials": 3,
        "trial_epochs": 1,
        "trial_train_examples": 24,
        "trial_eval_examples": 16,
        "workers": 2,
        "population": 6,
        "generations": 3,
        "output_dir": str(out),
        "genes": TINY_GENES,
    }
    model_args = ["--model.target_mb", str(TARGET_MB), "--model.search", json.dumps(search)]
    model_args += [
        "--model.efficiency_examples",
        "8",
        "--model.pooling",
        "mean",
        "--model.pair_features",
        "siamese",
    ]
    return tiny_fit_args(
        root,
        data_dir,
        teacher,
        3,
        method="kd.methods.avatar.AvatarKD",
        model_args=model_args + (extra or []),
        experiment="avatar",
    )


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    root = tmp_path_factory.mktemp("avatar")
    data_dir = ensure_demo_data(root / "demo") / "bigclonebench"
    torch.manual_seed(0)
    model, tok = tiny_model(n_inputs=2)
    teacher = save_model_dir(model, tok, root / "teacher")
    out = root / "search"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("METACOMPRESS_CACHE", str(root / "cache"))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        args = _args(root, data_dir, teacher, out)[1:]  # the stage takes the fit's arguments without `fit`
        search_stage([*args, "--output", str(out)])
        client = mlflow.MlflowClient(f"sqlite:///{root}/mlflow.db")
        exp = client.get_experiment_by_name("avatar")
        assert exp is not None
        runs = client.search_runs([exp.experiment_id], filter_string="tags.`kd.stage` = 'search'")
        yield Stage(root, out, data_dir, teacher, runs[0].info.run_id)


@pytest.mark.slow  # a 3-trial search (3 processes) and two tiny fits: a few minutes on a loaded 2-core machine
def test_search_stage_writes_its_result_and_nested_trial_runs(stage: Stage) -> None:
    saved = load_search_result(stage.out)
    names = {p.name for p in stage.out.iterdir()}
    assert {"search_result.json", "pareto_front.csv", "pareto_front.png", "trials.csv", "trials"} <= names
    assert saved.spec.hidden_size % saved.spec.num_attention_heads == 0
    assert set(saved.hparams) == {"learning_rate", "batch_size"}
    summary = saved.summary
    assert summary["n_trials_ok"] == 3 and len(summary["trials"]) == 3
    assert summary["algorithm"] == "nsga2" and summary["objectives"][1] == ["accuracy", "max"]
    assert summary["chosen"]["size_mb"] <= TARGET_MB  # the hard size constraint
    assert "cv_r2" in summary["surrogate"] and summary["surrogate"]["n"] == 3
    # The z3 bounds cut the space to the budget and the trials lie inside them.
    bounds = summary["pruned_bounds"]
    for row in summary["trials"]:
        assert bounds["hidden_size"][0] <= row["gene.hidden_size"] <= bounds["hidden_size"][1]
    client = mlflow.MlflowClient(f"sqlite:///{stage.root}/mlflow.db")
    run = client.get_run(stage.stage_run)
    assert run.data.tags["kd.method"] == "avatar" and run.info.status == "FINISHED"
    children = client.search_runs(
        [run.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{stage.stage_run}'"
    )
    assert len(children) == 3 and {c.info.status for c in children} == {"FINISHED"}
    assert all("trial/val/f1" in c.data.metrics for c in children)  # AVATAR's clone trial metric
    assert "search/pareto_front.csv" in {a.path for a in client.list_artifacts(stage.stage_run, "search")}


def _trial_mtimes(out: Path) -> dict[str, float]:
    return {p.parent.name: p.stat().st_mtime for p in out.glob("trials/*/result.json")}


@pytest.mark.slow
def test_fit_reuses_the_search_and_its_hyperparameters(stage: Stage) -> None:
    before = _trial_mtimes(stage.out)
    saved = load_search_result(stage.out)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("METACOMPRESS_CACHE", str(stage.root / "cache"))
        mp.delenv("MLFLOW_TRACKING_URI", raising=False)
        fit_root = stage.root / "fit"
        cli = KDCLI(
            args=_args(
                fit_root,
                stage.data_dir,
                stage.teacher,
                stage.root / "unused",
                ["--model.search_result", str(stage.out)],
            )
        )
    module = cast(AvatarKD, cli.model)
    assert _trial_mtimes(stage.out) == before and not (stage.root / "unused").exists()  # no search again
    assert module.searched is not None and module.searched.spec == saved.spec
    assert module.student_spec is not None
    built = module.student_spec
    assert built == saved.spec.replace(vocab_size=built.vocab_size)  # only the vocabulary may shrink
    # Searched hyper-parameters reached the optimiser and the datamodule; the student reads <= max_seq_len.
    opt = cli.trainer.optimizers[0]
    assert opt.param_groups[0]["initial_lr"] == pytest.approx(saved.hparams["learning_rate"])
    dm = cast(Any, cli.datamodule)
    assert dm.batch_size == saved.hparams["batch_size"]
    assert dm.max_length == min(64, saved.spec.max_seq_len)
    client = mlflow.MlflowClient(f"sqlite:///{fit_root}/mlflow.db")
    run = client.get_run(cast(Any, cli.trainer.logger).run_id)
    assert run.data.tags["kd.method"] == "avatar" and run.data.tags["kd.student_spec"] == built.name
    assert run.data.params["student.learning_rate"] == str(saved.hparams["learning_rate"])
    report = module.efficiency
    assert report is not None and set(report["ratios"]) >= {"size", "latency", "energy"}
    assert report["student"]["size_mb"] == pytest.approx(
        sum(p.numel() for p in module.built_model().parameters()) * 4 / 1e6
    )
    assert "efficiency/efficiency.json" in {
        a.path for a in client.list_artifacts(run.info.run_id, "efficiency")
    }


def test_loss_is_t2_kl_with_the_task_temperature() -> None:
    torch.manual_seed(0)
    s, t = torch.randn(5, 2) * 2, torch.randn(5, 2) * 2
    vuln = AvatarKD(ModelRef("t"), task="vulnerability")
    assert vuln.temperature == 10.0 and AvatarKD(ModelRef("t"), task="clone").temperature == 1.0
    p_t = (t / 10).softmax(-1)
    expected = 100 * (p_t * (p_t.log() - (s / 10).log_softmax(-1))).sum(-1).mean()
    assert torch.allclose(vuln.distill_loss(s, t, torch.zeros(5, dtype=torch.long)), expected, atol=1e-6)
    assert torch.allclose(kd_kl_loss(s, t, 10.0), expected, atol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"target_mb": 0}, "target_mb"),
        ({"temperature": -1.0}, "temperature"),
        ({"search": AvatarSearch(n_trials=2)}, "n_trials"),
        ({"search": AvatarSearch(launcher="dask")}, "launcher 'dask'"),
        ({"search_result": "/nonexistent/search"}, "search stage"),
        ({"pooling": "max"}, "pooling"),
    ],
)
def test_bad_arguments_are_named(kwargs: dict, name: str) -> None:
    with pytest.raises((ValueError, FileNotFoundError), match=name):
        AvatarKD(ModelRef("t"), **kwargs)


def test_checkpoint_of_another_architecture_is_refused() -> None:
    spec = StudentSpec(
        vocab_size=300, num_hidden_layers=1, hidden_size=16, num_attention_heads=2, intermediate_size=32
    )
    module = AvatarKD(ModelRef("t"))
    module.student_spec = spec
    module.on_load_checkpoint({"avatar_student_spec": spec.to_dict()})
    with pytest.raises(ValueError, match="L2-H16"):
        module.on_load_checkpoint({"avatar_student_spec": spec.replace(num_hidden_layers=2).to_dict()})


@pytest.mark.parametrize(
    ("world_size", "rank", "expected"),
    [(1, 0, ["search"]), (2, 0, ["search", "barrier"]), (2, 1, ["barrier", "search"])],
)
def test_ddp_ranks_search_once(
    world_size: int, rank: int, expected: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Under DDP only global rank 0 searches; another rank passes the barrier first, so its run_search finds
    # rank 0's saved result instead of running the same trials again at the same time.
    events: list[str] = []

    class Strategy:
        def barrier(self, name: str | None = None) -> None:
            events.append("barrier")

    class Trainer:
        strategy = Strategy()
        is_global_zero = rank == 0

    Trainer.world_size = world_size  # type: ignore[attr-defined]
    module = AvatarKD(ModelRef("t"))
    module._trainer = cast(Any, Trainer())
    monkeypatch.setattr(module, "run_search", lambda dm: events.append("search") or "saved")
    assert module.search_once(None) == "saved"
    assert events == expected
