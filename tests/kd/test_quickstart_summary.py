"""The quickstart's fidelity printout reads the FidelityCallback's last evaluation (no extra work)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import torch

from fidelity.callback import FidelityCallback
from fidelity.evaluate import FidelityResult
from kd.quickstart import fidelity_summary


def _row(violation: float, n: int, **extra: float) -> dict[str, float]:
    base = {
        "agreement_violation": violation,
        "n_pairs": float(n),
        "flip_rate_student": 0.0,
        "flip_rate_teacher": 0.0,
        "robustness_drop_student": 0.0,
        "robustness_drop_teacher": 0.0,
        "robustness_drop_relative": 0.0,
    }
    return {**base, **extra}


def _cli(result: FidelityResult | None) -> Any:
    callback = FidelityCallback(progress=False)
    callback.last = result
    return SimpleNamespace(trainer=SimpleNamespace(callbacks=[object(), callback]))


def test_summary_lists_overall_and_three_worst_followups() -> None:
    table = {
        "reformat": _row(0.10, 50),
        "add_braces": _row(0.30, 20),
        "mhm": _row(0.25, 8),
        "for_to_while": _row(0.05, 10),
        "switch_to_if": _row(0.90, 0),  # no pairs: not a "worst" follow-up
        "rename_parameters": _row(0.20, 40),
        "all": _row(
            0.15,
            128,
            flip_rate_student=0.07,
            flip_rate_teacher=0.02,
            robustness_drop_student=0.04,
            robustness_drop_teacher=0.01,
            robustness_drop_relative=3.0,
        ),
    }
    text = fidelity_summary(_cli(FidelityResult(table, {}, torch.empty(0))))
    assert "128 follow-up pairs" in text
    assert "0.150 overall" in text
    # ranked by the Wilson lower bound (hand-worked: 0.146, 0.105, 0.071, 0.043, 0.009), not the raw rate
    assert "add_braces 0.300 (n=20), rename_parameters 0.200 (n=40), mhm 0.250 (n=8)" in text
    assert "switch_to_if" not in text and "reformat" not in text
    assert "flip rate: student 0.070, teacher 0.020" in text
    assert "robustness drop: student 0.040, teacher 0.010 (relative +3.00)" in text


def test_summary_says_when_no_evaluation_ran() -> None:
    assert "no evaluation ran" in fidelity_summary(_cli(None))
    assert "no evaluation ran" in fidelity_summary(SimpleNamespace(trainer=SimpleNamespace(callbacks=[])))
