"""The methods whose DDP path differs from Hinton's (tests/kd/test_ddp.py), each a real 2-process fit (gloo, CPU),
and a DDP fit resumed under DDP.

- Compressor: every rank builds the searched student, with a vocabulary trained on the data (one rank trains it);
- PKD: a live teacher (hidden states every step) and extra trained parameters (the projection) under DDP.

Each fit is checked by :meth:`tests.kd.ddp_cases.Inspection.problems` (caches written once, one MLflow run,
metrics once per step, probe built once, model exported once, search run once). The rest of the matrix (Hinton
in test_ddp.py; teacher fine-tuning, AVATAR, MORPH, CKD, DIST, pruning) runs in ``python bench/ddp_methods.py``
(bench/results/ddp.md): each fit costs two processes, and CI's budget for these is a few minutes (MORPH's case,
its 3-trial search included, took ~3 min here, so it runs in the bench only).
"""

from __future__ import annotations

from pathlib import Path

import mlflow
import pytest

from tests.kd.ddp_cases import CASES, case_args, inspect, make_teacher, run_case, run_fit


@pytest.mark.slow
@pytest.mark.parametrize("name", ["pkd"])
def test_method_runs_under_ddp_without_duplicating(name: str, tmp_path: Path, demo_root: Path) -> None:
    case = CASES[name]
    got, _ = run_case(case, tmp_path / name, demo_root / "bigclonebench", make_teacher(tmp_path / "teacher"))
    assert got.problems(case, case.steps) == []
    assert got.written["teacher"] and got.teacher_hits >= 1  # rank 1 read what rank 0 computed


@pytest.mark.slow
def test_compressor_ddp_fit_resumes_under_ddp_in_the_same_run(tmp_path: Path, demo_root: Path) -> None:
    """4 steps under DDP, then ``--ckpt_path last`` to 6 under DDP: one MLflow run, train/loss at steps 0..5."""
    case, root, data = CASES["compressor"], tmp_path / "compressor", demo_root / "bigclonebench"
    root.mkdir()
    teacher_dir = make_teacher(tmp_path / "teacher")
    proc = run_fit(case_args(case, root, data, teacher_dir, steps=4), root, root / "cache")
    first = inspect(proc, root, "compressor")
    assert first.problems(case, 4) == []
    assert len(first.written["tokenizer"]) == 1  # one rank trained the student's vocabulary
    client = mlflow.MlflowClient(f"sqlite:///{root}/mlflow.db")
    exp = client.get_experiment_by_name("compressor")
    assert exp is not None
    (run,) = client.search_runs([exp.experiment_id])

    resumed_args = [*case_args(case, root, data, teacher_dir, steps=6), "--ckpt_path", "last"]
    resumed = inspect(run_fit(resumed_args, root, root / "cache"), root, "compressor")
    assert f"resuming MLflow run {run.info.run_id}" in resumed.log
    # read back over both fits: still one run, train/loss at every step 0..5 once, no metric twice at a step (the
    # resumed fit's probe build is at a step already logged, so kept once), the model exported once by the resumed fit
    assert resumed.problems(case, 6) == []
    assert resumed.written["tokenizer"] == [] and resumed.written["teacher"] == []  # all read from the caches
