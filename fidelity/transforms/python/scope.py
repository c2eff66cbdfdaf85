"""Python bindings for the shared renamer: function locals, parameters and function names.

Python scoping is decided per function: a name bound anywhere in a function body is local to the whole
body (closures included), so a binding's span is its function (from the parameter list on), lambda
or comprehension. Module-level and class-body names are never renamed (they are globals and
attributes: other files, ``getattr`` and ``Class.attr`` reach them). Names are blocked, never renamed
anywhere, when a rename could be observed:

- ``global``/``nonlocal`` names, names bound by imports, names in ``match`` patterns, class names;
- names used as call keywords (``f(x=1)``) or equal to a string literal (``getattr(o, "x")``,
  ``{"x": 1}`` passed as ``**kwargs``, ``__all__``, ``fn.__name__ == "f"``), and every parameter
  when some call passes ``**mapping`` (its keys cannot be seen);
- a name bound in a function and also read in its defaults or a comprehension's first iterable
  (those are evaluated in the enclosing scope);
- everything, when the code calls ``locals``/``vars``/``eval``/``exec``.
"""

from __future__ import annotations

import bisect
import re

from tree_sitter import Node, Tree

from fidelity.transforms.edits import captures, text
from fidelity.transforms.scope import Analysis, Binding, Kind, register_analyzer, span

_PATTERN = """
(identifier) @id
(attribute attribute: (identifier) @skip)
(keyword_argument name: (identifier) @kw)
(keyword_pattern . (identifier) @skip)
(import_statement) @import
(import_from_statement) @import
(future_import_statement) @import
(global_statement (identifier) @global)
(nonlocal_statement (identifier) @global)
(function_definition) @function
(lambda) @lambda
(class_definition) @class
(list_comprehension) @comp
(set_comprehension) @comp
(dictionary_comprehension) @comp
(generator_expression) @comp
(assignment left: (_) @target)
(augmented_assignment left: (_) @target)
(for_statement left: (_) @target)
(for_in_clause left: (_) @target)
(as_pattern_target) @target
(named_expression name: (identifier) @walrus)
(case_pattern) @case
(string_content) @string
(argument_list (dictionary_splat) @splat)
(call function: (identifier) @callee)
"""
_PATTERN_TYPES = {
    "pattern_list",
    "tuple_pattern",
    "list_pattern",
    "tuple",
    "list",
    "parenthesized_expression",
    "list_splat_pattern",
    "list_splat",
    "as_pattern_target",
}
_DYNAMIC = {"locals", "vars", "eval", "exec"}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_EVERYWHERE = (0, 1 << 62)


def _identifiers(node: Node) -> list[Node]:
    return captures("python", "(identifier) @id", node).get("id", [])


def _target_names(root: Node) -> list[Node]:
    """Identifiers bound by an assignment target (attributes and subscripts bind nothing)."""
    found: list[Node] = []
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "identifier":
            found.append(node)
        elif node.type in _PATTERN_TYPES:
            stack.extend(node.named_children)
    return found


class _Scopes:
    """Scope regions (functions from their parameters on, lambdas, comprehensions, class bodies)
    and the innermost one around any offset, found by bisecting nested intervals."""

    def __init__(self, found: dict[str, list[Node]]) -> None:
        regions: list[tuple[int, int, str]] = []
        for fn in found.get("function", []):
            params = fn.child_by_field_name("parameters")
            if params is not None:
                regions.append((params.start_byte, fn.end_byte, "function"))
        for tag in ("lambda", "comp"):
            regions.extend((n.start_byte, n.end_byte, tag) for n in found.get(tag, []))
        for cls in found.get("class", []):
            body = cls.child_by_field_name("body")
            if body is not None:
                regions.append((body.start_byte, cls.end_byte, "class"))
        self.regions = sorted(regions, key=lambda r: (r[0], -r[1]))
        self.starts = [r[0] for r in self.regions]
        self.parent: list[int] = []  # index of the enclosing region, -1 at module level
        stack: list[int] = []
        for i, (start, _, _) in enumerate(self.regions):
            while stack and self.regions[stack[-1]][1] <= start:
                stack.pop()
            self.parent.append(stack[-1] if stack else -1)
            stack.append(i)

    def owner(self, offset: int, skip_comprehensions: bool = False) -> tuple[int, int, str] | None:
        """Innermost region containing ``offset`` (None: module level)."""
        i = bisect.bisect_right(self.starts, offset) - 1
        while i >= 0:
            start, end, kind = self.regions[i]
            if start <= offset < end and not (skip_comprehensions and kind == "comp"):
                return self.regions[i]
            i = self.parent[i]  # anything containing offset encloses region i
        return None


def _bind(analysis: Analysis, scopes: _Scopes, ident: Node, kind: Kind, walrus: bool = False) -> None:
    region = scopes.owner(ident.start_byte, skip_comprehensions=walrus)
    name = text(ident)
    if region is None:
        if kind == "function":
            analysis.bindings.append(Binding(name, "function", _EVERYWHERE, span(ident)))
        return
    if region[2] == "class":
        analysis.fields.append((ident.start_byte, name))
        return
    analysis.bindings.append(Binding(name, kind, (region[0], region[1]), span(ident)))


def _parameters(analysis: Analysis, scopes: _Scopes, owner: Node) -> None:
    params = owner.child_by_field_name("parameters")
    if params is None:
        return
    for param in params.named_children:
        ident = param if param.type == "identifier" else param.child_by_field_name("name")
        if ident is None and param.named_child_count:  # typed/splat parameters: first named child
            ident = param.named_child(0)
            if ident is not None and ident.type in ("list_splat_pattern", "dictionary_splat_pattern"):
                ident = ident.named_child(0)
        if ident is not None and ident.type == "identifier":
            region = (params.start_byte, owner.end_byte)
            analysis.bindings.append(Binding(text(ident), "param", region, span(ident)))
        for part in ("value", "type"):  # evaluated outside the function: must not be renamed with it
            sub = param.child_by_field_name(part)
            if sub is not None:
                analysis.blocked.update(text(n) for n in _identifiers(sub))


def _blocked_names(found: dict[str, list[Node]], analysis: Analysis) -> None:
    for tag in ("global", "kw"):
        analysis.blocked.update(text(n) for n in found.get(tag, []))
    for tag in ("import", "case"):
        for node in found.get(tag, []):
            analysis.blocked.update(text(n) for n in _identifiers(node))
    for node in found.get("string", []):
        word = text(node).strip()
        if _WORD.match(word):
            analysis.blocked.add(word)
    for cls in found.get("class", []):
        analysis.blocked.add(text(cls.child_by_field_name("name")))
    for comp in found.get("comp", []):  # the first iterable runs in the enclosing scope
        clause = next((c for c in comp.named_children if c.type == "for_in_clause"), None)
        right = clause.child_by_field_name("right") if clause is not None else None
        if right is not None:
            analysis.blocked.update(text(n) for n in _identifiers(right))


def _forwards(splat: Node) -> bool:
    """``f(**kwargs)`` inside a function taking ``**kwargs``: the keys come from visible call sites."""
    operand = splat.named_child(0) if splat.named_child_count else None
    node = splat.parent
    while node is not None and node.type not in ("function_definition", "lambda"):
        node = node.parent
    params = node.child_by_field_name("parameters") if node is not None else None
    if operand is None or operand.type != "identifier" or params is None:
        return False
    return any(
        p.type == "dictionary_splat_pattern"
        and p.named_child_count
        and text(p.named_child(0)) == text(operand)
        for p in params.named_children
    )


@register_analyzer("python")
def analyze_python(source: bytes, tree: Tree) -> Analysis:
    found = captures("python", _PATTERN, tree.root_node, ordered=False)
    analysis = Analysis()
    if any(text(n) in _DYNAMIC for n in found.get("callee", [])):
        return analysis
    skipped = {n.start_byte for tag in ("skip", "kw") for n in found.get(tag, [])}
    for node in found.get("import", []):  # module paths and imported names are not ours to rename
        skipped.update(n.start_byte for n in _identifiers(node))
    analysis.candidates = [
        (n.start_byte, n.end_byte, text(n)) for n in found.get("id", []) if n.start_byte not in skipped
    ]
    scopes = _Scopes(found)
    for fn in found.get("function", []):
        name = fn.child_by_field_name("name")
        if name is not None:
            _bind(analysis, scopes, name, "function")
        _parameters(analysis, scopes, fn)
    for lam in found.get("lambda", []):
        _parameters(analysis, scopes, lam)
    for target in found.get("target", []):
        for ident in _target_names(target):
            _bind(analysis, scopes, ident, "local")
    for ident in found.get("walrus", []):
        _bind(analysis, scopes, ident, "local", walrus=True)
    _blocked_names(found, analysis)
    if any(not _forwards(splat) for splat in found.get("splat", [])):
        analysis.blocked.update(b.name for b in analysis.bindings if b.kind == "param")
    return analysis
