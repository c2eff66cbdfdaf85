"""``switch_to_if``: a ``switch`` whose groups all end in ``break`` (or return/throw/continue) becomes
an if/else-if chain. Fall-through, stray breaks, declarations, labels or non-constant selectors: skip.
"""

from __future__ import annotations

from tree_sitter import Node

from fidelity.transforms.base import TransformContext
from fidelity.transforms.cfamily.syntax import is_pure, syntax
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

_EXITS = {"return_statement", "throw_statement", "continue_statement"}
_JAVA_INT = {
    "decimal_integer_literal",
    "hex_integer_literal",
    "octal_integer_literal",
    "binary_integer_literal",
    "character_literal",
}
_BREAK_SCOPES = frozenset(
    {
        "for_statement",
        "while_statement",
        "do_statement",
        "enhanced_for_statement",
        "switch_statement",
        "switch_expression",
        "lambda_expression",
        "class_body",
    }
)

Group = tuple[list[Node | None], list[Node]]  # (case values, None = default; statements)


def _groups(switch: Node, language: str) -> list[Group] | None:
    body = switch.child_by_field_name("body")
    if body is None:
        return None
    groups: list[Group] = []
    pending: list[Node | None] = []
    for child in body.named_children:
        if language == "java":
            if child.type != "switch_block_statement_group":
                return None
            labels = [c for c in child.named_children if c.type == "switch_label"]
            values: list[Node | None] = [
                lab.named_children[0] if lab.named_children else None for lab in labels
            ]
            if any(lab.named_child_count > 1 for lab in labels):
                return None
            stmts = [c for c in child.named_children if c.type != "switch_label"]
        else:
            if child.type != "case_statement":
                return None
            value = child.child_by_field_name("value")
            values = [value]
            stmts = [c for c in child.named_children if c != value]
        pending.extend(values)
        if stmts:
            groups.append((pending, stmts))
            pending = []
    if pending:
        groups.append((pending, []))
    return groups


def _group_ok(stmts: list[Node], last: bool, syn_decl: str, language: str) -> bool:
    if any(s.type in (syn_decl, "declaration", "labeled_statement") or "comment" in s.type for s in stmts):
        return False
    ends = bool(stmts) and (
        stmts[-1].type == "break_statement" and stmts[-1].named_child_count == 0 or stmts[-1].type in _EXITS
    )
    if not ends and not last:
        return False  # fall-through
    body = stmts[:-1] if stmts and stmts[-1].type == "break_statement" else stmts
    for stmt in body:
        for node in captures(language, syntax(language).switch_jumps, stmt).get("b", []):
            current, nested = node.parent, False
            while current is not None and current != stmt.parent:
                nested = nested or current.type in _BREAK_SCOPES
                current = current.parent
            if not nested or node.type != "break_statement":
                return False
    return True


def _test(selector: bytes, values: list[Node], language: str) -> bytes | None:
    if language == "java":
        if all(v.type == "string_literal" for v in values):
            return b" || ".join(selector + b".equals(" + (v.text or b"") + b")" for v in values)
        if not all(v.type in _JAVA_INT for v in values):
            return None  # enum constants need qualification in an if
    return b" || ".join(selector + b" == " + (v.text or b"") for v in values)


def _dedent(source: bytes, es: EditSet, stmt: Node, new: bytes) -> bytes:
    """The statement's text with its continuation lines moved by the same amount as its first line."""
    old = line_indent(source, stmt.start_byte)
    text = es.render_node(stmt)
    return text.replace(b"\n" + old, b"\n" + new) if old != new and b"\n" in text else text


def _rewrite(ctx: TransformContext, es: EditSet, switch: Node, unit: bytes) -> bytes | None:
    syn = syntax(ctx.language)
    cond = switch.child_by_field_name("condition")
    selector = cond.named_children[0] if cond is not None and cond.named_child_count == 1 else None
    groups = _groups(switch, ctx.language)
    if selector is None or groups is None or not groups or not is_pure(selector, ctx.language):
        return None
    if not all(
        _group_ok(stmts, i == len(groups) - 1, syn.declaration, ctx.language)
        for i, (_, stmts) in enumerate(groups)
    ):
        return None
    indent = line_indent(ctx.source, switch.start_byte)
    inner_indent = indent + unit
    branches: list[tuple[bytes | None, bytes]] = []
    default: bytes | None = None
    for values, stmts in groups:
        kept = stmts[:-1] if stmts and stmts[-1].type == "break_statement" else stmts
        inner = b"".join(b"\n" + inner_indent + _dedent(ctx.source, es, s, inner_indent) for s in kept)
        block = b"{" + inner + b"\n" + indent + b"}"
        if None in values:
            default = block
            continue
        test = _test(es.render_node(selector), [v for v in values if v is not None], ctx.language)
        if test is None:
            return None
        branches.append((test, block))
    if not branches:
        return None
    out = b" else ".join(b"if (" + (t or b"") + b") " + block for t, block in branches)
    return out + (b" else " + default if default is not None else b"")


def switch_to_if(ctx: TransformContext) -> tuple[str, int] | None:
    if b"switch" not in ctx.source:
        return None  # no switch anywhere: skip the query
    syn, damage = syntax(ctx.language), Damage(ctx.tree)
    switches, comments = query_sites(ctx.language, f"({syn.switch}) @n", ctx.tree.root_node, damage)
    es, sites = EditSet(ctx.source), 0
    unit = indent_unit(ctx.source)  # once: it scans the whole input
    for switch in innermost_first(switches):
        parent = switch.parent
        if parent is None or parent.type not in (syn.block, "switch_block_statement_group", "case_statement"):
            continue  # a switch used as an expression, or labelled
        if comments.lost(switch, []) or es.overlaps(switch.start_byte, switch.end_byte):
            continue
        new = _rewrite(ctx, es, switch, unit)
        if new is not None:
            es.replace(switch.start_byte, switch.end_byte, new)
            sites += 1
    return finish(es, sites)
