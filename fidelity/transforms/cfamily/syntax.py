"""Helpers the C-family rewrites share; the per-language node vocabulary is the language profile's
:class:`~fidelity.transforms.profile.CFamily`, so one rewrite serves Java, C and C++."""

from __future__ import annotations

import bisect

from tree_sitter import Node

from fidelity.transforms.edits import Damage, captures
from fidelity.transforms.profile import CFamily, cfamily

Syntax = CFamily  # the C-family part of a LanguageProfile


def syntax(language: str) -> CFamily:
    """The C-family vocabulary of ``language`` (ValueError for Python: it has its own rewrites)."""
    return cfamily(language)


def condition_parts(node: Node, syn: CFamily) -> tuple[Node, Node, Node] | None:
    """(condition node, its single expression, the node a comment must lie in to survive) of an
    ``if``/``while``; None when the condition is not one plain expression.

    Java/C: ``(c)`` is a parenthesized_expression holding ``c``; C++: a ``condition_clause`` that holds
    only an expression (no init-statement, no declaration); ``if constexpr`` keeps its ``constexpr``.
    """
    cond = node.child_by_field_name("condition")
    if cond is None:
        return None
    if syn.condition == "clause":
        if cond.type != "condition_clause" or cond.named_child_count != 1:
            return None
        value = cond.child_by_field_name("value")
        if value is None or value.type in ("declaration", "init_statement", "comment"):
            return None
        return cond, value, value
    if cond.type != "parenthesized_expression" or cond.named_child_count != 1:
        return None
    return cond, cond.named_children[0], cond


def else_body(if_node: Node) -> Node | None:
    """The statement after ``else`` (C/C++ wrap it in an ``else_clause``; Java does not)."""
    alt = if_node.child_by_field_name("alternative")
    if alt is not None and alt.type == "else_clause":
        return alt.named_children[-1] if alt.named_children else None
    return alt


class Comments:
    """Comment ranges of the input: a rewrite that rebuilds a node from its parts must not drop one."""

    def __init__(self, language: str, root: Node, found: list[Node] | None = None) -> None:
        if found is None:  # not captured together with the sites (see :func:`sites`)
            found = captures(language, syntax(language).comment_query(), root).get("c", [])
        self.spans = sorted((n.start_byte, n.end_byte) for n in found)
        self._starts = [s for s, _ in self.spans]

    def lost(self, outer: Node, kept: list[Node | None]) -> bool:
        """True when a comment inside ``outer`` lies outside every node in ``kept``.

        Only the comments starting inside ``outer`` are looked at (bisection), so checking every
        site of a rewrite costs the comments inside the sites, not sites x comments."""
        keep = [(n.start_byte, n.end_byte) for n in kept if n is not None]
        lo = bisect.bisect_left(self._starts, outer.start_byte)
        hi = bisect.bisect_left(self._starts, outer.end_byte, lo)
        return any(not any(a <= s and e <= b for a, b in keep) for s, e in self.spans[lo:hi])


def candidates(language: str, pattern: str, root: Node, damage: Damage) -> list[Node]:
    """Nodes captured as ``@n`` that lie wholly outside damaged regions."""
    return [n for n in captures(language, pattern, root).get("n", []) if not damage.touches(n)]


def sites(language: str, pattern: str, root: Node, damage: Damage) -> tuple[list[Node], Comments]:
    """:func:`candidates` and the input's :class:`Comments` from one query: each query walks the
    whole tree (about half the cost of parsing it), so two walks would cost twice that."""
    found = captures(language, pattern + "\n" + syntax(language).comment_query(), root)
    nodes = [n for n in found.get("n", []) if not damage.touches(n)]
    return nodes, Comments(language, root, found.get("c", []))


def inside_loop_or_switch(node: Node, stop: Node, kinds: frozenset[str]) -> bool:
    """Whether an ancestor of ``node`` below ``stop`` has a type in ``kinds``."""
    current = node.parent
    while current is not None and current != stop:
        if current.type in kinds:
            return True
        current = current.parent
    return False


_PURE_LEAVES = {
    "identifier",
    "number_literal",
    "decimal_integer_literal",
    "hex_integer_literal",
    "octal_integer_literal",
    "binary_integer_literal",
    "decimal_floating_point_literal",
    "character_literal",
    "char_literal",
    "string_literal",
    "true",
    "false",
    "null_literal",
    "null",
    "this",
    "field_identifier",
}
_PURE_INNER = {
    "parenthesized_expression",
    "field_expression",
    "field_access",
    "subscript_expression",
    "array_access",
    "unary_expression",
    "pointer_expression",
    "binary_expression",
    "sizeof_expression",
    "cast_expression",
    "type_descriptor",
}


def is_pure(node: Node | None, language: str) -> bool:
    """No side effects and no calls: safe to evaluate twice or in another order.

    Java excludes ``/``, ``%`` and ``+`` (division by zero throws; ``+`` may call ``toString``).
    """
    if node is None:
        return False
    if node.type in _PURE_LEAVES or node.type.endswith("_type") or node.type == "type_identifier":
        return True
    if node.type not in _PURE_INNER:
        return False
    if node.type == "binary_expression" and language == "java":
        op = node.child_by_field_name("operator")
        if op is None or op.type in ("/", "%", "+"):
            return False
    if node.type == "unary_expression":
        op = node.child(0)
        if op is None or op.type not in ("-", "+", "!", "~"):
            return False
    return all(is_pure(child, language) for child in node.named_children)


_PRIMITIVES = {"int", "long", "short", "byte", "char", "float", "double", "boolean"}


def java_types(root: Node) -> dict[str, str]:
    """Name -> declared type text for every Java declaration whose type is unambiguous in the file."""
    pattern = "(local_variable_declaration) @d (field_declaration) @d (formal_parameter) @d"
    types: dict[str, str] = {}
    clashes: set[str] = set()
    for decl in captures("java", pattern, root).get("d", []):
        type_node = decl.child_by_field_name("type")
        if type_node is None:
            continue
        type_text = (type_node.text or b"").decode()
        names = [decl] if decl.type == "formal_parameter" else decl.children_by_field_name("declarator")
        for owner in names:
            name = owner.child_by_field_name("name")
            if name is None:
                continue
            declared = type_text + "[]" if owner.child_by_field_name("dimensions") is not None else type_text
            key = (name.text or b"").decode()
            if types.get(key, declared) != declared:
                clashes.add(key)
            types[key] = declared
    return {k: v for k, v in types.items() if k not in clashes}


def is_primitive(type_text: str | None) -> bool:
    return type_text in _PRIMITIVES
