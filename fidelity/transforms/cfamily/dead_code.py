"""``insert_dead_code``: one statement that never runs or has no effect, with fresh names."""

from __future__ import annotations

from fidelity.transforms.base import TransformContext
from fidelity.transforms.cfamily.syntax import syntax
from fidelity.transforms.edits import Damage, Edit, apply_edits, captures, line_indent
from fidelity.transforms.names import FreshNames, words_in_text

_NO_BEFORE = {"case_statement", "labeled_statement", "ERROR", "comment", "line_comment", "block_comment"}


def insert_dead_code(ctx: TransformContext) -> tuple[str, int] | None:
    """Insert before a randomly chosen statement of a block (never before a case/label or in damage)."""
    syn, damage = syntax(ctx.language), Damage(ctx.tree)
    pattern = f"({syn.block}) @b"
    spots = []
    for block in captures(ctx.language, pattern, ctx.tree.root_node).get("b", []):
        if block.parent is None or block.parent.type in ("switch_statement", "ERROR"):
            continue
        prev = None  # the previous named child (prev_named_sibling rescans the block each call)
        for stmt in block.named_children:
            usable = stmt.type not in _NO_BEFORE and not damage.touches(stmt)
            if usable and (prev is None or not damage.touches(prev)):
                spots.append(stmt)
            prev = stmt
    if not spots:
        return None
    stmt = ctx.rng.choice(spots)
    name = FreshNames(words_in_text(ctx.code), ctx.rng, ctx.language).fresh()
    code = ctx.rng.choice(syn.dead_code).format(v=name).encode()
    line_start = ctx.source.rfind(b"\n", 0, stmt.start_byte) + 1
    own_line = not ctx.source[line_start : stmt.start_byte].strip()
    sep = b"\n" + line_indent(ctx.source, stmt.start_byte) if own_line else b" "
    out = apply_edits(ctx.source, [Edit(stmt.start_byte, stmt.start_byte, code + sep)])
    return out.decode("utf-8", errors="surrogatepass"), 1
