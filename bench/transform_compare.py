"""Compare two dumps of :mod:`bench.transform_dump` (before/after a refactor): same keys, same hashes.

    python bench/transform_compare.py /work/cache-trans/before.jsonl /work/cache-trans/after.jsonl

Prints the counts (results compared, by status, per language) and every difference (up to 20 shown);
exits 1 when any result differs or a key is missing on either side. ``--subset`` compares only the
keys present in the second file (a sampled re-run against a full dump).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path


def load(path: Path) -> dict[str, dict[str, str]]:
    rows: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            try:
                row = json.loads(line)
                rows[row["key"]] = row
            except (json.JSONDecodeError, KeyError) as exc:
                raise SystemExit(f"{path}:{number}: not a dump row ({exc})") from exc
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--subset", action="store_true", help="compare only the keys of the second file")
    args = ap.parse_args()
    before, after = load(args.before), load(args.after)
    keys = set(after) if args.subset else set(before) | set(after)
    missing = sorted(k for k in keys if k not in before or k not in after)
    differ = sorted(k for k in keys if k in before and k in after and before[k]["sha"] != after[k]["sha"])
    statuses = Counter(after[k]["status"] for k in keys if k in after)
    languages = Counter(k.split("|")[1] for k in keys)
    sources = Counter(k.split("/")[0] for k in keys)
    print(f"compared {len(keys)} results; identical: {len(keys) - len(missing) - len(differ)}")
    print("by status:", dict(sorted(statuses.items())))
    print("by language:", dict(sorted(languages.items())))
    print("by source:", dict(sorted(sources.items())))
    print(f"differences: {len(differ)}; keys on one side only: {len(missing)}")
    for key in (differ + missing)[:20]:
        old, new = before.get(key, {}), after.get(key, {})
        print(
            f"  {key}: {old.get('status')} {old.get('reason', '')!r} -> {new.get('status')} {new.get('reason', '')!r}"
        )
    sys.exit(1 if differ or missing else 0)


if __name__ == "__main__":
    main()
