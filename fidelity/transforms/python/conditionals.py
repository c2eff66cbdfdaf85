"""Python ``swap_if_else`` and ``ternary_to_if``.

``if c: A else: B`` becomes ``if not (c): B else: A``: Python's ``not`` negates truthiness, so this is
exact even for NaN comparisons (``not (x < y)`` is not ``x >= y``). Only plain if/else (no ``elif``)
whose two bodies sit on their own lines at the same indentation are swapped, innermost first so
nested swaps compose.

``target = a if c else b`` (also ``target op= ...``) as a whole statement on its own line becomes an
``if``/``else`` with one assignment per branch. Python evaluates the right-hand side before the target
in both forms, so even side-effecting subscript targets are evaluated the same number of times.
"""

from __future__ import annotations

from tree_sitter import Node

from fidelity.transforms.base import TransformContext
from fidelity.transforms.edits import (
    Damage,
    EditSet,
    captures,
    indent_unit,
    innermost_first,
    line_indent,
    text,
)

_IFS = "(if_statement) @if"
_TERNARIES = """
((expression_statement (assignment left: (_) right: (conditional_expression))) @stmt)
((expression_statement (augmented_assignment left: (_) right: (conditional_expression))) @stmt)
"""


def _own_lines(source: bytes, node: Node) -> bool:
    """The node starts its line (only indentation before it)."""
    line_start = source.rfind(b"\n", 0, node.start_byte) + 1
    return not source[line_start : node.start_byte].strip()


def _negate(cond: Node) -> str:
    if cond.type == "not_operator":
        argument = cond.child_by_field_name("argument")
        if argument is not None:
            return text(argument)
    return f"not ({text(cond)})"


def _swappable(source: bytes, node: Node) -> tuple[Node, Node, Node] | None:
    cond, body = node.child_by_field_name("condition"), node.child_by_field_name("consequence")
    alternatives = node.children_by_field_name("alternative")
    if cond is None or body is None or len(alternatives) != 1 or alternatives[0].type != "else_clause":
        return None
    other = alternatives[0].child_by_field_name("body")
    if other is None or not (_own_lines(source, body) and _own_lines(source, other)):
        return None
    if body.start_point.column != other.start_point.column or body.start_point.row == node.start_point.row:
        return None
    return cond, body, other


def swap_if_else(ctx: TransformContext) -> tuple[str, int] | None:
    damage = Damage(ctx.tree)
    edits = EditSet(ctx.source)
    for node in innermost_first(captures("python", _IFS, ctx.tree.root_node).get("if", [])):
        parts = _swappable(ctx.source, node)
        if parts is None or damage.touches(node):
            continue
        cond, body, other = parts
        pieces = [
            edits.render(node.start_byte, cond.start_byte),
            _negate(cond).encode(),
            edits.render(cond.end_byte, body.start_byte),
            edits.render_node(other),
            edits.render(body.end_byte, other.start_byte),
            edits.render_node(body),
        ]
        edits.replace(node.start_byte, other.end_byte, b"".join(pieces))
    if not len(edits):
        return None
    return edits.result().decode("utf-8", errors="surrogatepass"), len(edits)


def _branches(ctx: TransformContext, stmt: Node, unit: bytes) -> bytes | None:
    assign = stmt.named_child(0)
    if assign is None or assign.child_by_field_name("type") is not None:
        return None
    left, right = assign.child_by_field_name("left"), assign.child_by_field_name("right")
    op = "=" if assign.type == "assignment" else text(assign.child_by_field_name("operator"))
    if left is None or right is None or not op:
        return None
    values = [c for c in right.children if c.is_named]
    if len(values) != 3 or any(v.type == "lambda" for v in values):
        return None
    then, cond, otherwise = values
    indent = line_indent(ctx.source, stmt.start_byte).decode()
    step = indent + unit.decode()
    target = f"{text(left)} {op} "
    return (
        f"if {text(cond)}:\n{step}{target}{text(then)}\n{indent}else:\n{step}{target}{text(otherwise)}"
    ).encode()


def ternary_to_if(ctx: TransformContext) -> tuple[str, int] | None:
    damage = Damage(ctx.tree)
    unit = indent_unit(ctx.source)
    edits = EditSet(ctx.source)
    for stmt in captures("python", _TERNARIES, ctx.tree.root_node).get("stmt", []):
        after = ctx.source[stmt.end_byte : ctx.source.find(b"\n", stmt.end_byte) % (len(ctx.source) + 1)]
        if damage.touches(stmt) or not _own_lines(ctx.source, stmt) or after.strip(b" \t\r").startswith(b";"):
            continue
        replacement = _branches(ctx, stmt, unit)
        if replacement is not None and not edits.overlaps(stmt.start_byte, stmt.end_byte):
            edits.replace(stmt.start_byte, stmt.end_byte, replacement)
    if not len(edits):
        return None
    return edits.result().decode("utf-8", errors="surrogatepass"), len(edits)
