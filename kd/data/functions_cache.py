"""Parsed ``functions.jsonl`` files on disk, so a search's trials and repeated fits do not re-parse them.

Every fit reads the task's whole ``functions.jsonl`` (22,975 functions, 34 MB for BigCloneBench) to resolve the
ids its pair or id files name: a JSON decode and a record check per line. The checked records are stored once
under ``$METACOMPRESS_CACHE/functions/<key>.json`` as one JSON document, read back by a single ``json.loads``
(about a third of the per-line parse and checks; ``torch.load(weights_only=True)`` of the same records was
slower than parsing).

The key is a hash of

- the file's bytes (sha256 of its content, so a changed file — even one with its old size and mtime — is a
  different key, and the same file in another folder hits);
- the id and text keys the records were checked with;
- :data:`FORMAT`, the layout of the cache file.

Only a clean parse is stored: a file with records skipped under ``on_error="skip"`` (or that raises under
``"raise"``) is parsed every time, so its skip report and errors are exactly those of :func:`read_functions`.
Writes are atomic (a per-process temporary file renamed into place); a cache file that fails to load or does
not match its key is a miss, parsed again and replaced.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

from kd.data.cache import cache_dir
from kd.data.formats import OnError, SkipReport, read_functions, require_file

log = logging.getLogger(__name__)
FORMAT = "functions-v1"


def cache_root() -> Path:
    """``$METACOMPRESS_CACHE/functions`` (default ``~/.cache/metacompress/functions``), created if missing."""
    return cache_dir("functions")


def cache_key(path: Path, text_key: str = "func", id_key: str = "idx") -> str:
    """The file key for ``path`` parsed with these keys: its content, the keys, the format."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    blob = f"{FORMAT}|{digest.hexdigest()}|{id_key}|{text_key}"
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _unpack(blob: object, key: str) -> dict[str, dict] | None:
    """The records stored in ``blob``, or None when it is not this key's file."""
    if not isinstance(blob, dict) or blob.get("format") != FORMAT or blob.get("key") != key:
        return None
    ids, records = blob.get("ids"), blob.get("records")
    if not isinstance(ids, list) or not isinstance(records, list) or len(ids) != len(records):
        return None
    return dict(zip(ids, records, strict=True))


def read_functions_cached(
    path: Path,
    text_key: str = "func",
    id_key: str = "idx",
    on_error: OnError = "raise",
    skips: SkipReport | None = None,
    cache: Path | None = None,
) -> dict[str, dict]:
    """:func:`kd.data.formats.read_functions`, read from the on-disk cache when this file was parsed before."""
    require_file(path, "functions file")
    root = cache if cache is not None else cache_root()
    key = cache_key(path, text_key, id_key)
    target = root / f"{key}.json"
    if target.is_file():
        try:
            records = _unpack(json.loads(target.read_bytes()), key)
        except Exception as exc:  # a damaged file is a miss, parsed and replaced below
            log.warning("functions cache: %s unreadable (%s); re-parsing %s", target, exc, path)
            records = None
        if records is not None:
            log.info("functions cache: hit %s (%d functions of %s)", target.name, len(records), path)
            return records
    report = skips if skips is not None else SkipReport()
    before = report.total
    records = read_functions(path, text_key, id_key, on_error, report)
    if report.total != before:
        return records  # skips must be reported by every read: not cached
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    blob = {"format": FORMAT, "key": key, "ids": list(records), "records": list(records.values())}
    tmp.write_text(json.dumps(blob, ensure_ascii=False), encoding="utf-8", errors="surrogatepass")
    tmp.replace(target)  # atomic: a concurrent reader sees the old file or the whole new one
    log.info("functions cache: parsed %d functions of %s, cached at %s", len(records), path, target)
    return records
