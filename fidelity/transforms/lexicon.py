"""Natural (MORPH-style) renames from the project lexicon: ``buf`` -> ``buffer``, ``idx`` -> ``index``."""

from __future__ import annotations

import json
import random
import re
from functools import cache, lru_cache
from pathlib import Path

_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_SEPARATORS = re.compile(r"[_$]")


@cache
def lexicon() -> dict[str, tuple[str, ...]]:
    """Sub-token -> equivalent spellings, loaded once from ``lexicon.json``."""
    raw = json.loads((Path(__file__).with_name("lexicon.json")).read_text(encoding="utf-8"))
    return {k: tuple(v) for k, v in raw.items() if not k.startswith("_")}


def split_identifier(name: str) -> tuple[list[str], str]:
    """Lower-case sub-tokens and the style (``snake`` or ``camel``) to join them back with."""
    if "_" in name.strip("_"):
        return [p.lower() for p in name.strip("_").split("_") if p], "snake"
    return [p.lower() for p in _PARTS.findall(name)], "camel"


def join_identifier(parts: list[str], style: str, original: str) -> str:
    if style == "snake":
        joined = "_".join(parts)
        return joined.upper() if original.isupper() else joined
    head, *rest = parts
    first = head.capitalize() if original[:1].isupper() else head
    return first + "".join(p[:1].upper() + p[1:] for p in rest)


@lru_cache(maxsize=8192)
def _known_parts(name: str) -> tuple[tuple[str, ...], str, tuple[int, ...]] | None:
    """Sub-tokens, style and the positions the lexicon knows (names recur across inputs: cached)."""
    parts, style = split_identifier(name)
    if not parts or "".join(parts) != _SEPARATORS.sub("", name).lower():
        return None
    table = lexicon()
    return tuple(parts), style, tuple(i for i, p in enumerate(parts) if p in table)


def natural_alternatives(name: str, rng: random.Random) -> list[str]:
    """Candidate natural names for ``name``, best first; empty when the lexicon knows no sub-token.

    One randomly chosen known sub-token is replaced (seeded), then the others as fallbacks.
    """
    known_parts = _known_parts(name)
    if known_parts is None:
        return []
    parts, style, known_at = known_parts
    table = lexicon()
    known = list(known_at)
    rng.shuffle(known)
    out: list[str] = []
    for i in known:
        options = list(table[parts[i]])
        rng.shuffle(options)
        for option in options:
            candidate = join_identifier([*parts[:i], *option.split("_"), *parts[i + 1 :]], style, name)
            if candidate != name and candidate not in out:
                out.append(candidate)
    return out
