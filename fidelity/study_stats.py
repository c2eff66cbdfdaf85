"""Per-student statistics of a study: every reported rate with a 95 % interval, every teacher–student
difference with a paired bootstrap interval, McNemar's exact test of paired correctness, Holm across
each family (transforms; transferred attacks; direct attacks).

Rows are plain dicts: ``<stat>`` is the point estimate and ``<stat>_lo`` / ``<stat>_hi`` its interval.
A single follow-up set has at most one pair per probe example, so its rates get Wilson intervals; the
pooled ``all`` row has several pairs per example and is bootstrapped over probe examples (clusters).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from fidelity.evaluate import ALL, FidelityResult
from fidelity.probe import ProbeSet
from fidelity.stats import Interval, holm, mcnemar_paired, paired_bootstrap, relative_drop, wilson
from fidelity.study_attacks import AttackRecord
from fidelity.study_config import StatsSettings

Row = dict[str, Any]
#: Interval statistics of a follow-up row and the value meaning "no teacher–student difference".
NULLS = {
    "agreement_violation": 0.0,
    "flip_rate_difference": 0.0,
    "robustness_drop_difference": 0.0,
    "robustness_drop_relative": 0.0,
}


def _put(row: Row, key: str, interval: Interval) -> None:
    row[key], row[f"{key}_lo"], row[f"{key}_hi"] = interval.estimate, interval.low, interval.high


def pair_columns(probe: ProbeSet, s_probs: torch.Tensor) -> dict[str, dict[str, np.ndarray]]:
    """Per follow-up set (and ``all``), per-pair 0/1 columns: ``t_src``/``t_fu``/``s_src``/``s_fu``
    (teacher/student right on source/follow-up), ``disagree`` (labels differ on the follow-up),
    ``flip_t``/``flip_s`` (a model's own label changed), and ``cluster`` (the probe example)."""
    s_src, s_fu = probe.split_scores(s_probs)
    t_lab, s_lab, gold = probe.teacher_probs.argmax(1), s_src.argmax(1), probe.labels
    out: dict[str, dict[str, np.ndarray]] = {}
    for name, fu in probe.followups.items():
        if not fu.examples:
            continue
        idx = torch.tensor(fu.source, dtype=torch.long)
        tf, sf = fu.teacher_probs.argmax(1), s_fu[name].argmax(1)
        cols = {
            "t_src": t_lab[idx] == gold[idx],
            "t_fu": tf == gold[idx],
            "s_src": s_lab[idx] == gold[idx],
            "s_fu": sf == gold[idx],
            "disagree": tf != sf,
            "flip_t": tf != t_lab[idx],
            "flip_s": sf != s_lab[idx],
            "cluster": idx,
        }
        out[name] = {k: v.numpy().astype(float) for k, v in cols.items()}
    if out:
        out[ALL] = {k: np.concatenate([c[k] for c in out.values()]) for k in next(iter(out.values()))}
    return out


def _rate(cols: Mapping[str, np.ndarray], key: str, pooled: bool, s: StatsSettings) -> Interval:
    if not pooled:
        return wilson(int(cols[key].sum()), len(cols[key]), s.confidence)
    return paired_bootstrap(
        {key: cols[key]}, lambda x: x[key] / x["n"], cols["cluster"], s.n_boot, s.confidence, s.seed
    )


def followup_row(name: str, kind: str, cols: Mapping[str, np.ndarray], s: StatsSettings) -> Row:
    """Statistics of one follow-up set for one student."""
    pooled = name == ALL
    boot = {k: v for k, v in cols.items() if k != "cluster"}
    row: Row = {
        "followup": name,
        "kind": kind,
        "n_pairs": len(cols["disagree"]),
        "n_examples": len(np.unique(cols["cluster"])),
    }
    for key, out in (
        ("disagree", "agreement_violation"),
        ("flip_t", "flip_rate_teacher"),
        ("flip_s", "flip_rate_student"),
        ("t_fu", "acc_teacher_followup"),
        ("s_fu", "acc_student_followup"),
    ):
        _put(row, out, _rate(cols, key, pooled, s))

    def boot_of(stat: Any) -> Interval:
        return paired_bootstrap(boot, stat, cols["cluster"], s.n_boot, s.confidence, s.seed)

    _put(row, "flip_rate_difference", boot_of(lambda x: (x["flip_s"] - x["flip_t"]) / x["n"]))
    _put(row, "robustness_drop_teacher", boot_of(lambda x: (x["t_src"] - x["t_fu"]) / x["n"]))
    _put(row, "robustness_drop_student", boot_of(lambda x: (x["s_src"] - x["s_fu"]) / x["n"]))
    _put(
        row,
        "robustness_drop_difference",
        boot_of(lambda x: ((x["s_src"] - x["s_fu"]) - (x["t_src"] - x["t_fu"])) / x["n"]),
    )
    _put(row, "robustness_drop_relative", boot_of(lambda x: relative_drop(x, s.drop_floor)))
    row["mcnemar_p"] = mcnemar_paired(cols["t_fu"].astype(bool), cols["s_fu"].astype(bool))
    return row


def _holm_by_kind(rows: list[Row], key: str = "mcnemar_p") -> None:
    """``<key>_holm``: Holm-adjusted within each ``kind`` family (the pooled ``all`` row is not in one)."""
    for kind in {r["kind"] for r in rows if r["kind"] != ALL}:
        family = [r for r in rows if r["kind"] == kind]
        for r, p in zip(family, holm([r[key] for r in family]), strict=True):
            r[f"{key}_holm"] = p
    for r in rows:
        r.setdefault(f"{key}_holm", r[key])


def student_rows(probe: ProbeSet, result: FidelityResult, s: StatsSettings) -> list[Row]:
    """One row per non-empty follow-up set (transforms, then transferred attacks) and ``all``."""
    columns = pair_columns(probe, result.student_probs)
    rows = [
        followup_row(name, probe.followups[name].kind if name != ALL else ALL, cols, s)
        for name, cols in columns.items()
    ]
    _holm_by_kind(rows)
    return rows


def originals_row(probe: ProbeSet, result: FidelityResult, s: StatsSettings) -> Row:
    """Accuracy of teacher and student on the unmodified probe, their disagreement, McNemar."""
    s_src, _ = probe.split_scores(result.student_probs)
    t_ok = (probe.teacher_probs.argmax(1) == probe.labels).numpy()
    s_ok = (s_src.argmax(1) == probe.labels).numpy()
    disagree = (probe.teacher_probs.argmax(1) != s_src.argmax(1)).numpy()
    n = len(t_ok)
    row: Row = {"n": n}
    _put(row, "acc_teacher", wilson(int(t_ok.sum()), n, s.confidence))
    _put(row, "acc_student", wilson(int(s_ok.sum()), n, s.confidence))
    _put(row, "agreement_violation", wilson(int(disagree.sum()), n, s.confidence))
    diff = paired_bootstrap(
        {"s": s_ok, "t": t_ok}, lambda x: (x["s"] - x["t"]) / x["n"], None, s.n_boot, s.confidence, s.seed
    )
    _put(row, "acc_difference", diff)
    row["mcnemar_p"] = mcnemar_paired(t_ok, s_ok)
    return row


def direct_attack_rows(
    model: str,
    records: Mapping[str, Sequence[AttackRecord]],
    teacher: Mapping[str, Sequence[AttackRecord]],
    s: StatsSettings,
) -> list[Row]:
    """Per attack run directly against ``model``: ASR, robust accuracy and drop (Wilson), and against the
    teacher's attack on the same originals: drop difference and relative drop (bootstrap), McNemar of
    robust correctness. For the teacher itself the comparison columns are left out."""
    rows: list[Row] = []
    for attack, recs in records.items():
        n = len(recs)
        attacked = [r for r in recs if r.result.status != "misclassified"]
        success = sum(r.result.success for r in recs)
        row: Row = {
            "model": model,
            "attack": attack,
            "n": n,
            "n_attacked": len(attacked),
            "n_success": success,
        }
        _put(row, "asr", wilson(success, len(attacked), s.confidence))
        _put(row, "robust_acc", wilson(sum(r.correct_after for r in recs), n, s.confidence))
        _put(row, "robustness_drop", wilson(success, n, s.confidence))
        row["avg_queries"] = float(np.mean([r.result.queries for r in attacked])) if attacked else 0.0
        ref = {r.index: r for r in teacher.get(attack, ())}
        paired = [(ref[r.index], r) for r in recs if r.index in ref]
        if teacher.get(attack) is not recs and paired:
            hits = {
                "t_src": np.array([t.correct_before for t, _ in paired], float),
                "t_fu": np.array([t.correct_after for t, _ in paired], float),
                "s_src": np.array([m.correct_before for _, m in paired], float),
                "s_fu": np.array([m.correct_after for _, m in paired], float),
            }

            def boot(stat: Any, cols: dict[str, np.ndarray] = hits) -> Interval:
                return paired_bootstrap(cols, stat, None, s.n_boot, s.confidence, s.seed)

            _put(
                row,
                "robustness_drop_difference",
                boot(lambda x: ((x["s_src"] - x["s_fu"]) - (x["t_src"] - x["t_fu"])) / x["n"]),
            )
            _put(row, "robustness_drop_relative", boot(lambda x: relative_drop(x, s.drop_floor)))
            row["mcnemar_p"] = mcnemar_paired(hits["t_fu"].astype(bool), hits["s_fu"].astype(bool))
        rows.append(row)
    if any("mcnemar_p" in r for r in rows):
        tested = [r for r in rows if "mcnemar_p" in r]
        for r, p in zip(tested, holm([r["mcnemar_p"] for r in tested]), strict=True):
            r["mcnemar_p_holm"] = p
    return rows


def no_difference(row: Mapping[str, Any], key: str) -> bool:
    """True when the interval of ``key`` contains its null value (:data:`NULLS`)."""
    null = NULLS.get(key, 0.0)
    return bool(row[f"{key}_lo"] <= null <= row[f"{key}_hi"])
