"""The hub source, tested up to the point where the network is needed."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

from kd.data.datamodules import CloneDetectionDataModule, DefectDataModule
from kd.data.hub import HUB_DATASETS, export_hub_dataset, load_from_hub
from tests.conftest import ROOT

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


def test_real_loader_without_the_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "datasets", None)  # what `import datasets` sees when not installed
    with pytest.raises(ImportError, match=re.escape("pip install 'metacompress[hub]'")):
        load_from_hub(HUB_DATASETS["clone"])
    with pytest.raises(ValueError, match="Unknown task 'summarization'"):
        export_hub_dataset("summarization", Path("."), lambda name: {})


def test_real_loader_hands_the_hub_name_to_datasets(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []

    def load_dataset(name: str) -> dict:
        seen.append(name)
        return CLONE_ROWS

    fake = types.ModuleType("datasets")
    fake.load_dataset = load_dataset  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "datasets", fake)
    assert load_from_hub(HUB_DATASETS["clone"]) is CLONE_ROWS
    assert seen == ["google/code_x_glue_cc_clone_detection_big_clone_bench"]


@pytest.mark.skipif(importlib.util.find_spec("datasets") is None, reason="the [hub] extra is not installed")
def test_real_loader_offline_fails_with_a_connection_error_naming_the_dataset(tmp_path: Path) -> None:
    # A fresh process: the hub libraries read HF_HUB_OFFLINE when first imported, which in this process
    # may have happened before the test set it.
    name = HUB_DATASETS["clone"]
    code = f"from kd.data.hub import load_from_hub\nload_from_hub({name!r})"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("ConnectionError: ") and name in last, done.stderr[-2000:]
