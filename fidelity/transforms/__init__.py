"""Semantic-preserving code transforms (tree-sitter, byte-range edits) under stable names.

Layout: one package per language (``java/``, ``c/``, ``cpp/``, ``python/``), each with its
``profile`` (:class:`~fidelity.transforms.profile.LanguageProfile`), its ``scope`` analyzer and a
``transforms`` table listing what it offers with each transform's properties; ``cfamily/`` holds the
rewrites Java, C and C++ share, parameterised by the profile. Adding a language is one new package
(and its name in ``fidelity.parsing.LANGUAGES``); adding a transform is one function and one table line.
Every language of ``LANGUAGES`` must have its package: a missing one fails at import, loudly.
"""

from __future__ import annotations

import importlib

from fidelity.parsing import LANGUAGES
from fidelity.transforms.api import (
    apply_transform,
    code_fingerprint,
    identifiers,
    list_transforms,
    rename_identifiers,
)
from fidelity.transforms.base import Transform, TransformContext, Transformed, install, register, registry
from fidelity.transforms.scope import IdentifierIndex, cached_index

for _language in LANGUAGES:  # explicit: fidelity.transforms.<language>.transforms, no silent skipping
    install(_language, importlib.import_module(f"{__name__}.{_language}.transforms").TRANSFORMS)

__all__ = [
    "IdentifierIndex",
    "Transform",
    "TransformContext",
    "Transformed",
    "apply_transform",
    "cached_index",
    "code_fingerprint",
    "identifiers",
    "list_transforms",
    "register",
    "registry",
    "rename_identifiers",
]
