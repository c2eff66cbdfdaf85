"""The transform contract: a registry of named, seeded, semantic-preserving rewrites.

A transform function receives a :class:`TransformContext` (the parsed input) and returns
``(new_code, sites)`` or ``None`` when it does not apply. :func:`apply_transform` wraps every
call so that odd input never raises and the output never gains ERROR/MISSING nodes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from tree_sitter import Tree

Status = Literal["ok", "not_applicable", "parse_error"]


@dataclass(frozen=True)
class Transformed:
    """Result of one transform on one input. ``code`` is None unless ``status == "ok"``."""

    transform: str
    language: str
    status: Status
    code: str | None
    sites: int = 0
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass(frozen=True)
class TransformContext:
    code: str
    source: bytes
    tree: Tree
    language: str
    rng: random.Random
    preserve: frozenset[str]


TransformFn = Callable[[TransformContext], "tuple[str, int] | None"]


@dataclass(frozen=True)
class Transform:
    """One line of a language's transform table: a stable name, the function, and facts about its
    output that let :func:`~fidelity.transforms.api.apply_transform` skip its verifying re-parse."""

    name: str
    fn: TransformFn
    # swaps identifier tokens for fresh non-keyword identifiers: the token stream keeps its shape, so
    # the parse cannot gain errors
    token_preserving: bool = False
    # changes only blanks at line starts/ends, where whitespace is insignificant (C family, not Python);
    # ``same_tokens`` proves it per output
    layout_only: bool = False


_REGISTRY: dict[str, dict[str, Transform]] = {}


def install(language: str, table: Iterable[Transform]) -> None:
    """Add a language's transform table to the registry (names must be unique per language)."""
    installed = _REGISTRY.setdefault(language, {})
    for transform in table:
        if transform.name in installed:
            raise ValueError(f"transform {transform.name!r} registered twice for {language}")
        installed[transform.name] = transform


def register(
    name: str, *languages: str, token_preserving: bool = False, layout_only: bool = False
) -> Callable[[TransformFn], TransformFn]:
    """Decorator adding ``fn`` as transform ``name`` for ``languages`` at run time (an extension hook;
    the built-in transforms are listed in each language's ``transforms.TRANSFORMS`` table)."""

    def deco(fn: TransformFn) -> TransformFn:
        for language in languages:
            install(language, [Transform(name, fn, token_preserving, layout_only)])
        return fn

    return deco


def transforms(language: str) -> dict[str, Transform]:
    """name -> :class:`Transform` registered for ``language`` (empty for an unknown language)."""
    return _REGISTRY.get(language, {})


def registry(language: str) -> dict[str, TransformFn]:
    """name -> transform function for ``language``."""
    return {name: t.fn for name, t in transforms(language).items()}


def preserve_set(preserve: Iterable[str] | None) -> frozenset[str]:
    return frozenset(preserve or ())
