"""Every method's ``train.py fit`` under DDP (2 CPU processes, gloo) on tiny data, and what DDP must not duplicate.

Shared by ``tests/kd/test_ddp_methods.py`` (the methods whose DDP path differs, in CI) and
``bench/ddp_methods.py`` (the whole matrix). A case is the fit's command line; :func:`run_case` runs it as a user
would (``python train.py fit … --trainer.strategy ddp --trainer.devices 2 --trainer.accelerator cpu``) and
:func:`inspect` reads back from its log and MLflow store what happened:

- every cache file (teacher logits, token ids, metamorphic variants) was written once — by one rank — and every
  other rank that needed it logged a cache hit;
- MLflow holds one top-level run for the fit (search trials are nested runs under it);
- no metric has two values at one step (each rank logging its own copy would), ``train/loss`` has one value per
  optimiser step, and the FidelityCallback built its probe once;
- the exported model was written once.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import mlflow
import torch

from kd.models.io import from_config, save_model_dir
from tests.kd.helpers import TINY_GENES, TINY_SPEC, tiny_fit_args, tiny_student_json, tiny_tokenizer

ROOT = Path(__file__).resolve().parents[2]
DDP = ["--trainer.strategy", "ddp", "--trainer.devices", "2"]
FIDELITY = [
    "--trainer.callbacks+=fidelity.callback.FidelityCallback",
    "--trainer.callbacks.n_probe=4",
    "--trainer.callbacks.transforms=[rename_parameters]",
    "--trainer.callbacks.attacks=[]",
    "--trainer.callbacks.progress=false",
]
TWO_LAYERS = json.dumps(
    {"spec": {"vocab_size": 300, "num_hidden_layers": 2, "hidden_size": 8, "num_attention_heads": 2,
              "intermediate_size": 16}}
)  # fmt: skip
# Log lines naming a cache file as it is written; each file must be written once.
WRITTEN = {
    "tokenizer": re.compile(r"tokenizer: trained on \S+ \(\d+ functions\), cached at (\S+)"),
    "teacher": re.compile(r"teacher outputs: computed for \d+ examples, cached at (\S+)"),
    "tokens": re.compile(r"token cache: tokenised \d+ texts, cached at (\S+)"),
    "metamorphic": re.compile(r"metamorphic \S+: \d+ functions, cached at (\S+)"),
}
SEARCHED = re.compile(r"(avatar|morph) search: (\d+) trials")


@dataclass
class Case:
    """One method's DDP fit: its ``train.py`` arguments after the shared tiny-fit ones."""

    name: str
    method: str
    model_args: Callable[[Path, Path], list[str]]  # (root, teacher dir) -> --model.* arguments
    steps: int = 4
    extra: list[str] = field(default_factory=list)
    teacher_arg: bool = True  # False: the method has no `teacher` (teacher fine-tuning)
    fidelity: bool = True
    expect_search: bool = False


def _search(root: Path, trials: int, train: int, evaluate: int, extra: dict | None = None) -> str:
    search = {
        "n_trials": trials,
        "trial_epochs": 1,
        "trial_train_examples": train,
        "trial_eval_examples": evaluate,
        "workers": 2,
        "population": 6,
        "generations": 3,
        "output_dir": str(root / "search"),
        "genes": TINY_GENES,
        **(extra or {}),
    }
    return json.dumps(search)


CASES: dict[str, Case] = {
    case.name: case
    for case in [
        Case(
            "teacher",
            "kd.teacher.TeacherFineTune",
            lambda root, teacher: ["--model.model", json.dumps({"source": str(teacher)})],
            teacher_arg=False,
            fidelity=False,
        ),
        Case("hinton", "kd.methods.vanilla.HintonKD", lambda root, teacher: ["--model.student", tiny_student_json(teacher)]),
        Case(
            "compressor",
            "kd.methods.compressor.CompressorKD",
            lambda root, teacher: [
                "--model.target_mb", "0.05",
                "--model.search", json.dumps({"population": 16, "generations": 10, "seed": 2}),
            ],
        ),
        Case(
            "avatar",
            "kd.methods.avatar.AvatarKD",
            lambda root, teacher: [
                "--model.target_mb", "0.2",
                "--model.search", _search(root, 3, 16, 8),
                "--model.efficiency_examples", "4",
                "--model.pooling", "mean",
            ],
            expect_search=True,
        ),
        Case(
            "morph",
            "kd.methods.morph.MorphKD",
            lambda root, teacher: [
                "--model.target_mb", "0.2",
                "--model.search",
                _search(root, 3, 16, 8, {"flip_grid": {"n_estimators": [20], "max_depth": [2]}}),
                "--model.efficiency_examples", "0",
                "--model.pooling", "mean",
            ],
            extra=["--trainer.callbacks.monitor=val/morph_selection"],
            expect_search=True,
        ),
        Case(
            "pkd",
            "kd.methods.feature.PatientKD",
            lambda root, teacher: ["--model.student", _with_tokenizer(TWO_LAYERS, teacher)],
        ),
        Case(
            "ckd",
            "kd.methods.feature.ContextualKD",
            lambda root, teacher: ["--model.student", _with_tokenizer(TWO_LAYERS, teacher)],
        ),
        Case(
            "dist",
            "kd.methods.feature.DistKD",
            lambda root, teacher: ["--model.student", _with_tokenizer(TWO_LAYERS, teacher)],
        ),
        Case(
            "prune",
            "kd.methods.prune.PruneKD",
            lambda root, teacher: [
                "--model.target_ratio", "0.6",
                "--model.importance", "taylor",
                "--model.calibration_examples", "16",
            ],
        ),
        Case(
            "prune_unstructured",
            "kd.methods.prune.PruneKD",
            lambda root, teacher: ["--model.pruning", "unstructured", "--model.sparsity", "0.5"],
        ),
    ]
}  # fmt: skip


def make_teacher(path: Path) -> Path:
    """The cases' teacher: a random-init (seed 0) two-layer tiny pair classifier, deep enough for the feature
    methods' layer maps (a student of 2 layers needs a teacher of at least 2)."""
    tok = tiny_tokenizer()
    torch.manual_seed(0)
    spec = TINY_SPEC.replace(vocab_size=tok.get_vocab_size(), num_hidden_layers=2)
    return save_model_dir(from_config(spec.to_roberta_config(), 2, tok), tok, path)


def _with_tokenizer(student: str, teacher: Path) -> str:
    return json.dumps({**json.loads(student), "tokenizer": str(teacher)})


def case_args(
    case: Case, root: Path, data_dir: Path, teacher: Path, *, steps: int | None = None
) -> list[str]:
    """The fit's ``train.py`` arguments: tiny data, MLflow and checkpoints under ``root``, DDP on 2 processes."""
    model_args = [*case.model_args(root, teacher), "--model.export_dir", str(root / "export")]
    args = tiny_fit_args(
        root,
        data_dir,
        teacher,
        steps or case.steps,
        method=case.method,
        model_args=model_args,
        val_check_interval=2,
        experiment=case.name,
        extra=[*DDP, *case.extra, *(FIDELITY if case.fidelity else [])],  # extra: ModelCheckpoint options
    )
    if not case.teacher_arg:
        i = args.index("--model.teacher")
        del args[i : i + 2]
    return args


def run_fit(
    args: list[str], root: Path, cache: Path, timeout: float = 900
) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("MLFLOW_TRACKING_URI", None)
    env.update(
        METACOMPRESS_CACHE=str(cache), PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1"
    )
    env.setdefault("OMP_NUM_THREADS", "1")  # two processes on the machine's cores
    return subprocess.run(
        [sys.executable, str(ROOT / "train.py"), *args],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@dataclass
class Inspection:
    """What one DDP fit did, read back from its log and MLflow store."""

    returncode: int
    written: dict[str, list[str]]  # cache kind -> files written (a file twice = built by two ranks)
    teacher_hits: int
    runs: int  # top-level MLflow runs in the experiment
    duplicated: dict[str, list[int]]  # metric -> steps it was logged at more than once
    train_loss_steps: list[int]
    probe_builds: int
    exports: int
    searches: int
    log: str

    def problems(self, case: Case, steps: int, runs: int = 1) -> list[str]:
        """What breaks the contract (empty: the fit ran as DDP should). ``steps``: the optimiser steps logged to
        the run (a resumed fit's included)."""
        out = []
        if self.returncode != 0:
            return [f"exit {self.returncode}: {self.log[-3000:]}"]
        for kind, files in self.written.items():
            twice = [f for f, n in Counter(files).items() if n > 1]
            if twice:
                out.append(f"{kind} cache written more than once: {twice}")
        if self.runs != runs:
            out.append(f"{self.runs} MLflow runs, expected {runs}")
        if self.duplicated:
            out.append(f"metrics logged twice at one step: {self.duplicated}")
        if self.train_loss_steps != list(range(steps)):
            out.append(f"train/loss steps {self.train_loss_steps}, expected 0..{steps - 1}")
        if (
            case.fidelity and self.probe_builds != runs
        ):  # a resumed fit's rebuild lands on an already logged step
            out.append(f"fidelity probe built {self.probe_builds} times")
        if self.exports != runs:  # counted in this fit's log
            out.append(f"model exported {self.exports} times")
        if case.expect_search and self.searches != 1:
            out.append(f"search ran {self.searches} times")
        return out


def inspect(proc: subprocess.CompletedProcess[str], root: Path, experiment: str) -> Inspection:
    log = proc.stdout + proc.stderr
    written = {kind: pattern.findall(log) for kind, pattern in WRITTEN.items()}
    client = mlflow.MlflowClient(f"sqlite:///{root}/mlflow.db")
    exp = client.get_experiment_by_name(experiment)
    runs = (
        [r for r in client.search_runs([exp.experiment_id]) if "mlflow.parentRunId" not in r.data.tags]
        if exp is not None
        else []
    )
    duplicated: dict[str, list[int]] = {}
    loss: list[int] = []
    probe = 0
    for run in runs:
        for key in run.data.metrics:
            if key == "epoch":  # Lightning logs the epoch with every logging call, at the same step
                continue
            steps = [m.step for m in client.get_metric_history(run.info.run_id, key)]
            twice = sorted(s for s, n in Counter(steps).items() if n > 1)
            if twice:
                duplicated[key] = twice
            if key == "train/loss":
                loss += sorted(steps)
            if key == "fidelity/probe/build_seconds":
                probe += len(steps)
    return Inspection(
        proc.returncode,
        written,
        log.count("teacher outputs: cache hit"),
        len(runs),
        duplicated,
        loss,
        probe,
        len(re.findall(r"exported \S+ model to", log)),
        len(SEARCHED.findall(log)),
        log,
    )


def run_case(case: Case, root: Path, data_dir: Path, teacher: Path) -> tuple[Inspection, float]:
    """Run ``case`` under DDP in ``root`` (its own cache); (inspection, wall seconds)."""
    root.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    proc = run_fit(case_args(case, root, data_dir, teacher), root, root / "cache")
    return inspect(proc, root, case.name), time.perf_counter() - started
