"""C bindings: block-scope variables, parameters of function definitions and function names.

Macros are never renamed, nor is any name that occurs in a macro body (the macro may use it), nor
any argument of a macro that stringifies or pastes (``STR(count)`` prints the spelling), nor any
ALL_CAPS name (in real C those are macros or constants defined outside the snippet).
"""

from __future__ import annotations

import re

from tree_sitter import Node, Tree

from fidelity.transforms.edits import captures, text
from fidelity.transforms.macros import spelled_words
from fidelity.transforms.names import words_in
from fidelity.transforms.scope import Analysis, Binding, Kind, register_analyzer

_PATTERN = """
(identifier) @id
(function_definition) @fn
(declaration) @decl
(preproc_def name: (identifier) @macro)
(preproc_function_def name: (identifier) @macro)
(preproc_arg) @body
(preproc_params (identifier) @macro)
(preproc_function_def) @macrofn
"""
_WRAPPERS = {"init_declarator", "pointer_declarator", "array_declarator", "attributed_declarator"}
_CAPS = re.compile(r"[A-Z][A-Z0-9_]+\Z")


def declared_name(declarator: Node | None) -> tuple[Node | None, bool]:
    """The identifier a declarator declares, and whether it declares a function (a prototype)."""
    node = declarator
    while node is not None:
        if node.type == "identifier":
            return node, False
        if node.type == "function_declarator":
            inner = node.child_by_field_name("declarator")
            if inner is not None and inner.type == "identifier":
                return inner, True
            node = inner
        elif node.type == "parenthesized_declarator":
            node = node.named_child(0)
        elif node.type in _WRAPPERS:
            node = node.child_by_field_name("declarator")
        else:
            return None, False
    return None, False


def function_declarator(definition: Node) -> Node | None:
    node = definition.child_by_field_name("declarator")
    while node is not None and node.type != "function_declarator":
        if node.type not in _WRAPPERS and node.type != "parenthesized_declarator":
            return None
        node = node.child_by_field_name("declarator") or node.named_child(0)
    return node


def _definition(analysis: Analysis, fn: Node) -> None:
    span = (fn.start_byte, fn.end_byte)
    decl = function_declarator(fn)
    if decl is None:
        return
    name = decl.child_by_field_name("declarator")
    if name is not None and name.type == "identifier":
        analysis.bindings.append(
            Binding(text(name), "function", (0, 1 << 62), (name.start_byte, name.end_byte))
        )
        if text(name) == "main":
            analysis.blocked.add("main")
    params = decl.child_by_field_name("parameters")
    for param in params.named_children if params is not None else []:
        if param.type == "parameter_declaration":
            ident, _ = declared_name(param.child_by_field_name("declarator"))
            if ident is not None:
                analysis.bindings.append(
                    Binding(text(ident), "param", span, (ident.start_byte, ident.end_byte))
                )


def _declaration(analysis: Analysis, decl: Node) -> None:
    """Block-scope variables (and K&R parameter declarations); file-scope names stay untouched."""
    container = decl.parent
    while container is not None and container.type not in (
        "compound_statement",
        "for_statement",
        "function_definition",
        "translation_unit",
    ):
        container = container.parent
    if container is None or container.type == "translation_unit":
        return
    kind: Kind = "param" if container.type == "function_definition" else "local"
    start = container.start_byte if kind == "param" else decl.start_byte
    for declarator in decl.children_by_field_name("declarator"):
        ident, is_function = declared_name(declarator)
        if ident is None:
            continue
        if is_function or decl.has_error:  # a macro-mangled "declaration" may be a misparse
            analysis.blocked.add(text(ident))
        else:
            span = (start, container.end_byte)
            analysis.bindings.append(Binding(text(ident), kind, span, (ident.start_byte, ident.end_byte)))


@register_analyzer("c")
def analyze_c(source: bytes, tree: Tree) -> Analysis:
    found = captures("c", _PATTERN, tree.root_node, ordered=False)
    analysis = Analysis()
    macro_positions = {n.start_byte for n in found.get("macro", [])}
    analysis.blocked.update(text(n) for n in found.get("macro", []))
    for body in found.get("body", []):
        analysis.blocked.update(words_in(body.text or b""))
    analysis.blocked.update(spelled_words(source, found.get("macrofn", [])))
    analysis.candidates = [
        (
            n.start_byte,
            n.end_byte,
            n.text.decode("utf-8", "surrogatepass"),  # type: ignore[union-attr]
        )
        for n in found.get("id", [])
        if n.start_byte not in macro_positions
    ]
    analysis.blocked.update(filter(_CAPS.match, {name for _, _, name in analysis.candidates}))
    for fn in found.get("fn", []):
        _definition(analysis, fn)
    for decl in found.get("decl", []):
        _declaration(analysis, decl)
    return analysis
