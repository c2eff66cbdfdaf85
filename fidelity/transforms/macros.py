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
_WORD_BYTE = re.compile(rb"[A-Za-z0-9_$]")
MAX_ARGUMENTS = 1 << 14  # bytes scanned per call: an unclosed call must not make the scan quadratic


def spells_arguments(macro: Node) -> bool:
    """Whether a ``preproc_function_def``'s body uses ``#`` (stringify) or ``##`` (paste)."""
    value = macro.child_by_field_name("value")
    return value is not None and b"#" in (value.text or b"")


def call_arguments(source: bytes, names: set[bytes]) -> list[bytes]:
    """The raw argument text of every ``name(...)`` in ``source`` for any of ``names``, nested
    parentheses included. One scan of the source for all names: a pattern that starts with a literal
    alternation lets the regex engine skip ahead, where a leading look-behind tries every byte."""
    if not names:
        return []
    alternatives = b"|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))
    found: list[bytes] = []
    for call in re.finditer(rb"(?:" + alternatives + rb")\s*\(", source):
        if call.start() and _WORD_BYTE.match(source, call.start() - 1):
            continue  # the tail of a longer word (MYSTR), not a call of STR
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
    names = set()
    for macro in macros:
        name = macro.child_by_field_name("name")
        if name is not None and name.text and spells_arguments(macro):
            names.add(name.text)
    blocked: set[str] = set()
    for arguments in call_arguments(source, names):
        blocked.update(words_in(arguments))
    return blocked
