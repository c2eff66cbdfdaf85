"""``for_to_while`` and ``while_to_for``.

for -> while keeps the update running on every path that continues the loop: each ``continue``
that targets the loop becomes ``{ update; continue; }``. Enhanced-for / range loops are never touched.
"""

from __future__ import annotations

from tree_sitter import Node

from fidelity.transforms.base import TransformContext
from fidelity.transforms.c.scope import declared_name
from fidelity.transforms.cfamily.syntax import Comments, condition_parts, inside_loop_or_switch, syntax
from fidelity.transforms.cfamily.syntax import sites as query_sites
from fidelity.transforms.edits import (
    Damage,
    EditSet,
    captures,
    finish,
    indent_unit,
    innermost_first,
    line_indent,
    shift_lines,
)
from fidelity.transforms.profile import CFamily

# Java statements after which control surely reaches the next one (javac rejects unreachable code).
_COMPLETES = {"expression_statement", "local_variable_declaration", "declaration", "empty_statement"}


def _statements(body: Node) -> list[Node]:
    return [c for c in body.named_children if "comment" not in c.type]


def _completes_normally(body: Node, syn: CFamily) -> bool:
    last = _statements(body)[-1:] if body.type == syn.block else [body]
    if not last:
        return True
    node = last[0]
    return node.type in _COMPLETES or (
        node.type == "if_statement" and node.child_by_field_name("alternative") is None
    )


def _declared_inside(language: str, body: Node) -> set[str]:
    if language == "java":
        pattern = "(variable_declarator name: (identifier) @d) (catch_formal_parameter name: (identifier) @d)"
        return {(n.text or b"").decode() for n in captures(language, pattern, body).get("d", [])}
    names: set[str] = set()
    for decl in captures(language, "(declaration) @d", body).get("d", []):
        for declarator in decl.children_by_field_name("declarator"):
            ident, _ = declared_name(declarator)
            if ident is not None:
                names.add((ident.text or b"").decode())
    return names


def _own_continues(loop: Node, body: Node, syn: CFamily, language: str) -> list[Node] | None:
    """``continue`` statements that target ``loop``; None when a labelled one makes it unclear."""
    found = []
    for node in captures(language, "(continue_statement) @c", body).get("c", []):
        if node.named_child_count:  # labelled continue: targets some labelled loop
            if loop.parent is not None and loop.parent.type == "labeled_statement":
                return None
            continue
        if not inside_loop_or_switch(node, loop, syn.loops):
            found.append(node)
    return found


def _with_update(body: bytes, on_own_line: bool, update: bytes, indent: bytes, unit: bytes) -> bytes:
    """Append the update as the body's last statement, keeping the body's own layout."""
    if body.startswith(b"{") and body.endswith(b"}"):
        inner = body[1:-1].rstrip()
        if b"\n" in body:
            return b"{" + inner + b"\n" + indent + unit + update + b"\n" + indent + b"}"
        return b"{" + inner + b" " + update + b" }"
    if on_own_line:
        return b"{\n" + indent + unit + body + b"\n" + indent + unit + update + b"\n" + indent + b"}"
    return b"{ " + body + b" " + update + b" }"


def _rewrite_for(
    ctx: TransformContext, es: EditSet, loop: Node, syn: CFamily, comments: Comments, unit: bytes
) -> bytes | None:
    body = loop.child_by_field_name("body")
    if body is None or es.overlaps(loop.start_byte, loop.end_byte):
        return None
    inits = loop.children_by_field_name(syn.for_init)
    cond = loop.child_by_field_name("condition")
    updates = loop.children_by_field_name("update")
    if comments.lost(loop, [body, cond, *inits, *updates]):
        return None
    continues = _own_continues(loop, body, syn, ctx.language)
    update_names = {
        (n.text or b"").decode()
        for u in updates
        for n in captures(ctx.language, "(identifier) @i", u).get("i", [])
    }
    if continues is None or update_names & _declared_inside(ctx.language, body):
        return None
    if ctx.language == "java" and (
        updates
        and not _completes_normally(body, syn)
        or (loop.parent is not None and loop.parent.type == "labeled_statement")
    ):
        return None
    update = b" ".join(es.render_node(u) + b";" for u in updates)
    if update:
        for node in continues:
            es.replace(node.start_byte, node.end_byte, b"{ " + update + b" continue; }")
    indent = line_indent(ctx.source, loop.start_byte)
    own_line = b"\n" in ctx.source[(cond or loop).end_byte : body.start_byte]
    new_body = (
        _with_update(es.render_node(body), own_line, update, indent, unit) if update else es.render_node(body)
    )
    header = b"while (" + (es.render_node(cond) if cond is not None else syn.true.encode()) + b") "
    if not inits:
        return header + new_body
    init = b" ".join(_statement(es.render_node(i)) for i in inits)
    if b"\n" in new_body:
        inner = indent + unit
        return (
            b"{\n"
            + inner
            + init
            + b"\n"
            + inner
            + header
            + shift_lines(new_body, unit)
            + b"\n"
            + indent
            + b"}"
        )
    return b"{ " + init + b" " + header + new_body + b" }"


def _statement(code: bytes) -> bytes:
    return code if code.rstrip().endswith(b";") else code + b";"


def for_to_while(ctx: TransformContext) -> tuple[str, int] | None:
    if b"for" not in ctx.source:
        return None  # no for loop anywhere: skip the query
    syn, damage = syntax(ctx.language), Damage(ctx.tree)
    loops, comments = query_sites(ctx.language, "(for_statement) @n", ctx.tree.root_node, damage)
    if not loops:
        return None
    es, sites = EditSet(ctx.source), 0
    unit = indent_unit(ctx.source)  # once: it scans the whole input
    for loop in innermost_first(loops):
        new = _rewrite_for(ctx, es, loop, syn, comments, unit)
        if new is not None:
            es.replace(loop.start_byte, loop.end_byte, new)
            sites += 1
    return finish(es, sites)


def while_to_for(ctx: TransformContext) -> tuple[str, int] | None:
    """``while (c) body`` -> ``for (; c; ) body``: same evaluation order, nothing else to guard."""
    if b"while" not in ctx.source:
        return None  # no while loop anywhere: skip the query
    syn, damage = syntax(ctx.language), Damage(ctx.tree)
    loops, comments = query_sites(ctx.language, "(while_statement) @n", ctx.tree.root_node, damage)
    es, sites = EditSet(ctx.source), 0
    for loop in innermost_first(loops):
        condition = condition_parts(loop, syn)
        if condition is None:
            continue
        cond, inner, kept = condition
        if comments.lost(loop, [kept, loop.child_by_field_name("body")]):
            continue
        es.replace(loop.start_byte, cond.end_byte, b"for (; " + es.render_node(inner) + b"; )")
        sites += 1
    return finish(es, sites)
