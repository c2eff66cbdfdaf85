"""Every method's fit under DDP (2 CPU processes, gloo) on tiny demo data: does DDP duplicate anything?

    python bench/ddp_methods.py                                  # all methods
    python bench/ddp_methods.py --methods teacher,morph --out bench/results/ddp_methods.md

Each method runs ``train.py fit … --trainer.strategy ddp --trainer.devices 2 --trainer.accelerator cpu`` as a user
would (tests/kd/ddp_cases.py: a tiny random teacher, the generated demo BigCloneBench data, the FidelityCallback
on, a fresh cache per method) and is checked for what DDP must not duplicate: cache files written by one rank,
one MLflow run, each metric once per step, ``train/loss`` once per optimiser step, the probe built once, the
model exported once, a search run once. CI runs a subset (tests/kd/test_ddp_methods.py); this runs them all.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kd.data.demo import ensure_demo_data  # noqa: E402
from tests.kd.ddp_cases import CASES, make_teacher, run_case  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--methods", default="all", help=f"comma-separated, or all: {','.join(CASES)}")
    ap.add_argument("--out", type=Path, default=None, help="write the table (markdown) here")
    ap.add_argument("--keep", type=Path, default=None, help="keep each fit's directory (logs, MLflow) here")
    args = ap.parse_args()
    names = list(CASES) if args.methods == "all" else args.methods.split(",")
    unknown = [n for n in names if n not in CASES]
    if unknown:
        raise SystemExit(f"--methods: unknown {unknown}; known: {', '.join(CASES)}")
    load_before = os.getloadavg()
    rows = []
    failed = 0
    with tempfile.TemporaryDirectory(prefix="bench-ddp-methods-") as name:
        base = args.keep or Path(name)
        data_dir = ensure_demo_data(base / "demo") / "bigclonebench"
        teacher = make_teacher(base / "teacher")
        for n in names:
            case = CASES[n]
            print(f"{n}: DDP fit...", flush=True)
            got, seconds = run_case(case, base / n, data_dir, teacher)
            (base / f"{n}.log").write_text(got.log)
            problems = got.problems(case, case.steps)
            failed += bool(problems)
            written = ", ".join(f"{k} {len(v)}" for k, v in got.written.items() if v) or "none"
            rows.append(
                f"| {n} | {case.method} | 2 | {written} | {got.teacher_hits} | {got.runs} | "
                f"{'yes' if not got.duplicated else 'no'} | {got.probe_builds if case.fidelity else 'off'} | "
                f"{got.exports} | {got.searches if case.expect_search else '-'} | "
                f"{'pass' if not problems else 'FAIL'} | {seconds:.0f} |"
            )
            print(rows[-1], flush=True)
            for p in problems:
                print(f"  {n}: {p[:3000]}", flush=True)
    load_after = os.getloadavg()
    table = "\n".join(
        [
            "| method | class | ranks | cache files written (each once) | teacher cache hits | MLflow runs | "
            "metrics once per step | probe builds | exports | searches | result | wall s |",
            "|---|---|---:|---|---:|---:|---|---:|---:|---:|---|---:|",
            *rows,
        ]
    )
    header = (
        f"Command: `python bench/ddp_methods.py --methods {args.methods}`; {os.cpu_count()} CPUs; load average "
        f"{load_before[0]:.1f} before, {load_after[0]:.1f} after.\n"
    )
    print(header + "\n" + table)
    if args.out:
        args.out.write_text(header + "\n" + table + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
