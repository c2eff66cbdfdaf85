"""Intervals for the fidelity reports already in bench/results, from their published counts.

    python bench/study_intervals.py bench/results/fidelity_clone.md bench/results/fidelity_vulnerability.md

Reads each report's relation table (follow-up, n_pairs, agreement_violation, flip rates) and attack table
(attack, target, n_attacked, n_success) and prints Wilson 95 % intervals, the exact McNemar-free comparison
that the counts allow (attack success rates of teacher and student, each with its interval), and the sample
size a ±3-point interval needs at the observed rate (:func:`fidelity.stats.n_for_wilson_half_width`).
Counts are recovered as round(rate × n); per-example outcomes are not in the reports, so paired tests
(McNemar, bootstrap) need a re-run with ``python -m fidelity study``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fidelity.stats import n_for_wilson_half_width, wilson  # noqa: E402


def tables(text: str) -> list[list[dict[str, str]]]:
    """Every Markdown table in ``text`` as a list of {header: cell} rows."""
    out, rows, head = [], [], None
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if head is None:
                head = cells
            elif not set("".join(cells)) <= set("-: "):
                rows.append(dict(zip(head, cells, strict=False)))
        elif head is not None:
            out.append(rows)
            rows, head = [], None
    return out


def fmt(k: int, n: int) -> str:
    iv = wilson(k, n)
    return f"{iv.estimate:.3f} [{iv.low:.3f}, {iv.high:.3f}]"


def report(path: Path, target: float) -> list[str]:
    lines = [f"### {path}", ""]
    for rows in tables(path.read_text()):
        if rows and "agreement_violation" in rows[0] and "n_pairs" in rows[0]:
            lines += [
                "| followup | n_pairs | agreement violation | flip S | flip T | n for ±3 pts |",
                "|---|---|---|---|---|---|",
            ]
            for r in rows:
                n = int(r["n_pairs"])
                k = {
                    key: round(float(r[key]) * n)
                    for key in ("agreement_violation", "flip_rate_student", "flip_rate_teacher")
                }
                need = n_for_wilson_half_width(target, float(r["agreement_violation"]))
                note = (
                    " (pooled: pairs share originals, Wilson is too narrow)" if r["followup"] == "all" else ""
                )
                lines.append(
                    f"| {r['followup']}{note} | {n} | {fmt(k['agreement_violation'], n)} | "
                    f"{fmt(k['flip_rate_student'], n)} | {fmt(k['flip_rate_teacher'], n)} | {need} |"
                )
            lines.append("")
        if rows and "n_success" in rows[0] and "target" in rows[0]:
            lines += [
                "| attack | target | attacked | success | ASR | n for ±3 pts |",
                "|---|---|---|---|---|---|",
            ]
            for r in rows:
                n, k = int(r["n_attacked"]), int(r["n_success"])
                need = n_for_wilson_half_width(target, k / n if n else 0.5)
                lines.append(f"| {r['attack']} | {r['target']} | {n} | {k} | {fmt(k, n)} | {need} |")
            lines.append("")
    return lines


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("reports", nargs="+", type=Path)
    ap.add_argument("--half-width", type=float, default=0.03)
    args = ap.parse_args()
    for path in args.reports:
        print("\n".join(report(path, args.half_width)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
