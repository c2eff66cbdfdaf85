"""Time of each site-rewriting transform vs the number of rewrite sites, with the fitted exponent.

    python bench/bench_transform_scaling.py                       # 1k .. 100k sites, every language
    python bench/bench_transform_scaling.py --sizes 1000 4000 --languages c

For each (language, transform) one generated function holds n copies of a statement with one
rewrite site (``x += 2;``, ``if (x > 0) { y = 1; } else { y = 2; }``, ...). ``apply_transform`` (parse,
rewrite, verifying re-parse) is timed in process CPU seconds; every run must rewrite all n sites.
The exponent is the least-squares slope of log(time) on log(n) over all sizes, and "last step" the
slope between the two largest sizes (where a quadratic term would show first). Issue #12 asks for
an exponent <= 1.2; the script exits 1 when any fitted exponent exceeds ``--max-exponent``.
Prints a Markdown table (bench/results/transform_scaling.md holds a committed run).
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from fidelity.transforms import IdentifierIndex, apply_transform  # noqa: E402

# transform -> one statement with one site (C family; Java declares its variables with types).
C_SITES = {
    "expand_compound_assignment": "x += 2;",
    "increment_rewrite": "x++;",
    "swap_relational_operands": "b = x < y;",
    "remove_braces": "if (x > 0) { y = 1; }",
    "swap_if_else": "if (x > 0) { y = 1; } else { y = 2; }",
    "ternary_to_if": "y = x > 0 ? 1 : 2;",
    "for_to_while": "for (i = 0; i < 3; i++) { y = y + i; }",
    # not among issue #12's seven, measured alongside:
    "while_to_for": "while (x < 0) { x = x + 1; }",
    "add_braces": "if (x > 0) y = 1;",
    "switch_to_if": "switch (x) { case 1: y = 1; break; default: y = 2; }",
}
PY_SITES = {
    "expand_compound_assignment": "x += 2",
    "swap_relational_operands": "b = x < y",
    "swap_if_else": "if x > 0:\n        y = 1\n    else:\n        y = 2",
    "ternary_to_if": "y = 1 if x > 0 else 2",
    "for_to_while": "for i in range(3):\n        y = y + i",
}


def c_family(language: str, stmt: str, n: int) -> str:
    decl = (
        "int x = 0, y = 0, i = 0; boolean b = false;"
        if language == "java"
        else "int x = 0, y = 0, i = 0, b = 0;"
    )
    body = "\n    ".join([decl, *([stmt] * n)])
    head = "static int f(int z)" if language == "java" else "int f(int z)"
    return f"{head} {{\n    {body}\n    return x + y + i + z;\n}}\n"


def python(stmt: str, n: int) -> str:
    body = "\n    ".join(["x = 0", "y = 0", "b = False", *([stmt] * n)])
    return f"def f(z):\n    {body}\n    return x + y + z\n"


def programs(languages: list[str]) -> dict[tuple[str, str], Callable[[int], str]]:
    out: dict[tuple[str, str], Callable[[int], str]] = {}
    for language in languages:
        table = PY_SITES if language == "python" else C_SITES
        for name, stmt in table.items():
            if language == "python":
                out[language, name] = lambda n, s=stmt: python(s, n)
            else:
                out[language, name] = lambda n, s=stmt, lang=language: c_family(lang, s, n)
    return out


def slope(xs: list[float], ys: list[float]) -> float:
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = sum(lx) / len(lx), sum(ly) / len(ly)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly, strict=True)) / sum((a - mx) ** 2 for a in lx)


REPEATED = "int f%d(int n) {\n    int total = 0;\n    for (int i = 0; i < n; i++) total += i;\n    return total;\n}\n"


def identifier_rows(sizes: list[int]) -> float:
    """Scope analysis of n C functions that all bind ``i`` and ``total`` (10,000 functions = 1 MB; the
    wall-clock bounds once asserted in tests/fidelity live here), then 2,000 renames on one index."""
    print("\n| identifier analysis |" + "".join(f" {n:,} functions (s) |" for n in sizes) + " exponent |")
    print("|---|" + "---:|" * (len(sizes) + 1))
    times = []
    for n in sizes:
        code = "".join(REPEATED % k for k in range(n))
        start = time.process_time()
        index = IdentifierIndex(code, "c")
        times.append(max(time.process_time() - start, 1e-6))
        if len(index.occurrences["i"]) != 4 * n:
            raise SystemExit(
                f"identifier analysis of {n} functions resolved {len(index.occurrences['i'])} uses of i"
            )
    fit = slope(sizes, times)
    print("| C, repeated bindings |" + "".join(f" {t:.2f} |" for t in times) + f" {fit:.2f} |")
    index = IdentifierIndex(REPEATED % 0, "c")
    start = time.process_time()
    for k in range(2000):
        index.rename({"total": f"acc{k}"})
    print(f"\n2,000 renames on one built index: {time.process_time() - start:.3f} s CPU")
    return fit


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 3000, 10_000, 30_000, 100_000])
    ap.add_argument("--languages", nargs="+", default=["java", "c", "cpp", "python"])
    ap.add_argument("--max-exponent", type=float, default=1.2)
    ap.add_argument("--identifier-sizes", type=int, nargs="+", default=[1000, 3000, 10_000])
    ap.add_argument("--skip-identifiers", action="store_true", help="only the transform table")
    ap.add_argument("--transforms", nargs="+", default=None, help="only these transforms")
    args = ap.parse_args()
    loadavg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}; "
        f"load average {loadavg} on {os.cpu_count()} CPUs; sizes {args.sizes}\n"
    )
    sizes = "".join(f" {n:,} sites (s) |" for n in args.sizes)
    print(f"| language | transform |{sizes} exponent | last step |")
    print("|---|---|" + "---:|" * (len(args.sizes) + 2))
    worst = 0.0
    for (language, name), make in programs(args.languages).items():
        if args.transforms and name not in args.transforms:
            continue
        times = []
        for n in args.sizes:
            code = make(n)
            start = time.process_time()
            result = apply_transform(code, language, name)
            times.append(max(time.process_time() - start, 1e-6))
            if not result.ok or result.sites != n:
                raise SystemExit(
                    f"{language} {name} at n={n}: {result.status} {result.sites} sites {result.reason}"
                )
        fit, last = slope(args.sizes, times), slope(args.sizes[-2:], times[-2:])
        worst = max(worst, fit)
        cells = "".join(f" {t:.2f} |" for t in times)
        print(f"| {language} | {name} |{cells} {fit:.2f} | {last:.2f} |", flush=True)
    if not args.skip_identifiers:
        worst = max(worst, identifier_rows(args.identifier_sizes))
    print(f"\nlargest fitted exponent: {worst:.2f} (limit {args.max_exponent})")
    sys.exit(1 if worst > args.max_exponent else 0)


if __name__ == "__main__":
    main()
