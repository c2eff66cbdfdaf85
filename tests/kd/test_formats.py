"""Bad input: every reader names the file, the line and the offending value."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kd.data.datamodules import CloneDetectionDataModule, DefectDataModule
from kd.data.formats import DataError, SkipReport, read_functions, read_id_list, read_pairs


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    return path


def _clone_dir(tmp_path: Path, pairs: list[str]) -> Path:
    funcs = [json.dumps({"idx": str(i), "func": f"int f{i}() {{ return {i}; }}"}) for i in range(4)]
    _write(tmp_path / "functions.jsonl", funcs)
    for name in ("train.txt", "unlabeled_train.txt", "valid.txt", "test.txt"):
        _write(tmp_path / name, pairs)
    return tmp_path


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"functions\.jsonl"):
        read_functions(tmp_path / "functions.jsonl")
    dm = CloneDetectionDataModule(str(tmp_path / "nowhere"))
    with pytest.raises(DataError, match="nowhere"):
        dm.split("train")


def test_malformed_jsonl_line_names_file_and_line(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "f.jsonl", ['{"idx": "1", "func": "x"}', '{"idx": "2", "func": ', '{"idx": "3"}']
    )
    with pytest.raises(DataError, match=r"f\.jsonl:2: malformed JSON"):
        read_functions(path)
    skips = SkipReport()
    got = read_functions(path, on_error="skip", skips=skips)
    assert list(got) == ["1"]
    assert skips.total == 2 and "f.jsonl:2" in skips.summary() and "f.jsonl:3" in skips.summary()
    assert skips.counts == {"malformed JSON": 1, "missing key": 1}


def test_pair_errors_name_first_offenders(tmp_path: Path) -> None:
    known = {"1", "2"}
    path = _write(tmp_path / "p.txt", ["1\t2\t1", "1\t9\t0", "2\t1\t7", "1\t2"])
    with pytest.raises(DataError) as err:
        read_pairs(path, known)
    msg = str(err.value)
    assert "3 bad line(s)" in msg and "p.txt:2: unknown idx 9" in msg and "p.txt:3: label '7'" in msg
    assert "p.txt:4: expected 3 tab-separated columns" in msg
    skips = SkipReport()
    assert read_pairs(path, known, on_error="skip", skips=skips) == [("1", "2", 1)]
    assert skips.total == 3


def test_skip_categories_are_fixed_names_not_the_offending_values(tmp_path: Path) -> None:
    lines = ["1\t2\t1", "1\t2\t7", "2\t1\tx", "1\t9\t0", "1\t2", "", "2\t2\t0"]
    skips = SkipReport()
    pairs = read_pairs(_write(tmp_path / "p.txt", lines), {"1", "2"}, on_error="skip", skips=skips)
    assert pairs == [("1", "2", 1), ("2", "2", 0)]
    assert skips.counts == {"label outside {0,1}": 2, "unknown idx": 1, "expected 3 columns": 1}
    assert skips.examples["label outside {0,1}"] == [f"{tmp_path / 'p.txt'}:2", f"{tmp_path / 'p.txt'}:3"]


def test_id_list_skips_or_names_unknown_ids(tmp_path: Path) -> None:
    path = _write(tmp_path / "ids.txt", ["1", "42", "", "2", "43"])
    skips = SkipReport()
    assert read_id_list(path, {"1", "2"}, on_error="skip", skips=skips) == ["1", "2"]
    assert skips.counts == {"unknown idx": 2}
    assert skips.examples["unknown idx"] == [f"{path}:2", f"{path}:5"]
    with pytest.raises(
        DataError, match=r"2 bad line\(s\) in .*ids\.txt; first: .*ids\.txt:2: unknown idx 42"
    ):
        read_id_list(path, {"1", "2"})
    with pytest.raises(DataError, match="empty"):
        read_id_list(path, set(), on_error="skip")


def test_empty_split_is_an_error(tmp_path: Path) -> None:
    dm = CloneDetectionDataModule(str(_clone_dir(tmp_path, [""])))
    with pytest.raises(DataError, match="empty"):
        dm.split("train")


def test_skip_mode_counts_and_keeps_good_pairs(tmp_path: Path) -> None:
    dm = CloneDetectionDataModule(
        str(_clone_dir(tmp_path, ["0\t1\t1", "0\t77\t1", "2\t3\t0"])), on_error="skip"
    )
    assert len(dm.split("train")) == 2
    assert dm.skips.total == 1


def test_devign_formats_id_lists_and_jsonl_splits(tmp_path: Path) -> None:
    recs = [{"idx": i, "target": i % 2, "func": f"int f{i}(void) {{ return {i}; }}"} for i in range(6)]
    _write(tmp_path / "functions.jsonl", [json.dumps(r) for r in recs])
    for name, ids in (("train.txt", [0, 1, 2, 3]), ("valid.txt", [4]), ("test.txt", [5])):
        _write(tmp_path / name, [str(i) for i in ids])
    dm = DefectDataModule(str(tmp_path))
    assert dm.split("train").labels().tolist() == [0, 1, 0, 1]
    jdir = tmp_path / "jsonl"
    jdir.mkdir()
    for name in ("train", "valid", "test"):
        _write(jdir / f"{name}.jsonl", [json.dumps(r) for r in recs[:3]])
    assert len(DefectDataModule(str(jdir)).split("test")) == 3
    _write(jdir / "test.jsonl", [json.dumps({"func": "int x;", "target": 5})])
    with pytest.raises(DataError, match=r"test\.jsonl record 1: label 5"):
        DefectDataModule(str(jdir)).split("test")


def test_devign_unknown_idx_named(tmp_path: Path) -> None:
    _write(tmp_path / "functions.jsonl", [json.dumps({"idx": 1, "target": 0, "func": "int a;"})])
    for name in ("train.txt", "valid.txt", "test.txt"):
        _write(tmp_path / name, ["1", "42"])
    with pytest.raises(DataError, match=r"train\.txt:2: unknown idx 42"):
        DefectDataModule(str(tmp_path)).split("train")
