"""Python ``insert_dead_code`` and ``reformat``.

Dead code is one statement with a fresh name, placed before a statement inside a function body
(never at module or class level, where a new name would become a global or an attribute, and never
before a docstring, which would stop being one). Files that inspect their own namespace
(``locals``, ``vars``, ``dir``, ``eval``, ``exec``) are left alone.

``reformat`` re-spaces tokens within a line: around operators, after commas and inside brackets.
Indentation, line breaks, strings (f-string contents included) and comments are untouched, and
whitespace is never removed between two word-like tokens, so tokenisation cannot change.
"""

from __future__ import annotations

from tree_sitter import Node

from fidelity.transforms.base import TransformContext
from fidelity.transforms.edits import Damage, Edit, apply_edits, captures, indent_unit, line_indent, text
from fidelity.transforms.names import FreshNames, words_in

_INTROSPECTION = {"locals", "vars", "dir", "eval", "exec", "globals"}
_SNIPPETS = (
    "{v} = {k}",
    "{v} = [{k}] * 0",
    "if False:\n{i}{u}{v} = {k}",
    "for {v} in ():\n{i}{u}pass",
    "while False:\n{i}{u}{v} = {k}",
)


def _function_blocks(root: Node) -> list[tuple[Node, bool]]:
    """Blocks whose statements run inside a function (not a class body), with whether the block is
    the function's own body; one iterative walk, so deep nesting costs no recursion."""
    out: list[tuple[Node, bool]] = []
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, in_function = stack.pop()
        if node.type == "block" and in_function:
            parent = node.parent
            out.append((node, parent is not None and parent.type == "function_definition"))
        if node.type == "function_definition":
            in_function = True
        elif node.type == "class_definition":
            in_function = False
        stack.extend((child, in_function) for child in node.named_children)
    return out


def _sites(ctx: TransformContext) -> list[Node]:
    """Statements in function bodies, each starting its own line, that a statement may precede."""
    sites = []
    for block, is_body in _function_blocks(ctx.tree.root_node):
        statements = [c for c in block.named_children if c.type != "comment"]
        if is_body and statements and _is_docstring(statements[0]):
            statements = statements[1:]
        for stmt in statements:
            line_start = ctx.source.rfind(b"\n", 0, stmt.start_byte) + 1
            if not ctx.source[line_start : stmt.start_byte].strip():
                sites.append(stmt)
    return sites


def _is_docstring(stmt: Node) -> bool:
    child = stmt.named_child(0) if stmt.named_child_count == 1 else None
    return stmt.type == "expression_statement" and child is not None and child.type == "string"


def insert_dead_code(ctx: TransformContext) -> tuple[str, int] | None:
    callees = captures("python", "(call function: (identifier) @f)", ctx.tree.root_node).get("f", [])
    if any(text(c) in _INTROSPECTION for c in callees):
        return None
    damage = Damage(ctx.tree)
    sites = [s for s in _sites(ctx) if not damage.touches(s)]
    if not sites:
        return None
    stmt = ctx.rng.choice(sites)
    fresh = FreshNames(words_in(ctx.source), ctx.rng, "python")
    indent = line_indent(ctx.source, stmt.start_byte).decode()
    snippet = ctx.rng.choice(_SNIPPETS).format(
        v=fresh.fresh(), k=ctx.rng.randint(0, 99), i=indent, u=indent_unit(ctx.source).decode()
    )
    out = apply_edits(ctx.source, [Edit(stmt.start_byte, stmt.start_byte, f"{snippet}\n{indent}".encode())])
    return out.decode("utf-8", errors="surrogatepass"), 1


_OPERATORS = set(
    [
        "+",
        "-",
        "*",
        "/",
        "//",
        "%",
        "**",
        "=",
        "==",
        "!=",
        "<",
        ">",
        "<=",
        ">=",
        "+=",
        "-=",
        "*=",
        "/=",
        "//=",
        "%=",
        "**=",
        "&",
        "|",
        "^",
        "<<",
        ">>",
        "&=",
        "|=",
        "^=",
        "<<=",
        ">>=",
        "->",
        ":=",
    ]
)
_OPEN, _CLOSE = {"(", "[", "{"}, {")", "]", "}"}
_ATOMIC = {"string", "concatenated_string", "comment"}


def _leaves(root: Node) -> list[Node]:
    """Tokens in source order; strings and comments count as single tokens (never edited inside)."""
    out: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.child_count == 0 or node.type in _ATOMIC:
            out.append(node)
        else:
            stack.extend(reversed(node.children))
    return out


def _gap(left: Node, right: Node, style: str) -> str | None:
    """The new whitespace between two tokens, or None to leave the gap as it is."""
    a, b = text(left), text(right)
    if left.type in _ATOMIC or right.type in _ATOMIC or "." in (a, b) or left.type == "integer":
        return None
    if a in _OPEN or b in _CLOSE:
        return " " if style == "padded" else ""
    if b == ",":
        return ""
    if a == ",":
        return " "
    if a in _OPERATORS or b in _OPERATORS:
        return "" if style == "compact" else " "
    return None


def reformat(ctx: TransformContext) -> tuple[str, int] | None:
    damage = Damage(ctx.tree)
    style = ctx.rng.choice(("compact", "spaced", "padded"))
    leaves = [n for n in _leaves(ctx.tree.root_node) if n.end_byte > n.start_byte]
    edits: list[Edit] = []
    for left, right in zip(leaves, leaves[1:], strict=False):
        between = ctx.source[left.end_byte : right.start_byte]
        if between.strip(b" \t") or left.end_point.row != right.start_point.row:
            continue  # line breaks, continuations and comments stay as written
        if damage.overlaps(left.start_byte, right.end_byte):
            continue
        gap = _gap(left, right, style)
        if gap is not None and gap.encode() != between:
            edits.append(Edit(left.end_byte, right.start_byte, gap.encode()))
    if not edits:
        return None
    return apply_edits(ctx.source, edits).decode("utf-8", errors="surrogatepass"), len(edits)
