"""Semantic-preserving code transforms (tree-sitter, byte-range edits) under stable names.

Importing this package registers every transform module: the shared ones listed here and any
language-specific ``cpp_*`` / ``python_*`` modules found beside them.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil

from fidelity.transforms import (  # noqa: F401  (register analyzers)
    renaming,  # noqa: F401  (register transforms)
    scope_c,
    scope_java,
)
from fidelity.transforms.api import apply_transform, identifiers, list_transforms, rename_identifiers
from fidelity.transforms.base import TransformContext, Transformed, register, registry
from fidelity.transforms.scope import IdentifierIndex, cached_index

_SHARED = ("loops", "conditionals", "switches", "operators", "braces", "dead_code", "layout")
for _name in _SHARED:
    if importlib.util.find_spec(f"{__name__}.{_name}") is not None:
        importlib.import_module(f"{__name__}.{_name}")
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    if _info.name.startswith(("cpp_", "python_")):
        importlib.import_module(f"{__name__}.{_info.name}")

__all__ = [
    "IdentifierIndex",
    "TransformContext",
    "Transformed",
    "apply_transform",
    "cached_index",
    "identifiers",
    "list_transforms",
    "register",
    "registry",
    "rename_identifiers",
]
