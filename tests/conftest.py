"""Shared test fixtures: the location of ../shared and skip helpers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("METACOMPRESS_SHARED", ROOT.parent / "shared"))
BCB = SHARED / "data" / "bigclonebench"
DEVIGN = SHARED / "data" / "devign"
COMPRESSOR_3MB = SHARED / "models" / "compressor-3mb"

# JVM flags for tests that compare a program's stdout: -XX:-UsePerfData writes no /tmp/hsperfdata file
# (a PID reused across containers finds it locked and the JVM warns on stdout, seen in CI); the -Xlog
# pair sends any JVM warning to stderr so stdout is only the program's.
JVM_QUIET = ["-XX:-UsePerfData", "-Xlog:disable", "-Xlog:all=warning:stderr"]

needs_shared = pytest.mark.skipif(
    not (SHARED / "data").is_dir(), reason=f"../shared not found at {SHARED} (set METACOMPRESS_SHARED)"
)


@pytest.fixture(autouse=True)
def _offline_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    # The model hub is unreachable here and in CI: fail fast instead of retrying for minutes.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
