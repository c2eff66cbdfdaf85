"""Comparisons across students of one study: by compression kind, and between two named students.

- **By kind** (Awal et al., arXiv 2508.03949: distilled models lose the most robustness): every student is
  put in a kind by its method (``quantize*`` or an in-study quantization: quantized; ``prune*``: pruned; any
  distillation method: distilled; the teacher's own kind and ``external`` models: none, unless the study entry
  names a ``method``). Students that collapsed to one predicted label on the probe originals (the rarer label on
  at most 2 % of them) are left out and named: a constant predictor never flips and cannot be attacked, so it
  would make its kind look robust. Per kind, pooled over its students: agreement violation on the transform
  follow-ups and the attack success rate of the direct attacks (successes / examples the model had right).
  Between two kinds: the difference of the pooled rates with a bootstrap interval over **probe examples**
  (every student is scored on the same examples, so the resampling keeps them paired and clustered).
- **Between two students** (``comparisons`` in the study YAML, e.g. MORPH vs AVATAR: "MORPH flips less"):
  the paired difference of their own flip rates and of their agreement violation on the same transform
  follow-ups, and of their attack success on the same originals, each with a cluster bootstrap interval, plus
  McNemar's exact test on the paired flips.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from fidelity.stats import Interval, mcnemar_paired, paired_bootstrap
from fidelity.study_stats import Row, pair_columns
from kd.collapse import is_collapsed_rate  # the searches' rule (rarer label ≤ 2 %)

KINDS = ("distilled", "pruned", "quantized")
_NOT_A_KIND = {"", "teacher", "external", "finetune", "fine-tune"}


def compression_kind(method: str) -> str | None:
    """``distilled`` / ``pruned`` / ``quantized`` from a model's method label, or None when it names none."""
    m = method.strip().lower()
    if m.startswith("quantiz") or m.endswith(("+int8", "+fp16")):
        return "quantized"
    if m.startswith("prune"):
        return "pruned"
    return None if m in _NOT_A_KIND else "distilled"


@dataclass(frozen=True)
class StudentColumns:
    """What the comparisons need of one student: per transform-follow-up pair ``disagree`` (teacher and
    student labels differ on x′), ``flip`` (the student's label changed), ``cluster`` (probe example), in the
    probe's order; per directly attacked example (right before the attack) ``success`` and ``index``."""

    name: str
    kind: str | None
    positive_rate: float
    disagree: np.ndarray
    flip: np.ndarray
    cluster: np.ndarray
    success: Mapping[str, np.ndarray]
    index: Mapping[str, np.ndarray]

    @property
    def collapsed(self) -> bool:
        return is_collapsed_rate(self.positive_rate)


def positive_rate(outcome: Any, probe: Any) -> float:
    """Share of the probe originals a student (a ``StudentOutcome``) labels positive."""
    s_src, _ = probe.split_scores(outcome.result.student_probs)
    return float((s_src.argmax(1) == 1).float().mean()) if len(s_src) else 0.0


def transform_names(probe: Any) -> list[str]:
    """The probe's transform follow-up sets (not transferred attacks), in probe order."""
    return [n for n, f in probe.followups.items() if f.kind == "transform"]


def student_columns(outcome: Any, probe: Any, exclude: Sequence[str] = ()) -> StudentColumns:
    """Columns of a :class:`fidelity.study.StudentOutcome` on the study's probe; ``exclude``: transform
    follow-up sets left out (e.g. the transform a student was trained on)."""
    cols = pair_columns(probe, outcome.result.student_probs)
    transforms = [n for n in transform_names(probe) if n in cols and n not in exclude]

    def joined(key: str) -> np.ndarray:
        return np.concatenate([cols[n][key] for n in transforms]) if transforms else np.zeros(0)

    success, index = {}, {}
    for attack, recs in outcome.records.items():
        attacked = [r for r in recs if r.result.status != "misclassified"]
        success[attack] = np.array([float(r.result.success) for r in attacked])
        index[attack] = np.array([r.index for r in attacked], dtype=int)
    return StudentColumns(
        name=outcome.model.name,
        kind=compression_kind(outcome.model.method),
        positive_rate=positive_rate(outcome, probe),
        disagree=joined("disagree"),
        flip=joined("flip_s"),
        cluster=joined("cluster").astype(int),
        success=success,
        index=index,
    )


def _put(row: Row, key: str, interval: Interval) -> None:
    row[key], row[f"{key}_lo"], row[f"{key}_hi"] = interval.estimate, interval.low, interval.high


def _grouped(
    groups: Mapping[str, Sequence[tuple[np.ndarray, np.ndarray]]],
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Stack (values, clusters) of several groups into columns ``v_<g>`` / ``n_<g>`` (zero outside ``g``)."""
    parts = [(g, v, c) for g, items in groups.items() for v, c in items]
    size = sum(len(v) for _, v, _ in parts)
    columns = {f"{p}_{g}": np.zeros(size) for g in groups for p in ("v", "n")}
    clusters = np.zeros(size, dtype=int)
    at = 0
    for g, v, c in parts:
        columns[f"v_{g}"][at : at + len(v)] = v
        columns[f"n_{g}"][at : at + len(v)] = 1.0
        clusters[at : at + len(v)] = c
        at += len(v)
    return columns, clusters


def _rate(g: str) -> Any:
    return lambda s: s[f"v_{g}"] / s[f"n_{g}"]


def kind_rows(
    students: Sequence[StudentColumns], n_boot: int, confidence: float, seed: int
) -> tuple[list[Row], list[Row]]:
    """(per-kind pooled rates, per-pair-of-kinds differences); collapsed and kind-less students left out."""
    members = {k: [s for s in students if s.kind == k and not s.collapsed] for k in KINDS}
    members = {k: v for k, v in members.items() if v}
    attacks = sorted({a for s in students for a in s.success})
    measures: dict[str, dict[str, list[tuple[np.ndarray, np.ndarray]]]] = {
        "agreement_violation": {k: [(s.disagree, s.cluster) for s in v] for k, v in members.items()},
        "attack_success": {
            k: [(s.success[a], s.index[a]) for s in v for a in attacks if a in s.success]
            for k, v in members.items()
        },
    }
    per_kind: list[Row] = []
    for k, v in members.items():
        row: Row = {"kind": k, "students": ", ".join(s.name for s in v)}
        for measure, groups in measures.items():
            columns, clusters = _grouped({k: groups[k]})
            row[f"{measure}_n"] = int(columns[f"n_{k}"].sum())
            row[f"{measure}_k"] = int(columns[f"v_{k}"].sum())
            if row[f"{measure}_n"]:
                _put(row, measure, paired_bootstrap(columns, _rate(k), clusters, n_boot, confidence, seed))
        per_kind.append(row)
    pairs: list[Row] = []
    for a, b in itertools.combinations(members, 2):
        row = {"kinds": f"{a} − {b}", "a": a, "b": b}
        for measure, groups in measures.items():
            columns, clusters = _grouped({a: groups[a], b: groups[b]})
            if columns[f"n_{a}"].sum() and columns[f"n_{b}"].sum():
                stat = lambda s, a=a, b=b: s[f"v_{a}"] / s[f"n_{a}"] - s[f"v_{b}"] / s[f"n_{b}"]  # noqa: E731
                _put(row, measure, paired_bootstrap(columns, stat, clusters, n_boot, confidence, seed))
        pairs.append(row)
    return per_kind, pairs


def left_out(students: Sequence[StudentColumns]) -> list[str]:
    """Why a student is not in the by-kind pooling (collapsed, or no compression kind)."""
    out = []
    for s in students:
        if s.kind is None:
            out.append(f"{s.name}: no compression kind (set `method` in its study entry)")
        elif s.collapsed:
            out.append(
                f"{s.name}: collapsed ({s.positive_rate:.1%} of probe originals predicted positive), left out"
            )
    return out


def pair_row(
    a: StudentColumns,
    b: StudentColumns,
    n_boot: int,
    confidence: float,
    seed: int,
    without: Sequence[str] = (),
) -> Row:
    """``a`` − ``b`` on the same transform follow-ups (own flip rate, agreement violation) and the same
    directly attacked originals (success, over examples both had right), bootstrap over probe examples.
    ``without``: the transform sets the columns leave out (named in the row; the columns must be built so)."""
    if not np.array_equal(a.cluster, b.cluster):
        raise ValueError(f"students {a.name!r} and {b.name!r} were not scored on the same follow-ups")
    suffix = f" (without {', '.join(without)})" if without else ""
    row: Row = {
        "comparison": f"{a.name} − {b.name}{suffix}",
        "a": a.name,
        "b": b.name,
        "n_pairs": len(a.flip),
    }
    if without:
        row["without"] = ", ".join(without)
    for key, x, y in (("flip_rate", a.flip, b.flip), ("agreement_violation", a.disagree, b.disagree)):
        _put(row, key, paired_bootstrap({"a": x, "b": y}, lambda s: (s["a"] - s["b"]) / s["n"], a.cluster,
                                        n_boot, confidence, seed))  # fmt: skip
        row[f"{key}_a"], row[f"{key}_b"] = (
            float(x.mean()) if len(x) else 0.0,
            float(y.mean()) if len(y) else 0.0,
        )
    row["flip_mcnemar_p"] = mcnemar_paired(a.flip.astype(bool), b.flip.astype(bool))
    xs, ys, ids = [], [], []
    for attack in sorted(set(a.success) & set(b.success)):
        common = np.intersect1d(a.index[attack], b.index[attack])
        xs.append(a.success[attack][np.isin(a.index[attack], common)])
        ys.append(b.success[attack][np.isin(b.index[attack], common)])
        ids.append(common)
    if ids and sum(map(len, ids)):
        x, y, c = np.concatenate(xs), np.concatenate(ys), np.concatenate(ids)
        row["attacked_both"] = len(c)
        _put(row, "attack_success", paired_bootstrap({"a": x, "b": y}, lambda s: (s["a"] - s["b"]) / s["n"], c,
                                                     n_boot, confidence, seed))  # fmt: skip
    return row


MEASURES = ("flip_rate", "agreement_violation", "attack_success")


@dataclass(frozen=True)
class Comparisons:
    """Everything the comparison sections show, computed once per study (the bootstraps are the cost) and shared
    by the Markdown and HTML reports, ``comparisons.csv`` and the parent MLflow run's ``compare/*`` metrics."""

    per_kind: list[Row]
    kind_pairs: list[Row]
    notes: list[str]
    pairs: list[Row]

    def records(self) -> list[dict[str, Any]]:
        """One tidy record per (scope, name, measure): estimate, interval, counts and McNemar p where they exist."""
        out: list[dict[str, Any]] = []
        scoped = [("kind", r["kind"], r) for r in self.per_kind]
        scoped += [("kinds", f"{r['a']}_vs_{r['b']}", r) for r in self.kind_pairs]
        scoped += [
            ("pair", f"{r['a']}_vs_{r['b']}" + (f"_without_{r['without']}" if "without" in r else ""), r)
            for r in self.pairs
        ]
        for scope, name, row in scoped:
            for m in MEASURES:
                if m not in row:
                    continue
                rec: dict[str, Any] = {"scope": scope, "name": name, "measure": m, "estimate": row[m]}
                rec["ci_low"], rec["ci_high"] = row.get(f"{m}_lo"), row.get(f"{m}_hi")
                # n: pooled counts (kinds), else what the pair's difference is over — its attacked originals for
                # attack success, its transform follow-ups for flips and violation
                paired_n = row.get("attacked_both") if m == "attack_success" else row.get("n_pairs")
                rec["k"], rec["n"] = row.get(f"{m}_k"), row.get(f"{m}_n", paired_n)
                rec["mcnemar_p"] = row.get("flip_mcnemar_p") if m == "flip_rate" else None
                out.append(rec)
        return out

    def metrics(self) -> dict[str, float]:
        """``compare/<scope>/<name>/<measure>`` (+ ``_lo`` / ``_hi``, ``flip_mcnemar_p``) for MLflow; names are
        reduced to the characters MLflow accepts in a metric key."""
        out: dict[str, float] = {}
        for rec in self.records():
            key = f"compare/{rec['scope']}/{_metric_name(rec['name'])}/{rec['measure']}"
            out[key] = float(rec["estimate"])
            if rec["ci_low"] is not None:
                out[f"{key}_lo"], out[f"{key}_hi"] = float(rec["ci_low"]), float(rec["ci_high"])
            if rec["mcnemar_p"] is not None:
                out[f"{key.rsplit('/', 1)[0]}/flip_mcnemar_p"] = float(rec["mcnemar_p"])
        return out


def _metric_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.\-]", "_", name)


def split_comparison(entry: Sequence[str]) -> tuple[str, str, tuple[str, ...]]:
    """``[a, b, -transform, ...]`` → (a, b, transforms left out of the pair's follow-ups)."""
    a, b, *rest = entry
    return a, b, tuple(x[1:] for x in rest)


def check_left_out(comparisons: Sequence[Sequence[str]], transforms: Sequence[str]) -> None:
    """Every ``-<transform>`` of ``comparisons`` names one of the probe's transform follow-up sets."""
    for i, entry in enumerate(comparisons):
        unknown = [t for t in split_comparison(entry)[2] if t not in transforms]
        if unknown:
            raise ValueError(
                f"`comparisons[{i}]` leaves out {unknown}, not transform follow-ups of this probe; "
                f"they are: {', '.join(transforms)}"
            )


def compare_students(
    students: Sequence[StudentColumns],
    pairs: Sequence[tuple[StudentColumns, StudentColumns, Sequence[str]]],
    n_boot: int,
    confidence: float,
    seed: int,
) -> Comparisons:
    """By kind (pooled rates and differences between kinds, with the left-out students named) and the
    configured head-to-head ``pairs`` (columns of a and b, the transform sets they leave out)."""
    per_kind, kind_pairs = kind_rows(students, n_boot, confidence, seed)
    rows = [pair_row(a, b, n_boot, confidence, seed, without) for a, b, without in pairs]
    return Comparisons(per_kind, kind_pairs, left_out(students), rows)


def verdict(row: Row, key: str, smaller: str, larger: str) -> str:
    """Reading of a difference's interval: both ends below 0, above 0, or containing 0."""
    low, high = row.get(f"{key}_lo"), row.get(f"{key}_hi")
    if low is None or high is None:
        return "not measured"
    if high < 0:
        return smaller
    if low > 0:
        return larger
    return "not distinguishable at this sample size (interval contains 0)"
