"""Where a model comes from: a local path (checked when the config is parsed) or a hub name (checked
once, fast, before anything downloads).

A ``source`` is *local-looking* when it is absolute, starts with ``~``, ``.`` or ``..``, has more than one
``/``, a backslash, or ends in ``.json``; hub names are ``name`` or ``org/name``. A missing local-looking path
is a one-line error (``no such model directory: …``), never a Hugging Face "Repo id must be…" error after
the trainer has started. A hub name with ``HF_HUB_OFFLINE`` set must be in the local Hugging Face cache;
without it, an unreachable hub fails after one connection attempt, naming ``HF_HUB_OFFLINE`` (instead of
five retries over ~16–40 s).
"""

from __future__ import annotations

import os
import re
import socket
from pathlib import Path
from urllib.parse import urlparse

HUB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9][A-Za-z0-9._-]*)?$")
MODEL_FILES = ("config.json", "metacompress.json", "model.bin", "tokenizer.json")
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json")
TRUTHY = {"1", "on", "yes", "true"}


class ModelSourceError(ValueError, OSError):
    """A model or tokenizer source that cannot be used; the message is one line naming it.

    An OSError too, like the errors of `transformers` loaders it replaces."""

    @staticmethod
    def find(exc: BaseException | None) -> ModelSourceError | None:
        """This error in ``exc``'s cause/context chain (config parsers wrap it), or None."""
        seen = 0
        while exc is not None and seen < 32:
            if isinstance(exc, ModelSourceError):
                return exc
            exc, seen = exc.__cause__ or exc.__context__, seen + 1
        return None


def is_local_looking(source: str) -> bool:
    return (
        Path(source).expanduser().exists()
        or source.startswith(("/", "~", "."))
        or "\\" in source
        or source.count("/") > 1
        or source.endswith(".json")
        or not HUB_NAME.match(source)
    )


def check_local_source(source: str, what: str = "model directory") -> None:
    """Raise :class:`ModelSourceError` for a local-looking ``source`` that is missing or holds no model."""
    if not is_local_looking(source):
        return
    path = Path(source).expanduser()
    if not path.exists():
        raise ModelSourceError(f"no such {what}: {source}")
    expected = MODEL_FILES if what == "model directory" else TOKENIZER_FILES
    if path.is_dir() and not any((path / f).is_file() for f in expected):
        raise ModelSourceError(f"{source} is not a {what}: it has none of {', '.join(expected)}")


def hub_offline() -> bool:
    return any(
        os.environ.get(k, "").strip().lower() in TRUTHY for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
    )


def _cached(name: str) -> bool:
    from huggingface_hub import try_to_load_from_cache

    return any(
        isinstance(try_to_load_from_cache(name, f), str) for f in ("config.json", "tokenizer_config.json")
    )


def _reachable(timeout: float) -> str | None:
    """None when the hub endpoint accepts a TCP connection, else the reason it does not."""
    endpoint = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    host, port = endpoint.hostname or "huggingface.co", endpoint.port or 443
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except OSError as exc:
        return f"{host}:{port}: {exc}"


def require_hub(name: str, timeout: float = 5.0) -> None:
    """Before loading hub model ``name``: fail once, fast, when it cannot be had (see module docstring)."""
    if Path(name).expanduser().exists():
        return
    if hub_offline():
        if not _cached(name):
            raise ModelSourceError(
                f"model {name!r} is not a local directory and not in the Hugging Face cache, and "
                "HF_HUB_OFFLINE=1 forbids downloading it: pass a model directory, or unset HF_HUB_OFFLINE"
            )
        return
    reason = _reachable(timeout)
    if reason is not None and not _cached(name):
        raise ModelSourceError(
            f"cannot reach the Hugging Face hub to download {name!r} ({reason}): pass a model directory, "
            "or set HF_HUB_OFFLINE=1 to use only the local Hugging Face cache"
        )
