"""``reformat``: layout only. Re-indents lines by brace depth with a seeded indent unit and strips
trailing blanks; lines inside strings, comments, macros or damaged regions are left byte-identical.
"""

from __future__ import annotations

import bisect
import re

from fidelity.transforms.base import TransformContext, register
from fidelity.transforms.edits import Damage, Edit, apply_edits, captures, indent_unit

_BLOCKS = {
    "java": "(block) @b (class_body) @b (switch_block) @b (constructor_body) @b (interface_body) @b (enum_body) @b (array_initializer) @b",
    "c": "(compound_statement) @b (field_declaration_list) @b (initializer_list) @b (enumerator_list) @b",
}
_PROTECT = {
    "java": "(string_literal) @p (block_comment) @p (line_comment) @p (character_literal) @p",
    "c": "(string_literal) @p (comment) @p (preproc_def) @p (preproc_function_def) @p (preproc_call) @p (char_literal) @p (preproc_include) @p",
}
_UNITS = (b"    ", b"  ", b"\t", b"   ")
_ENDS = set(b";{}:")  # a line ending otherwise continues into the next one (or is a brace-less header)
_COMMENTS = {"java": "(block_comment) @c (line_comment) @c", "c": "(comment) @c"}


@register("reformat", "java", "c")
def reformat(ctx: TransformContext) -> tuple[str, int] | None:
    root, source = ctx.tree.root_node, ctx.source
    spans = [
        (n.start_byte, n.end_byte) for n in captures(ctx.language, _BLOCKS[ctx.language], root).get("b", [])
    ]
    starts, ends = sorted(s for s, _ in spans), sorted(e for _, e in spans)
    protected = [
        (n.start_byte, n.end_byte) for n in captures(ctx.language, _PROTECT[ctx.language], root).get("p", [])
    ]
    protected = _merged(protected + Damage(ctx.tree).ranges)
    pstarts = [s for s, _ in protected]
    current = indent_unit(source)
    unit = ctx.rng.choice([u for u in _UNITS if u != current])
    edits: list[Edit] = []
    comment_starts = sorted(
        n.start_byte for n in captures(ctx.language, _COMMENTS[ctx.language], root).get("c", [])
    )
    previous = b""
    for match in re.finditer(rb"(?m)^([ \t]*)(\S[^\n]*?)?([ \t]*)$", source):
        start, text = match.start(), match.group(2) or b""
        i = bisect.bisect_left(pstarts, start) - 1  # the last protected span starting before this line
        if (i >= 0 and start < protected[i][1]) or text.startswith(b"#"):
            previous = b";"  # inside a string/comment/macro: never a continuation source
            continue
        depth = bisect.bisect_left(starts, start) - bisect.bisect_right(ends, start)
        if text.startswith((b"}", b"]")):
            depth -= 1
        elif previous and previous[-1] not in _ENDS and not text.startswith(b"{"):
            depth += 1
        new_indent = unit * max(depth, 0) if text else b""
        if match.group(1) != new_indent or match.group(3):
            edits.append(Edit(match.start(1), match.start(2) if text else match.end(), new_indent))
            if text and match.group(3):
                edits.append(Edit(match.start(3), match.end(3), b""))
        previous = _code_end(source, match, comment_starts) or previous
    if not edits:
        return None
    return apply_edits(source, edits).decode("utf-8", errors="surrogatepass"), len({e.start for e in edits})


def _code_end(source: bytes, match: re.Match[bytes], comment_starts: list[int]) -> bytes:
    """The line's code without a trailing comment (what decides whether the next line continues it)."""
    if match.group(2) is None:
        return b""
    start, end = match.start(2), match.end(2)
    i = bisect.bisect_left(comment_starts, start)
    cut = comment_starts[i] if i < len(comment_starts) and comment_starts[i] < end else end
    code = source[start:cut].rstrip()
    return code if code else b"}"  # a comment-only line never continues a statement


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Disjoint, sorted spans, so one bisection answers 'is this offset inside any of them'."""
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out
