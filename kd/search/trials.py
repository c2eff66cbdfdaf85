"""Search trials: a short distillation of one configuration, as a self-contained unit run in its own process.

A `Trial` is plain data — the student spec, its hyper-parameters, the KD module and data module (class path +
init args, including the data slice), epochs, seed, the metric to report — so it can be written to JSON, run
anywhere (`python -m kd.search.trials TRIAL.json`), and identified by a hash of that content. `run_trial` fits
it and returns the validation metrics of the epoch where the trial's metric was best — one model's numbers (or,
for a module with a ``trial_metrics()`` method, the values it reports: MORPH's chosen epoch).

`TrialRunner` runs a list of trials through a `TrialLauncher` with a number of parallel workers:

- each trial's directory holds ``trial.json``, ``result.json`` (written atomically) and ``stderr.log``;
- a trial whose ``result.json`` says ``ok`` is not run again (a search interrupted mid-way resumes);
- a crashing trial (non-zero exit, no result) is recorded as ``failed`` with its stderr tail and the others go on;
- with MLflow, each trial is a nested run under the search's run (tag ``mlflow.parentRunId``), holding the
  trial's parameters, its training curves and the result metric, FINISHED or FAILED.

Launchers: ``local`` (`LocalLauncher`: one subprocess per trial, threads split over the cores) and ``ray``
(`kd.search.ray_launcher.RayLauncher`: one Ray task per trial, local or on a cluster). A launcher is
anything with ``run(jobs, workers) -> iterator of TrialResult``; `launcher_by_name` resolves a registered name
or a dotted class path (``search.launcher`` in the config), and `register_launcher` adds one.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

TRIAL_FILE, RESULT_FILE, STDERR_FILE = "trial.json", "result.json", "stderr.log"


@dataclass(frozen=True)
class Trial:
    """(spec, hyper-parameters, data slice, epochs, seed) in; metrics out. All fields are JSON values."""

    spec: dict[str, Any]
    hparams: dict[str, Any]
    module: dict[str, Any]  # {"class_path": ..., "init_args": {...}}; the student is set from `spec`
    data: dict[str, Any]  # {"class_path": ..., "init_args": {...}} with the slice (max_train_examples, ...)
    epochs: int = 1
    seed: int = 0
    metric: str = "val/acc"
    genome: list[int] = field(default_factory=list)
    student: dict[str, Any] = field(default_factory=dict)  # FreshModel options besides the spec (pooling, …)

    @property
    def trial_id(self) -> str:
        blob = json.dumps(asdict(self), sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:12]


@dataclass
class TrialResult:
    """What a trial produced: ``ok`` with its best metrics, or ``failed`` with the error."""

    trial_id: str
    status: str
    metric: float | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    error: str = ""
    run_id: str | None = None
    resumed: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "ok" and self.metric is not None


def import_object(path: str) -> Any:
    module, _, name = path.rpartition(".")
    if not module:
        raise ValueError(f"expected a dotted path module.Name, got {path!r}")
    return getattr(importlib.import_module(module), name)


def run_trial(trial: Trial, run_id: str | None = None, tracking_uri: str | None = None) -> TrialResult:
    """Fit ``trial`` in this process; the ``val/*`` metrics of the validation where ``trial.metric`` was best."""
    import lightning as L
    import torch

    from kd.models.ref import FreshModel
    from kd.spec import StudentSpec
    from kd.tracking import KDMLFlowLogger

    start = time.perf_counter()
    L.seed_everything(trial.seed, workers=True)
    threads = int(os.environ.get("KD_TRIAL_THREADS", "0"))
    if threads > 0:
        torch.set_num_threads(threads)
    student = FreshModel(StudentSpec.from_dict(trial.spec), **trial.student)
    module_cls = import_object(trial.module["class_path"])
    init = {**trial.module.get("init_args", {}), "student": student}
    if "learning_rate" in trial.hparams:
        init["lr"] = float(trial.hparams["learning_rate"])
    model = module_cls(**init)
    data_cls = import_object(trial.data["class_path"])
    data_args = dict(trial.data.get("init_args", {}))
    if "batch_size" in trial.hparams:
        data_args["batch_size"] = int(trial.hparams["batch_size"])
    dm = data_cls(**data_args)
    best = _BestMetrics(trial.metric)
    logger: Any = False
    if run_id and tracking_uri:
        logger = KDMLFlowLogger(tracking_uri=tracking_uri, run_id=run_id)
    trainer = L.Trainer(
        accelerator="cpu",
        max_epochs=trial.epochs,
        logger=logger,
        callbacks=[best],
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
        log_every_n_steps=10,
    )
    trainer.fit(model, datamodule=dm)
    values = dict(best.values)
    # A module whose metrics belong together (one chosen epoch's accuracy *and* flips, MORPH) reports them
    # itself: `trial_metrics()` overrides the best validation's values.
    reported = getattr(model, "trial_metrics", None)
    if callable(reported):
        values.update(reported())
    if trial.metric not in values:
        raise RuntimeError(f"trial metric {trial.metric!r} was never logged; logged: {sorted(values)}")
    return TrialResult(
        trial.trial_id,
        "ok",
        values[trial.metric],
        values,
        time.perf_counter() - start,
        run_id=run_id,
    )


class _BestMetrics:
    """Lightning callback keeping every ``val/*`` metric of the validation where ``metric`` was best (max), so a
    trial's result describes one model: its best metric, and that model's F1, loss and share predicted positive
    (which decides whether it collapsed). Per-metric bests would mix epochs: a Devign trial whose best accuracy
    was the all-"not vulnerable" epoch reported the F1 of another epoch beside a positive rate of 0.
    Without ``metric`` (or before it is first logged) the latest validation's values are kept."""

    def __new__(cls, metric: str | None = None) -> Any:  # built lazily: importing this module stays light
        import lightning as L

        class BestMetrics(L.Callback):
            def __init__(self) -> None:
                self.values: dict[str, float] = {}

            def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
                if trainer.sanity_checking:
                    return
                current = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")}
                # no best yet (or no metric): the latest validation; else only a strictly better one
                if (
                    metric is None
                    or metric not in self.values
                    or (metric in current and current[metric] > self.values[metric])
                ):
                    self.values = current

        return BestMetrics()


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str))
    tmp.replace(path)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kd.search.trials DIR/trial.json``: run it, write ``DIR/result.json``; exit 1 on failure."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 1:
        print("usage: python -m kd.search.trials TRIAL_DIR/trial.json", file=sys.stderr)
        return 2
    path = Path(args[0])
    spec = json.loads(path.read_text())
    trial = Trial(**spec["trial"])
    try:
        result = run_trial(trial, spec.get("run_id"), spec.get("tracking_uri"))
    except Exception as exc:
        traceback.print_exc()
        result = TrialResult(
            trial.trial_id, "failed", error=f"{type(exc).__name__}: {exc}", run_id=spec.get("run_id")
        )
        _write_json(path.parent / RESULT_FILE, asdict(result))
        return 1
    _write_json(path.parent / RESULT_FILE, asdict(result))
    return 0


# -- launchers -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrialJob:
    """A trial to launch: its data, its directory (``trial.json`` written there) and its MLflow run."""

    trial: Trial
    directory: Path
    run_id: str | None = None
    tracking_uri: str | None = None

    def write(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / TRIAL_FILE
        _write_json(
            path, {"trial": asdict(self.trial), "run_id": self.run_id, "tracking_uri": self.tracking_uri}
        )
        return path


class TrialLauncher(Protocol):
    """Runs jobs with up to ``workers`` at once; yields each job's result as it finishes."""

    def run(self, jobs: Sequence[TrialJob], workers: int) -> Iterator[TrialResult]: ...


def read_result(job: TrialJob, returncode: int | None = None) -> TrialResult:
    """The job's ``result.json``, or a ``failed`` result carrying the stderr tail when there is none."""
    path = job.directory / RESULT_FILE
    if path.is_file():
        try:
            return TrialResult(**json.loads(path.read_text()))
        except (json.JSONDecodeError, TypeError) as exc:
            return TrialResult(
                job.trial.trial_id, "failed", error=f"unreadable {path}: {exc}", run_id=job.run_id
            )
    err = job.directory / STDERR_FILE
    tail = err.read_text(errors="replace")[-2000:] if err.is_file() else ""
    return TrialResult(
        job.trial.trial_id,
        "failed",
        error=f"exit code {returncode}, no result; stderr tail:\n{tail}",
        run_id=job.run_id,
    )


def project_root() -> str:
    """The folder holding the ``kd`` package, put on a trial process's PYTHONPATH."""
    import kd

    return str(Path(kd.__file__).resolve().parent.parent)


def trial_env(pythonpath: str, threads: int) -> dict[str, str]:
    """This process's environment for a trial process: ``pythonpath`` first, ``threads`` torch/OpenMP threads."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([pythonpath, *filter(None, [env.get("PYTHONPATH")])])
    env["KD_TRIAL_THREADS"] = env["OMP_NUM_THREADS"] = str(threads)
    return env


class LocalLauncher:
    """One ``python -m kd.search.trials`` subprocess per trial; each gets cores // workers torch threads."""

    def __init__(
        self, timeout_s: float | None = None, python: str = sys.executable, module: str = "kd.search.trials"
    ) -> None:
        self.timeout_s = timeout_s
        self.python = python
        self.module = module  # what `python -m` runs with the trial.json path (tests swap in a stand-in)
        self._procs: set[subprocess.Popen[bytes]] = set()
        self.task_seconds: list[float] = []  # wall time of each trial process (overhead reporting)

    def _env(self, workers: int) -> dict[str, str]:
        return trial_env(project_root(), max(1, available_cores() // max(1, workers)))

    def _one(self, job: TrialJob, env: dict[str, str]) -> TrialResult:
        path = job.write()
        (job.directory / RESULT_FILE).unlink(missing_ok=True)
        started = time.perf_counter()
        with (job.directory / STDERR_FILE).open("wb") as err:
            proc = subprocess.Popen(
                [self.python, "-m", self.module, str(path)],
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=env,
            )
            self._procs.add(proc)
            try:
                rc = proc.wait(timeout=self.timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = proc.wait()
                return TrialResult(
                    job.trial.trial_id,
                    "failed",
                    error=f"timed out after {self.timeout_s} s",
                    run_id=job.run_id,
                )
            finally:
                self._procs.discard(proc)
        self.task_seconds.append(time.perf_counter() - started)
        return read_result(job, rc)

    def run(self, jobs: Sequence[TrialJob], workers: int) -> Iterator[TrialResult]:
        env = self._env(workers)
        pool = ThreadPoolExecutor(max_workers=max(1, workers))
        futures: set[Future[TrialResult]] = {pool.submit(self._one, job, env) for job in jobs}
        try:
            while futures:
                done, futures = wait(futures, return_when=FIRST_COMPLETED)
                for f in done:
                    yield f.result()
        finally:  # interrupted (Ctrl-C, an error): stop the trials still running, run no new ones
            for f in futures:
                f.cancel()
            for proc in list(self._procs):
                proc.terminate()
            pool.shutdown(wait=True, cancel_futures=True)


def _ray_launcher(**kwargs: Any) -> TrialLauncher:
    from kd.search.ray_launcher import RayLauncher  # imports Ray only when asked for (optional extra)

    return RayLauncher(**kwargs)


_LAUNCHERS: dict[str, Callable[..., TrialLauncher]] = {"local": LocalLauncher, "ray": _ray_launcher}


def register_launcher(name: str, factory: Callable[..., TrialLauncher]) -> None:
    """Make ``search.launcher: <name>`` build ``factory(**launcher_args)``."""
    _LAUNCHERS[name] = factory


def launcher_by_name(name: str, **kwargs: Any) -> TrialLauncher:
    """A registered launcher (``local``) or a dotted class path; errors list the registered names."""
    if name in _LAUNCHERS:
        return _LAUNCHERS[name](**kwargs)
    if "." in name:
        return import_object(name)(**kwargs)  # type: ignore[no-any-return]
    raise ValueError(
        f"Unknown search launcher {name!r}; expected one of {sorted(_LAUNCHERS)} or a class path"
    )


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


# -- runner --------------------------------------------------------------------------------------------------


@dataclass
class TrialRunner:
    """Runs trials in ``root/trials/<id>/`` with a launcher; resumes finished ones; nested MLflow runs."""

    root: Path
    launcher: TrialLauncher
    workers: int = 0  # 0: the available cores
    tracking_uri: str | None = None
    parent_run_id: str | None = None
    progress: bool = True

    def _client(self) -> Any:
        if not (self.tracking_uri and self.parent_run_id):
            return None
        import mlflow

        return mlflow.MlflowClient(self.tracking_uri)

    def _start_run(self, client: Any, index: int, trial: Trial) -> str | None:
        if client is None:
            return None
        parent = client.get_run(self.parent_run_id)
        tags = {
            "mlflow.parentRunId": self.parent_run_id,
            "mlflow.runName": f"trial-{index:03d}",
            "kd.trial_id": trial.trial_id,
            "kd.stage": "search-trial",
        }
        run = client.create_run(parent.info.experiment_id, tags=tags)
        for key, value in {**{f"spec.{k}": v for k, v in trial.spec.items()}, **trial.hparams}.items():
            client.log_param(run.info.run_id, key, value)
        client.log_param(run.info.run_id, "epochs", trial.epochs)
        client.log_param(run.info.run_id, "seed", trial.seed)
        return str(run.info.run_id)

    def _finish_run(self, client: Any, result: TrialResult, metric: str) -> None:
        if client is None or result.run_id is None:
            return
        if result.ok:
            client.log_metric(result.run_id, f"trial/{metric}", float(result.metric))  # type: ignore[arg-type]
            client.log_metric(result.run_id, "trial/seconds", result.seconds)
        else:
            client.set_tag(result.run_id, "kd.trial_error", result.error[-4000:])
        client.set_terminated(result.run_id, "FINISHED" if result.ok else "FAILED")

    def run(self, trials: Sequence[Trial]) -> list[TrialResult]:
        """Results in the order of ``trials``; finished ones (``ok`` on disk) are loaded, not re-run."""
        from tqdm.auto import tqdm

        client = self._client()
        results: dict[str, TrialResult] = {}
        jobs: list[TrialJob] = []
        for i, trial in enumerate(trials):
            job = TrialJob(trial, self.root / "trials" / trial.trial_id, tracking_uri=self.tracking_uri)
            previous = read_result(job) if (job.directory / RESULT_FILE).is_file() else None
            if previous is not None and previous.ok:
                previous.resumed = True
                results[trial.trial_id] = previous
                continue
            jobs.append(TrialJob(trial, job.directory, self._start_run(client, i, trial), self.tracking_uri))
        workers = self.workers or available_cores()
        bar = tqdm(total=len(trials), initial=len(results), desc="search trials", disable=not self.progress)
        metric = trials[0].metric if trials else ""
        run_ids = {job.trial.trial_id: job.run_id for job in jobs}
        for result in self.launcher.run(jobs, min(workers, max(1, len(jobs)))):
            result.run_id = result.run_id or run_ids.get(result.trial_id)
            self._finish_run(client, result, metric)
            results[result.trial_id] = result
            bar.update(1)
        bar.close()
        return [results[t.trial_id] for t in trials]


if __name__ == "__main__":
    raise SystemExit(main())
