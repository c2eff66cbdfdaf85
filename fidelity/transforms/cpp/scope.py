"""C++ bindings for the shared renamer: block-scope variables, parameters (functions, lambdas,
catch clauses), range-for and structured-binding names, and free functions.

Members never change: they are ``field_identifier`` tokens, and a member declared anywhere blocks a
function binding of the same name (an unqualified use inside a method may mean the member). What
a rename could reach but not see is blocked: macro names and every word of a macro body, arguments
of macros that stringify or paste (``#x``, ``a##b``), template parameters, lambda init-captures,
ALL_CAPS names, and any free function that is overloaded, defined in a class or namespace-qualified
(``geo::area``). Qualified names (``::x``, ``std::max``) are never uses of a local.
"""

from __future__ import annotations

import re

from tree_sitter import Node, Tree

from fidelity.transforms.edits import captures, text
from fidelity.transforms.macros import spelled_words
from fidelity.transforms.names import words_in
from fidelity.transforms.scope import Analysis, Binding, register_analyzer, span

_PATTERN = """
(identifier) @id
(qualified_identifier name: (identifier) @qualified)
(qualified_identifier name: (template_function name: (identifier) @qualified))
(function_definition) @fn
(declaration) @decl
(for_range_loop) @range
(lambda_expression) @lambda
(catch_clause) @catch
(field_identifier) @member
(preproc_def name: (identifier) @macro)
(preproc_function_def) @macrofn
(preproc_arg) @body
(template_parameter_list) @template
(lambda_capture_initializer left: (identifier) @blocked)
"""
_WRAPPERS = {
    "init_declarator",
    "pointer_declarator",
    "array_declarator",
    "reference_declarator",
    "attributed_declarator",
    "parenthesized_declarator",
}
_CONTAINERS = {
    "compound_statement",
    "for_statement",
    "for_range_loop",
    "if_statement",
    "while_statement",
    "switch_statement",
    "catch_clause",
    "condition_clause",
    "function_definition",
    "lambda_expression",
    "translation_unit",
    "field_declaration_list",
    "namespace_definition",
    "declaration_list",
    "template_declaration",
}
_FILE_LEVEL = {
    "translation_unit",
    "field_declaration_list",
    "namespace_definition",
    "declaration_list",
    "template_declaration",
}
_CAPS = re.compile(r"[A-Z][A-Z0-9_]+\Z")
_EVERYWHERE = (0, 1 << 62)


def declared(declarator: Node | None) -> list[Node]:
    """Identifiers a declarator introduces (several for a structured binding); none for functions."""
    node = declarator
    while node is not None and node.type in _WRAPPERS:
        inner = node.child_by_field_name("declarator")
        node = (
            inner
            if inner is not None
            else next((c for c in node.named_children if c.type != "comment"), None)
        )
    if node is None:
        return []
    if node.type == "identifier":
        return [node]
    if node.type == "structured_binding_declarator":
        return [c for c in node.named_children if c.type == "identifier"]
    return []


def _function_name(fn: Node) -> Node | None:
    node = fn.child_by_field_name("declarator")
    while node is not None and node.type != "function_declarator":
        if node.type not in _WRAPPERS:
            return None
        node = node.child_by_field_name("declarator") or node.named_child(0)
    return node


def _parameters(analysis: Analysis, owner: Node, declarator: Node | None) -> None:
    params = declarator.child_by_field_name("parameters") if declarator is not None else None
    for param in params.named_children if params is not None else []:
        if param.type in ("parameter_declaration", "optional_parameter_declaration"):
            for ident in declared(param.child_by_field_name("declarator")):
                analysis.bindings.append(Binding(text(ident), "param", span(owner), span(ident)))


def _function(analysis: Analysis, fn: Node, defined: dict[str, int]) -> None:
    decl = _function_name(fn)
    if decl is None:
        return
    _parameters(analysis, fn, decl)
    name = decl.child_by_field_name("declarator")
    owner = (
        fn.parent.parent if fn.parent is not None and fn.parent.type == "template_declaration" else fn.parent
    )
    in_class = owner is not None and owner.type == "field_declaration_list"
    if name is None or name.type != "identifier" or in_class:
        if name is not None and name.type == "qualified_identifier":
            analysis.blocked.update(text(n) for n in captures("cpp", "(identifier) @i", name).get("i", []))
        return
    defined[text(name)] = defined.get(text(name), 0) + 1
    analysis.bindings.append(Binding(text(name), "function", _EVERYWHERE, span(name)))


def _declaration(analysis: Analysis, decl: Node) -> None:
    container = decl.parent
    while container is not None and container.type not in _CONTAINERS:
        container = container.parent
    if container is None or container.type in _FILE_LEVEL:
        return  # globals, members and namespace-scope names stay untouched
    for declarator in decl.children_by_field_name("declarator"):
        inner = declarator
        while inner is not None and inner.type in _WRAPPERS:
            inner = inner.child_by_field_name("declarator") or inner.named_child(0)
        if inner is not None and inner.type == "function_declarator":
            analysis.blocked.update(text(i) for i in declared(inner.child_by_field_name("declarator")))
            continue
        scope_start = container.start_byte if container.type == "condition_clause" else decl.start_byte
        owner = container.parent if container.type == "condition_clause" and container.parent else container
        for ident in declared(declarator):
            analysis.bindings.append(
                Binding(text(ident), "local", (scope_start, owner.end_byte), span(ident))
            )


def _macros(found: dict[str, list[Node]], analysis: Analysis, source: bytes) -> set[int]:
    """Block macro names, words of macro bodies and arguments of stringifying/pasting macros;
    returns the offsets of macro-name tokens (never candidates)."""
    positions = set()
    for node in found.get("macro", []):
        analysis.blocked.add(text(node))
        positions.add(node.start_byte)
    for body in found.get("body", []):
        analysis.blocked.update(words_in(body.text or b""))
    analysis.blocked.update(spelled_words(source, found.get("macrofn", [])))  # STR(x) -> "x"
    for fn in found.get("macrofn", []):
        name = fn.child_by_field_name("name")
        if name is None:
            continue
        analysis.blocked.add(text(name))
        positions.add(name.start_byte)
        for param in captures("cpp", "(preproc_params (identifier) @p)", fn).get("p", []):
            analysis.blocked.add(text(param))
            positions.add(param.start_byte)
    return positions


@register_analyzer("cpp")
def analyze_cpp(source: bytes, tree: Tree) -> Analysis:
    found = captures("cpp", _PATTERN, tree.root_node, ordered=False)
    analysis = Analysis()
    skipped = _macros(found, analysis, source) | {n.start_byte for n in found.get("qualified", [])}
    analysis.candidates = [
        (n.start_byte, n.end_byte, text(n)) for n in found.get("id", []) if n.start_byte not in skipped
    ]
    analysis.blocked.update(filter(_CAPS.match, {name for _, _, name in analysis.candidates}))
    analysis.blocked.update(text(n) for n in found.get("blocked", []))
    analysis.blocked.update(text(n) for n in found.get("qualified", []))
    for params in found.get("template", []):
        analysis.blocked.update(text(n) for n in captures("cpp", "(identifier) @i", params).get("i", []))
    defined: dict[str, int] = {}
    for fn in found.get("fn", []):
        _function(analysis, fn, defined)
    analysis.blocked.update(name for name, count in defined.items() if count > 1)
    analysis.blocked.add("main")
    for lam in found.get("lambda", []):
        _parameters(analysis, lam, lam.child_by_field_name("declarator"))
    for catch in found.get("catch", []):
        catch_params = catch.child_by_field_name("parameters")
        for param in catch_params.named_children if catch_params is not None else []:
            for ident in declared(param.child_by_field_name("declarator")):
                analysis.bindings.append(Binding(text(ident), "local", span(catch), span(ident)))
    for loop in found.get("range", []):
        for ident in declared(loop.child_by_field_name("declarator")):
            analysis.bindings.append(Binding(text(ident), "local", span(loop), span(ident)))
    for decl in found.get("decl", []):
        _declaration(analysis, decl)
    # A member anywhere may be what an unqualified name inside a method means: functions yield to it.
    members = {text(n) for n in found.get("member", [])}
    analysis.blocked.update(b.name for b in analysis.bindings if b.kind == "function" and b.name in members)
    return analysis
