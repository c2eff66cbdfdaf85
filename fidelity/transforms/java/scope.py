"""Java bindings: locals, parameters (methods, constructors, lambdas, catch) and method names."""

from __future__ import annotations

from tree_sitter import Node, Tree

from fidelity.transforms.edits import captures, text
from fidelity.transforms.scope import Analysis, Binding, Kind, register_analyzer, span

# One query, matched in C: every identifier plus the positions where an identifier is *not* a
# variable use (member names, labels, type-ish names) and every kind of declaration.
_PATTERN = """
(identifier) @id
(method_invocation name: (identifier) @call)
(field_access field: (identifier) @skip)
(method_reference (identifier) @mref .)
(labeled_statement (identifier) @skip)
(break_statement (identifier) @skip)
(continue_statement (identifier) @skip)
(class_declaration name: (identifier) @skip)
(interface_declaration name: (identifier) @skip)
(enum_declaration name: (identifier) @skip)
(record_declaration name: (identifier) @skip)
(enum_constant name: (identifier) @skip)
(annotation name: (identifier) @skip)
(marker_annotation name: (identifier) @skip)
(element_value_pair key: (identifier) @skip)
(scoped_identifier (identifier) @skip)
(constructor_declaration name: (identifier) @skip)
(switch_label (identifier) @skip)
(field_declaration declarator: (variable_declarator name: (identifier) @field))
(constant_declaration declarator: (variable_declarator name: (identifier) @field))
(formal_parameter name: (identifier) @param)
(spread_parameter (variable_declarator name: (identifier) @param))
(catch_formal_parameter name: (identifier) @catch)
(enhanced_for_statement name: (identifier) @scoped)
(resource name: (identifier) @resource)
(lambda_expression parameters: (identifier) @lambda)
(inferred_parameters (identifier) @lambda)
(local_variable_declaration declarator: (variable_declarator name: (identifier) @local))
(instanceof_expression name: (identifier) @pattern)
(method_declaration name: (identifier) @method)
"""
_BLOCKS = {"block", "switch_block", "constructor_body", "program", "class_body", "lambda_expression"}


def _up(node: Node, levels: int) -> Node:
    for _ in range(levels):
        parent = node.parent
        if parent is None:
            return node
        node = parent
    return node


def _scope(tag: str, ident: Node) -> tuple[Kind, tuple[int, int]] | None:
    """Where a bare use of the declared name resolves to this declaration."""
    if tag == "param":
        owner = _up(ident, 3)
        if owner.type == "formal_parameters":  # spread_parameter nests one level deeper
            owner = _up(owner, 1)
        if owner.type == "record_declaration":
            return None  # record components are fields
        return "param", span(owner)
    if tag == "lambda":
        owner = ident.parent if ident.parent and ident.parent.type == "lambda_expression" else _up(ident, 2)
        return "param", span(owner)
    if tag == "catch":
        return "local", span(_up(ident, 2))
    if tag == "scoped":
        return "local", span(_up(ident, 1))
    if tag == "resource":
        return "local", span(_up(ident, 3))
    if tag == "local":
        decl = _up(ident, 2)
        container = decl.parent or decl
        if container.type == "switch_block_statement_group":
            container = container.parent or container
        return "local", (decl.start_byte, container.end_byte)
    if tag == "pattern":  # flow scoping: visible to the end of the enclosing block
        block: Node | None = ident.parent
        while block is not None and block.type not in _BLOCKS:
            block = block.parent
        end = block.end_byte if block is not None else ident.end_byte
        return "local", (ident.start_byte, end)
    return None


def _arity(node: Node | None) -> int:
    """Argument/parameter count; -1 for varargs (never matches a call) or when unknown."""
    if node is None:
        return -1
    items = [c for c in node.named_children if "comment" not in c.type]
    return -1 if any(c.type == "spread_parameter" for c in items) else len(items)


def _methods(found: dict[str, list[Node]], analysis: Analysis) -> None:
    """Method names renamable when declared once, not overriding, and only called unqualified/``this``."""
    declared: dict[str, list[Node]] = {}
    for ident in found.get("method", []):
        declared.setdefault(text(ident), []).append(ident)
    calls: dict[str, list[Node]] = {}
    for ident in found.get("call", []):
        calls.setdefault(text(ident), []).append(ident)
    mrefs = {text(n) for n in found.get("mref", [])}
    for name, decls in declared.items():
        method = decls[0].parent
        modifiers = method.child(0) if method is not None else None
        overriding = modifiers is not None and modifiers.type == "modifiers" and "Override" in text(modifiers)
        if len(decls) > 1 or overriding or name == "main" or name in mrefs or method is None:
            analysis.blocked.add(name)
            continue
        spans = [span(decls[0])]
        arity = _arity(method.child_by_field_name("parameters"))
        for call in calls.get(name, []):
            receiver = call.parent.child_by_field_name("object") if call.parent else None
            # Another receiver, or another arity (an overload we cannot see): leave the name alone.
            if receiver is not None and receiver.type != "this" or _arity(call.next_named_sibling) != arity:
                analysis.blocked.add(name)
                break
            spans.append(span(call))
        analysis.bindings.append(Binding(name, "function", (0, 0), spans[0]))
        analysis.explicit[name] = spans


@register_analyzer("java")
def analyze_java(source: bytes, tree: Tree) -> Analysis:
    found = captures("java", _PATTERN, tree.root_node, ordered=False)
    analysis = Analysis()
    skipped = {n.start_byte for tag in ("skip", "call", "mref", "field") for n in found.get(tag, [])}
    analysis.candidates = [
        (
            n.start_byte,
            n.end_byte,
            n.text.decode("utf-8", "surrogatepass"),  # type: ignore[union-attr]
        )
        for n in found.get("id", [])
        if n.start_byte not in skipped
    ]
    for tag in ("param", "lambda", "catch", "scoped", "resource", "local", "pattern"):
        for ident in found.get(tag, []):
            scope = _scope(tag, ident)
            if scope is None or _up(ident, 2).has_error:
                analysis.blocked.add(text(ident))
            else:
                analysis.bindings.append(Binding(text(ident), scope[0], scope[1], span(ident)))
    analysis.fields = [(n.start_byte, text(n)) for n in found.get("field", [])]
    _methods(found, analysis)
    return analysis
