"""``swap_if_else``, ``ternary_to_if``, ``switch_to_if``."""

from __future__ import annotations

from tree_sitter import Node

from fidelity.transforms.base import TransformContext
from fidelity.transforms.cfamily.syntax import (
    condition_parts,
    else_body,
    is_primitive,
    is_pure,
    java_types,
    syntax,
)
from fidelity.transforms.cfamily.syntax import sites as query_sites
from fidelity.transforms.edits import (
    Damage,
    EditSet,
    captures,
    finish,
    indent_unit,
    innermost_first,
    line_indent,
)

_SIMPLE = {
    "identifier",
    "method_invocation",
    "call_expression",
    "field_access",
    "field_expression",
    "parenthesized_expression",
}


def negate(es: EditSet, cond: Node, operand_field: str) -> bytes:
    """``!(c)``, or ``c`` when the condition already is ``!c`` (same truth value in Java and C)."""
    if cond.type == "unary_expression" and cond.child(0) is not None and cond.child(0).type == "!":  # type: ignore[union-attr]
        operand = cond.child_by_field_name(operand_field)
        if operand is not None:
            return es.render_node(operand)
    inner = es.render_node(cond)
    return b"!" + inner if cond.type in _SIMPLE else b"!(" + inner + b")"


def swap_if_else(ctx: TransformContext) -> tuple[str, int] | None:
    """``if (c) A else B`` -> ``if (!(c)) B else A``; else-if chains are left alone."""
    if b"else" not in ctx.source:
        return None  # no else branch anywhere: skip the query
    syn, damage = syntax(ctx.language), Damage(ctx.tree)
    ifs, comments = query_sites(ctx.language, "(if_statement) @n", ctx.tree.root_node, damage)
    es, sites = EditSet(ctx.source), 0
    for node in innermost_first(ifs):
        condition = condition_parts(node, syn)
        cons, alt = node.child_by_field_name("consequence"), else_body(node)
        if condition is None or cons is None or alt is None or alt.type == "if_statement":
            continue
        cond, expression, kept = condition
        if comments.lost(node, [kept, cons, alt]):
            continue
        new_then = es.render_node(alt)
        if alt.type != syn.block and captures(ctx.language, "(if_statement) @i", alt).get("i"):
            new_then = b"{ " + new_then + b" }"  # keep the else from binding to an inner if
        parts = [
            ctx.source[node.start_byte : cond.start_byte],
            b"(" + negate(es, expression, syn.unary_operand) + b")",
            ctx.source[cond.end_byte : cons.start_byte],
            new_then,
            ctx.source[cons.end_byte : alt.start_byte],
            es.render_node(cons),
        ]
        es.replace(node.start_byte, node.end_byte, b"".join(parts))
        sites += 1
    return finish(es, sites)


def captures_first(stmt: Node, kind: str) -> Node | None:
    for child in stmt.named_children:
        if child.type == kind:
            return child
        if child.type in ("assignment_expression", "variable_declarator", "init_declarator"):
            value = child.child_by_field_name("right") or child.child_by_field_name("value")
            if value is not None and value.type == kind:
                return value
    return None


def _method_type(node: Node) -> str | None:
    current = node.parent
    while current is not None:
        if current.type in ("lambda_expression", "constructor_declaration"):
            return None
        if current.type in ("method_declaration", "function_definition"):
            type_node = current.child_by_field_name("type")
            return (type_node.text or b"").decode() if type_node is not None else None
        current = current.parent
    return None


def _target(ctx: TransformContext, stmt: Node, types: dict[str, str]) -> tuple[bytes, bytes, bytes] | None:
    """(prefix statement, assignment target or ``return``, suffix) for a supported ternary statement."""
    java = ctx.language == "java"
    if stmt.type == "return_statement":
        if java and not is_primitive(_method_type(stmt)):
            return None
        return b"", b"return ", b";"
    if stmt.type == "expression_statement":
        assign = stmt.named_children[0]
        left, op = assign.child_by_field_name("left"), assign.child_by_field_name("operator")
        if op is None or op.type != "=" or not is_pure(left, ctx.language):
            return None
        if java and (
            left is None
            or left.type != "identifier"
            or not is_primitive(types.get((left.text or b"").decode()))
        ):
            return None
        return b"", (left.text or b"" if left is not None else b"") + b" = ", b";"
    declarators = stmt.children_by_field_name("declarator")
    if (
        len(declarators) != 1
        or stmt.parent is None
        or stmt.parent.type not in ("block", "compound_statement")
    ):
        return None
    declarator = declarators[0]
    head = ctx.source[stmt.start_byte : declarator.start_byte]
    if java:
        type_node = stmt.child_by_field_name("type")
        if declarator.child_by_field_name("dimensions") is not None or not is_primitive(
            (type_node.text or b"").decode() if type_node else None
        ):
            return None
        name = declarator.child_by_field_name("name")
        return head + (name.text or b"") + b";", (name.text or b"") + b" = ", b";"  # type: ignore[union-attr]
    inner = declarator.child_by_field_name("declarator")
    if (
        inner is None
        or inner.type not in ("identifier", "pointer_declarator")
        or any(q in head for q in (b"const", b"static", b"extern"))
    ):
        return None
    name = inner if inner.type == "identifier" else inner.child_by_field_name("declarator")
    if name is None or name.type != "identifier":
        return None
    return head + (inner.text or b"") + b";", (name.text or b"") + b" = ", b";"


def _mixed_literals(ternary: Node) -> bool:
    """C: an unsigned or floating literal branch changes the ternary's common type; stay away."""
    for field in ("consequence", "alternative"):
        branch = ternary.child_by_field_name(field)
        lit = (branch.text or b"").lower() if branch is not None and branch.type == "number_literal" else b""
        if (
            b"u" in lit
            or b"." in lit
            or (b"e" in lit and not lit.startswith(b"0x"))
            or b"f" in lit
            and not lit.startswith(b"0x")
        ):
            return True
    return False


def ternary_to_if(ctx: TransformContext) -> tuple[str, int] | None:
    """``x = c ? a : b;`` / ``return c ? a : b;`` / ``T x = c ? a : b;`` -> if/else (Java: primitive types only)."""
    if b"?" not in ctx.source:
        return None  # no conditional expression anywhere: skip the query
    syn, damage = syntax(ctx.language), Damage(ctx.tree)
    stmts, comments = query_sites(ctx.language, syn.ternary_statements, ctx.tree.root_node, damage)
    types = java_types(ctx.tree.root_node) if ctx.language == "java" and stmts else {}
    es, sites = EditSet(ctx.source), 0
    unit = indent_unit(ctx.source)
    for stmt in innermost_first(stmts):
        ternary = captures_first(stmt, syn.ternary)
        target = _target(ctx, stmt, types) if ternary is not None else None
        if ternary is None or target is None or es.overlaps(stmt.start_byte, stmt.end_byte):
            continue
        cond, a, b = (ternary.child_by_field_name(f) for f in ("condition", "consequence", "alternative"))
        if cond is None or a is None or b is None or comments.lost(stmt, [cond, a, b]):
            continue
        if ctx.language != "java" and _mixed_literals(ternary):
            continue
        prefix, lhs, end = target
        indent = line_indent(ctx.source, stmt.start_byte)
        cond_text = es.render_node(
            cond.named_children[0]
            if cond.type == "parenthesized_expression" and cond.named_child_count == 1
            else cond
        )
        body = b"if (" + cond_text + b") {\n" + indent + unit + lhs + es.render_node(a) + end
        body += (
            b"\n"
            + indent
            + b"} else {\n"
            + indent
            + unit
            + lhs
            + es.render_node(b)
            + end
            + b"\n"
            + indent
            + b"}"
        )
        es.replace(stmt.start_byte, stmt.end_byte, (prefix + b"\n" + indent if prefix else b"") + body)
        sites += 1
    return finish(es, sites)
