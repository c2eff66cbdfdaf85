"""What one language is to the transforms: a :class:`LanguageProfile`, one frozen instance per language.

Everything the shared code needs to know about a language lives here, so that adding a language is
one new package (``<language>/profile.py``, ``scope.py``, ``transforms.py``) and no table elsewhere:
its reserved and library names (for fresh names), its identifier syntax, and, for the C family, the
node vocabulary and query fragments the shared rewrites in :mod:`fidelity.transforms.cfamily` use.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from fidelity.parsing import LANGUAGES


@dataclass(frozen=True)
class CFamily:
    """Node types and query fragments of a C-family grammar (Java, C, C++)."""

    block: str  # statement block node
    true: str  # the literal ``for (;;)`` becomes ``while (<true>)``
    false: str
    ternary: str  # conditional expression node
    for_init: str  # field of a for statement holding its initialiser
    switch: str  # switch node
    declaration: str  # local variable declaration node
    unary_operand: str  # field of ``!x`` holding ``x``
    comments: tuple[str, ...]  # comment node types
    loops: frozenset[str]  # loop node types (targets of ``break``/``continue``)
    int_type: str
    # if/while conditions: "parenthesized" (``(c)``) or "clause" (C++ ``condition_clause``, which may also
    # hold an init-statement or a declaration; only single-expression clauses are rewritten)
    condition: Literal["parenthesized", "clause"]
    brace_owners: str  # query: statements whose bodies add/remove_braces handle (@s)
    ternary_statements: str  # query: statements ternary_to_if rewrites (@n)
    switch_jumps: str  # query: jumps that make a switch group unsafe to turn into an if (@b)
    dead_code: tuple[str, ...]  # insert_dead_code templates, ``{v}`` a fresh name
    layout_query: str  # reformat: @b nests indentation, @p stays byte-identical, @c is a comment

    def comment_query(self) -> str:
        return " ".join(f"({c}) @c" for c in self.comments)


@dataclass(frozen=True)
class LanguageProfile:
    name: str  # the public language name (``fidelity.parsing.LANGUAGES``)
    keywords: frozenset[str]  # never a new name
    library: frozenset[str]  # library names a new name must not take (visible once pasted into a file)
    renamable_keywords: frozenset[str]  # contextual keywords an existing name may have (Java ``var``)
    identifier: re.Pattern[str]  # a whole valid identifier
    cfamily: CFamily | None = None  # None: the language has its own rewrites only (Python)


@cache
def profiles() -> dict[str, LanguageProfile]:
    """Every language's profile, from ``fidelity.transforms.<language>.profile`` (explicitly listed)."""
    found = {}
    for language in LANGUAGES:
        module = importlib.import_module(f"fidelity.transforms.{language}.profile")
        profile: LanguageProfile = module.PROFILE
        if profile.name != language:
            raise ValueError(f"{module.__name__}.PROFILE is named {profile.name!r}, expected {language!r}")
        found[language] = profile
    return found


def profile(language: str) -> LanguageProfile:
    table = profiles()
    if language not in table:
        raise ValueError(f"No language profile for {language!r}; have {', '.join(sorted(table))}")
    return table[language]


def cfamily(language: str) -> CFamily:
    """The C-family vocabulary of ``language``; ValueError for a language outside the family."""
    syntax = profile(language).cfamily
    if syntax is None:
        raise ValueError(f"{language!r} is not a C-family language: no shared C-family rewrites for it")
    return syntax
