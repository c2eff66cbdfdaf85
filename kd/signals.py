"""SIGINT/SIGTERM end a command cleanly, whatever it is doing: exit 130 / 143, never 0.

:func:`handled` installs handlers that raise :class:`Interrupted` (a ``KeyboardInterrupt`` carrying the signal
number) in the main thread. Lightning treats it as Ctrl-C at any point of a fit: callbacks' ``on_exception``
run (the best checkpoint so far is exported, checkpoints stay) and the loggers are finalised; the command
line then marks its MLflow run ``KILLED``, prints one line and exits ``128 + signal number`` — 130 for SIGINT,
143 for SIGTERM, as a shell reports a process killed by that signal. A second signal while shutting down is
noted and ignored, so cleanup finishes.

:func:`phase` names what the process is doing (for that line). It is also a test hook: with
``METACOMPRESS_PAUSE_AT=<phase>`` the process prints ``METACOMPRESS_PAUSED <phase>`` and sleeps there once, so a
test can send a signal at a known phase.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

PAUSE_ENV = "METACOMPRESS_PAUSE_AT"
PAUSE_MARKER = "METACOMPRESS_PAUSED"
SIGNALS = (signal.SIGINT, signal.SIGTERM)

_state: dict[str, Any] = {"received": None, "phase": "startup", "paused": set()}


class Interrupted(KeyboardInterrupt):
    """Raised in the main thread when SIGINT or SIGTERM arrives; ``exit_code`` is ``128 + signum``."""

    def __init__(self, signum: int) -> None:
        self.signum = int(signum)
        super().__init__(f"interrupted by {signal_name(self.signum)}")

    @property
    def exit_code(self) -> int:
        return exit_code(self.signum)


def signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def exit_code(signum: int) -> int:
    return 128 + int(signum)


def received() -> int | None:
    """The first signal received inside :func:`handled` (None when none was)."""
    value = _state["received"]
    return int(value) if value is not None else None


def current_phase() -> str:
    return str(_state["phase"])


def phase(name: str) -> None:
    """Mark the start of phase ``name``; pauses here once when ``METACOMPRESS_PAUSE_AT`` names it (tests)."""
    _state["phase"] = name
    if os.environ.get(PAUSE_ENV) == name and name not in _state["paused"]:
        _state["paused"].add(name)
        print(f"{PAUSE_MARKER} {name}", flush=True)
        time.sleep(float(os.environ.get("METACOMPRESS_PAUSE_SECONDS", "120")))


def _handler(signum: int, frame: FrameType | None) -> None:
    if _state["received"] is not None:  # already shutting down: let the cleanup finish
        print(
            f"{signal_name(signum)} received again while stopping; still stopping",
            file=sys.stderr,
            flush=True,
        )
        return
    _state["received"] = signum
    raise Interrupted(signum)


@contextmanager
def handled() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise :class:`Interrupted` (main thread only; elsewhere a no-op).

    The previous handlers come back on exit. Lightning's own SIGTERM handler, installed during a fit, calls
    the one it found (this one) after its own, so the exception is raised there too."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _state["received"] = None
    _state["phase"] = "startup"
    _state["paused"] = set()
    previous: dict[signal.Signals, Callable[..., Any] | int | None] = {}
    for sig in SIGNALS:
        previous[sig] = signal.getsignal(sig)
        signal.signal(sig, _handler)
    try:
        yield
    finally:
        for restored, old in previous.items():
            signal.signal(restored, old if old is not None else signal.SIG_DFL)


def interrupted_line(what: str, detail: str = "") -> str:
    """The one line printed when a command stops on a signal."""
    signum = received()
    name = signal_name(signum) if signum is not None else "signal"
    code = exit_code(signum) if signum is not None else 1
    extra = f"; {detail}" if detail else ""
    return f"{what} interrupted by {name} during {current_phase()}{extra} (exit {code})"
