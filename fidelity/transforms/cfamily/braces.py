"""``add_braces`` and ``remove_braces`` around the bodies of if/else/for/while/do."""

from __future__ import annotations

from tree_sitter import Node

from fidelity.transforms.base import TransformContext
from fidelity.transforms.cfamily.syntax import Comments, else_body, syntax
from fidelity.transforms.edits import (
    Damage,
    Edit,
    EditSet,
    apply_edits,
    captures,
    finish,
    innermost_first,
    line_indent,
)

# A body that ends in one of these could capture a following ``else`` once its braces are gone.
_OPEN_ENDED = {
    "if_statement",
    "for_statement",
    "while_statement",
    "enhanced_for_statement",
    "labeled_statement",
}


def owners_pattern(language: str) -> str:
    return syntax(language).brace_owners


def bodies(
    language: str, root: Node, damage: Damage, owners: list[Node] | None = None
) -> list[tuple[Node, Node]]:
    """(owning statement, body statement) pairs outside damaged regions; else-if bodies excluded.
    ``owners``: the statements already captured as ``@s`` with :func:`owners_pattern`."""
    if owners is None:
        owners = captures(language, owners_pattern(language), root).get("s", [])
    out: list[tuple[Node, Node]] = []
    for owner in owners:
        if damage.touches(owner):
            continue
        if owner.type == "if_statement":
            parts = [owner.child_by_field_name("consequence"), else_body(owner)]
        else:
            parts = [owner.child_by_field_name("body")]
        out.extend(
            (owner, p)
            for p in parts
            if p is not None
            and not (
                owner.type == "if_statement"
                and p.type == "if_statement"
                and p != owner.child_by_field_name("consequence")
            )
        )
    return out


def add_braces(ctx: TransformContext) -> tuple[str, int] | None:
    syn, damage = syntax(ctx.language), Damage(ctx.tree)
    edits: list[Edit] = []
    for owner, body in bodies(ctx.language, ctx.tree.root_node, damage):
        prev = body.prev_sibling
        if body.type == syn.block or prev is None or body.type == "ERROR":
            continue
        gap = ctx.source[prev.end_byte : body.start_byte]
        if b"\n" in gap:
            indent = line_indent(ctx.source, owner.start_byte)
            edits.append(Edit(prev.end_byte, prev.end_byte, b" {"))
            edits.append(Edit(body.end_byte, body.end_byte, b"\n" + indent + b"}", rank=-body.start_byte))
        else:
            edits.append(Edit(body.start_byte, body.start_byte, b"{ ", rank=body.start_byte))
            edits.append(Edit(body.end_byte, body.end_byte, b" }", rank=-body.start_byte))
    if not edits:
        return None
    return apply_edits(ctx.source, edits).decode("utf-8", errors="surrogatepass"), len(edits) // 2


def remove_braces(ctx: TransformContext) -> tuple[str, int] | None:
    """``{ stmt; }`` -> ``stmt;`` for single, non-declaration statements that cannot capture an else."""
    syn, damage, root = syntax(ctx.language), Damage(ctx.tree), ctx.tree.root_node
    found = captures(ctx.language, owners_pattern(ctx.language) + "\n" + syn.comment_query(), root)
    comments = Comments(ctx.language, root, found.get("c", []))  # one walk for both
    es, sites = EditSet(ctx.source), 0
    pairs = {
        body.start_byte: (owner, body)
        for owner, body in bodies(ctx.language, root, damage, found.get("s", []))
    }
    blocks = innermost_first([body for _, body in pairs.values()])
    for block in blocks:
        owner, _ = pairs[block.start_byte]
        inner = block.named_children
        prev = block.prev_sibling
        if block.type != syn.block or len(inner) != 1 or prev is None or comments.lost(block, []):
            continue
        stmt = inner[0]
        if stmt.type.startswith("preproc") or stmt.type in (
            syn.declaration,
            "class_declaration",
            "declaration",
        ):
            continue
        has_else = owner.type == "if_statement" and else_body(owner) is not None
        if has_else and block == owner.child_by_field_name("consequence") and stmt.type in _OPEN_ENDED:
            continue
        text = es.render_node(stmt)
        if b"\n" in ctx.source[block.start_byte : block.end_byte]:
            new = b"\n" + line_indent(ctx.source, stmt.start_byte) + text
            follow = ctx.source[block.end_byte : block.end_byte + 1]
            if (
                follow not in (b"\n", b"\r", b"")
                and owner.type != "do_statement"
                or owner.type == "do_statement"
            ):
                new += b"\n" + line_indent(ctx.source, owner.start_byte)
        else:
            new = b" " + text
        es.replace(prev.end_byte, block.end_byte, new)
        sites += 1
    return finish(es, sites)
