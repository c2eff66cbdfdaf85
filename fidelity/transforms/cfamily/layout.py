"""``reformat``: layout only. Re-indents lines by brace depth with a seeded indent unit and strips
trailing blanks; lines inside strings, comments, macros or damaged regions are left byte-identical.
"""

from __future__ import annotations

import bisect

from fidelity.transforms.base import TransformContext
from fidelity.transforms.cfamily.syntax import syntax
from fidelity.transforms.edits import Damage, captures, indent_unit

_UNITS = (b"    ", b"  ", b"\t", b"   ")
_ENDS = frozenset(b";{}:")  # a line ending otherwise continues into the next one (or is a brace-less header)
_SEMI, _HASH = ord(";"), ord("#")
_CLOSERS = (b"}", b"]")


class _Spans:
    """Sorted, merged byte spans with an O(log n) 'is this offset strictly inside one' test."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        merged: list[tuple[int, int]] = []
        for s, e in sorted(spans):
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        self.spans = merged
        self.starts = [s for s, _ in merged]

    def inside(self, offset: int) -> bool:
        i = bisect.bisect_left(self.starts, offset) - 1
        return i >= 0 and offset < self.spans[i][1]


def reformat(ctx: TransformContext) -> tuple[str, int] | None:
    source = ctx.source
    # one query per input (the profile's layout_query): @b nests indentation, @p must stay
    # byte-identical, @c is a comment
    found = captures(ctx.language, syntax(ctx.language).layout_query, ctx.tree.root_node)
    blocks = [(n.start_byte, n.end_byte) for n in found.get("b", [])]
    protected = _Spans(
        [(n.start_byte, n.end_byte) for key in ("p", "c") for n in found.get(key, [])]
        + Damage(ctx.tree).ranges
    )
    current = indent_unit(source)
    unit = ctx.rng.choice([u for u in _UNITS if u != current])
    layout = _Layout(
        sorted(s for s, _ in blocks),
        sorted(e for _, e in blocks),
        sorted(n.start_byte for n in found.get("c", [])),
        protected,
    )
    out, changed = layout.relayout(source, unit)
    if not changed:
        return None
    return b"\n".join(out).decode("utf-8", errors="surrogatepass"), changed


class _Layout:
    """Block starts/ends, comment starts and protected spans of one input, all sorted."""

    def __init__(self, starts: list[int], ends: list[int], comments: list[int], protected: _Spans) -> None:
        self.starts, self.ends, self.comments, self.protected = starts, ends, comments, protected

    def relayout(self, source: bytes, unit: bytes) -> tuple[list[bytes], int]:
        """Every line re-indented by brace depth (one pass, bisect per line): (lines, lines changed)."""
        starts, ends, comments = self.starts, self.ends, self.comments
        p_starts, p_spans = self.protected.starts, self.protected.spans
        left, right = bisect.bisect_left, bisect.bisect_right
        out: list[bytes] = []
        changed, offset, last = 0, 0, _SEMI
        for line in source.split(b"\n"):
            start = offset
            offset += len(line) + 1
            cr = b"\r" if line.endswith(b"\r") else b""
            body = line[:-1] if cr else line
            text = body.strip(b" \t")
            i = left(p_starts, start) - 1
            if text and (i >= 0 and start < p_spans[i][1] or text[0] == _HASH):
                out.append(line)
                last = _SEMI  # inside a string/comment/macro: never a continuation source
                continue
            depth = left(starts, start) - right(ends, start)
            if text[:1] in _CLOSERS:
                depth -= 1
            elif last not in _ENDS and text[:1] != b"{":
                depth += 1
            tail = start + len(body)
            i = left(p_starts, tail) - 1
            keep_tail = i >= 0 and tail < p_spans[i][1]  # the line ends inside a comment or string
            new = (unit * max(depth, 0) + (body.lstrip(b" \t") if keep_tail else text) if text else b"") + cr
            changed += new != line
            out.append(new)
            if text:
                last = _last_code_byte(source, start, tail, comments, body)
        return out, changed


def _last_code_byte(source: bytes, start: int, end: int, comments: list[int], body: bytes) -> int:
    """The line's last byte before any trailing comment; ';' for comment-only lines."""
    i = bisect.bisect_left(comments, start) if comments else 0
    code = source[start : comments[i]].rstrip() if i < len(comments) and comments[i] < end else body.rstrip()
    return code[-1] if code and code.strip() else _SEMI
