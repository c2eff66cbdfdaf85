"""Throughput of every transform vs a bare tree-sitter parse of the same inputs, in one run.

    python bench/bench_transforms.py --language java --limit 2000
    python bench/bench_transforms.py --language c            # all Devign functions

Prints a Markdown table: transform, applicable %, functions/s per core, and the cost ratio to
parsing the same inputs once (``apply_transform`` parses, transforms and re-parses its output).
Times are process CPU seconds (``time.process_time``), and each transform's ratio uses a bare-parse
pass timed right before it, so load from other processes on a shared machine does not skew them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

# --root CHECKOUT times another checkout's fidelity package (e.g. the code before a refactor); run the
# two alternately for a before/after comparison (bench/results/transform_layout.md)
_ROOT = sys.argv[sys.argv.index("--root") + 1] if "--root" in sys.argv[:-1] else None
sys.path.insert(
    0, _ROOT or str(Path(__file__).resolve().parents[1])
)  # run from a checkout without installing

from fidelity.parsing import get_parser  # noqa: E402
from fidelity.transforms import apply_transform, list_transforms  # noqa: E402

SHARED = Path(os.environ.get("METACOMPRESS_SHARED", Path(__file__).resolve().parents[2] / "shared"))
CORPORA = {"java": SHARED / "data/bigclonebench/functions.jsonl", "c": SHARED / "data/devign/functions.jsonl"}


def load(language: str, limit: int | None) -> list[str]:
    path = CORPORA.get(language)
    if path is None or not path.is_file():
        raise SystemExit(f"no corpus for {language!r} at {path}; set METACOMPRESS_SHARED")
    with path.open(encoding="utf-8") as handle:
        codes = [json.loads(line)["func"] for line in handle]
    return codes[:limit] if limit else codes


def time_parse(codes: list[str], language: str) -> float:
    """CPU seconds to parse every input once (encoding included, as the transforms do)."""
    parser = get_parser(language)
    start = time.process_time()
    for code in codes:
        parser.parse(code.encode("utf-8", errors="surrogatepass"))
    return time.process_time() - start


def time_transform(codes: list[str], language: str, name: str) -> tuple[float, int]:
    start = time.process_time()
    ok = sum(apply_transform(code, language, name).ok for code in codes)
    return time.process_time() - start, ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--language", choices=sorted(CORPORA), default="java")
    ap.add_argument("--limit", type=int, default=None, help="first N functions (default: all)")
    ap.add_argument("--transforms", nargs="*", default=None, help="subset of transform names")
    ap.add_argument("--root", default=None, help="checkout whose fidelity package is timed (default: this)")
    args = ap.parse_args()
    codes = load(args.language, args.limit)
    names = args.transforms or list_transforms(args.language)
    apply_transform(codes[0], args.language, names[0])  # warm caches (queries, parser)
    n = len(codes)
    parse_s = time_parse(codes, args.language)
    loadavg = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{n} {args.language} functions; {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}; load average {loadavg} on {os.cpu_count()} CPUs"
    )
    print(f"bare parse: {n / parse_s:,.0f} functions/s\n")
    print("| transform | applicable % | functions/s | ratio vs parse |")
    print("|---|---:|---:|---:|")
    rates, ratios = [], []
    for name in names:
        parse_s = time_parse(codes, args.language)
        seconds, ok = time_transform(codes, args.language, name)
        rates.append(n / seconds)
        ratios.append(seconds / parse_s)
        print(f"| {name} | {100 * ok / n:.1f} | {n / seconds:,.0f} | {seconds / parse_s:.1f}x |")
    print(f"| **mean** | | {sum(rates) / len(rates):,.0f} | {sum(ratios) / len(ratios):.1f}x |")
    print(f"\ntransform CPU s in all: {sum(n / r for r in rates):.2f} ({__import__('fidelity').__file__})")
    print(f"\nload average at the end: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
