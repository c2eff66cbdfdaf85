"""Registers the C++ transforms. C++ statements mirror C's grammar, so the shared rewrites serve it
unchanged; the operator rewrites need C++'s own type gate (:mod:`cpp_operators`) and if/while
conditions C++'s condition clauses (:mod:`cpp_statements`).

Adapter: a few shared modules keep per-language query tables keyed "java"/"c"; C++ uses the C
entries (plus raw strings, which reformat must not touch). ``setdefault`` keeps any C++ entry the
shared modules define themselves.
"""

from __future__ import annotations

from fidelity.transforms import (
    braces,
    conditionals,
    cpp_operators,  # noqa: F401  (registers the type-gated operator rewrites)
    cpp_scope,  # noqa: F401  (registers the C++ analyzer)
    cpp_statements,  # noqa: F401  (swap_if_else, while_to_for over condition clauses)
    dead_code,
    layout,
    loops,
    renaming,
    switches,
)
from fidelity.transforms.base import register

# Table names as the shared modules spell them (any that do not exist are skipped).
_TABLES = {
    layout: ("_QUERY", "_BLOCKS", "_PROTECT", "_COMMENTS"),
    switches: ("_JUMPS",),
    conditionals: ("_TERNARY_STATEMENTS",),
}
for _module, _attrs in _TABLES.items():
    for _attr in _attrs:
        _table = getattr(_module, _attr, None)
        if isinstance(_table, dict) and "c" in _table:
            _table.setdefault("cpp", _table["c"])
for _attr in ("_QUERY", "_PROTECT"):  # raw strings are string literals reformat must keep intact
    _table = getattr(layout, _attr, None)
    if isinstance(_table, dict) and "raw_string_literal" not in _table.get("cpp", "raw_string_literal"):
        _table["cpp"] = _table["cpp"] + " (raw_string_literal) @p"

for _name, _fn in {
    "rename_local_variables": renaming.rename_local_variables,
    "rename_parameters": renaming.rename_parameters,
    "rename_function": renaming.rename_function,
    "natural_rename": renaming.natural_rename,
    "for_to_while": loops.for_to_while,
    "ternary_to_if": conditionals.ternary_to_if,
    "switch_to_if": switches.switch_to_if,
    "add_braces": braces.add_braces,
    "remove_braces": braces.remove_braces,
    "insert_dead_code": dead_code.insert_dead_code,
    "reformat": layout.reformat,
}.items():
    register(_name, "cpp")(_fn)
