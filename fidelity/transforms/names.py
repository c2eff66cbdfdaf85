"""Identifier rules shared by every language: validity, keywords, library names, fresh names."""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Iterable
from functools import cache

_JAVA_KEYWORDS = """abstract assert boolean break byte case catch char class const continue default do double
else enum extends final finally float for goto if implements import instanceof int interface long native new
package private protected public return short static strictfp super switch synchronized this throw throws
transient try void volatile while true false null var yield record sealed permits non-sealed _"""
_C_KEYWORDS = """auto break case char const continue default do double else enum extern float for goto if inline
int long register restrict return short signed sizeof static struct switch typedef union unsigned void volatile
while _Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn _Static_assert _Thread_local
asm typeof __attribute__ __inline __inline__ __restrict __asm__ bool true false NULL"""
_CPP_EXTRA = """alignas alignof and and_eq bitand bitor catch char8_t char16_t char32_t class co_await co_return
co_yield compl concept const_cast consteval constexpr constinit decltype delete dynamic_cast explicit export
friend mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public
reinterpret_cast requires static_assert static_cast template this thread_local throw try typeid typename
using virtual wchar_t xor xor_eq override final"""
_PY_KEYWORDS = """False None True and as assert async await break class continue def del elif else except finally
for from global if import in is lambda nonlocal not or pass raise return try while with yield match case type _"""

# Library names a renamed variable must never take: they are "visible" even when the snippet never
# mentions them, because the snippet may be pasted into a file that does.
_JAVA_LIBRARY = """String Object System Math Integer Long Double Float Short Byte Character Boolean Number
List ArrayList Map HashMap Set HashSet Arrays Collections Exception RuntimeException Error Throwable Thread
StringBuilder StringBuffer Iterator Iterable Class Override Deprecated File IOException length out err in"""
_C_LIBRARY = """printf fprintf sprintf snprintf scanf malloc calloc realloc free memcpy memset memmove memcmp
strlen strcpy strncpy strcmp strncmp strcat strdup exit abort assert size_t ssize_t uint8_t uint16_t uint32_t
uint64_t int8_t int16_t int32_t int64_t uintptr_t intptr_t ptrdiff_t FILE stdin stdout stderr errno main
offsetof va_list va_start va_end abs labs fabs sqrt pow floor ceil"""
_PY_BUILTINS = """print len range list dict set tuple str int float bool object type super self cls isinstance
open map filter zip sum min max abs any all sorted reversed enumerate iter next id hash repr input format"""

KEYWORDS: dict[str, frozenset[str]] = {
    "java": frozenset(_JAVA_KEYWORDS.split()),
    "c": frozenset(_C_KEYWORDS.split()),
    "cpp": frozenset(_C_KEYWORDS.split()) | frozenset(_CPP_EXTRA.split()),
    "python": frozenset(_PY_KEYWORDS.split()),
}
LIBRARY: dict[str, frozenset[str]] = {
    "java": frozenset(_JAVA_LIBRARY.split()),
    "c": frozenset(_C_LIBRARY.split()),
    "cpp": frozenset(_C_LIBRARY.split())
    | frozenset(["std", "cout", "cin", "endl", "string", "vector", "map"]),
    "python": frozenset(_PY_BUILTINS.split()),
}
_IDENT = {
    "java": re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z"),
    "c": re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z"),
    "cpp": re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z"),
    "python": re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z"),
}
WORD = re.compile(rb"[A-Za-z_$][A-Za-z0-9_$]*")
_WORD_TEXT = re.compile(WORD.pattern.decode())


@cache
def is_identifier(name: object, language: str) -> bool:
    """A syntactically valid, non-reserved identifier in ``language`` (no library names either)."""
    if not isinstance(name, str) or name in KEYWORDS[language] or name in LIBRARY[language]:
        return False
    if language in ("c", "cpp") and name.endswith("_t"):
        return False  # tree-sitter lexes many ``*_t`` names (size_t, uint8_t) as primitive types
    return bool(_IDENT[language].match(name)) and not name.startswith("__")


_HARD = {"java": KEYWORDS["java"] - {"var", "yield", "record", "sealed", "permits", "non-sealed"}}


@cache
def is_renamable(name: str, language: str) -> bool:
    """An existing name we may rename: any non-keyword identifier (contextual keywords included)."""
    return bool(_IDENT[language].match(name)) and name not in _HARD.get(language, KEYWORDS[language])


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
        for k in itertools.count(self._next.get(base, 0)):
            if self.claim(f"{base}{k}"):
                self._next[base] = k + 1
                return f"{base}{k}"
        raise AssertionError("unreachable: itertools.count never ends")
