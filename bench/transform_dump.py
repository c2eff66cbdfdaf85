"""Dump a sha256 of every transform's result on the real corpora, to prove a refactor changes nothing.

    python bench/transform_dump.py --out /work/cache-trans/before.jsonl            # this checkout
    python bench/transform_dump.py --root /tmp/trans-before --out before.jsonl    # another checkout
    python bench/transform_compare.py before.jsonl after.jsonl

Inputs: every BigCloneBench function (Java), every Devign function (as C and as C++, since Devign's C
parses as C++ too and the C++ transforms have no real corpus of their own) and every program of
tests/fidelity/corpus/<language>/. Each (input, language, transform, seed) gives one line
``{"key": ..., "sha": sha256 of [status, code, sites, reason], "status": ...}`` (plus the reason
when the status is not ok, to diagnose a difference). ``--every K`` keeps every K-th
real-corpus function (default 2: a full dump of both corpora with 3 seeds is ~1.4M results, over
an hour of CPU on a loaded 2-core machine; the test corpus is always complete, with seeds 0-5).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
SUFFIX = {"java": ".java", "c": ".c", "cpp": ".cpp", "python": ".py"}


def inputs(shared: Path, corpus: Path, every: int) -> Iterator[tuple[str, str, str]]:
    """(input id, language, code) for every input, test corpus first."""
    for language, suffix in SUFFIX.items():
        for path in sorted((corpus / language).glob("*" + suffix)):
            yield f"corpus/{language}/{path.name}", language, path.read_text(encoding="utf-8")
    sets = [("devign", ("c", "cpp")), ("bigclonebench", ("java",))]
    for name, languages in sets:
        with (shared / "data" / name / "functions.jsonl").open(encoding="utf-8") as handle:
            for i, line in enumerate(handle):
                if i % every:
                    continue
                record = json.loads(line)
                for language in languages:
                    yield f"{name}/{record['idx']}", language, record["func"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", type=Path, default=HERE, help="checkout whose fidelity package is dumped")
    ap.add_argument("--out", type=Path, required=True, help="output .jsonl (keep it outside the repo)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds for the real corpora")
    ap.add_argument(
        "--corpus-seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5], help="test corpus seeds"
    )
    ap.add_argument("--every", type=int, default=2, help="keep every K-th real-corpus function")
    ap.add_argument(
        "--shared", type=Path, default=Path(os.environ.get("METACOMPRESS_SHARED", HERE.parent / "shared"))
    )
    args = ap.parse_args()
    sys.path.insert(0, str(args.root.resolve()))
    import fidelity  # noqa: PLC0415
    from fidelity.transforms import apply_transform, list_transforms  # noqa: PLC0415

    print(f"dumping {fidelity.__file__}", file=sys.stderr)
    corpus = HERE / "tests" / "fidelity" / "corpus"
    start, count = time.process_time(), 0
    with args.out.open("w", encoding="utf-8") as out:
        for ident, language, code in inputs(args.shared, corpus, args.every):
            for name in list_transforms(language):
                for seed in args.corpus_seeds if ident.startswith("corpus/") else args.seeds:
                    r = apply_transform(code, language, name, seed=seed)
                    blob = json.dumps([r.status, r.code, r.sites, r.reason]).encode("utf-8", "surrogatepass")
                    key = f"{ident}|{language}|{name}|{seed}"
                    row = {"key": key, "sha": hashlib.sha256(blob).hexdigest(), "status": r.status}
                    if not r.ok:
                        row["reason"] = r.reason
                    out.write(json.dumps(row) + "\n")
                    count += 1
    print(f"{count} results in {time.process_time() - start:.0f} CPU s -> {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
