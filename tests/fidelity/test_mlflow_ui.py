"""The MLflow UI shows fidelity metrics on its run-comparison page (headless Debian chromium).

Two tiny distillation fits with the FidelityCallback log to an sqlite store; ``mlflow ui`` serves it on
a free local port; chromium renders the comparison page of both runs (``--dump-dom`` after a virtual
time budget for the React app) and the fidelity metric names must be in the DOM. A screenshot is kept
under ``artifacts/`` (git-ignored) for CI. Skipped with a reason when chromium is not installed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import mlflow
import pytest
from lightning.pytorch.loggers import MLFlowLogger

from tests.fidelity.test_callback import _callback, _fit

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1600,1400",
    "--virtual-time-budget=15000",
]

pytestmark = [
    pytest.mark.usefixtures("isolated_cache"),
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def mlflow_ui(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(tracking URI, base URL) of an ``mlflow ui`` started for this test and always stopped."""
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    mlflow.MlflowClient(uri).search_experiments()  # creates the schema before the server starts
    port = _free_port()
    cmd = [
        sys.executable,
        "-m",
        "mlflow",
        "ui",
        "--backend-store-uri",
        uri,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
    ]
    server = subprocess.Popen(
        cmd,
        env=dict(os.environ, MLFLOW_SERVER_ENABLE_JOB_EXECUTION="false"),  # no GenAI job-runner pool
        stdout=subprocess.DEVNULL,
        stderr=open(tmp_path / "ui.log", "w"),  # noqa: SIM115
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        yield uri, base
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server and its workers: a session we started
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=15)


def _wait_until_up(base: str, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1.0)
    raise AssertionError(f"mlflow ui did not answer within {timeout}s:\n{log.read_text()[-2000:]}")


def _chromium(args: list[str], user_dir: Path, timeout: float = 120.0) -> str:
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={user_dir}", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return done.stdout


def test_run_comparison_page_shows_fidelity_metrics(
    tmp_path: Path,
    teacher_dir: Path,
    mlflow_ui: tuple[str, str],
) -> None:
    from kd.data.demo import ensure_demo_data

    uri, base = mlflow_ui
    demo = ensure_demo_data(tmp_path / "demo")
    runs = []
    for name in ("student-a", "student-b"):
        logger = MLFlowLogger(
            experiment_name="ui",
            run_name=name,
            tracking_uri=uri,
            artifact_location=(tmp_path / "art").as_uri(),
        )
        _fit(tmp_path / name, demo, teacher_dir, [_callback(per_followup=False, attacks=[])], logger=logger)
        runs.append(logger.run_id)
    experiment = mlflow.MlflowClient(uri).get_experiment_by_name("ui")
    assert experiment is not None
    exp_id = experiment.experiment_id
    _wait_until_up(base, tmp_path / "ui.log")
    query = urllib.parse.urlencode({"runs": json.dumps(runs), "experiments": json.dumps([exp_id])})
    page = f"{base}/#/compare-runs?{query}"
    dom = _chromium(["--dump-dom", page], tmp_path / "chrome-dom")
    out = ROOT / "artifacts"
    out.mkdir(exist_ok=True)
    (out / "mlflow_compare_fidelity.html").write_text(dom)
    # The comparison table renders the first rows of its (alphabetical) metric list; these are among them.
    keys = (
        "fidelity/all/agreement_violation",
        "fidelity/all/distribution_violation",
        "fidelity/all/flip_rate_student",
        "student-a",
        "student-b",
    )
    for key in keys:
        assert key in dom, f"{key} not on the comparison page ({len(dom)} chars of DOM)"
    shot = out / "mlflow_compare_fidelity.png"
    _chromium([f"--screenshot={shot}", page], tmp_path / "chrome-shot")
    assert shot.is_file() and shot.stat().st_size > 10_000
