"""Identifier rules shared by every language (validity, fresh names); the reserved words and library
names of each language are in its :class:`~fidelity.transforms.profile.LanguageProfile`."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable
from functools import cache

from fidelity.transforms.profile import profile

WORD = re.compile(rb"[A-Za-z_$][A-Za-z0-9_$]*")
_WORD_TEXT = re.compile(WORD.pattern.decode())


@cache
def is_identifier(name: object, language: str) -> bool:
    """A syntactically valid, non-reserved identifier in ``language`` (no library names either)."""
    rules = profile(language)
    if not isinstance(name, str) or name in rules.keywords or name in rules.library:
        return False
    if language in ("c", "cpp") and name.endswith("_t"):
        return False  # tree-sitter lexes many ``*_t`` names (size_t, uint8_t) as primitive types
    return bool(rules.identifier.match(name)) and not name.startswith("__")


@cache
def is_renamable(name: str, language: str) -> bool:
    """An existing name we may rename: any non-keyword identifier (contextual keywords included)."""
    rules = profile(language)
    return bool(rules.identifier.match(name)) and (
        name not in rules.keywords or name in rules.renamable_keywords
    )


def words_in(source: bytes) -> set[str]:
    """Every identifier-like word in the source, strings and comments included (a safe superset)."""
    return {w.decode() for w in set(WORD.findall(source))}


def words_in_text(code: str) -> set[str]:
    """:func:`words_in` of ``code.encode()``, without a decode per word (the classes are ASCII)."""
    return set(_WORD_TEXT.findall(code))


_POOL = [
    "value",
    "item",
    "data",
    "elem",
    "node",
    "entry",
    "temp",
    "result",
    "count",
    "index",
    "current",
    "other",
    "first",
    "second",
    "total",
    "state",
    "flag",
    "input",
    "output",
    "buffer",
    "target",
    "source",
    "handle",
    "record",
    "unit",
    "part",
    "piece",
    "token",
    "field",
    "info",
]


class FreshNames:
    """Seeded generator of names that collide with nothing in ``taken`` nor with each other."""

    def __init__(self, taken: Iterable[str], rng: random.Random, language: str) -> None:
        self.taken = set(taken)
        self.rng = rng
        self.language = language
        self._next: dict[str, int] = {}  # base -> first suffix not yet tried

    def claim(self, name: str) -> bool:
        """Take ``name`` if it is free and valid; the caller falls back to :meth:`fresh` otherwise."""
        if name in self.taken or not is_identifier(name, self.language):
            return False
        self.taken.add(name)
        return True

    def fresh(self, hint: str | None = None) -> str:
        """``hint`` (or a pooled word) if free, else the first free ``{base}0``, ``{base}1``, ...

        Names only ever become taken, so the search for a base resumes where the last one ended:
        n loops hinting the same name cost O(n), not O(n^2)."""
        base = hint or self.rng.choice(_POOL)
        if self.claim(base):
            return base
        start = self._next.get(base, 0)
        for k in range(start, start + 10_000):  # a base no suffix can make valid (``__x``) gives up
            if self.claim(f"{base}{k}"):
                self._next[base] = k + 1
                return f"{base}{k}"
        raise RuntimeError("no fresh name found")
