"""Readers for the dataset formats users already have (CodeXGLUE BigCloneBench, Devign).

Every reader validates as it goes and raises :class:`DataError` naming the file, the line and
the offending value, or — when asked with ``on_error="skip"`` — counts and logs the skips. Nothing is
changed silently: a line that is not valid UTF-8 is bad input ("invalid UTF-8"), never decoded with
replacement characters, and a function whose code is empty or blank is bad input too ("empty code").
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

log = logging.getLogger(__name__)

OnError = Literal["raise", "skip"]
_MAX_SHOWN = 5


class DataError(ValueError):
    """A dataset file is missing, malformed or inconsistent. The message names file and line."""


@dataclass
class SkipReport:
    """Counts of skipped records per reason, with the first few offenders for the log."""

    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, where: str) -> None:
        self.counts[reason] = self.counts.get(reason, 0) + 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < _MAX_SHOWN:
            shown.append(where)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        return "; ".join(f"{n} × {r} (first: {', '.join(self.examples[r])})" for r, n in self.counts.items())


def require_file(path: Path, what: str) -> Path:
    if not path.is_file():
        hint = " (a directory was given)" if path.is_dir() else ""
        raise DataError(f"{what} not found: {path}{hint}")
    return path


_T = TypeVar("_T")


@dataclass(frozen=True)
class _BadLine:
    """Why an input line was rejected: ``category`` is its SkipReport key, ``reason`` the message."""

    category: str
    reason: str


def _decoded_lines(path: Path) -> Iterator[tuple[int, str | _BadLine]]:
    """(line number, text) of every line, decoded strictly: an undecodable line is a :class:`_BadLine`."""
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                yield lineno, raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad = raw[exc.start : exc.start + 4]
                yield (
                    lineno,
                    _BadLine("invalid UTF-8", f"invalid UTF-8 at byte {exc.start} of the line ({bad!r})"),
                )


def read_jsonl(
    path: Path,
    required: Iterable[str],
    on_error: OnError = "raise",
    skips: SkipReport | None = None,
    text_key: str | None = None,
) -> list[dict]:
    """Read a jsonl file; every record must be an object with the ``required`` keys.

    With ``text_key``, that field must be a string holding some non-whitespace code."""
    require_file(path, "jsonl file")
    required = tuple(required)
    records: list[dict] = []
    for lineno, line in _decoded_lines(path):
        if isinstance(line, str) and not line.strip():
            continue
        where = f"{path}:{lineno}"
        checked = line if isinstance(line, _BadLine) else _check_record(line, required, text_key)
        if isinstance(checked, _BadLine):
            if on_error == "raise":
                raise DataError(f"{where}: {checked.reason}")
            (skips or SkipReport()).add(checked.category, where)
            continue
        records.append(checked)
    return records


def _check_record(line: str, required: tuple[str, ...], text_key: str | None = None) -> dict | _BadLine:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return _BadLine("malformed JSON", f"malformed JSON: {exc.msg} at column {exc.colno}")
    if not isinstance(obj, dict):
        got = type(obj).__name__
        return _BadLine("malformed record", f"malformed record: expected a JSON object, got {got}")
    missing = [k for k in required if k not in obj]
    if missing:
        return _BadLine("missing key", f"missing key: {', '.join(missing)}")
    if text_key is not None:
        code = obj.get(text_key)
        if not isinstance(code, str):
            return _BadLine("non-string code", f"{text_key!r} is {type(code).__name__}, not a string")
        if not code.strip():
            return _BadLine("empty code", f"{text_key!r} is empty" + (" (whitespace only)" if code else ""))
    return obj


def read_functions(
    path: Path,
    text_key: str = "func",
    id_key: str = "idx",
    on_error: OnError = "raise",
    skips: SkipReport | None = None,
) -> dict[str, dict]:
    """``functions.jsonl`` → {str(idx): record}. Duplicate ids are an error (first offender named)."""
    out: dict[str, dict] = {}
    for rec in read_jsonl(path, (id_key, text_key), on_error, skips, text_key=text_key):
        key = str(rec[id_key])
        if key in out:
            _fail_or_skip(on_error, skips, "duplicate idx", f"{path} idx {key}")
            continue
        out[key] = rec
    return out


def _fail_or_skip(on_error: OnError, skips: SkipReport | None, reason: str, where: str) -> None:
    if on_error == "raise":
        raise DataError(f"{where}: {reason}")
    (skips if skips is not None else SkipReport()).add(reason, where)


Pair = tuple[str, str, int]


def _read_lines(
    path: Path, parse: Callable[[str], _T | _BadLine], on_error: OnError, skips: SkipReport | None
) -> list[_T]:
    """Parse every non-blank line; bad ones are all collected so one error names the first few at once."""
    good: list[_T] = []
    bad: list[str] = []
    local = skips if skips is not None else SkipReport()
    for lineno, line in _decoded_lines(path):
        if isinstance(line, str) and not line.strip():
            continue
        parsed = line if isinstance(line, _BadLine) else parse(line)
        if isinstance(parsed, _BadLine):
            where = f"{path}:{lineno}"
            bad.append(f"{where}: {parsed.reason}")
            local.add(parsed.category, where)
            continue
        good.append(parsed)
    if bad and on_error == "raise":
        raise DataError(f"{len(bad)} bad line(s) in {path}; first: " + " | ".join(bad[:_MAX_SHOWN]))
    return good


def read_pairs(
    path: Path, known: set[str] | dict, on_error: OnError = "raise", skips: SkipReport | None = None
) -> list[Pair]:
    """CodeXGLUE pair file: ``idx1<TAB>idx2<TAB>label`` (extra columns ignored)."""
    require_file(path, "pair file")

    def parse(line: str) -> Pair | _BadLine:
        cols = line.rstrip("\n").split("\t")
        if len(cols) < 3:
            return _BadLine("expected 3 columns", f"expected 3 tab-separated columns, got {len(cols)}")
        label = cols[2].strip()
        if label not in ("0", "1"):
            return _BadLine("label outside {0,1}", f"label {label!r} outside {{0,1}}")
        unknown = [c for c in cols[:2] if c.strip() not in known]
        if unknown:
            return _BadLine("unknown idx", f"unknown idx {', '.join(unknown)}")
        return cols[0].strip(), cols[1].strip(), int(cols[2])

    pairs = _read_lines(path, parse, on_error, skips)
    if not pairs:
        raise DataError(f"split {path} is empty (no valid pairs)")
    return pairs


def read_id_list(
    path: Path, known: set[str] | dict, on_error: OnError = "raise", skips: SkipReport | None = None
) -> list[str]:
    """One idx per line (Devign split files)."""
    require_file(path, "split file")

    def parse(line: str) -> str | _BadLine:
        key = line.strip()
        return key if key in known else _BadLine("unknown idx", f"unknown idx {key}")

    ids = _read_lines(path, parse, on_error, skips)
    if not ids:
        raise DataError(f"split {path} is empty (no valid ids)")
    return ids


def check_label(value: object, where: str) -> int:
    if value in (0, 1) and not isinstance(value, bool):
        return int(value)  # type: ignore[arg-type]
    if isinstance(value, str) and value.strip() in ("0", "1"):
        return int(value)
    raise DataError(f"{where}: label {value!r} outside {{0,1}}")
