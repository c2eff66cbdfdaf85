"""The hub source, tested up to the point where the network is needed."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from kd.data.datamodules import CloneDetectionDataModule, DefectDataModule
from kd.data.hub import HUB_DATASETS, export_hub_dataset, load_from_hub

CLONE_ROWS = {
    "train": [
        {"id": 0, "id1": 10, "id2": 11, "func1": "void a() {}", "func2": "void b() {}", "label": True},
        {
            "id": 1,
            "id1": 10,
            "id2": 12,
            "func1": "void a() {}",
            "func2": "int c() { return 1; }",
            "label": False,
        },
    ],
    "validation": [
        {
            "id": 0,
            "id1": 11,
            "id2": 12,
            "func1": "void b() {}",
            "func2": "int c() { return 1; }",
            "label": False,
        }
    ],
    "test": [{"id": 0, "id1": 10, "id2": 11, "func1": "void a() {}", "func2": "void b() {}", "label": True}],
}
DEFECT_ROWS = {
    s: [
        {
            "id": i,
            "func": f"int f{i}(void) {{ return {i}; }}",
            "target": bool(i % 2),
            "project": "p",
            "commit_id": "c",
        }
        for i in range(3)
    ]
    for s in ("train", "validation", "test")
}


def test_clone_export_is_readable_by_the_datamodule(tmp_path: Path) -> None:
    seen: list[str] = []

    def fake(name: str):  # type: ignore[no-untyped-def]
        seen.append(name)
        return CLONE_ROWS

    counts = export_hub_dataset("clone", tmp_path, fake)
    assert seen == [HUB_DATASETS["clone"]] and counts == {"train": 2, "validation": 1, "test": 1}
    dm = CloneDetectionDataModule(str(tmp_path), distill_file=None)
    assert dm.split("train").items == [(("10", "11"), 1), (("10", "12"), 0)]
    assert dm.split("test").texts(0) == ("void a() {}", "void b() {}")


def test_defect_export_keeps_ids_distinct_across_splits(tmp_path: Path) -> None:
    export_hub_dataset("vulnerability", tmp_path, lambda name: DEFECT_ROWS)
    dm = DefectDataModule(str(tmp_path))
    assert dm.split("train").labels().tolist() == [0, 1, 0]
    assert set(dm.split("train").functions).isdisjoint(dm.split("test").functions)


def test_real_loader_stops_where_the_network_is_needed() -> None:
    if importlib.util.find_spec("datasets") is None:
        with pytest.raises(ImportError, match=r"metacompress\[hub\]"):
            load_from_hub(HUB_DATASETS["clone"])
    else:  # offline (HF_HUB_OFFLINE=1 in tests): the hub is not reachable
        with pytest.raises(Exception):  # noqa: B017 - datasets raises several connection error types
            load_from_hub(HUB_DATASETS["clone"])
    with pytest.raises(ValueError, match="Unknown task"):
        export_hub_dataset("summarization", Path("."), lambda name: {})
