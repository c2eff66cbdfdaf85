"""Search trials as Ray tasks: ``search.launcher: ray`` (optional extra: ``pip install -e ".[distributed]"``).

Each trial is one Ray task that requests ``num_cpus`` / ``num_gpus`` and runs the same process a local trial
runs (``python -m kd.search.trials trial.json``) in a scratch directory on whichever node Ray schedules it.
The task sends back the trial's ``result.json`` content and its stderr tail; the driver writes them into the
trial's directory under the search root, so resuming (finished trials are not re-run), failure records and the
nested MLflow runs work exactly as with the local launcher.

On a cluster (``ray_address: auto`` or ``ray://head:10001``) every node needs the project installed and the
trial's data paths and teacher model at the same paths, and the MLflow tracking URI must be a server all nodes
reach (``http://…``), not a local ``sqlite:`` file. ``address=None`` starts a private local Ray instance sized
to this machine (what the tests and ``bench/bench_trials.py`` use).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from kd.search.trials import (
    RESULT_FILE,
    STDERR_FILE,
    TRIAL_FILE,
    TrialJob,
    TrialResult,
    available_cores,
    project_root,
    read_result,
    trial_env,
)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError as exc:  # the optional extra is missing
        raise ImportError(
            "search.launcher 'ray' needs Ray: pip install -e '.[distributed]' (or pip install 'ray[default]')"
        ) from exc
    return ray


def _run_trial_process(
    payload: dict[str, Any], python: str, module: str, threads: int, timeout_s: float | None, pythonpath: str
) -> dict[str, Any]:
    """Body of the Ray task: run one trial process in a scratch directory; return its result and stderr."""
    with tempfile.TemporaryDirectory(prefix="kd-trial-") as tmp:
        path = Path(tmp) / TRIAL_FILE
        path.write_text(json.dumps(payload))
        env = trial_env(pythonpath, threads)
        started = time.perf_counter()
        try:
            proc = subprocess.run(
                [python, "-m", module, str(path)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                env=env,
                timeout=timeout_s,
                check=False,
            )
            rc: int | None = proc.returncode
            stderr = proc.stderr.decode(errors="replace")
        except subprocess.TimeoutExpired:
            rc, stderr = None, f"timed out after {timeout_s} s"
        result_path = Path(tmp) / RESULT_FILE
        result = result_path.read_text() if result_path.is_file() else None
        return {
            "returncode": rc,
            "result": result,
            "stderr": stderr[-20000:],
            "node": os.uname().nodename,
            "seconds": time.perf_counter() - started,
        }


class RayLauncher:
    """Runs each trial as a Ray task (``num_cpus`` / ``num_gpus`` per trial); see the module docstring."""

    def __init__(
        self,
        address: str | None = None,
        num_cpus: float = 1,
        num_gpus: float = 0,
        timeout_s: float | None = None,
        python: str = sys.executable,
        module: str = "kd.search.trials",
        init_kwargs: dict[str, Any] | None = None,
    ) -> None:
        if num_cpus <= 0 or num_gpus < 0:
            raise ValueError(f"Expected ray num_cpus > 0 and num_gpus >= 0, got {num_cpus} and {num_gpus}")
        _import_ray()  # a missing extra fails at config time, not after the search has started
        self.address = address
        self.num_cpus, self.num_gpus = num_cpus, num_gpus
        self.timeout_s = timeout_s
        self.python, self.module = python, module
        self.init_kwargs = init_kwargs or {}
        self.task_seconds: list[float] = []  # wall time of each task's trial process (overhead reporting)

    def _init(self, workers: int) -> Any:
        ray = _import_ray()
        if not ray.is_initialized():
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, **self.init_kwargs}
            if self.address is None:  # a private local instance: as many CPUs as the trials asked for
                kwargs.setdefault("num_cpus", max(1, int(workers * self.num_cpus)))
            else:
                kwargs["address"] = self.address
            ray.init(**kwargs)
        return ray

    def run(self, jobs: Sequence[TrialJob], workers: int) -> Iterator[TrialResult]:
        if not jobs:
            return
        ray = self._init(workers)
        root = project_root()
        threads = max(1, int(self.num_cpus)) if self.address else max(1, available_cores() // max(1, workers))
        task = ray.remote(num_cpus=self.num_cpus, num_gpus=self.num_gpus, max_retries=0)(_run_trial_process)
        pending: dict[Any, TrialJob] = {}
        for job in jobs:
            job.write()  # trial.json stays in the search root for the record
            (job.directory / RESULT_FILE).unlink(missing_ok=True)
            payload = json.loads((job.directory / TRIAL_FILE).read_text())
            ref = task.remote(payload, self.python, self.module, threads, self.timeout_s, root)
            pending[ref] = job
        try:
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                job = pending.pop(done[0])
                yield self._collect(ray, done[0], job)
        finally:  # interrupted: cancel the trials not finished
            for ref in pending:
                ray.cancel(ref, force=True)

    def _collect(self, ray: Any, ref: Any, job: TrialJob) -> TrialResult:
        try:
            out = ray.get(ref)
        except Exception as exc:  # the task itself died (node lost, worker killed)
            (job.directory / STDERR_FILE).write_text(f"Ray task failed: {exc}")
            return TrialResult(
                job.trial.trial_id, "failed", error=f"Ray task failed: {exc}", run_id=job.run_id
            )
        self.task_seconds.append(float(out["seconds"]))
        (job.directory / STDERR_FILE).write_text(out["stderr"])
        if out["returncode"] is None:
            return TrialResult(
                job.trial.trial_id, "failed", error=f"timed out after {self.timeout_s} s", run_id=job.run_id
            )
        if out["result"] is not None:
            tmp = job.directory / (RESULT_FILE + ".tmp")
            tmp.write_text(out["result"])
            os.replace(tmp, job.directory / RESULT_FILE)
        return read_result(job, out["returncode"])

    @staticmethod
    def shutdown() -> None:
        """Stop the Ray instance this process started or joined (tests and benchmarks)."""
        ray = _import_ray()
        if ray.is_initialized():
            ray.shutdown()
