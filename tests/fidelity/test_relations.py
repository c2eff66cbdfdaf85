"""Relations and their torchmetrics classes against numbers worked out by hand (in the comments)."""

from __future__ import annotations

import math

import pytest
import torch
from scipy.spatial.distance import jensenshannon

from fidelity import relations as R
from fidelity.metrics import (
    RELATION_KEYS,
    AgreementViolation,
    CalibrationGap,
    ConfidenceViolation,
    DistributionViolation,
    FidelityRelations,
    FlipRate,
)


def _t(rows: list[list[float]]) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64)


# Labels (argmax):   t_src 0 1 0 0 | s_src 0 1 1 0 | t_fu 0 1 1 0 | s_fu 1 0 1 0 ; gold 0 1 0 0
T_SRC = _t([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])
S_SRC = _t([[0.8, 0.2], [0.3, 0.7], [0.4, 0.6], [0.5, 0.5]])
T_FU = _t([[0.95, 0.05], [0.3, 0.7], [0.45, 0.55], [1.0, 0.0]])
S_FU = _t([[0.38, 0.62], [0.55, 0.45], [0.3, 0.7], [1.0, 0.0]])
LABELS = torch.tensor([0, 1, 0, 0])

EXPECTED = {
    "agreement_violation": 0.5,  # rows 0, 1
    "agreement_violation_source": 0.25,  # row 2
    "distribution_violation": 0.5,  # JS: row0 big, row1 0.2160, row2 0.1319, row3 0 ; tau_d = 0.15
    "confidence_violation": 0.25,  # T confident on rows 0, 3; S gives 0.38 to T's label on row 0
    "confidence_violation_teacher_confident": 0.5,
    # ECE, 5 bins. T: bin4 |1.95-2| + bin3 |0.7-1| + bin2 |0.55-0| = 0.9 -> 0.225
    # S: bin2 |0.55-0| + bin3 |0.62+0.7-0| + bin4 |1-1| = 1.87 -> 0.4675
    "ece_teacher": 0.225,
    "ece_student": 0.4675,
    "calibration_gap": 0.2425,
    "confidence_gap_violation": 0.75,  # |conf gaps| 0.33, 0.15, 0.15, 0 > 0.1
    "flip_rate_teacher": 0.25,  # row 2
    "flip_rate_student": 0.5,  # s_src 0 1 1 0 vs s_fu 1 0 1 0 -> rows 0, 1
    "acc_teacher_source": 1.0,
    "acc_teacher_followup": 0.75,
    "acc_student_source": 0.75,
    "acc_student_followup": 0.25,
    "robustness_drop_teacher": 0.25,
    "robustness_drop_student": 0.5,
    "robustness_drop_relative": 1.0,  # (0.5 - 0.25) / 0.25
    "n_pairs": 4.0,
}


def _metric() -> FidelityRelations:
    return FidelityRelations(tau_d=0.15, tau_c=0.9, tau_g=0.1, n_bins=5)


def test_js_distance_hand_values_and_scipy() -> None:
    p = _t([[1.0, 0.0], [1.0, 0.0], [0.3, 0.7]])
    q = _t([[0.0, 1.0], [0.5, 0.5], [0.3, 0.7]])
    # row 1: m = (.75, .25); KL(p|m) = log2(4/3) = .415037; KL(q|m) = .207519; sqrt(.311278) = .557923
    got = R.js_distance(p, q)
    assert got.tolist() == pytest.approx([1.0, 0.557923, 0.0], abs=1e-6)
    ref = [jensenshannon(a, b, base=2) for a, b in zip(T_FU.numpy(), S_FU.numpy(), strict=True)]
    assert R.js_distance(T_FU, S_FU).tolist() == pytest.approx(ref, abs=1e-9)


def test_fidelity_relations_hand_example() -> None:
    metric = _metric()
    metric.update(T_SRC, S_SRC, T_FU, S_FU, LABELS)
    out = metric.compute()
    assert tuple(out) == RELATION_KEYS
    for key, value in EXPECTED.items():
        assert out[key].item() == pytest.approx(value, abs=1e-9), key
    js_ref = sum(jensenshannon(a, b, base=2) for a, b in zip(T_FU.numpy(), S_FU.numpy(), strict=True)) / 4
    assert out["js_distance"].item() == pytest.approx(js_ref, abs=1e-9)


def test_batches_accumulate_like_one() -> None:
    torch.manual_seed(0)
    probs = [torch.softmax(torch.randn(50, 3) * 3, dim=1) for _ in range(4)]
    labels = torch.randint(0, 3, (50,))
    whole = _metric()
    t_src, s_src, t_fu, s_fu = probs
    whole.update(t_src, s_src, t_fu, s_fu, labels)
    parts = _metric()
    for chunk in (slice(0, 7), slice(7, 8), slice(8, 50)):
        parts.update(t_src[chunk], s_src[chunk], t_fu[chunk], s_fu[chunk], labels[chunk])
    a, b = whole.compute(), parts.compute()
    for key in RELATION_KEYS:
        assert a[key].item() == pytest.approx(b[key].item(), abs=1e-12), key


def test_float32_inputs_give_the_same_rates() -> None:
    metric = _metric()
    metric.update(T_SRC.float(), S_SRC.float(), T_FU.float(), S_FU.float(), LABELS)
    assert metric.compute()["agreement_violation"].item() == 0.5


def test_empty_update_and_no_update_are_all_zero_not_nan() -> None:
    metric = _metric()
    empty = torch.zeros(0, 2)
    metric.update(empty, empty, empty, empty, torch.zeros(0, dtype=torch.long))
    out = metric.compute()
    assert all(v.item() == 0.0 for v in out.values())


def test_relative_drop_zero_and_negative_teacher_drop() -> None:
    def rel(t: float, s: float) -> float:
        return R.robustness_drop_relative(torch.tensor(t), torch.tensor(s), drop_floor=0.01).item()

    assert rel(0.0, 0.0) == 0.0
    assert rel(0.0, 0.05) == pytest.approx(5.0)  # 5 points over the 1-point floor
    assert rel(0.02, 0.077) == pytest.approx(2.85)  # the MetaCompress "285 %"
    assert rel(-0.1, 0.05) == pytest.approx(15.0)  # teacher improved: floor, not a sign flip
    assert rel(0.1, 0.0) == pytest.approx(-1.0)
    assert all(math.isfinite(rel(t, s)) for t in (-1.0, 0.0, 1e-9, 1.0) for s in (-1.0, 0.0, 1.0))


def test_relative_drop_zero_teacher_drop_through_the_metric() -> None:
    metric = _metric()
    # Teacher right on both sides, student right on x and wrong on x'.
    metric.update(T_SRC[:1], S_SRC[:1], T_SRC[:1], _t([[0.2, 0.8]]), LABELS[:1])
    out = metric.compute()
    assert out["robustness_drop_teacher"].item() == 0.0
    assert out["robustness_drop_student"].item() == 1.0
    assert out["robustness_drop_relative"].item() == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"tau_d": 1.7}, "Expected `tau_d` in (0, 1), got 1.7"),
        ({"tau_c": 0.0}, "Expected `tau_c` in (0, 1), got 0.0"),
        ({"tau_g": -0.2}, "Expected `tau_g` in (0, 1), got -0.2"),
        ({"n_bins": 0}, "Expected `n_bins` a positive integer, got 0"),
        ({"drop_floor": 0.0}, "Expected `drop_floor` in (0, 1], got 0.0"),
    ],
)
def test_argument_checks(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")):
        FidelityRelations(**kwargs)  # type: ignore[arg-type]


def test_bad_inputs_raise_naming_the_argument() -> None:
    metric = _metric()
    with pytest.raises(ValueError, match="`s_fu` to hold probabilities"):
        metric.update(T_SRC, S_SRC, T_FU, S_FU * 3, LABELS)
    with pytest.raises(ValueError, match="of one shape"):
        metric.update(T_SRC, S_SRC, T_FU[:3], S_FU[:3], LABELS)
    with pytest.raises(ValueError, match="`labels` in \\[0, 1\\]"):
        metric.update(T_SRC, S_SRC, T_FU, S_FU, torch.tensor([0, 1, 2, 0]))


def test_single_relation_classes_match_hand_values() -> None:
    checks = [
        (AgreementViolation(), (T_FU, S_FU), 0.5),
        (DistributionViolation(tau_d=0.15), (T_FU, S_FU), 0.5),
        (ConfidenceViolation(tau_c=0.9), (T_FU, S_FU), 0.25),
        (FlipRate(), (S_SRC, S_FU), 0.5),
        (CalibrationGap(n_bins=5), (T_FU, S_FU, LABELS), 0.2425),
    ]
    for metric, args, expected in checks:
        metric.update(*(a[:2] for a in args))
        metric.update(*(a[2:] for a in args))
        assert metric.compute().item() == pytest.approx(expected, abs=1e-9), type(metric).__name__


def test_ece_matches_torchmetrics_off_bin_edges() -> None:
    from torchmetrics.functional.classification import multiclass_calibration_error

    torch.manual_seed(1)
    probs = torch.softmax(torch.randn(200, 3) * 2, dim=1).double()
    labels = torch.randint(0, 3, (200,))
    ours = R.expected_calibration_error(probs, labels, n_bins=10).item()
    ref = multiclass_calibration_error(probs, labels, num_classes=3, n_bins=10, norm="l1").item()
    assert ours == pytest.approx(ref, abs=1e-6)
