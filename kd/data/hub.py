"""CodeXGLUE datasets from the Hugging Face hub, exported to the local formats the datamodules read.

Needs internet and the optional extra: ``pip install "metacompress[hub]"``. Then

    python -m kd.data.hub --task clone --out data/bigclonebench
    python train.py fit --config lightning_configs/bigclonebench/teacher.yaml --data.data_dir data/bigclonebench
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

HUB_DATASETS = {
    "clone": "google/code_x_glue_cc_clone_detection_big_clone_bench",
    "vulnerability": "google/code_x_glue_cc_defect_detection",
}
SPLIT_FILES = {"train": "train.txt", "validation": "valid.txt", "test": "test.txt"}
Loader = Callable[[str], Mapping[str, Iterable[Mapping[str, Any]]]]


def load_from_hub(name: str) -> Mapping[str, Iterable[Mapping[str, Any]]]:
    try:
        import datasets
    except ImportError as exc:
        raise ImportError("the hub source needs the optional extra: pip install 'metacompress[hub]'") from exc
    return datasets.load_dataset(name)  # type: ignore[no-any-return]


def export_clone(splits: Mapping[str, Iterable[Mapping[str, Any]]], out: Path) -> dict[str, int]:
    """Rows ``{id1, id2, func1, func2, label}`` → ``functions.jsonl`` + ``idx1\\tidx2\\tlabel`` files."""
    functions: dict[str, str] = {}
    counts: dict[str, int] = {}
    out.mkdir(parents=True, exist_ok=True)
    for split, fname in SPLIT_FILES.items():
        lines = []
        for row in splits.get(split, []):
            a, b = str(row["id1"]), str(row["id2"])
            functions.setdefault(a, row["func1"])
            functions.setdefault(b, row["func2"])
            lines.append(f"{a}\t{b}\t{int(bool(row['label']))}\n")
        (out / fname).write_text("".join(lines))
        counts[split] = len(lines)
    with (out / "functions.jsonl").open("w") as fh:
        for idx in sorted(functions, key=lambda k: (len(k), k)):
            fh.write(json.dumps({"idx": idx, "func": functions[idx]}) + "\n")
    return counts


def export_defect(splits: Mapping[str, Iterable[Mapping[str, Any]]], out: Path) -> dict[str, int]:
    """Rows ``{id, func, target, project, commit_id}`` → ``functions.jsonl`` + idx-list split files."""
    out.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with (out / "functions.jsonl").open("w") as fh:
        for split, fname in SPLIT_FILES.items():
            ids = []
            for row in splits.get(split, []):
                idx = f"{split}-{row['id']}"  # hub ids restart per split
                rec = {
                    "idx": idx,
                    "target": int(bool(row["target"])),
                    "func": row["func"],
                    "project": row.get("project", ""),
                    "commit_id": row.get("commit_id", ""),
                }
                fh.write(json.dumps(rec) + "\n")
                ids.append(idx)
            (out / fname).write_text("".join(f"{i}\n" for i in ids))
            counts[split] = len(ids)
    return counts


def export_hub_dataset(task: str, out: Path, loader: Loader = load_from_hub) -> dict[str, int]:
    if task not in HUB_DATASETS:
        raise ValueError(f"Unknown task {task!r}; expected one of {', '.join(HUB_DATASETS)}")
    splits = loader(HUB_DATASETS[task])
    return (export_clone if task == "clone" else export_defect)(splits, out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--task", choices=sorted(HUB_DATASETS), required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args(argv)
    counts = export_hub_dataset(args.task, args.out)
    print(f"wrote {args.out}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
