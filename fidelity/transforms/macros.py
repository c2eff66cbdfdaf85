"""Preprocessor facts the C and C++ renamers must respect.

A function-like macro whose body stringifies or pastes (``#define STR(x) #x``, ``a##b``) turns the
*spelling* of its arguments into program data: renaming a local passed to ``STR(count)`` changes the
string the program prints. Tree-sitter cannot see through the macro, so every word in the arguments
of each call of such a macro (defined in the same input) is blocked from renaming.
"""

from __future__ import annotations

import re

from tree_sitter import Node

from fidelity.transforms.names import words_in

_PARENS = re.compile(rb"[()]")
MAX_ARGUMENTS = 1 << 14  # bytes scanned per call: an unclosed call must not make the scan quadratic


def spells_arguments(macro: Node) -> bool:
    """Whether a ``preproc_function_def``'s body uses ``#`` (stringify) or ``##`` (paste)."""
    value = macro.child_by_field_name("value")
    return value is not None and b"#" in (value.text or b"")


def call_arguments(source: bytes, name: bytes) -> list[bytes]:
    """The raw argument text of every ``name(...)`` in ``source``, nested parentheses included."""
    found: list[bytes] = []
    for call in re.finditer(rb"(?<![A-Za-z0-9_$])" + re.escape(name) + rb"\s*\(", source):
        depth, start = 1, call.end()
        stop = min(len(source), start + MAX_ARGUMENTS)
        for paren in _PARENS.finditer(source, start, stop):
            depth += 1 if paren.group() == b"(" else -1
            if depth == 0:
                found.append(source[start : paren.start()])
                break
        else:
            found.append(source[start:stop])  # unclosed: block what it might cover
    return found


def spelled_words(source: bytes, macros: list[Node]) -> set[str]:
    """Every word passed to a stringifying/pasting macro among ``macros`` (``preproc_function_def``)."""
    blocked: set[str] = set()
    for macro in macros:
        name = macro.child_by_field_name("name")
        if name is None or not name.text or not spells_arguments(macro):
            continue
        for arguments in call_arguments(source, name.text):
            blocked.update(words_in(arguments))
    return blocked
