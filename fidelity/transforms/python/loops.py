"""``for_to_while`` for Python: ``for i in range(...)`` becomes a ``while`` over a hidden counter.

The rewrite keeps Python's semantics exactly instead of approximating them with ``i += 1`` at the end
of the body::

    for i in range(a, b, 2):        index = a
        body                        stop = b
                                    while index < stop:
                                        i = index
                                        index += 2
                                        body

``range`` evaluates its arguments once (so they are hoisted), rebinding ``i`` in the body must not
change the iteration (the hidden counter is separate), ``continue`` must still advance (the counter
moves before the body), and after the loop ``i`` keeps the last value or stays unbound/unchanged
for an empty range (it is only ever assigned from the counter inside the loop). Only loops without
``else``, with a literal non-zero step and a body on its own lines are rewritten, and only where
``range`` is the builtin (never rebound in the file).
"""

from __future__ import annotations

import re

from tree_sitter import Node

from fidelity.transforms.base import TransformContext
from fidelity.transforms.edits import Damage, Edit, apply_edits, captures, line_indent, text
from fidelity.transforms.names import FreshNames, words_in

_LOOPS = """
(for_statement
  left: (identifier)
  right: (call function: (identifier) arguments: (argument_list))
  body: (block)) @loop
(assignment left: (identifier) @bound (#eq? @bound "range"))
(function_definition name: (identifier) @bound (#eq? @bound "range"))
(parameters (identifier) @bound (#eq? @bound "range"))
(import_from_statement) @import
"""
_NOT_POSITIONAL = ("keyword_argument", "list_splat", "dictionary_splat", "parenthesized_list_splat")
_INT = re.compile(r"-?\s*\d+\Z")


def _step(args: list[Node]) -> int | None:
    if len(args) < 3:
        return 1
    literal = text(args[2])
    if not _INT.match(literal):
        return None
    value = int(literal.replace(" ", ""))
    return value or None


def _header(
    ctx: TransformContext, loop: Node, var: Node, args: list[Node], fresh: FreshNames
) -> bytes | None:
    """The text replacing ``for i in range(...):`` up to the first body statement."""
    step = _step(args)
    if step is None or not 1 <= len(args) <= 3 or any(a.type in _NOT_POSITIONAL for a in args):
        return None
    body = loop.child_by_field_name("body")
    if body is None or body.start_point.row == loop.start_point.row:
        return None
    indent = line_indent(ctx.source, loop.start_byte).decode()
    inner = line_indent(ctx.source, body.start_byte).decode()
    name = text(var)
    counter = fresh.fresh(f"{name}_index")
    start = text(args[0]) if len(args) > 1 else "0"
    stop_node = args[1] if len(args) > 1 else args[0]
    lines = [f"{counter} = {start}"]
    stop = text(stop_node)
    if not _INT.match(stop):
        stop_name = fresh.fresh(f"{name}_stop")
        lines.append(f"{stop_name} = {stop}")
        stop = stop_name
    compare = "<" if step > 0 else ">"
    lines.append(f"while {counter} {compare} {stop}:")
    head = f"\n{indent}".join(lines)
    return f"{head}\n{inner}{name} = {counter}\n{inner}{counter} += {step}\n{inner}".encode()


def for_to_while(ctx: TransformContext) -> tuple[str, int] | None:
    found = captures("python", _LOOPS, ctx.tree.root_node)
    if found.get("bound") or any("range" in text(n).split() for n in found.get("import", [])):
        return None  # `range` may not be the builtin
    damage = Damage(ctx.tree)
    fresh = FreshNames(words_in(ctx.source), ctx.rng, "python")
    edits: list[Edit] = []
    for loop in found.get("loop", []):
        var, call, body = (loop.child_by_field_name(f) for f in ("left", "right", "body"))
        if var is None or call is None or body is None or damage.touches(loop):
            continue
        fn, arglist = call.child_by_field_name("function"), call.child_by_field_name("arguments")
        if text(fn) != "range" or arglist is None or loop.child_by_field_name("alternative") is not None:
            continue
        if text(loop.child(0)) == "async":
            continue
        args = [a for a in arglist.named_children if a.type != "comment"]
        header = _header(ctx, loop, var, args, fresh)
        if header is not None:
            edits.append(Edit(loop.start_byte, body.start_byte, header))
    if not edits:
        return None
    return apply_edits(ctx.source, edits).decode("utf-8", errors="surrogatepass"), len(edits)
