"""Runs against a real ``mlflow server`` over HTTP: a fit, a ``fidelity evaluate``, and two fits writing at once.

The server is the one users run for a team (sqlite backend here, PostgreSQL in production), bound to
127.0.0.1 on a free port, serving artifacts itself (``--artifacts-destination``), so every metric, param and
artifact below crossed HTTP — none was written to the test's folders by the client.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
import torch

from kd.data.demo import ensure_demo_data
from kd.models.io import save_model_dir
from tests.kd.helpers import tiny_fit_args, tiny_model

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("server")
    port = _free_port()
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    cmd = [
        str(mlflow_bin),
        "server",
        "--backend-store-uri",
        f"sqlite:///{root}/server.db",
        "--artifacts-destination",
        (root / "served-artifacts").as_uri(),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    log = (root / "server.log").open("w")
    # MLflow 3's server also starts a GenAI job runner with a pool of worker processes; nothing here uses it.
    env = dict(os.environ, MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=root, env=env)
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as resp:
                if resp.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"mlflow server did not start: {(root / 'server.log').read_text()[-2000:]}")
        time.sleep(0.5)
    try:
        yield uri, root
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("inputs")
    torch.manual_seed(0)
    model, tok = tiny_model(n_inputs=2)
    teacher = save_model_dir(model, tok, root / "teacher")
    return teacher, ensure_demo_data(root / "demo") / "bigclonebench"


def _fit_cmd(root: Path, data: Path, teacher: Path, uri: str, experiment: str) -> list[str]:
    args = tiny_fit_args(root, data, teacher, 6, experiment=experiment)
    i = args.index("--trainer.logger.init_args.tracking_uri")
    args[i + 1] = uri
    return [sys.executable, str(ROOT / "train.py"), *args]


def _env(tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MLFLOW_TRACKING_URI", None)
    env.update(METACOMPRESS_CACHE=str(tmp / "cache"), PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1")
    return env


def _assert_complete_fit(client: mlflow.MlflowClient, run_id: str) -> None:
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert run.data.tags["kd.method"] == "hinton"
    assert {"train/loss", "val/acc", "test/acc"} <= set(run.data.metrics)
    assert [m.step for m in client.get_metric_history(run_id, "train/loss")] == list(range(6))
    assert "config.yaml" in [a.path for a in client.list_artifacts(run_id)]
    # served by the server: the artifact URI is the server's scheme, not a local path of the client
    assert run.info.artifact_uri.startswith("mlflow-artifacts:")


@pytest.mark.slow
def test_fit_and_evaluate_log_to_a_tracking_server(
    server: tuple[str, Path], inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    uri, server_root = server
    teacher, data = inputs
    proc = subprocess.run(
        _fit_cmd(tmp_path / "fit", data, teacher, uri, "server-fit"),
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    client = mlflow.MlflowClient(uri)
    exp = client.get_experiment_by_name("server-fit")
    assert exp is not None
    (run,) = client.search_runs([exp.experiment_id])
    _assert_complete_fit(client, run.info.run_id)
    # the artifact bytes live in the server's destination folder, none under the client's working dir
    assert list((server_root / "served-artifacts").rglob("config.yaml"))
    assert not (tmp_path / "mlruns").exists()

    ev = subprocess.run(
        [
            sys.executable,
            "-m",
            "fidelity",
            "evaluate",
            "--teacher",
            str(teacher),
            "--student",
            str(teacher),
            "--data",
            str(data),
            "--task",
            "clone",
            "--n",
            "6",
            "--attacks",
            "mhm",
            "--max-queries",
            "4",
            "--candidates",
            "2",
            "--max-length",
            "64",
            "--transforms",
            "rename_parameters",
            "--tracking-uri",
            uri,
            "--experiment",
            "server-eval",
        ],
        env=_env(tmp_path),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert ev.returncode == 0, ev.stderr[-3000:]
    exp = client.get_experiment_by_name("server-eval")
    assert exp is not None
    (run,) = client.search_runs([exp.experiment_id])
    # the student is the teacher itself: every relation must report perfect agreement
    assert run.data.metrics["fidelity/all/agreement_violation"] == 0.0
    files = {Path(a.path).name for a in client.list_artifacts(run.info.run_id, "fidelity")}
    assert {"relations.csv", "summary.md"} <= files


@pytest.mark.slow
def test_two_fits_writing_to_one_server_at_once_both_land(
    server: tuple[str, Path], inputs: tuple[Path, Path], tmp_path: Path
) -> None:
    uri, _ = server
    teacher, data = inputs
    procs = [
        subprocess.Popen(
            _fit_cmd(tmp_path / name, data, teacher, uri, "server-concurrent"),
            env=_env(tmp_path / name),
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
    client = mlflow.MlflowClient(uri)
    exp = client.get_experiment_by_name("server-concurrent")
    assert exp is not None
    runs = client.search_runs([exp.experiment_id])
    assert len(runs) == 2
    for run in runs:
        _assert_complete_fit(client, run.info.run_id)


def test_experiment_created_by_another_process_meanwhile_is_reused(tmp_path: Path) -> None:
    """The race two concurrent fits run into: both see no experiment, one creates it first."""
    from kd.tracking import get_or_create_experiment

    uri = f"sqlite:///{tmp_path}/mlflow.db"
    client = mlflow.MlflowClient(uri)
    winner = client.create_experiment("shared", artifact_location=(tmp_path / "art").as_uri())

    class Stale:  # sees the store as it was before the other process created the experiment
        def __init__(self) -> None:
            self.lookups = 0

        def get_experiment_by_name(self, name: str) -> object:
            self.lookups += 1
            return None if self.lookups == 1 else client.get_experiment_by_name(name)

        def create_experiment(
            self, name: str, artifact_location: str | None, tags: dict[str, str] | None = None
        ) -> str:
            return client.create_experiment(name, artifact_location=artifact_location, tags=tags)

    stale = Stale()
    assert get_or_create_experiment(stale, "shared", None) == winner
    assert stale.lookups == 2
    assert (
        get_or_create_experiment(client, "fresh", None)
        == client.get_experiment_by_name("fresh").experiment_id
    )
    # Created by the framework: MLflow 3's UI opens it on the training-runs table (the tag key and value its
    # own experiment-type selector writes, read from mlflow/server/js); an existing experiment is left as is.
    assert client.get_experiment_by_name("fresh").tags == {
        "mlflow.experimentKind": "custom_model_development"
    }
    assert "mlflow.experimentKind" not in client.get_experiment_by_name("shared").tags
