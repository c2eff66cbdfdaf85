"""Byte-range edits on the original source, so formatting and comments outside a rewrite survive.

Every transform describes its change as :class:`Edit` objects against the *input* bytes and lets
:func:`apply_edits` splice them; nothing is rebuilt from tokens. :class:`EditSet` lets a rewrite of an
outer node reuse the already-rewritten text of the nodes nested inside it (nested if/else swaps, loops).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import cache

from sortedcontainers import SortedKeyList
from tree_sitter import Node, Query, QueryCursor, Tree

from fidelity.parsing import get_language

_WORD = re.compile(rb"[A-Za-z_$][A-Za-z0-9_$]*")


@dataclass(frozen=True, order=True)
class Edit:
    """Replace ``source[start:end]`` with ``text``; ``rank`` orders insertions at the same offset."""

    start: int
    end: int
    text: bytes
    rank: int = 0


def apply_edits(source: bytes, edits: list[Edit], start: int = 0, end: int | None = None) -> bytes:
    """Splice non-overlapping ``edits`` into ``source[start:end]``; raises ValueError on overlap."""
    stop = len(source) if end is None else end
    out: list[bytes] = []
    pos = start
    for edit in sorted(edits, key=lambda e: (e.start, e.end, e.rank)):
        if edit.start < pos:
            raise ValueError(f"overlapping edits at byte {edit.start}")
        out.append(source[pos : edit.start])
        out.append(edit.text)
        pos = edit.end
    out.append(source[pos:stop])
    return b"".join(out)


class EditSet:
    """Edits that may nest: a later edit that encloses earlier ones absorbs them.

    Process candidates innermost-first (see :func:`innermost_first`); ``render(node)`` gives the
    node's text with the edits already made inside it, so the outer rewrite can embed it.

    The edits are kept sorted by (start, end); while no two of them straddle each other (every
    transform's normal case) they are also sorted by end, so each query is a bisection and each
    edit is absorbed once: a rewrite with n sites costs O(n log n), not O(n^2). A replacement that
    straddles an earlier edit (only a transform bug does this) switches the set to a plain scan,
    with the same results; :func:`apply_edits` then reports the overlap as before.
    """

    def __init__(self, source: bytes) -> None:
        self.source = source
        self._sorted: SortedKeyList = SortedKeyList(key=_span_key)  # disjoint edits
        self._scan: list[Edit] | None = None  # set once two edits straddle

    @property
    def edits(self) -> list[Edit]:
        return list(self._sorted) if self._scan is None else self._scan

    def _first_at(self, start: int) -> int:
        """Index of the first edit starting at or after ``start``."""
        return int(self._sorted.bisect_key_left((start, start)))

    def _inside_range(self, start: int, end: int) -> tuple[int, int]:
        """Edits ``[i, k)`` of the sorted list lie inside ``[start, end)`` (ends rise with starts)."""
        edits = self._sorted
        i = k = self._first_at(start)
        while k < len(edits) and edits[k].end <= end:
            k += 1
        return i, k

    def inside(self, start: int, end: int) -> list[Edit]:
        if self._scan is not None:
            return [e for e in self._scan if start <= e.start and e.end <= end]
        i, k = self._inside_range(start, end)
        return list(self._sorted.islice(i, k))

    def overlaps(self, start: int, end: int) -> bool:
        """True when an existing edit straddles the range (neither inside nor disjoint)."""
        if self._scan is not None:
            for e in self._scan:
                disjoint = e.end <= start or e.start >= end
                contained = start <= e.start and e.end <= end
                if not (disjoint or contained):
                    return True
            return False
        edits = self._sorted
        i = self._first_at(start)
        if i > 0 and edits[i - 1].end > start:  # begins before ``start``, ends after it
            return True
        last = int(edits.bisect_key_left((end, end))) - 1  # the last edit beginning before ``end``
        return last >= i and edits[last].end > end

    def render(self, start: int, end: int) -> bytes:
        return apply_edits(self.source, self.inside(start, end), start, end)

    def render_node(self, node: Node) -> bytes:
        return self.render(node.start_byte, node.end_byte)

    def replace(self, start: int, end: int, text: bytes) -> None:
        if self._scan is None and self.overlaps(start, end):
            self._scan = list(self._sorted)
        if self._scan is not None:
            inner = self.inside(start, end)
            self._scan = [e for e in self._scan if e not in inner]
            self._scan.append(Edit(start, end, text))
            return
        i, k = self._inside_range(start, end)
        del self._sorted[i:k]
        self._sorted.add(Edit(start, end, text))

    def result(self) -> bytes:
        return apply_edits(self.source, self.edits)

    def __len__(self) -> int:
        return len(self._sorted) if self._scan is None else len(self._scan)


def _span_key(edit: Edit) -> tuple[int, int]:
    return edit.start, edit.end


def finish(es: EditSet, sites: int) -> tuple[str, int] | None:
    """A transform's result from its edit set: (new code, sites), or None when nothing was rewritten."""
    return (es.result().decode("utf-8", errors="surrogatepass"), sites) if sites else None


def innermost_first(nodes: list[Node]) -> list[Node]:
    """Nodes ordered so that any node comes before the nodes enclosing it."""
    return sorted(nodes, key=lambda n: (-n.start_byte, n.end_byte))


@cache
def _query(language: str, pattern: str) -> Query:
    return Query(get_language(language), pattern)


def _document_order(node: Node) -> tuple[int, int]:
    return (node.start_byte, -node.end_byte)


def captures(language: str, pattern: str, node: Node, ordered: bool = True) -> dict[str, list[Node]]:
    """Run a (cached, compiled once) tree-sitter query; matching happens in C, not in Python.

    Each capture list is put in document order (outer node first at equal starts): tree-sitter
    0.26 returns nested captures in an order that varies between calls, and seeded transforms pick
    sites by position in these lists, so without the sort the same seed could give another variant.
    ``ordered=False`` skips the sort for callers whose result cannot depend on list order (the
    scope analyzers, which only build sets and sorted spans).
    """
    found = QueryCursor(_query(language, pattern)).captures(node)
    if ordered:
        for nodes in found.values():
            nodes.sort(key=_document_order)
    return found


def text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="surrogatepass")


def line_indent(source: bytes, offset: int) -> bytes:
    """Leading whitespace of the line containing ``offset``."""
    line_start = source.rfind(b"\n", 0, offset) + 1
    match = re.match(rb"[ \t]*", source[line_start:offset])
    return match.group(0) if match else b""


def indent_unit(source: bytes) -> bytes:
    """The file's own indentation step (tab or the smallest space run), so inserted code blends in."""
    if re.search(rb"\n\t", source):
        return b"\t"
    widths = [len(m) for m in re.findall(rb"\n( +)\S", source)]
    small = min((w for w in widths if w >= 2), default=4)
    return b" " * min(small, 8)


class Damage:
    """Byte ranges of ERROR/MISSING nodes, so transforms leave damaged (macro-mangled) code alone."""

    def __init__(self, tree: Tree) -> None:
        self.ranges: list[tuple[int, int]] = []
        root = tree.root_node
        if root.has_error:
            self._collect(root)
        self.ranges.sort()
        self._starts = [s for s, _ in self.ranges]
        self._reach: list[int] = []  # _reach[i]: the largest end among ranges[: i + 1]
        for _, e in self.ranges:
            self._reach.append(max(e, self._reach[-1]) if self._reach else e)

    def _collect(self, node: Node) -> None:
        if node.is_error or node.is_missing:
            target = node.parent if node.is_missing and node.parent is not None else node
            self.ranges.append((target.start_byte, target.end_byte))
            if node.is_missing:
                return
        for child in node.children:
            if child.has_error:
                self._collect(child)

    def __bool__(self) -> bool:
        return bool(self.ranges)

    def overlaps(self, start: int, end: int) -> bool:
        if not self.ranges:
            return False
        i = bisect.bisect_right(self._starts, end)  # ranges[:i] all start at or before ``end``
        return i > 0 and self._reach[i - 1] >= start

    def touches(self, node: Node) -> bool:
        """The node contains an error or lies (partly) inside a damaged region."""
        return node.has_error or self.overlaps(node.start_byte, node.end_byte)

    def words(self, source: bytes) -> set[str]:
        """Every identifier-like word inside a damaged region (they may be uses we cannot see)."""
        found: set[bytes] = set()
        end = -1
        for s, e in self.ranges:  # sorted; nested ERROR ranges are scanned once, with their parent
            if e <= end:
                continue
            found.update(_WORD.findall(source, max(s, end), e))
            end = e
        return {w.decode() for w in found}


def shift_lines(block: bytes, by: bytes) -> bytes:
    """Indent every non-empty continuation line of ``block`` by ``by`` (the first line stays put)."""
    return re.sub(rb"\n(?=[^\n])", b"\n" + by, block)
