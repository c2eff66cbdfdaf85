"""train.py / LightningCLI: configs parse, bad keys are named, fits log to MLflow, resume is exact."""

from __future__ import annotations

import signal
from pathlib import Path

import lightning as L
import mlflow
import pytest
import torch

from kd.cli import KDCLI, find_last_checkpoint
from kd.models.io import load_model_dir
from tests.conftest import SHARED, needs_shared
from tests.kd.helpers import tiny_fit_args

CONFIGS = sorted(Path(__file__).resolve().parents[2].glob("lightning_configs/**/*.yaml"))

pytestmark = pytest.mark.usefixtures("isolated_cache")


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: str(p.relative_to(p.parents[1])))
def test_every_shipped_config_prints(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = config.read_text().splitlines()[0]
    assert first.startswith("# python train.py fit --config"), f"{config}: first line must be the command"
    with pytest.raises(SystemExit) as exc:
        KDCLI(args=["fit", "--config", str(config), "--print_config"])
    assert exc.value.code in (0, None)
    assert "class_path" in capsys.readouterr().out


def test_wrong_key_fails_at_parse_time_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = Path(__file__).resolve().parents[2] / "lightning_configs" / "quickstart" / "hinton.yaml"
    with pytest.raises(SystemExit) as exc:
        KDCLI(args=["fit", "--config", str(cfg), "--model.init_args.temprature", "3"])
    assert exc.value.code != 0
    assert "temprature" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        KDCLI(args=["fit", "--config", str(cfg), "--model.init_args.temperature", "hot"])
    assert "temperature" in capsys.readouterr().err


def test_fit_logs_everything_to_mlflow_and_checkpoints_student_only(
    tmp_path: Path, demo_root: Path, teacher_dir: Path
) -> None:
    cli = KDCLI(args=tiny_fit_args(tmp_path, demo_root / "bigclonebench", teacher_dir, 6))
    module = cli.model
    assert module.teacher_forward_passes > 0  # computed once for this data…
    client = mlflow.MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    run = client.get_run(cli.trainer.logger.run_id)
    tags, params, metrics = run.data.tags, run.data.params, run.data.metrics
    for key in (
        "kd.method",
        "kd.task",
        "kd.teacher",
        "kd.student_size_mb",
        "kd.student_params",
        "kd.student_gflops",
    ):
        assert key in tags, key
    assert tags["kd.method"] == "hinton" and tags["kd.task"] == "clone"
    assert float(tags["kd.student_size_mb"]) == pytest.approx(
        int(tags["kd.student_params"]) * 4 / 1e6, rel=1e-3
    )
    assert params["temperature"] == "2.0" and "data_dir" in params
    assert {"train/loss", "val/acc", "test/acc", "test/f1"} <= set(metrics)
    assert [m.step for m in client.get_metric_history(run.info.run_id, "train/loss")] == list(range(6))
    artifacts = [a.path for a in client.list_artifacts(run.info.run_id)]
    assert "config.yaml" in artifacts
    last = find_last_checkpoint(tmp_path / "runs")
    assert last is not None
    ckpt = torch.load(last, map_location="cpu", weights_only=True)
    assert all(k.startswith("model.") for k in ckpt["state_dict"])
    n_student = sum(p.numel() for p in module.model.parameters())
    assert sum(v.numel() for v in ckpt["state_dict"].values()) == n_student
    # …and a second fit on the same teacher and data reuses the cached outputs.
    cli2 = KDCLI(args=tiny_fit_args(tmp_path / "b", demo_root / "bigclonebench", teacher_dir, 2))
    assert cli2.model.teacher_forward_passes == 0


class _Interrupt(L.Callback):
    """Ctrl+C during the forward pass of step ``at_step`` (where a fit spends its time)."""

    def __init__(self, at_step: int) -> None:
        self.at_step = at_step

    def on_train_batch_start(self, trainer: L.Trainer, *args: object) -> None:
        if trainer.global_step == self.at_step:
            raise KeyboardInterrupt


def test_resume_continues_the_same_run_without_lost_or_duplicated_steps(
    tmp_path: Path, demo_root: Path, teacher_dir: Path
) -> None:
    export = tmp_path / "export"
    args = tiny_fit_args(
        tmp_path, demo_root / "bigclonebench", teacher_dir, 9, extra=["--model.export_dir", str(export)]
    )
    interrupted = args + [
        "--trainer.callbacks+=tests.kd.test_cli._Interrupt",
        "--trainer.callbacks.at_step=5",
    ]
    handler = signal.getsignal(signal.SIGINT)
    try:
        with pytest.raises(SystemExit):
            KDCLI(args=interrupted)
    finally:
        signal.signal(signal.SIGINT, handler)
    client = mlflow.MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    (run,) = client.search_runs([client.get_experiment_by_name("t").experiment_id])
    assert [m.step for m in client.get_metric_history(run.info.run_id, "train/loss")] == list(range(5))
    # The interrupted fit exported its best checkpoint so far (step 3, the only validation before step 5).
    (best,) = [p for p in (tmp_path / "runs").glob("**/checkpoints/*.ckpt") if p.name != "last.ckpt"]
    state = torch.load(best, map_location="cpu", weights_only=True)["state_dict"]
    exported = load_model_dir(export).model.state_dict()
    assert exported.keys() == {k.removeprefix("model.") for k in state if k.startswith("model.")}
    assert all(torch.equal(v, state[f"model.{k}"]) for k, v in exported.items())
    cli = KDCLI(args=args + ["--ckpt_path", "last"])
    assert cli.trainer.logger.run_id == run.info.run_id
    steps = [m.step for m in client.get_metric_history(run.info.run_id, "train/loss")]
    assert steps == list(range(9)), steps
    assert len(client.search_runs([run.info.experiment_id])) == 1


@needs_shared
@pytest.mark.slow
@pytest.mark.parametrize("task", ["bigclonebench", "devign"])
def test_real_data_hinton_config_runs_on_cpu(
    task: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shipped config that distils the imported 3 MB Compressor model, on a slice of the real data."""
    root = Path(__file__).resolve().parents[2]
    # The config's paths (../shared/...) are relative to the working directory: run from a directory whose
    # ../shared is SHARED, wherever this checkout and METACOMPRESS_SHARED are.
    (tmp_path / "shared").symlink_to(SHARED.resolve(), target_is_directory=True)
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    cli = KDCLI(
        args=[
            "fit",
            "--config",
            str(root / "lightning_configs" / task / "hinton.yaml"),
            "--data.max_train_examples",
            "32",
            "--data.max_eval_examples",
            "32",
            "--trainer.max_steps",
            "2",
            "--trainer.accelerator",
            "cpu",
            "--trainer.enable_progress_bar",
            "false",
            "--trainer.default_root_dir",
            str(tmp_path / "runs"),
            "--model.init_args.export_dir",
            str(tmp_path / "student"),
            "--trainer.logger.init_args.tracking_uri",
            f"sqlite:///{tmp_path}/mlflow.db",
            # the config's last callback is the FidelityCallback: a CPU-test-sized probe
            "--trainer.callbacks.n_probe=8",
            "--trainer.callbacks.n_attack=2",
            "--trainer.callbacks.attack_max_queries=6",
        ]
    )
    assert cli.model.teacher_logits is not None and cli.model.teacher_logits.shape == (32, 2)
    assert (tmp_path / "student" / "metacompress.json").is_file()
    assert "test/acc" in cli.trainer.callback_metrics
