"""Parsed functions.jsonl cache: reused, invalidated by the file's content, identical to parsing, skips kept."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kd.data import functions_cache
from kd.data.datamodules import CloneDetectionDataModule, DefectDataModule
from kd.data.formats import DataError, SkipReport, read_functions

pytestmark = pytest.mark.usefixtures("isolated_cache")

RECORDS = [
    {"idx": "7", "func": "int f() { return 1; }"},
    {"idx": 3, "func": 'void g() { s = "naïve ∑ \\u00e9"; }', "target": 1, "extra": [1, {"a": None}]},
    {"idx": "12", "func": "class A {\n\tint x; // tab and newline\n}", "target": 0, "score": 0.25},
]


def write_jsonl(path: Path, records: list[object], extra_lines: tuple[str, ...] = ()) -> Path:
    lines = [json.dumps(r, ensure_ascii=False) for r in records] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cache_files() -> list[Path]:
    return sorted(functions_cache.cache_root().glob("*.json"))


def test_cached_records_equal_the_parsed_ones_and_are_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_jsonl(tmp_path / "functions.jsonl", RECORDS)
    parsed = read_functions(path)
    first = functions_cache.read_functions_cached(path)  # parses and writes the cache
    assert len(cache_files()) == 1
    monkeypatch.setattr(functions_cache, "read_functions", lambda *a, **k: pytest.fail("parsed on a hit"))
    second = functions_cache.read_functions_cached(path)
    # same ids in the same order, same records (types included: the int idx stays an int in its record)
    assert list(first) == list(second) == list(parsed) == ["7", "3", "12"]
    assert first == second == parsed
    assert second["3"]["idx"] == 3 and second["3"]["extra"] == [1, {"a": None}]
    assert second["12"]["score"] == 0.25 and second["3"]["func"] == RECORDS[1]["func"]


def test_a_changed_file_is_a_miss_even_with_its_old_size_and_mtime(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "functions.jsonl", RECORDS)
    functions_cache.read_functions_cached(path)
    stat = path.stat()
    changed = path.read_text(encoding="utf-8").replace("return 1;", "return 2;")  # same length
    path.write_text(changed, encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert path.stat().st_size == stat.st_size and path.stat().st_mtime_ns == stat.st_mtime_ns
    got = functions_cache.read_functions_cached(path)
    assert got["7"]["func"] == "int f() { return 2; }" and got == read_functions(path)
    assert len(cache_files()) == 2  # one per content; the old file stays valid for the old content


def test_other_keys_are_other_entries(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "f.jsonl", [{"id": "a", "code": "x = 1", "func": "y"}])
    assert functions_cache.read_functions_cached(path, text_key="code", id_key="id") == {
        "a": {"id": "a", "code": "x = 1", "func": "y"}
    }
    with pytest.raises(DataError, match="missing key: idx"):  # the default keys are checked, not served stale
        functions_cache.read_functions_cached(path)


def test_skipped_records_are_reported_on_every_read_and_not_cached(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "functions.jsonl", RECORDS, extra_lines=("{not json",))
    for _ in range(2):
        skips = SkipReport()
        got = functions_cache.read_functions_cached(path, on_error="skip", skips=skips)
        assert list(got) == ["7", "3", "12"] and skips.counts == {"malformed JSON": 1}
    assert not cache_files()
    with pytest.raises(DataError, match="malformed JSON"):
        functions_cache.read_functions_cached(path)


def test_damaged_or_foreign_cache_file_is_reparsed_and_replaced(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "functions.jsonl", RECORDS)
    functions_cache.read_functions_cached(path)
    (entry,) = cache_files()
    entry.write_text("{truncated", encoding="utf-8")
    assert functions_cache.read_functions_cached(path) == read_functions(path)
    other = write_jsonl(tmp_path / "other.jsonl", RECORDS[:1])
    functions_cache.read_functions_cached(other)
    foreign = next(p for p in cache_files() if p != entry)
    entry.write_bytes(foreign.read_bytes())  # a valid file of another key under this key's name
    assert functions_cache.read_functions_cached(path) == read_functions(path)
    assert json.loads(entry.read_text(encoding="utf-8"))["key"] == entry.stem
    assert not list(functions_cache.cache_root().glob(".*.tmp"))


def test_datamodules_give_the_same_splits_from_the_cache(demo_root: Path) -> None:
    for cls, folder, name in (
        (CloneDetectionDataModule, "bigclonebench", "train"),
        (DefectDataModule, "devign", "test"),
    ):
        splits = []
        for cache in (False, True, True):  # parse; parse + write; read the cache
            dm = cls(str(demo_root / folder), max_train_examples=40, cache_tokens=cache)
            split = dm.split(name)  # type: ignore[attr-defined]
            splits.append((split.items, split.functions))
        assert splits[0] == splits[1] == splits[2]
    assert len(cache_files()) == 2
