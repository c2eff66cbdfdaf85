"""Count work instead of timing it: Python lines executed inside the ``fidelity`` package.

A loaded CI machine changes seconds, not line counts, so growth checks (4x the input must cost at
most ~4x the lines) can live in unit tests; wall-clock numbers belong in ``bench/``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import fidelity

PACKAGE = str(Path(fidelity.__file__).parent)
T = TypeVar("T")


def executed_lines(fn: Callable[[], T]) -> tuple[int, T]:
    """(Python lines executed inside the fidelity package while running ``fn``, its result)."""
    count = 0

    def local(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal count
        count += event == "line"
        return local

    def global_(frame: FrameType, event: str, arg: object) -> Any:
        return local if frame.f_code.co_filename.startswith(PACKAGE) else None

    previous = sys.gettrace()
    sys.settrace(global_)
    try:
        result = fn()
    finally:
        sys.settrace(previous)
    return count, result
