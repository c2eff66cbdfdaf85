"""SIGINT/SIGTERM at any phase of ``train.py fit``: exit 130/143, the MLflow run ends KILLED, checkpoints stay.

Each case is a real ``python train.py fit`` subprocess on the demo data with a tiny teacher and student. The
``METACOMPRESS_PAUSE_AT`` test hook (:func:`kd.signals.phase`) makes it print a marker and sleep at the named
phase, so the signal arrives there and nowhere else. The processes start together (each spends most of its
time importing torch/Lightning/MLflow) and each is signalled as soon as it reaches its phase.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import mlflow
import pytest
import torch

from kd.data.demo import ensure_demo_data
from kd.models.io import save_model_dir
from kd.signals import PAUSE_ENV, PAUSE_MARKER, Interrupted, exit_code, handled, received
from tests.kd.helpers import tiny_fit_args, tiny_model

ROOT = Path(__file__).resolve().parents[2]
#: (phase, signal): every phase of a fit, each signal at least twice.
CASES = [
    ("data", signal.SIGTERM),
    ("teacher-cache", signal.SIGINT),
    ("probe", signal.SIGTERM),
    ("train-after-checkpoint", signal.SIGTERM),
    ("test", signal.SIGINT),
]
TIMEOUT_S = 600.0  # a hang guard only: each case normally ends well within a minute


@dataclass
class Outcome:
    returncode: int
    output: str
    root: Path


def _args(root: Path, data: Path, teacher: Path) -> list[str]:
    fidelity = [
        "--trainer.callbacks+=fidelity.callback.FidelityCallback",
        "--trainer.callbacks.n_probe=4",
        "--trainer.callbacks.transforms=[rename_local_variables]",
        "--trainer.callbacks.attacks=[]",
        "--trainer.callbacks.progress=false",
        "--model.export_dir",
        str(root / "export"),
    ]
    return tiny_fit_args(root, data, teacher, 6, experiment="sig", extra=fidelity)


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    base = tmp_path_factory.mktemp("signals")
    demo = ensure_demo_data(base / "demo") / "bigclonebench"
    torch.manual_seed(0)
    model, tok = tiny_model(n_inputs=2)
    teacher = save_model_dir(model, tok, base / "teacher")
    # One MLflow schema, copied: creating it (database migrations) costs each process seconds of CPU.
    template = base / "template.db"
    mlflow.MlflowClient(f"sqlite:///{template}").search_experiments()
    procs: dict[str, tuple[subprocess.Popen[str], signal.Signals, Path]] = {}
    for phase, sig in CASES:
        root = base / phase
        root.mkdir()
        shutil.copyfile(template, root / "mlflow.db")
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            PAUSE_ENV: phase,
            "METACOMPRESS_CACHE": str(root / "cache"),  # no cache hits: every phase really runs
            "HF_HUB_OFFLINE": "1",
        }
        env.pop("MLFLOW_TRACKING_URI", None)
        cmd = [sys.executable, str(ROOT / "train.py"), *_args(root, demo, teacher)]
        proc = subprocess.Popen(
            cmd, cwd=root.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        procs[phase] = (proc, sig, root)
    sel = selectors.DefaultSelector()
    outputs: dict[str, list[str]] = {phase: [] for phase in procs}
    for phase, (proc, _, _) in procs.items():
        assert proc.stdout is not None
        os.set_blocking(proc.stdout.fileno(), False)
        sel.register(proc.stdout, selectors.EVENT_READ, phase)
    deadline = time.monotonic() + TIMEOUT_S
    signalled: set[str] = set()
    try:
        while sel.get_map() and time.monotonic() < deadline:
            for key, _ in sel.select(timeout=1.0):
                phase = key.data
                chunk = key.fileobj.read()  # type: ignore[union-attr]
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                outputs[phase].append(chunk)
                proc, sig, _ = procs[phase]
                if phase not in signalled and f"{PAUSE_MARKER} {phase}" in "".join(outputs[phase]):
                    proc.send_signal(sig)
                    signalled.add(phase)
    finally:
        for proc, _, _ in procs.values():
            if proc.poll() is None:
                proc.kill()  # only on a timeout: a process this fixture started
    result = {}
    for phase, (proc, _, root) in procs.items():
        rc = proc.wait(timeout=30)
        result[phase] = Outcome(rc, "".join(outputs[phase]), root)
    return result


@pytest.mark.slow  # five train.py processes at once: ~120 s of CPU in all (about a minute on 2 free cores)
@pytest.mark.parametrize(("phase", "sig"), CASES, ids=[f"{p}-{s.name}" for p, s in CASES])
def test_signal_ends_run_killed_with_its_exit_code(
    outcomes: dict[str, Outcome], phase: str, sig: signal.Signals
) -> None:
    got = outcomes[phase]
    assert f"{PAUSE_MARKER} {phase}" in got.output, f"never reached {phase}:\n{got.output[-3000:]}"
    assert got.returncode == 128 + sig.value, got.output[-3000:]  # 130 SIGINT, 143 SIGTERM; never 0 or 1
    line = f"train.py interrupted by {sig.name} during {phase}"
    assert line in got.output, got.output[-2000:]
    assert "Traceback" not in got.output, got.output[-3000:]
    client = mlflow.MlflowClient(f"sqlite:///{got.root}/mlflow.db")
    experiment = client.get_experiment_by_name("sig")
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    assert [r.info.status for r in runs] == ["KILLED"]  # one run, not left RUNNING, not FAILED
    checkpoints = sorted(p.name for p in (got.root / "runs").glob("**/*.ckpt"))
    if phase in ("train-after-checkpoint", "test"):
        assert "last.ckpt" in checkpoints  # what was finished is kept…
        assert (got.root / "export" / "model.pt").is_file()  # …and the best checkpoint so far exported
    if phase == "train-after-checkpoint":
        assert "resume with --ckpt_path last" in got.output
    if phase not in ("train-after-checkpoint", "test"):
        assert checkpoints == []
        assert "resume with --ckpt_path last" not in got.output  # nothing to resume: no such advice


def test_handler_raises_once_and_restores_previous_handlers() -> None:
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(Interrupted) as caught, handled():
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler interrupts the sleep
    assert caught.value.signum == signal.SIGTERM and caught.value.exit_code == 143 == exit_code(15)
    assert received() == signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before
    with handled():  # a second signal while stopping is noted, not raised
        with pytest.raises(Interrupted):
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(5)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.1)
        assert received() == signal.SIGINT


def test_fidelity_cli_exits_143_on_sigterm_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import fidelity.cli_eval
    from fidelity.cli import main

    def slow_evaluate(args: object) -> int:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # interrupted by the handler
        return 0

    monkeypatch.setattr(fidelity.cli_eval, "run_evaluate", slow_evaluate)
    before = signal.getsignal(signal.SIGTERM)
    argv = ["evaluate", "--teacher", "t", "--student", "s", "--data", "demo", "--task", "clone"]
    assert main(argv) == 143
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["python -m fidelity evaluate interrupted by SIGTERM during evaluate (exit 143)"]
    assert signal.getsignal(signal.SIGTERM) is before
