"""Python ``swap_relational_operands`` and ``expand_compound_assignment``.

``a < b`` becomes ``b > a`` only for two-operand comparisons (``a < b < c`` means ``a < b and b < c``)
whose operands cannot observe each other's evaluation: one side a literal, or both sides built from
names and literals with arithmetic only (a call, attribute or subscript may run code that the other
side reads, and swapping would reorder it).

``x op= y`` becomes ``x = x op (y)`` only where that is the same operation: for immutable values.
``list += other`` mutates in place (aliases see it) while ``x = x + other`` rebinds, and a subscript
or attribute target would be evaluated twice, so only plain names are expanded whose every binding
in their scope is a number or string literal or a compound assignment, i.e. names that provably hold
an ``int``/``float``/``str`` (``global``/``nonlocal`` names are skipped).
"""

from __future__ import annotations

import re

from tree_sitter import Node

from fidelity.transforms.base import TransformContext
from fidelity.transforms.cfamily.operators import MIRROR
from fidelity.transforms.edits import Damage, Edit, apply_edits, captures, text

_LITERALS = {"integer", "float", "string", "true", "false", "none", "concatenated_string"}
_PURE = _LITERALS | {"identifier", "binary_operator", "unary_operator", "parenthesized_expression"}
_SCALARS = {"integer", "float", "string", "concatenated_string"}
_SCOPES = {"function_definition", "lambda", "class_definition", "module"}


def _literal(node: Node) -> bool:
    if node.type == "unary_operator":
        argument = node.child_by_field_name("argument")
        return argument is not None and _literal(argument)
    return node.type in _LITERALS and not (node.type == "string" and b"{" in (node.text or b""))


def _pure(node: Node) -> bool:
    """Only names, literals and operators: evaluating it runs no user code that has side effects
    on plain names (operators on plain numbers and strings)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type not in _PURE or (current.type == "string" and not _literal(current)):
            return False
        if current.type != "string":
            stack.extend(c for c in current.named_children if c.type != "comment")
    return True


def swap_relational_operands(ctx: TransformContext) -> tuple[str, int] | None:
    damage = Damage(ctx.tree)
    edits: list[Edit] = []
    last_end = -1
    nodes = captures("python", "(comparison_operator) @cmp", ctx.tree.root_node).get("cmp", [])
    for node in sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte)):
        operands = [c for c in node.named_children if c.type != "comment"]
        operators = [c for c in node.children if not c.is_named]
        if (
            len(operands) != 2
            or len(operators) != 1
            or text(operators[0]) not in MIRROR
            or damage.touches(node)
        ):
            continue
        left, right = operands
        if not (_literal(left) or _literal(right) or (_pure(left) and _pure(right))):
            continue
        if node.start_byte < last_end:
            continue  # nested in an already swapped comparison: keep the outer swap only
        last_end = node.end_byte
        swapped = f"{text(right)} {MIRROR[text(operators[0])]} {text(left)}"
        edits.append(Edit(node.start_byte, node.end_byte, swapped.encode()))
    if not edits:
        return None
    return apply_edits(ctx.source, edits).decode("utf-8", errors="surrogatepass"), len(edits)


def _scope_of(node: Node) -> Node:
    current = node.parent
    while current is not None and current.type not in _SCOPES:
        current = current.parent
    return current if current is not None else node


def _scalar_names(ctx: TransformContext) -> dict[tuple[int, str], bool]:
    """(scope start, name) -> whether every binding of the name in that scope keeps it a scalar."""
    pattern = """
    (assignment left: (identifier) right: (_)) @assign
    (augmented_assignment left: (identifier) @aug)
    (for_statement left: (_) @other)
    (for_in_clause left: (_) @other)
    (named_expression name: (identifier) @other)
    (as_pattern_target) @other
    (parameters) @other
    (lambda_parameters) @other
    (global_statement) @other
    (nonlocal_statement) @other
    (import_statement) @other
    (import_from_statement) @other
    (delete_statement) @other
    (case_pattern) @other
    (function_definition name: (identifier) @other)
    (class_definition name: (identifier) @other)
    (assignment left: [(pattern_list) (tuple_pattern) (list_pattern)] @other)
    """
    found = captures("python", pattern, ctx.tree.root_node)
    scalar: dict[tuple[int, str], bool] = {}
    for assign in found.get("assign", []):
        name, value = assign.child_by_field_name("left"), assign.child_by_field_name("right")
        if name is None or value is None:
            continue
        key = (_scope_of(assign).start_byte, text(name))
        ok = value.type in _SCALARS or (value.type == "unary_operator" and _literal(value))
        scalar[key] = scalar.get(key, True) and ok
    for node in found.get("other", []):  # any other binding form makes the type unknown
        for ident in captures("python", "(identifier) @id", node).get("id", []):
            scalar[(_scope_of(node).start_byte, text(ident))] = False
    return scalar


def expand_compound_assignment(ctx: TransformContext) -> tuple[str, int] | None:
    damage = Damage(ctx.tree)
    scalar = _scalar_names(ctx)
    edits: list[Edit] = []
    for node in captures("python", "(augmented_assignment) @aug", ctx.tree.root_node).get("aug", []):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        op = text(node.child_by_field_name("operator"))
        if left is None or right is None or left.type != "identifier" or damage.touches(node):
            continue
        if not scalar.get((_scope_of(node).start_byte, text(left)), False) or not re.fullmatch(r"\W+=", op):
            continue
        expanded = f"{text(left)} = {text(left)} {op[:-1]} ({text(right)})"
        edits.append(Edit(node.start_byte, node.end_byte, expanded.encode()))
    if not edits:
        return None
    return apply_edits(ctx.source, edits).decode("utf-8", errors="surrogatepass"), len(edits)
