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

_REGISTRY: dict[str, dict[str, TransformFn]] = {}


def register(name: str, *languages: str) -> Callable[[TransformFn], TransformFn]:
    """Register ``fn`` as transform ``name`` for each of ``languages`` (stable public names)."""

    def deco(fn: TransformFn) -> TransformFn:
        for language in languages:
            table = _REGISTRY.setdefault(language, {})
            if name in table:
                raise ValueError(f"transform {name!r} registered twice for {language}")
            table[name] = fn
        return fn

    return deco


def registry(language: str) -> dict[str, TransformFn]:
    return _REGISTRY.get(language, {})


def preserve_set(preserve: Iterable[str] | None) -> frozenset[str]:
    return frozenset(preserve or ())
