"""Scope-aware renames: ``rename_local_variables``, ``rename_parameters``, ``rename_function``,
``natural_rename``, shared by every language: each language package contributes a scope analyzer
(``<language>/scope.py``, see :mod:`fidelity.transforms.scope`) and lists these in its table.
"""

from __future__ import annotations

from fidelity.transforms.base import Transform, TransformContext
from fidelity.transforms.lexicon import natural_alternatives
from fidelity.transforms.names import FreshNames
from fidelity.transforms.scope import IdentifierIndex, Kind


def index_for(ctx: TransformContext) -> IdentifierIndex:
    """The identifier analysis of the context's already-parsed input (no second parse)."""
    return IdentifierIndex(ctx.code, ctx.language, ctx.preserve, tree=ctx.tree)


def _rename_kind(ctx: TransformContext, *kinds: Kind) -> tuple[str, int] | None:
    index = index_for(ctx)
    names = index.of_kind(*kinds)
    if not names:
        return None
    fresh = FreshNames(index.taken, ctx.rng, ctx.language)
    mapping = {name: fresh.fresh() for name in names}
    out = index.rename(mapping)
    return None if out is None else (out, len(mapping))


def rename_local_variables(ctx: TransformContext) -> tuple[str, int] | None:
    """Every local variable gets a fresh seeded name; sites = variables renamed."""
    return _rename_kind(ctx, "local")


def rename_parameters(ctx: TransformContext) -> tuple[str, int] | None:
    return _rename_kind(ctx, "param")


def rename_function(ctx: TransformContext) -> tuple[str, int] | None:
    """The defined function/method name and its direct (recursive) calls."""
    return _rename_kind(ctx, "function")


def natural_rename(ctx: TransformContext) -> tuple[str, int] | None:
    """Lexicon renames (``buf`` -> ``buffer``, ``getSize`` -> ``fetchSize``) of the function's own name, its
    parameters and its locals, wherever the lexicon knows a sub-token: what MORPH asked an LLM for ("rename the
    function and its parameters naturally"). The function name is renamed as ``rename_function`` does (its
    definition and direct recursive calls; entry points and overrides are kept by the scope analyzer)."""
    index = index_for(ctx)
    fresh = FreshNames(index.taken, ctx.rng, ctx.language)
    mapping: dict[str, str] = {}
    for name in index.of_kind("function", "param", "local"):
        for candidate in natural_alternatives(name, ctx.rng):
            if fresh.claim(candidate):
                mapping[name] = candidate
                break
    if not mapping:
        return None
    out = index.rename(mapping)
    return None if out is None else (out, len(mapping))


# Table lines every language shares (each language package lists them in its own table).
TRANSFORMS = (
    Transform("rename_local_variables", rename_local_variables, token_preserving=True),
    Transform("rename_parameters", rename_parameters, token_preserving=True),
    Transform("rename_function", rename_function, token_preserving=True),
    Transform("natural_rename", natural_rename, token_preserving=True),
)
