"""A stand-in trial process that never finishes in time: ``python -m tests.kd.sleepy_trial DIR/trial.json``."""

from __future__ import annotations

import time

if __name__ == "__main__":
    time.sleep(60)
