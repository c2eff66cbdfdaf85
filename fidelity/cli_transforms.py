"""``list-transforms`` and ``transform`` subcommands (a stable contract for other tools).

Exit codes of ``transform`` on one input: 0 variant on stdout, 3 not applicable, 2 not code in that
language. The ``--jsonl`` batch mode never stops on a bad line: each input line gives one record whose
``status`` is a transform status (``ok``, ``not_applicable``, ``parse_error``: the code is not code in
that language) or ``error`` (the line itself is bad: not UTF-8, not JSON, no string ``code``, bad
``preserve``; the record's ``error`` names the line). The summary on stderr counts the records'
statuses, so the two always agree.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from fidelity.parsing import LANGUAGES

EXIT_NOT_APPLICABLE = 3
EXIT_NOT_CODE = 2


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    listing = subparsers.add_parser("list-transforms", help="print the transform names for a language")
    listing.add_argument("--language", required=True, choices=LANGUAGES)
    listing.set_defaults(func=run_list)
    tr = subparsers.add_parser("transform", help="apply one semantic-preserving transform")
    tr.add_argument("--language", required=True, choices=LANGUAGES)
    tr.add_argument("--transform", required=True, help="a name from list-transforms")
    tr.add_argument("--seed", type=int, default=0)
    tr.add_argument("--preserve", nargs="*", default=[], metavar="NAME", help="identifiers never renamed")
    tr.add_argument("file", nargs="?", type=Path, help="input code (default: stdin)")
    tr.add_argument("--jsonl", type=Path, help='batch input: lines {"id", "code", "preserve"?}')
    tr.add_argument("--output", type=Path, help="batch output JSONL (default: stdout)")
    tr.set_defaults(func=run_transform)


def run_list(args: argparse.Namespace) -> int:
    from fidelity.transforms import list_transforms

    print("\n".join(list_transforms(args.language)))
    return 0


def _check_name(args: argparse.Namespace) -> str | None:
    from fidelity.transforms import list_transforms

    names = list_transforms(args.language)
    if args.transform not in names:
        return (
            f"unknown transform {args.transform!r} for {args.language}; expected one of: {', '.join(names)}"
        )
    return None


def run_transform(args: argparse.Namespace) -> int:
    from fidelity.transforms import apply_transform

    problem = _check_name(args)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 1
    if args.jsonl is not None:
        return run_batch(args)
    try:
        code = (
            args.file.read_text(encoding="utf-8", errors="surrogateescape") if args.file else sys.stdin.read()
        )
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    result = apply_transform(code, args.language, args.transform, args.seed, args.preserve)
    if result.status == "parse_error":
        print(f"parse_error: not {args.language} code ({result.reason})", file=sys.stderr)
        return EXIT_NOT_CODE
    if result.status == "not_applicable":
        print(f"not_applicable: {args.transform} ({result.reason})", file=sys.stderr)
        return EXIT_NOT_APPLICABLE
    sys.stdout.write(result.code or "")
    return 0


STATUSES = ("ok", "not_applicable", "parse_error", "error")


def _record(line_no: int, raw: bytes, args: argparse.Namespace) -> dict[str, Any]:
    from fidelity.transforms import apply_transform

    base: dict[str, Any] = {"id": None, "transform": args.transform, "code": None, "sites": 0}
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return {**base, "status": "error", "error": f"line {line_no}: not UTF-8 (byte {exc.start})"}
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        return {**base, "status": "error", "error": f"line {line_no}: malformed JSON ({exc.msg})"}
    if not isinstance(item, dict) or not isinstance(item.get("code"), str):
        ident = item.get("id") if isinstance(item, dict) else None
        return {
            **base,
            "id": ident,
            "status": "error",
            "error": f'line {line_no}: missing string "code"',
        }
    preserve = item.get("preserve") or []
    if not isinstance(preserve, list) or not all(isinstance(p, str) for p in preserve):
        return {
            **base,
            "id": item.get("id"),
            "status": "error",
            "error": f'line {line_no}: "preserve" must be a list of names',
        }
    result = apply_transform(item["code"], args.language, args.transform, args.seed, preserve)
    return {**base, "id": item.get("id"), "code": result.code, "status": result.status, "sites": result.sites}


def run_batch(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    try:
        lines = args.jsonl.read_bytes().splitlines()  # decoded per line: one bad line is one error record
    except OSError as exc:
        print(f"error: cannot read {args.jsonl}: {exc}", file=sys.stderr)
        return 1
    counts: Counter[str] = Counter()
    out: TextIO = args.output.open("w", encoding="utf-8") if args.output else sys.stdout
    try:
        bar = tqdm(lines, desc=args.transform, unit="fn", file=sys.stderr, disable=len(lines) < 200)
        for line_no, line in enumerate(bar, start=1):
            if not line.strip():
                continue
            record = _record(line_no, line, args)
            counts[record["status"]] += 1  # the summary counts exactly what the records say
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        if args.output:
            out.close()
    summary = ", ".join(f"{k}={counts[k]}" for k in STATUSES)
    print(f"{args.transform}: {sum(counts.values())} records ({summary})", file=sys.stderr)
    return 0
