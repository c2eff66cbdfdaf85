"""Where metacompress keeps its caches: ``$METACOMPRESS_CACHE`` (default ``~/.cache/metacompress``)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(kind: str) -> Path:
    """``<cache root>/<kind>`` (teacher outputs, tokens, functions, tokenizers, …), created if missing."""
    root = Path(os.environ.get("METACOMPRESS_CACHE", Path.home() / ".cache" / "metacompress"))
    path = root / kind
    path.mkdir(parents=True, exist_ok=True)
    return path
