"""The study's outputs: tables (Markdown and self-contained HTML with embedded figures), a tidy CSV
(one row per student × follow-up × relation), per-model adversarial examples (jsonl), and MLflow runs
(a parent run for the study, one nested run per student so the UI's compare view lines them up).

A cell reads ``estimate [low, high]``; ``no diff.`` marks an interval that contains "no difference"
(0 for a violation rate or a student − teacher difference).
"""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from fidelity.evaluate import ALL
from fidelity.report import markdown_table
from fidelity.stats import Interval, n_for_half_width, n_for_wilson_half_width
from fidelity.study import StudyResult
from fidelity.study_compare import (
    Comparisons,
    StudentColumns,
    check_left_out,
    compare_students,
    is_collapsed_rate,
    positive_rate,
    split_comparison,
    student_columns,
    transform_names,
    verdict,
)
from fidelity.study_figures import forest_png, heatmap_png, scatter_png
from fidelity.study_stats import NULLS, Row

CELL_NULL = {**NULLS, "acc_difference": 0.0}


def cell(row: Row, key: str, digits: int = 3) -> str:
    if f"{key}_lo" not in row:
        return ""
    iv = Interval(row[key], row[f"{key}_lo"], row[f"{key}_hi"])
    return iv.format(digits, CELL_NULL.get(key))


def _p(value: float | None) -> str:
    return "" if value is None else (f"{value:.2g}" if value >= 1e-4 else "<1e-4")


def models_table(r: StudyResult) -> pd.DataFrame:
    rows = [
        {
            "model": r.teacher.name,
            "role": "teacher",
            "method": r.teacher.method,
            "size_mb": round(r.teacher.size_mb, 3),
            "params": r.teacher.params,
            "accuracy": cell(r.students[0].originals, "acc_teacher") if r.students else "",
        }
    ]
    for s in r.students:
        o = s.originals
        all_row = next((f for f in s.followups if f["followup"] == ALL), None)
        rows.append({
            "model": s.model.name, "role": "student", "method": s.model.method,
            "size_mb": round(s.model.size_mb, 3), "params": s.model.params,
            "accuracy": cell(o, "acc_student"),
            "acc − teacher": cell(o, "acc_difference"),
            "McNemar p": _p(o["mcnemar_p"]),
            "agreement violation (originals)": cell(o, "agreement_violation"),
            "agreement violation (all follow-ups)": cell(all_row, "agreement_violation") if all_row else "",
        })  # fmt: skip
    return pd.DataFrame(rows).fillna("")


def violation_table(r: StudyResult) -> pd.DataFrame:
    """Follow-ups × students: agreement violation with its interval."""
    names = [n for n in r.probe.followups if r.probe.followups[n].examples] + [ALL]
    frame = pd.DataFrame({"followup": names})
    frame["kind"] = [r.probe.followups[n].kind if n != ALL else ALL for n in names]
    sizes = {f["followup"]: f["n_pairs"] for f in r.students[0].followups} if r.students else {}
    frame["n_pairs"] = [sizes.get(n, 0) for n in names]
    for s in r.students:
        by = {f["followup"]: f for f in s.followups}
        frame[s.model.name] = [cell(by[n], "agreement_violation") if n in by else "" for n in names]
    return frame


def robustness_table(rows: Sequence[Row]) -> pd.DataFrame:
    return pd.DataFrame([{
        "followup": f["followup"], "n_pairs": f["n_pairs"],
        "flip T": f"{f['flip_rate_teacher']:.3f}", "flip S": f"{f['flip_rate_student']:.3f}",
        "flip S − T": cell(f, "flip_rate_difference"),
        "drop T": f"{f['robustness_drop_teacher']:.3f}", "drop S": f"{f['robustness_drop_student']:.3f}",
        "drop S − T": cell(f, "robustness_drop_difference"),
        "relative drop": cell(f, "robustness_drop_relative", 2),
        "McNemar p (T vs S right on x′)": _p(f["mcnemar_p"]), "Holm p": _p(f["mcnemar_p_holm"]),
    } for f in rows])  # fmt: skip


def attack_frame(r: StudyResult) -> pd.DataFrame:
    rows = [*r.teacher_attacks, *(a for s in r.students for a in s.attacks)]
    return pd.DataFrame([{
        "attack": a["attack"], "model": a["model"], "n": a["n"], "attacked": a["n_attacked"],
        "success": a["n_success"], "ASR": cell(a, "asr"), "robust acc": cell(a, "robust_acc"),
        "drop": cell(a, "robustness_drop"), "drop − teacher": cell(a, "robustness_drop_difference"),
        "relative drop": cell(a, "robustness_drop_relative", 2),
        "McNemar p, robust T vs S (Holm)": _p(a.get("mcnemar_p_holm")), "avg queries": round(a["avg_queries"], 1),
    } for a in sorted(rows, key=lambda a: a["attack"])])  # fmt: skip


def power_lines(r: StudyResult) -> list[str]:
    """Achieved interval half-widths and the sample sizes the target half-width needs."""
    target = r.config.statistics.target_half_width
    conf = r.config.statistics.confidence
    lines = [f"Target: ±{target * 100:.1f} points at {conf:.0%}: the smallest n whose Wilson interval at the "
             f"observed rate is that narrow ({n_for_half_width(target, 0.5, conf)} examples at the worst "
             f"case p = 0.5)."]  # fmt: skip
    for s in r.students:
        for f in s.followups:
            if f["followup"] == ALL or f["kind"] == "attack":
                half = (f["agreement_violation_hi"] - f["agreement_violation_lo"]) / 2
                need = n_for_wilson_half_width(target, f["agreement_violation"], conf)
                lines.append(
                    f"{s.model.name}, agreement violation on `{f['followup']}`: n = {f['n_examples']} probe examples "
                    f"({f['n_pairs']} pairs), "
                    f"±{half * 100:.1f} points; ±{target * 100:.1f} needs ≈ {need} at the observed rate."
                )
    for a in [*r.teacher_attacks, *(a for s in r.students for a in s.attacks)]:
        half = (a["asr_hi"] - a["asr_lo"]) / 2
        need = n_for_wilson_half_width(target, a["asr"], conf)
        lines.append(
            f"{a['model']}, {a['attack']} ASR: {a['n_attacked']} attacked, ±{half * 100:.1f} points; "
            f"±{target * 100:.1f} needs ≈ {need} attacked examples at the observed rate."
        )
    return lines


def _verdict(row: Row, key: str) -> str:
    low, high = row[f"{key}_lo"], row[f"{key}_hi"]
    if low > 0:
        return "yes: the student drops more"
    if high < 0:
        return "no: the student drops less"
    return "not distinguishable at this sample size (interval contains 0)"


def claim_lines(r: StudyResult) -> list[str]:
    """MetaCompress's claim per student and attack, from the drop difference's interval: directly attacked
    (same originals, budget, seed), and under the teacher's transferred adversarial examples."""
    lines = []
    for s in r.students:
        # a constant predictor cannot be fooled: its "smaller drop" is not robustness (fidelity.study_compare)
        collapsed = (
            " (collapsed to one label: a drop it cannot have is not robustness)"
            if is_collapsed_rate(positive_rate(s, r.probe))
            else ""
        )
        for a in s.attacks:
            if "robustness_drop_difference_lo" in a:
                lines.append(
                    f"{s.model.name}, {a['attack']} (direct): drop − teacher {cell(a, 'robustness_drop_difference')}"
                    f" → {_verdict(a, 'robustness_drop_difference')}{collapsed}"
                )
        for f in s.followups:
            if f["kind"] == "attack":
                lines.append(
                    f"{s.model.name}, {f['followup']} (transferred): drop − teacher "
                    f"{cell(f, 'robustness_drop_difference')} → {_verdict(f, 'robustness_drop_difference')}"
                    f"{collapsed}"
                )
    return lines


def study_comparisons(r: StudyResult) -> Comparisons:
    """The study's comparisons across students (:class:`fidelity.study_compare.Comparisons`), computed once."""
    st = r.config.statistics
    cols = {s.model.name: student_columns(s, r.probe) for s in r.students}
    outcome = {s.model.name: s for s in r.students}
    check_left_out(r.config.comparisons, transform_names(r.probe))

    def columns(name: str, without: tuple[str, ...]) -> StudentColumns:
        return student_columns(outcome[name], r.probe, without) if without else cols[name]

    pairs = [(columns(a, w), columns(b, w), w) for a, b, w in map(split_comparison, r.config.comparisons)]
    return compare_students(list(cols.values()), pairs, st.n_boot, st.confidence, st.seed)


def comparison_sections(
    r: StudyResult, comp: Comparisons | None = None
) -> list[tuple[str, pd.DataFrame | list[str]]]:
    """By compression kind (pooled, differences between kinds) and the configured student-vs-student pairs."""
    comp = comp or study_comparisons(r)
    out: list[tuple[str, pd.DataFrame | list[str]]] = []
    per_kind, pairs, notes = comp.per_kind, comp.kind_pairs, comp.notes
    if per_kind:
        table = pd.DataFrame(
            {
                "kind": row["kind"],
                "students": row["students"],
                "agreement violation (transforms)": f"{row['agreement_violation_k']}/{row['agreement_violation_n']} = "
                + cell(row, "agreement_violation"),
                "attack success (direct)": f"{row['attack_success_k']}/{row['attack_success_n']} = "
                + cell(row, "attack_success")
                if row["attack_success_n"]
                else "n/a",
            }
            for row in per_kind
        )
        out.append(
            ("By compression kind (pooled over each kind's students; bootstrap over probe examples)", table)
        )
    lines = [
        f"{p['kinds']}: agreement violation {cell(p, 'agreement_violation')} → "
        f"{verdict(p, 'agreement_violation', 'the first kind keeps more agreement', 'the first kind violates more')}; "
        f"attack success {cell(p, 'attack_success') if 'attack_success' in p else 'n/a'} → "
        f"{verdict(p, 'attack_success', 'the first kind is fooled less', 'the first kind is fooled more')}"
        for p in pairs
    ]
    if len(per_kind) < 2:
        lines.append(
            f"{len(per_kind)} compression kind(s) with a usable student: no difference between kinds to test"
        )
    out.append(("Do distilled models lose the most (Awal et al.)? Differences between kinds", lines + notes))
    rows = comp.pairs
    if rows:
        lines = []
        for row in rows:
            a = row["a"]
            lines.append(
                f"{row['comparison']}: own flip rate {row['flip_rate_a']:.3f} vs {row['flip_rate_b']:.3f} on the same "
                f"{row['n_pairs']} transform follow-ups, difference {cell(row, 'flip_rate')} (McNemar p "
                f"{_p(row['flip_mcnemar_p'])}) → {verdict(row, 'flip_rate', f'{a} flips less', f'{a} flips more')}; "
                f"agreement violation difference {cell(row, 'agreement_violation')} → "
                f"{verdict(row, 'agreement_violation', f'{a} agrees more', f'{a} agrees less')}"
                + (
                    f"; attack success difference on the {row['attacked_both']} originals both had right "
                    f"{cell(row, 'attack_success')} → "
                    f"{verdict(row, 'attack_success', f'{a} is fooled less', f'{a} is fooled more')}"
                    if "attack_success" in row
                    else ""
                )
            )
        out.append(("Student vs student (`comparisons`; paired on the same follow-ups and originals)", lines))
    return out


def _settings(r: StudyResult) -> list[tuple[str, str]]:
    c = r.config
    return [
        ("task / data / split", f"{c.task} / {c.data} / {c.split}"),
        ("teacher", f"{r.teacher.name} ({r.teacher.source}, {c.max_length if not c.teacher.max_length else c.teacher.max_length} tokens)"),
        ("probe", f"{len(r.probe.originals)} examples, seed {c.probe.seed}; transforms: {', '.join(c.probe.transforms or ['all'])}"),
        ("attacks", f"{', '.join(c.attacks.names)} on the first {min(c.attacks.n_attack, c.probe.n)} probe examples, "
                    f"{c.attacks.max_queries} queries, {c.attacks.candidates} candidates, pool of {c.attacks.pool_functions} functions"),
        ("statistics", f"{c.statistics.confidence:.0%} intervals: Wilson for rates, paired bootstrap over probe examples "
                       f"({c.statistics.n_boot} resamples, seed {c.statistics.seed}) for differences and relative drops; "
                       f"exact McNemar, Holm within each family (transforms, transferred attacks, direct attacks)"),
    ]  # fmt: skip


def sections(r: StudyResult, comp: Comparisons | None = None) -> list[tuple[str, pd.DataFrame | list[str]]]:
    out: list[tuple[str, pd.DataFrame | list[str]]] = [
        ("Models (accuracy on the probe originals)", models_table(r)),
        ("Agreement violation per follow-up (teacher vs student label on x′)", violation_table(r)),
    ]
    for s in r.students:
        out.append((f"Robustness of {s.model.name} vs the teacher (transforms and transferred attacks)",
                    robustness_table(s.followups)))  # fmt: skip
    if r.teacher_attacks:
        out.append(
            (
                "Direct attacks (same originals, candidate pool, budget and seed for every model)",
                attack_frame(r),
            )
        )
    claims = claim_lines(r)
    if claims:
        out.append(("Does the student drop more under attack than its teacher?", claims))
    out += comparison_sections(r, comp)
    out.append(("Sample size", power_lines(r)))
    return out


def markdown_report(r: StudyResult, comp: Comparisons | None = None) -> str:
    lines = [f"# Fidelity study: {r.config.name}", ""]
    lines += [f"- **{k}**: {v}" for k, v in _settings(r)]
    lines += ["- cells: `estimate [95 % interval]`; `no diff.` = the interval contains no difference (0)", ""]
    for title, body in sections(r, comp):
        lines += [f"## {title}", ""]
        lines += [f"- {x}" for x in body] if isinstance(body, list) else [markdown_table(body)]
        lines.append("")
    return "\n".join(lines)


def html_report(r: StudyResult, figures: dict[str, bytes], comp: Comparisons | None = None) -> str:
    """One self-contained page: the Markdown report's tables, then the figures as base64 PNGs."""
    esc = html.escape
    parts = [f"<h1>Fidelity study: {esc(r.config.name)}</h1><ul>"]
    parts += [f"<li><b>{esc(k)}</b>: {esc(v)}</li>" for k, v in _settings(r)]
    parts.append("</ul>")
    for title, body in sections(r, comp):
        parts.append(f"<h2>{esc(title)}</h2>")
        if isinstance(body, list):
            parts.append("<ul>" + "".join(f"<li>{esc(x)}</li>" for x in body) + "</ul>")
        else:
            parts.append(body.to_html(index=False, escape=True, border=1))
    for name, png in figures.items():
        data = base64.b64encode(png).decode()
        parts.append(f'<h2>{esc(name)}</h2><p><img alt="{esc(name)}" src="data:image/png;base64,{data}"></p>')
    style = "body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;font-size:13px}td,th{padding:3px 6px}"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Fidelity study: {esc(r.config.name)}</title>"
        f"<style>{style}</style></head><body>{''.join(parts)}</body></html>"
    )


def figures(r: StudyResult) -> dict[str, bytes]:
    out: dict[str, bytes] = {}
    if r.students:
        table = pd.DataFrame(
            {s.model.name: {f["followup"]: f["agreement_violation"] for f in s.followups} for s in r.students}
        )
        out["agreement violation heatmap"] = heatmap_png(table)
    direct = [a for a in [*r.teacher_attacks, *(a for s in r.students for a in s.attacks)]]
    if direct:
        frame = pd.DataFrame(sorted(direct, key=lambda a: (a["attack"], a["model"] != r.teacher.name)))
        out["robustness drop forest plot"] = forest_png(
            frame, "robustness_drop", "robustness drop under direct attack"
        )
    points = [{"model": r.teacher.name, "size_mb": r.teacher.size_mb, "agreement_violation": 0.0,
               "accuracy": r.students[0].originals["acc_teacher"] if r.students else float("nan")}]  # fmt: skip
    for s in r.students:
        overall = next((f["agreement_violation"] for f in s.followups if f["followup"] == ALL), 0.0)
        points.append({"model": s.model.name, "size_mb": s.model.size_mb, "agreement_violation": overall,
                       "accuracy": s.originals["acc_student"]})  # fmt: skip
    out["accuracy vs size vs violation"] = scatter_png(pd.DataFrame(points))
    return out


def tidy_frame(r: StudyResult) -> pd.DataFrame:
    """One row per student × follow-up × relation: value, interval (where computed), n, p-values."""
    rows: list[dict[str, Any]] = []
    for s in r.students:
        stats = {f["followup"]: f for f in s.followups}
        for followup, relations in s.result.table.items():
            st = stats.get(followup, {})
            kind = r.probe.followups[followup].kind if followup in r.probe.followups else ALL
            keys = list(dict.fromkeys([*relations, *(k for k in NULLS if k in st)]))
            for rel in keys:
                rows.append({
                    "student": s.model.name, "method": s.model.method, "followup": followup, "kind": kind,
                    "relation": rel, "value": st.get(rel, relations.get(rel)),
                    "ci_low": st.get(f"{rel}_lo"), "ci_high": st.get(f"{rel}_hi"),
                    "n_pairs": st.get("n_pairs", relations.get("n_pairs")),
                    "no_difference": (st[f"{rel}_lo"] <= 0.0 <= st[f"{rel}_hi"]) if f"{rel}_lo" in st else None,
                    "mcnemar_p": st.get("mcnemar_p"), "mcnemar_p_holm": st.get("mcnemar_p_holm"),
                })  # fmt: skip
    return pd.DataFrame(rows)


def write_study(r: StudyResult, directory: Path, comp: Comparisons | None = None) -> list[Path]:
    """report.md, report.html (self-contained), tidy.csv, comparisons.csv, attacks.csv, <model>.attacks.jsonl,
    figures. ``comp``: the study's comparisons when already computed (:func:`study_comparisons`)."""
    directory.mkdir(parents=True, exist_ok=True)
    comp = comp or study_comparisons(r)
    figs = figures(r)
    paths = [
        directory / "report.md",
        directory / "report.html",
        directory / "tidy.csv",
        directory / "comparisons.csv",
    ]
    paths[0].write_text(markdown_report(r, comp))
    paths[1].write_text(html_report(r, figs, comp))
    tidy_frame(r).to_csv(paths[2], index=False)
    columns = ["scope", "name", "measure", "estimate", "ci_low", "ci_high", "k", "n", "mcnemar_p"]
    pd.DataFrame(comp.records(), columns=columns).to_csv(paths[3], index=False)
    attacks = [*r.teacher_attacks, *(a for s in r.students for a in s.attacks)]
    if attacks:
        paths.append(directory / "attacks.csv")
        pd.DataFrame(attacks).to_csv(paths[-1], index=False)
    for name, recs in [(r.teacher.name, r.teacher_records), *((s.model.name, s.records) for s in r.students)]:
        if recs:
            paths.append(directory / f"{name}.attacks.jsonl")
            lines = [json.dumps({"attack_set": a, **x.to_json()}) for a, xs in recs.items() for x in xs]
            paths[-1].write_text("\n".join(lines) + "\n")
    for name, png in figs.items():
        paths.append(directory / f"{name.replace(' ', '_')}.png")
        paths[-1].write_bytes(png)
    (directory / "study.json").write_text(json.dumps(asdict(r.config), indent=2, default=str))
    paths.append(directory / "study.json")
    return paths
