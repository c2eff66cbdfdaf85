"""``swap_relational_operands``, ``increment_rewrite``, ``expand_compound_assignment``."""

from __future__ import annotations

from tree_sitter import Node

from fidelity.transforms.base import TransformContext
from fidelity.transforms.cfamily.syntax import candidates, is_pure, java_types
from fidelity.transforms.edits import Damage, EditSet, captures, finish, innermost_first

# ``a op b`` == ``b MIRROR[op] a`` for the comparison operators (Java, C, C++ and Python spell them alike)
MIRROR = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}
_MIRROR = {a.encode(): b.encode() for a, b in MIRROR.items()}
_LEVEL = {b"<": 1, b">": 1, b"<=": 1, b">=": 1, b"==": 2, b"!=": 2}
# Only comparisons are captured (filtered in C): other binary expressions are never rewritten.
_COMPARISONS = '(binary_expression operator: ["<" ">" "<=" ">=" "==" "!="]) @n'


def _op(node: Node) -> bytes:
    op = node.child_by_field_name("operator")
    return op.type.encode() if op is not None else b""


def _may_throw(node: Node) -> bool:
    """Java: a field/array access can throw, so two of them must keep their order."""
    spelled = node.text or b""
    if b"." not in spelled and b"[" not in spelled:
        return False  # no access of either kind can hide in it: skip the query
    found = captures("java", "(array_access) @a (field_access object: (_) @o)", node)
    return bool(found.get("a")) or any(o.type != "this" for o in found.get("o", []))


def swap_relational_operands(ctx: TransformContext) -> tuple[str, int] | None:
    """``a < b`` -> ``b > a`` where both operands are side-effect free (so order is unobservable)."""
    damage = Damage(ctx.tree)
    es, sites = EditSet(ctx.source), 0
    for node in innermost_first(candidates(ctx.language, _COMPARISONS, ctx.tree.root_node, damage)):
        op = _op(node)
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if op not in _MIRROR or left is None or right is None or node.child_by_field_name("operator") is None:
            continue
        if any(c.type == "binary_expression" and _LEVEL.get(_op(c)) == _LEVEL[op] for c in (left, right)):
            continue  # a == b == c: swapping would re-associate
        if not (is_pure(left, ctx.language) and is_pure(right, ctx.language)):
            continue
        if ctx.language == "java" and _may_throw(left) and _may_throw(right):
            continue
        operator = node.child_by_field_name("operator")
        assert operator is not None
        new = b"".join(
            [
                es.render_node(right),
                ctx.source[left.end_byte : operator.start_byte],
                _MIRROR[op],
                ctx.source[operator.end_byte : right.start_byte],
                es.render_node(left),
            ]
        )
        es.replace(node.start_byte, node.end_byte, new)
        sites += 1
    return finish(es, sites)


_NUMERIC = {"int", "long", "short", "byte", "char", "float", "double"}


def value_unused(node: Node) -> bool:
    """The expression is a statement of its own or a for-loop update: its value is never read."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "expression_statement":
        return True
    return parent.type == "for_statement" and any(u == node for u in parent.children_by_field_name("update"))


def increment_rewrite(ctx: TransformContext) -> tuple[str, int] | None:
    """``i++`` <-> ``++i`` <-> ``i += 1`` (and ``--``) wherever the expression's value is unused."""
    damage = Damage(ctx.tree)
    root = ctx.tree.root_node
    nodes = candidates(ctx.language, "(update_expression) @n (assignment_expression) @n", root, damage)
    types = java_types(root) if ctx.language == "java" and nodes else {}
    es, sites = EditSet(ctx.source), 0
    for node in innermost_first(nodes):
        if not value_unused(node) or es.overlaps(node.start_byte, node.end_byte):
            continue
        new = _increment_variant(ctx, es, node, types)
        if new is not None:
            es.replace(node.start_byte, node.end_byte, new)
            sites += 1
    return finish(es, sites)


def _increment_variant(ctx: TransformContext, es: EditSet, node: Node, types: dict[str, str]) -> bytes | None:
    if node.type == "update_expression":
        operand = node.named_children[0] if node.named_children else None
        first = node.child(0)
        if operand is None or first is None:
            return None
        prefix = not first.is_named
        op = (first if prefix else node.child(node.child_count - 1)).type.encode()  # type: ignore[union-attr]
        target = es.render_node(operand)
        if ctx.rng.random() < 0.5:
            return target + op if prefix else op + target
        return target + (b" += 1" if op == b"++" else b" -= 1")
    op, left, right = _op(node), node.child_by_field_name("left"), node.child_by_field_name("right")
    if op not in (b"+=", b"-=") or left is None or right is None or right.text != b"1":
        return None
    if ctx.language == "java" and (
        left.type != "identifier" or types.get((left.text or b"").decode()) not in _NUMERIC
    ):
        return None  # ``s += 1`` may be String concatenation
    return es.render_node(left) + (b"++" if op == b"+=" else b"--")


_LOOSE = {
    "binary_expression",
    "conditional_expression",
    "ternary_expression",
    "assignment_expression",
    "comma_expression",
    "lambda_expression",
    "instanceof_expression",
}
_RANK = {"byte": 0, "short": 1, "char": 1, "int": 2, "long": 3, "float": 4, "double": 5}


def _java_type(node: Node | None, types: dict[str, str]) -> str | None:
    """Static type of a simple Java arithmetic expression; None when unknown."""
    if node is None:
        return None
    text = (node.text or b"").decode()
    if node.type in (
        "decimal_integer_literal",
        "hex_integer_literal",
        "octal_integer_literal",
        "binary_integer_literal",
    ):
        return "long" if text[-1:] in "lL" else "int"
    if node.type == "decimal_floating_point_literal":
        return "float" if text[-1:] in "fF" else "double"
    if node.type == "character_literal":
        return "char"
    if node.type == "identifier":
        return types.get(text)
    if node.type == "parenthesized_expression" or (node.type == "unary_expression" and text[:1] in "-+~"):
        return _java_type(node.named_children[-1] if node.named_children else None, types)
    if node.type == "binary_expression" and _op(node) in (b"+", b"-", b"*", b"/", b"%", b"&", b"|", b"^"):
        a, b = (
            _java_type(node.child_by_field_name("left"), types),
            _java_type(node.child_by_field_name("right"), types),
        )
        if a in _RANK and b in _RANK:
            wider = max(a, b, key=_RANK.__getitem__)  # type: ignore[arg-type]
            return "int" if _RANK[wider] < 2 else wider
    return None


def _java_expand_ok(op: bytes, target: str | None, rhs: str | None) -> bool:
    """``a op= b`` casts back to ``a``'s type; ``a = a op b`` only compiles/agrees without narrowing."""
    if target == "boolean":
        return op in (b"&=", b"|=", b"^=") and rhs == "boolean"
    if target not in ("int", "long", "float", "double"):
        return False  # byte/short/char need a cast; String/boxed types are out
    if op in (b"<<=", b">>=", b">>>="):
        return rhs in _RANK and _RANK[rhs] <= 3
    if target == "double":
        return rhs is None or rhs in _RANK
    return rhs in _RANK and _RANK[rhs] <= _RANK[target]


def expand_compound_assignment(ctx: TransformContext) -> tuple[str, int] | None:
    """``a op= b`` -> ``a = a op (b)`` when ``a`` is side-effect free (and, in Java, types allow it)."""
    damage = Damage(ctx.tree)
    root = ctx.tree.root_node
    nodes = candidates(ctx.language, "(assignment_expression) @n", root, damage)
    types = java_types(root) if ctx.language == "java" and nodes else {}
    es, sites = EditSet(ctx.source), 0
    for node in innermost_first(nodes):
        op, left, right = _op(node), node.child_by_field_name("left"), node.child_by_field_name("right")
        if (
            len(op) < 2
            or op in (b"==", b"!=", b"<=", b">=")
            or not op.endswith(b"=")
            or left is None
            or right is None
        ):
            continue
        if not is_pure(left, ctx.language) or es.overlaps(left.start_byte, left.end_byte):
            continue
        if ctx.language == "java":
            target = types.get((left.text or b"").decode()) if left.type == "identifier" else None
            if not _java_expand_ok(op, target, _java_type(right, types)):
                continue
        rhs = es.render_node(right)
        if right.type in _LOOSE:
            rhs = b"(" + rhs + b")"
        lhs = es.render_node(left)
        es.replace(node.start_byte, node.end_byte, lhs + b" = " + lhs + b" " + op[:-1] + b" " + rhs)
        sites += 1
    return finish(es, sites)
