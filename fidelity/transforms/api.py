"""Public entry points: ``list_transforms``, ``apply_transform``, ``identifiers``, ``rename_identifiers``,
``code_fingerprint``."""

from __future__ import annotations

import functools
import hashlib
import operator
import random
import re
from collections.abc import Callable, Iterable
from pathlib import Path

from tree_sitter import Node, Point, Tree

from fidelity.parsing import LANGUAGES, check_language, count_errors, get_parser, parse
from fidelity.transforms.base import Transform, TransformContext, Transformed, preserve_set, transforms
from fidelity.transforms.scope import cached_index

_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_PUNCTUATION = re.compile(r"[;{}()=]")
MIN_STRUCTURED = 0.3  # Devign's macro-mangled C stays above this; prose and markup fall below
# Which outputs skip the verifying re-parse is a property of each transform (base.Transform):
# token-preserving renames always; layout-only rewrites (C-family/Java ``reformat``) only when
# :func:`same_tokens` proves it for the output and the input parses cleanly -- tree-sitter's error
# recovery costs count skipped bytes, so moving blanks can change which recovery wins on damaged
# input (one Devign function went from 94 to 96 ERROR nodes).
_EDGE_BLANKS = operator.methodcaller("strip", " \t\f\v\r")
_SPLICE_RISK = re.compile(r"\\(?!\r\n)[ \t\f\v\r]+(?:\n|\Z)")  # stripping these blanks would splice lines


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """sha256 (20 hex) of the transforms' source and lexicon: part of every cache key of transformed code.

    A cache of follow-ups or metamorphic variants made by older transform code (say ``natural_rename`` before it
    renamed the function too) is then missed, not silently reused. Hashed once per process (~60 small files)."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for f in sorted(root.rglob("*")):
        if f.suffix in (".py", ".json", ".scm") and "__pycache__" not in f.parts:
            h.update(f.relative_to(root).as_posix().encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:20]


def list_transforms(language: str) -> list[str]:
    """Stable transform names available for ``language``, sorted."""
    return sorted(transforms(check_language(language)))


def _structured_bytes(node: Node, damaged: bool = False) -> int:
    """Bytes in well-formed structure: everything outside ERROR nodes, and inside them only
    error-free subtrees that have structure (bare tokens inside an ERROR are not evidence of code)."""
    if not node.has_error:
        keep = not damaged or (node.is_named and node.child_count > 0)
        return node.end_byte - node.start_byte if keep else 0
    damaged = damaged or node.is_error
    return sum(_structured_bytes(child, damaged) for child in node.children)


def not_code_reason(code: str, tree: Tree | None) -> str:
    """Why ``code`` is not source in the parsed language at all, or "" when it plausibly is."""
    if not code.strip():
        return "empty input"
    if "\x00" in code or (_CONTROL.search(code) and len(_CONTROL.findall(code)) * 100 > len(code)):
        return "binary input (control characters)"
    if tree is None or not tree.root_node.has_error:
        return ""
    if not _PUNCTUATION.search(code):
        return "not code in this language (damaged parse and no code punctuation)"
    size = len(code.strip().encode("utf-8", errors="surrogatepass"))
    fraction = _structured_bytes(tree.root_node) / max(size, 1)
    if fraction < MIN_STRUCTURED:
        return f"not code in this language (only {fraction:.0%} of the input parses into structure)"
    return ""


def _lookup(language: str, name: str) -> Transform:
    table = transforms(check_language(language))
    if name not in table:
        raise ValueError(
            f"Unknown transform {name!r} for {language}; expected one of {', '.join(sorted(table))}"
        )
    return table[name]


def apply_transform(
    code: str, language: str, name: str, seed: int = 0, preserve: Iterable[str] = ()
) -> Transformed:
    """Run transform ``name``; never raises on any ``str`` input (only on unknown names).

    The output is checked by re-parsing: a variant with more ERROR/MISSING nodes than the input is
    discarded as "not_applicable", so callers can trust every "ok" variant.
    """
    transform = _lookup(language, name)

    def result(status: str, out: str | None = None, sites: int = 0, reason: str = "") -> Transformed:
        return Transformed(name, language, status, out, sites, reason)  # type: ignore[arg-type]

    if not isinstance(code, str):
        return result("parse_error", reason=f"expected str input, got {type(code).__name__}")
    try:
        return _run(transform, code, language, seed, preserve, result)
    except RecursionError:  # pathological nesting: report, never raise
        return result("parse_error", reason="input nests too deeply to analyse")


def _run(
    transform: Transform,
    code: str,
    language: str,
    seed: int,
    preserve: Iterable[str],
    result: Callable[..., Transformed],
) -> Transformed:
    """Parse, check it is code, transform, verify: the body of :func:`apply_transform`."""
    reason = not_code_reason(code, None)
    if reason:
        return result("parse_error", reason=reason)
    source = code.encode("utf-8", errors="surrogatepass")
    tree = parse(source, language)
    reason = not_code_reason(code, tree)
    if reason:
        return result("parse_error", reason=reason)
    ctx = TransformContext(code, source, tree, language, random.Random(seed), preserve_set(preserve))
    try:
        produced = transform.fn(ctx)
    except Exception as exc:  # a transform bug must not kill a batch; report it per input
        return result("not_applicable", reason=f"transform failed: {exc!r}")
    if produced is None or produced[1] <= 0 or produced[0] == code:
        return result("not_applicable", reason=f"no {transform.name} site outside damaged regions")
    out, sites = produced
    if transform.token_preserving or (
        transform.layout_only
        and not tree.root_node.has_error  # error recovery weighs skipped bytes: blanks can matter
        and same_tokens(code, out)
    ):
        return result("ok", out, sites)
    before = count_errors(tree.root_node)
    after = count_errors(
        reparse(tree, source, out.encode("utf-8", errors="surrogatepass"), language).root_node
    )
    if after > before:
        return result("not_applicable", reason=f"rewrite would add parse errors ({before} -> {after})")
    return result("ok", out, sites)


def same_tokens(old: str, new: str) -> bool:
    """``new`` differs from ``old`` only in blanks at line starts/ends, and no removed blank can turn a
    backslash into a line splice: whitespace is insignificant between Java/C/C++ tokens and no line
    break moved, so both parse to the same tree (the only difference is byte positions)."""
    if _SPLICE_RISK.search(old):
        return False
    return list(map(_EDGE_BLANKS, old.split("\n"))) == list(map(_EDGE_BLANKS, new.split("\n")))


def _changed_span(old: bytes, new: bytes) -> tuple[int, int, int]:
    """(start, old_end, new_end) of the single region where ``old`` and ``new`` differ (C-speed bisection)."""
    limit = min(len(old), len(new))
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[:mid] == new[:mid]:
            lo = mid
        else:
            hi = mid - 1
    prefix, lo, hi = lo, 0, limit - lo
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if old[len(old) - mid :] == new[len(new) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return prefix, len(old) - lo, len(new) - lo


def _point(source: bytes, offset: int) -> Point:
    return Point(source.count(b"\n", 0, offset), offset - (source.rfind(b"\n", 0, offset) + 1))


def reparse(tree: Tree, old: bytes, new: bytes, language: str) -> Tree:
    """Parse ``new``; incrementally (reusing ``tree``, which is edited) when the change is local.

    A local rewrite (dead code, one loop) costs a fraction of a full parse this way; wide changes
    (renames everywhere) are cheaper to parse from scratch.
    """
    start, old_end, new_end = _changed_span(old, new)
    if (old_end - start) * 2 > len(old):  # measured: incremental wins up to about half the input
        return parse(new, language)
    tree.edit(start, old_end, new_end, _point(old, start), _point(old, old_end), _point(new, new_end))
    return get_parser(language).parse(new, tree)


def identifiers(code: str, language: str, preserve: Iterable[str] = ()) -> list[str]:
    """Renamable names (locals, parameters, the function itself) in first-occurrence order."""
    if not isinstance(code, str) or not_code_reason(code, None):
        return []
    return list(cached_index(code, check_language(language), preserve_set(preserve)).names)


def rename_identifiers(code: str, language: str, mapping: dict[str, str]) -> str | None:
    """Scope-aware consistent rename; None when a new name is invalid, reserved or would collide."""
    if not isinstance(code, str) or not_code_reason(code, None):
        return None
    return cached_index(code, check_language(language), frozenset()).rename(
        mapping
    )  # same key as identifiers()


__all__ = [
    "LANGUAGES",
    "apply_transform",
    "code_fingerprint",
    "identifiers",
    "list_transforms",
    "rename_identifiers",
]
