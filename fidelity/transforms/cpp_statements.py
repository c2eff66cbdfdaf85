"""C++ ``swap_if_else`` and ``while_to_for``.

tree-sitter-cpp wraps ``if``/``while`` conditions in a ``condition_clause`` (which may also hold an
init-statement or a declaration, ``if (auto it = f(); it != end)``), where C has a plain
parenthesised expression, so the shared C rewrites never match C++. These handle clauses holding a
single expression and leave the others alone; ``if constexpr`` keeps its ``constexpr``.
"""

from __future__ import annotations

from tree_sitter import Node

from fidelity.transforms.base import TransformContext, register
from fidelity.transforms.conditionals import negate
from fidelity.transforms.edits import Damage, EditSet, captures, innermost_first
from fidelity.transforms.syntax import Comments, candidates, else_body


def _expression(clause: Node | None) -> Node | None:
    """The clause's expression when it is all the clause holds (no init-statement, no declaration)."""
    if clause is None or clause.type != "condition_clause" or clause.named_child_count != 1:
        return None
    value = clause.child_by_field_name("value")
    if value is None or value.type in ("declaration", "init_statement", "comment"):
        return None
    return value


def _done(es: EditSet, sites: int) -> tuple[str, int] | None:
    return (es.result().decode("utf-8", errors="surrogatepass"), sites) if sites else None


@register("swap_if_else", "cpp")
def swap_if_else(ctx: TransformContext) -> tuple[str, int] | None:
    """``if (c) A else B`` -> ``if (!(c)) B else A``; else-if chains are left alone."""
    es, sites = EditSet(ctx.source), 0
    comments = Comments("cpp", ctx.tree.root_node)
    for node in innermost_first(candidates("cpp", "(if_statement) @n", ctx.tree.root_node, Damage(ctx.tree))):
        clause, cons, alt = (
            node.child_by_field_name("condition"),
            node.child_by_field_name("consequence"),
            else_body(node),
        )
        cond = _expression(clause)
        if cond is None or clause is None or cons is None or alt is None or alt.type == "if_statement":
            continue
        if comments.lost(node, [cond, cons, alt]):
            continue
        new_then = es.render_node(alt)
        if alt.type != "compound_statement" and captures("cpp", "(if_statement) @i", alt).get("i"):
            new_then = b"{ " + new_then + b" }"  # keep the else from binding to an inner if
        parts = [
            ctx.source[node.start_byte : clause.start_byte],
            b"(" + negate(es, cond, "argument") + b")",
            ctx.source[clause.end_byte : cons.start_byte],
            new_then,
            ctx.source[cons.end_byte : alt.start_byte],
            es.render_node(cons),
        ]
        es.replace(node.start_byte, node.end_byte, b"".join(parts))
        sites += 1
    return _done(es, sites)


@register("while_to_for", "cpp")
def while_to_for(ctx: TransformContext) -> tuple[str, int] | None:
    """``while (c) body`` -> ``for (; c; ) body``: same evaluation order, ``continue`` included."""
    es, sites = EditSet(ctx.source), 0
    comments = Comments("cpp", ctx.tree.root_node)
    for loop in innermost_first(
        candidates("cpp", "(while_statement) @n", ctx.tree.root_node, Damage(ctx.tree))
    ):
        clause = loop.child_by_field_name("condition")
        cond = _expression(clause)
        if cond is None or clause is None or comments.lost(loop, [cond, loop.child_by_field_name("body")]):
            continue
        es.replace(loop.start_byte, clause.end_byte, b"for (; " + es.render_node(cond) + b"; )")
        sites += 1
    return _done(es, sites)
