"""C++ ``swap_relational_operands``, ``increment_rewrite`` and ``expand_compound_assignment``.

The C versions treat any identifier as a plain value. In C++ an identifier may be a class with
overloaded operators: ``a < b`` -> ``b > a`` does not compile when only ``operator<`` exists,
``acc += 5`` -> ``acc = acc + 5`` needs an ``operator+``, and ``it++`` -> ``it += 1`` fails for
list/map iterators. So these rewrites only touch names whose every declaration in the file has a
builtin arithmetic or pointer type (``int``, ``unsigned char``, ``double *``, ...); ``auto``,
templates and class types are left alone.
"""

from __future__ import annotations

from tree_sitter import Node

from fidelity.transforms.base import TransformContext
from fidelity.transforms.cfamily.operators import MIRROR, value_unused
from fidelity.transforms.cfamily.syntax import candidates
from fidelity.transforms.edits import Damage, EditSet, captures, finish, innermost_first, text

_LITERALS = {"number_literal", "char_literal", "true", "false", "nullptr"}
_ARITHMETIC = {"+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>"}
_DECLS = "(declaration) @d (parameter_declaration) @d (field_declaration) @d (for_range_loop) @d"
_WRAPPERS = {"init_declarator", "pointer_declarator", "reference_declarator", "array_declarator"}


def builtin_names(root: Node) -> set[str]:
    """Names whose every declaration in the file has a builtin arithmetic or pointer type."""
    builtin: dict[str, bool] = {}
    for decl in captures("cpp", _DECLS, root).get("d", []):
        type_node = decl.child_by_field_name("type")
        simple = type_node is not None and type_node.type in ("primitive_type", "sized_type_specifier")
        for declarator in decl.children_by_field_name("declarator"):
            node, ok = declarator, simple
            while node is not None and node.type in _WRAPPERS:
                ok = ok and node.type != "array_declarator"
                node = node.child_by_field_name("declarator") or node.named_child(0)
            if node is not None and node.type in ("identifier", "field_identifier"):
                builtin[text(node)] = builtin.get(text(node), True) and ok
    return {name for name, ok in builtin.items() if ok}


def _plain(node: Node | None, names: set[str]) -> bool:
    """Literals and builtin-typed names under arithmetic: no calls, no overloads, no side effects."""
    if node is None:
        return False
    if node.type in _LITERALS:
        return True
    if node.type == "identifier":
        return text(node) in names
    if node.type == "parenthesized_expression":
        return all(_plain(c, names) for c in node.named_children)
    if node.type == "unary_expression":
        return text(node.child(0))[:1] in "-+~!" and _plain(node.child_by_field_name("argument"), names)
    if node.type == "binary_expression":
        op = node.child_by_field_name("operator")
        return (
            op is not None
            and op.type in _ARITHMETIC
            and all(_plain(node.child_by_field_name(f), names) for f in ("left", "right"))
        )
    return False


def swap_relational_operands(ctx: TransformContext) -> tuple[str, int] | None:
    names = builtin_names(ctx.tree.root_node)
    es, sites = EditSet(ctx.source), 0
    for node in candidates("cpp", "(binary_expression) @n", ctx.tree.root_node, Damage(ctx.tree)):
        op = node.child_by_field_name("operator")
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        if op is None or op.type not in MIRROR or not (_plain(left, names) and _plain(right, names)):
            continue
        assert left is not None and right is not None
        if es.overlaps(node.start_byte, node.end_byte) or es.inside(node.start_byte, node.end_byte):
            continue
        swapped = f"{text(right)} {MIRROR[op.type]} {text(left)}"
        es.replace(node.start_byte, node.end_byte, swapped.encode())
        sites += 1
    return finish(es, sites)


def increment_rewrite(ctx: TransformContext) -> tuple[str, int] | None:
    """``i++`` -> ``++i`` or ``i += 1`` (and back) on builtin-typed names whose value is unused."""
    names = builtin_names(ctx.tree.root_node)
    pattern = "(update_expression) @n (assignment_expression) @n"
    es, sites = EditSet(ctx.source), 0
    for node in candidates("cpp", pattern, ctx.tree.root_node, Damage(ctx.tree)):
        target = node.child_by_field_name("argument" if node.type == "update_expression" else "left")
        if (
            target is None
            or target.type != "identifier"
            or text(target) not in names
            or not value_unused(node)
        ):
            continue
        name = text(target)
        if node.type == "update_expression":
            op = "++" if "++" in text(node) else "--"
            options = [f"{op}{name}", f"{name}{op}", f"{name} {op[0]}= 1"]
            new = ctx.rng.choice([o for o in options if o != text(node)])
        else:
            op_node = node.child_by_field_name("operator")
            if (
                op_node is None
                or op_node.type not in ("+=", "-=")
                or text(node.child_by_field_name("right")) != "1"
            ):
                continue
            new = f"{op_node.type[0] * 2}{name}"
        es.replace(node.start_byte, node.end_byte, new.encode())
        sites += 1
    return finish(es, sites)


def expand_compound_assignment(ctx: TransformContext) -> tuple[str, int] | None:
    """``x op= e`` -> ``x = x op (e)`` for builtin-typed names (same value, same single evaluation)."""
    names = builtin_names(ctx.tree.root_node)
    es, sites = EditSet(ctx.source), 0
    nodes = candidates("cpp", "(assignment_expression) @n", ctx.tree.root_node, Damage(ctx.tree))
    for node in innermost_first(nodes):
        op, left, right = (node.child_by_field_name(f) for f in ("operator", "left", "right"))
        if op is None or left is None or right is None or op.type == "=" or not op.type.endswith("="):
            continue
        if left.type != "identifier" or text(left) not in names:
            continue
        name = text(left)
        rhs = es.render_node(right).decode("utf-8", errors="surrogatepass")
        es.replace(node.start_byte, node.end_byte, f"{name} = {name} {op.type[:-1]} ({rhs})".encode())
        sites += 1
    return finish(es, sites)
