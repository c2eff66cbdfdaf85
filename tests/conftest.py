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


@pytest.fixture
def isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A per-test METACOMPRESS_CACHE and no inherited MLFLOW_TRACKING_URI.

    Opt in per module with ``pytestmark = pytest.mark.usefixtures("isolated_cache")``."""
    monkeypatch.setenv("METACOMPRESS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The generated demo datasets (``bigclonebench/``, ``devign/``), once per test module."""
    from kd.data.demo import ensure_demo_data

    return ensure_demo_data(tmp_path_factory.mktemp("demo"))


@pytest.fixture
def teacher_dir(tmp_path: Path) -> Path:
    """A tiny random-init pair classifier (seed 0) saved as a model directory."""
    import torch

    from kd.models.io import save_model_dir
    from tests.kd.helpers import tiny_model

    torch.manual_seed(0)
    model, tok = tiny_model(n_inputs=2)
    return save_model_dir(model, tok, tmp_path / "teacher")
