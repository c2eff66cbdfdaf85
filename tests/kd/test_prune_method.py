"""PruneKD: prune the teacher, recover by distillation, export a compressed dir (tiny fits on CPU)."""

from __future__ import annotations

import json
from pathlib import Path

import mlflow
import pytest
import torch

from kd.cli import KDCLI
from kd.compress.unstructured import linear_sparsity
from kd.cost import actual_param_count
from kd.models.io import load_classifier, load_model_dir
from tests.kd.helpers import tiny_fit_args

CALLBACK = [
    "--trainer.callbacks+=fidelity.callback.FidelityCallback",
    "--trainer.callbacks.n_probe=4",
    "--trainer.callbacks.transforms=[rename_parameters]",
    "--trainer.callbacks.attacks=[]",
    "--trainer.callbacks.progress=false",
]

pytestmark = pytest.mark.usefixtures("isolated_cache")


def test_structured_prune_and_fine_tune_fit_exports_a_smaller_loadable_model(
    tmp_path: Path, demo_root: Path, teacher_dir: Path
) -> None:
    export = tmp_path / "pruned"
    model_args = ["--model.target_ratio", "0.6", "--model.importance", "taylor"]
    model_args += ["--model.calibration_examples", "16", "--model.export_dir", str(export)]
    args = tiny_fit_args(
        tmp_path, demo_root / "bigclonebench", teacher_dir, 4, method="kd.methods.prune.PruneKD",
        model_args=model_args, extra=CALLBACK,
    )  # fmt: skip
    cli = KDCLI(args=args)
    client = mlflow.MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    run = client.get_run(cli.trainer.logger.run_id)
    tags, metrics = run.data.tags, run.data.metrics
    assert tags["kd.method"] == "prune" and tags["kd.compression"] == "prune-structured"
    assert float(tags["kd.compression_ratio"]) <= 0.6
    assert "fidelity/all/agreement_violation" in metrics and "test/acc" in metrics
    teacher_params = actual_param_count(load_model_dir(teacher_dir).model)
    loaded = load_classifier(str(export), 2)
    assert actual_param_count(loaded.model) <= 0.6 * teacher_params
    recipe = json.loads((export / "metacompress.json").read_text())["compression"]
    assert (
        recipe["fine_tuned"] is True
        and recipe["importance"] == "taylor"
        and recipe["calibration_examples"] == 16
    )
    # The export holds the fine-tuned weights (the best checkpoint's), not the freshly pruned ones.
    best = torch.load(cli.model.best_checkpoint(), map_location="cpu", weights_only=True)["state_dict"]
    exported = loaded.model.state_dict()
    assert all(torch.equal(best[f"model.{k}"], v) for k, v in exported.items())


def test_unstructured_prune_keeps_the_sparsity_through_fine_tuning(
    tmp_path: Path, demo_root: Path, teacher_dir: Path
) -> None:
    export = tmp_path / "sparse"
    model_args = [
        "--model.pruning",
        "unstructured",
        "--model.sparsity",
        "0.5",
        "--model.export_dir",
        str(export),
    ]
    args = tiny_fit_args(
        tmp_path,
        demo_root / "bigclonebench",
        teacher_dir,
        3,
        method="kd.methods.prune.PruneKD",
        model_args=model_args,
    )
    KDCLI(args=args)
    model = load_model_dir(export).model
    assert linear_sparsity(model) == pytest.approx(0.5, abs=1e-3)  # the masked weights stayed zero
    recipe = json.loads((export / "metacompress.json").read_text())["compression"]
    assert recipe["kind"] == "prune-unstructured" and recipe["fine_tuned"] is True


def test_bad_prune_settings_fail_when_the_config_is_parsed(
    tmp_path: Path, demo_root: Path, teacher_dir: Path
) -> None:
    for bad in (
        ["--model.target_ratio", "1.5"],
        ["--model.pruning", "unstructured", "--model.sparsity", "1.0"],
    ):
        args = tiny_fit_args(
            tmp_path,
            demo_root / "bigclonebench",
            teacher_dir,
            1,
            method="kd.methods.prune.PruneKD",
            model_args=bad,
        )
        with pytest.raises((ValueError, SystemExit)):
            KDCLI(args=args)
