"""Comparisons across a study's students (fidelity.study_compare) on hand-worked columns: the kind of a method,
pooled rates per kind and their differences, the cluster bootstrap, collapsed students left out, and the
student-vs-student flip comparison against statsmodels' exact McNemar."""

from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.contingency_tables import mcnemar

from fidelity.study_compare import StudentColumns, compression_kind, kind_rows, left_out, pair_row, verdict


@pytest.mark.parametrize(
    ("method", "kind"),
    [
        ("quantize", "quantized"),
        ("hinton+int8", "quantized"),
        ("external+fp16", "quantized"),
        ("prune", "pruned"),
        ("hinton", "distilled"),
        ("avatar", "distilled"),
        ("morph", "distilled"),
        ("dist", "distilled"),
        ("external", None),
        ("teacher", None),
    ],
)
def test_compression_kind(method: str, kind: str | None) -> None:
    assert compression_kind(method) == kind


def columns(
    name: str, kind: str | None, disagree: list[int], rate: float = 0.5, success: list[int] | None = None
) -> StudentColumns:
    n = len(disagree)
    hits = np.array(success or [], dtype=float)
    return StudentColumns(
        name=name,
        kind=kind,
        positive_rate=rate,
        disagree=np.array(disagree, dtype=float),
        flip=np.array(disagree, dtype=float),
        cluster=np.arange(n) // 2,  # two follow-ups per probe example
        success={"mhm": hits},
        index={"mhm": np.arange(len(hits))},
    )


def test_kind_rates_pool_students_and_differences_are_paired() -> None:
    students = [
        columns(
            "d1", "distilled", [1, 0, 1, 0, 1, 0, 1, 0], success=[1, 0, 0, 0]
        ),  # 4/8 violations, 1/4 fooled
        columns("d2", "distilled", [1, 1, 1, 0, 1, 0, 1, 0], success=[1, 1, 0, 0]),  # 5/8, 2/4
        columns("p1", "pruned", [0, 0, 1, 0, 0, 0, 0, 0], success=[0, 0, 0, 0]),  # 1/8, 0/4
        columns("c", "distilled", [0] * 8, rate=1.0),  # collapsed: always "positive", left out
        columns("x", None, [1] * 8),  # no kind
    ]
    per_kind, pairs = kind_rows(students, n_boot=500, confidence=0.95, seed=0)
    by = {r["kind"]: r for r in per_kind}
    assert set(by) == {"distilled", "pruned"} and by["distilled"]["students"] == "d1, d2"
    # hand-worked pooled rates: (4 + 5) / 16 and 1 / 8; attack success (1 + 2) / 8 and 0 / 4
    assert by["distilled"]["agreement_violation"] == pytest.approx(9 / 16)
    assert (by["distilled"]["agreement_violation_k"], by["distilled"]["agreement_violation_n"]) == (9, 16)
    assert by["pruned"]["agreement_violation"] == pytest.approx(1 / 8)
    assert by["distilled"]["attack_success"] == pytest.approx(3 / 8) and by["pruned"]["attack_success"] == 0.0
    (pair,) = pairs
    assert pair["kinds"] == "distilled − pruned"
    assert pair["agreement_violation"] == pytest.approx(9 / 16 - 1 / 8)
    assert pair["agreement_violation_lo"] <= pair["agreement_violation"] <= pair["agreement_violation_hi"]
    notes = left_out(students)
    assert any(n.startswith("c: collapsed (100.0%") for n in notes) and any(
        n.startswith("x: no compression kind") for n in notes
    )


def test_the_bootstrap_resamples_probe_examples_not_pairs() -> None:
    """Every probe example holds one violation in its two follow-ups: any resample of examples gives exactly 1/2,
    so the interval is a point; resampling the pairs independently would give a wide interval."""
    (row,), _ = kind_rows([columns("d", "distilled", [1, 0] * 20)], n_boot=300, confidence=0.95, seed=0)
    assert row["agreement_violation_lo"] == row["agreement_violation_hi"] == pytest.approx(0.5)


def test_student_pair_flip_difference_and_mcnemar_match_statsmodels() -> None:
    a = columns("morph", "distilled", [1, 1, 0, 0, 0, 0, 0, 0, 1, 0], success=[1, 0, 0, 0])
    b = columns("avatar", "distilled", [1, 1, 1, 1, 1, 0, 1, 0, 1, 0], success=[1, 1, 1, 0])
    row = pair_row(a, b, n_boot=500, confidence=0.95, seed=0)
    assert row["flip_rate"] == pytest.approx(0.3 - 0.7)
    assert (row["flip_rate_a"], row["flip_rate_b"]) == (pytest.approx(0.3), pytest.approx(0.7))
    # discordant flips: a only 0, b only 4
    assert row["flip_mcnemar_p"] == pytest.approx(mcnemar([[3, 0], [4, 3]], exact=True).pvalue)
    assert row["attacked_both"] == 4 and row["attack_success"] == pytest.approx(1 / 4 - 3 / 4)
    assert verdict(row, "flip_rate", "less", "more") in (
        "less",
        "not distinguishable at this sample size (interval contains 0)",
    )
    assert verdict({"x": 0.1, "x_lo": 0.05, "x_hi": 0.2}, "x", "less", "more") == "more"
    with pytest.raises(ValueError, match="same follow-ups"):
        pair_row(a, columns("other", "distilled", [0] * 6), n_boot=10, confidence=0.95, seed=0)


def test_comparison_records_and_mlflow_keys_from_hand_built_rows() -> None:
    from fidelity.study_compare import Comparisons

    kind = {"kind": "distilled", "students": "a, b", "agreement_violation": 0.25, "agreement_violation_lo": 0.2,
            "agreement_violation_hi": 0.3, "agreement_violation_k": 5, "agreement_violation_n": 20}  # fmt: skip
    kinds = {"kinds": "distilled − pruned", "a": "distilled", "b": "pruned", "attack_success": -0.1,
             "attack_success_lo": -0.2, "attack_success_hi": 0.05}  # fmt: skip
    pair = {"comparison": "morph − avatar (4k)", "a": "morph", "b": "avatar (4k)", "n_pairs": 40,
            "flip_rate": -0.05, "flip_rate_lo": -0.1, "flip_rate_hi": 0.0, "flip_mcnemar_p": 0.25,
            "attacked_both": 12, "attack_success": 0.1, "attack_success_lo": -0.1, "attack_success_hi": 0.3}  # fmt: skip
    comp = Comparisons([kind], [kinds], ["x: collapsed"], [pair])
    records = comp.records()
    assert [(r["scope"], r["name"], r["measure"]) for r in records] == [
        ("kind", "distilled", "agreement_violation"),
        ("kinds", "distilled_vs_pruned", "attack_success"),
        ("pair", "morph_vs_avatar (4k)", "flip_rate"),  # the CSV keeps the names as configured
        ("pair", "morph_vs_avatar (4k)", "attack_success"),
    ]
    assert records[0]["k"] == 5 and records[0]["n"] == 20 and records[2]["n"] == 40
    assert (
        records[3]["n"] == 12
    )  # attack success is over the 12 originals both had right, not the 40 follow-ups
    assert records[2]["mcnemar_p"] == 0.25 and records[0]["mcnemar_p"] is None
    m = comp.metrics()
    assert m["compare/kind/distilled/agreement_violation_lo"] == 0.2
    assert m["compare/kinds/distilled_vs_pruned/attack_success_hi"] == 0.05
    assert m["compare/pair/morph_vs_avatar__4k_/flip_mcnemar_p"] == 0.25  # MLflow-safe key: " ()" -> "_"
    assert len(m) == 4 * 3 + 1


def test_left_out_transforms_must_be_follow_ups_of_the_probe() -> None:
    from fidelity.study_compare import check_left_out, split_comparison

    assert split_comparison(["morph", "avatar", "-natural_rename", "-reformat"]) == (
        "morph",
        "avatar",
        ("natural_rename", "reformat"),
    )
    check_left_out([["a", "b"], ["a", "b", "-reformat"]], ["reformat", "natural_rename"])
    with pytest.raises(ValueError, match=r"`comparisons\[1\]` leaves out \['rename'\].*they are: reformat"):
        check_left_out([["a", "b"], ["a", "b", "-rename"]], ["reformat"])
