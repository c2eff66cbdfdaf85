"""The ``python -m fidelity`` transform commands: outputs and exit codes are a stable contract."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from fidelity.cli import main

CODE = "int f(int a) {\n    return a;\n}\n"


def test_list_transforms_prints_one_name_per_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list-transforms", "--language", "c"]) == 0
    names = capsys.readouterr().out.split()
    assert names == sorted(names) and "for_to_while" in names


def test_transform_file_to_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = tmp_path / "f.c"
    src.write_text(CODE)
    assert main(["transform", "--language", "c", "--transform", "rename_parameters", str(src)]) == 0
    assert capsys.readouterr().out == "int f(int token) {\n    return token;\n}\n"


def test_transform_stdin_preserve_and_exit_codes(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(code: str, *extra: str) -> int:
        monkeypatch.setattr(sys, "stdin", io.StringIO(code))
        return main(["transform", "--language", "c", *extra])

    assert run(CODE, "--transform", "rename_parameters", "--preserve", "a") == 3
    assert "not_applicable" in capsys.readouterr().err
    assert run(CODE, "--transform", "for_to_while") == 3
    assert run("", "--transform", "for_to_while") == 2
    assert "parse_error" in capsys.readouterr().err
    assert run(CODE, "--transform", "nope") == 1
    assert "expected one of" in capsys.readouterr().err


def test_batch_survives_bad_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = [
        json.dumps({"id": "a", "code": CODE}).encode(),
        b"{not json",
        json.dumps({"id": "c"}).encode(),
        json.dumps({"id": "d", "code": CODE, "preserve": ["a"]}).encode(),
        json.dumps({"id": "e", "code": ""}).encode(),
        b'{"id": "f", "code": "int f(int \xff) { return 0; }"}',  # not UTF-8
        json.dumps({"id": "g", "code": "hello world, this is prose."}).encode(),
    ]
    src.write_bytes(b"\n".join(lines) + b"\n")
    argv = ["transform", "--language", "c", "--transform", "rename_parameters", "--seed", "0"]
    assert main([*argv, "--jsonl", str(src), "--output", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    # bad lines are "error" records; code that is not C is a transform "parse_error"
    assert [r["status"] for r in records] == [
        "ok",
        "error",
        "error",
        "not_applicable",
        "parse_error",
        "error",
        "parse_error",
    ]
    assert records[0] == {
        "id": "a",
        "transform": "rename_parameters",
        "code": "int f(int token) {\n    return token;\n}\n",
        "status": "ok",
        "sites": 1,
    }
    assert "line 2" in records[1]["error"] and "line 3" in records[2]["error"]
    assert "line 6: not UTF-8" in records[5]["error"]
    assert "7 records (ok=1, not_applicable=1, parse_error=2, error=3)" in capsys.readouterr().err


def test_batch_summary_counts_match_the_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue #12 item 6: the summary once said error=7 while the records said parse_error."""
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    lines = ["not json", json.dumps({"code": 3}), json.dumps({"code": ""}), json.dumps({"code": CODE})]
    src.write_text("\n".join(lines * 3) + "\n")
    argv = ["transform", "--language", "c", "--transform", "for_to_while", "--jsonl", str(src)]
    assert main([*argv, "--output", str(out)]) == 0
    statuses = [json.loads(line)["status"] for line in out.read_text().splitlines()]
    summary = capsys.readouterr().err.strip().splitlines()[-1]
    counted = dict(part.split("=") for part in summary.split("(")[1].rstrip(")").split(", "))
    assert {k: int(v) for k, v in counted.items() if int(v)} == {s: statuses.count(s) for s in set(statuses)}
    assert summary.startswith(f"for_to_while: {len(statuses)} records")
    assert statuses.count("error") == 6 and statuses.count("parse_error") == 3


def test_module_entry_point_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "fidelity", "transform", "--language", "java", "--transform", "while_to_for"],
        input="void f(int n) { while (n > 0) n--; }",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "void f(int n) { for (; n > 0; ) n--; }"
