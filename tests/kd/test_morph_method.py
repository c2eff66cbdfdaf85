"""MORPH end to end on CPU: a tiny search (3 in-process trials, tiny data) and the fit of its choice, in one fit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

import mlflow
import numpy as np
import pytest
import torch

from kd.cli import KDCLI
from kd.data.demo import ensure_demo_data
from kd.methods.morph import TRAIN_SPLIT, MorphKD, MorphSelection
from kd.models.io import save_model_dir
from kd.search.result import load_search_result
from tests.kd.helpers import TINY_GENES, tiny_fit_args, tiny_model

TARGET_MB = 0.2


def test_tiny_search_and_fit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METACOMPRESS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    data_dir = ensure_demo_data(tmp_path / "demo") / "bigclonebench"
    torch.manual_seed(0)
    model, tok = tiny_model(n_inputs=2)
    teacher = save_model_dir(model, tok, tmp_path / "teacher")
    out = tmp_path / "search"
    search = {
        "n_trials": 3,
        "trial_epochs": 1,
        "trial_train_examples": 16,
        "trial_eval_examples": 8,
        "launcher": "kd.search.inline.InlineLauncher",
        "population": 6,
        "generations": 3,
        "output_dir": str(out),
        "genes": TINY_GENES,
        "flip_grid": {"n_estimators": [20], "max_depth": [2]},
    }
    model_args = ["--model.target_mb", str(TARGET_MB), "--model.search", json.dumps(search)]
    model_args += ["--model.efficiency_examples", "0", "--model.pooling", "mean"]
    # The checkpoint follows MORPH's rule: the ModelCheckpoint monitors MorphSelection's score.
    extra = ["--trainer.callbacks.monitor=val/morph_selection"]
    args = tiny_fit_args(
        tmp_path,
        data_dir,
        teacher,
        7,
        method="kd.methods.morph.MorphKD",
        model_args=model_args,
        experiment="m",
        extra=extra,
    )
    cli = KDCLI(args=args)
    module = cast(MorphKD, cli.model)

    # The search: 4 objectives in MORPH's order, LHS trials as nested runs, surrogate quality, hypervolume.
    saved = load_search_result(out)
    summary = saved.summary
    assert summary["objectives"] == [
        ["size_mb", "min"],
        ["flips", "min"],
        ["gflops", "min"],
        ["accuracy", "max"],
    ]
    assert summary["algorithm"] == "agemoea" and summary["n_trials_ok"] == 3
    assert {"accuracy", "flips"} <= set(summary["surrogates"]) and np.isfinite(summary["hypervolume"])
    assert all({"flips", "flips_guarded", "collapsed"} <= set(row) for row in summary["trials"])
    front = (out / "pareto_front.csv").read_text().splitlines()
    assert len(front) - 1 == summary["n_front"]
    sizes = [float(r.split(",")[front[0].split(",").index("size_mb")]) for r in front[1:]]
    gap = abs(summary["chosen"]["size_mb"] - TARGET_MB)
    assert gap <= min(abs(s - TARGET_MB) for s in sizes) + 0.02 * TARGET_MB  # chosen by size
    assert saved.spec.hidden_size % saved.spec.num_attention_heads == 0

    # The fit: trained on distill + its metamorphic copy, validated with flips, the choice by MorphSelection.
    dm = cast(Any, cli.datamodule)
    train = dm.split(TRAIN_SPLIT)
    assert len(train) == 2 * len(dm.split("distill")) and train.items[len(train) // 2][0][0].startswith(
        "meta:"
    )
    selection = module.selection()
    assert isinstance(selection, MorphSelection) and module.trial_metrics()["val/selected_validation"] >= 1
    # last.ckpt holds the rule after every validation; the best checkpoint is the validation it chose (the test
    # restored the callbacks from it, so `selection` is that checkpoint's state now)
    ckpt = cast(Any, cli.trainer.checkpoint_callback)
    last = torch.load(Path(ckpt.best_model_path).parent / "last.ckpt", weights_only=True)
    state = next(v for k, v in last["callbacks"].items() if k.startswith("MorphSelection"))
    assert state["validations"] >= 1 and state["rule"]["accepted"] >= 1
    chosen = state["selected"]["val/selected_validation"]
    assert float(ckpt.best_model_score) == state["rule"]["accepted"]
    assert torch.load(ckpt.best_model_path, weights_only=True)["global_step"] == 3 * chosen  # every 3 steps

    # augment_targets: teacher = the frozen teacher on each variant (cached); source = the originals' logits.
    logits = module.cached_teacher_logits(TRAIN_SPLIT)
    half = len(logits) // 2
    meta = dm.split("distill_meta")
    direct = module.teacher_predict(
        [meta.texts(i) for i in range(len(meta))], module.teacher_max_length or 64
    )
    torch.testing.assert_close(logits[half:], direct)
    passes = module.teacher_forward_passes
    module.cached_teacher_logits(TRAIN_SPLIT)
    assert module.teacher_forward_passes == passes  # both halves came from the cache
    module.augment_targets = "source"
    source = module.cached_teacher_logits(TRAIN_SPLIT)
    torch.testing.assert_close(source[half:], source[:half])
    assert module.teacher_forward_passes == passes

    client = mlflow.MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    run = client.get_run(cast(Any, cli.trainer.logger).run_id)
    assert run.data.tags["kd.method"] == "morph" and run.data.tags["kd.augment_targets"] == "teacher"
    metrics = run.data.metrics
    assert {"search/hypervolume", "search/surrogate_accuracy_cv_mae", "search/surrogate_flips_cv_mae"} <= set(
        metrics
    )
    assert {"val/flips", "val/meta_acc", "val/morph_acc", "test/flips", "test/teacher_flips"} <= set(metrics)
    assert 0 <= metrics["test/flip_rate"] <= 1
    children = client.search_runs(
        [run.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{run.info.run_id}'"
    )
    assert len(children) == 3 and all("trial/val/morph_acc" in c.data.metrics for c in children)
    assert "search/pareto_front.csv" in {a.path for a in client.list_artifacts(run.info.run_id, "search")}
