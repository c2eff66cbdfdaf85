"""The transforms Python offers, with their properties (the registry reads this table).

``reformat`` is not ``layout_only`` here: Python's indentation is syntax, so its output is always
verified by re-parsing."""

from __future__ import annotations

from fidelity.transforms import renaming
from fidelity.transforms.base import Transform
from fidelity.transforms.python import (
    conditionals,
    layout,
    loops,
    operators,
    scope,  # noqa: F401  (registers the Python identifier analyzer)
)

TRANSFORMS = (
    *renaming.TRANSFORMS,
    Transform("swap_if_else", conditionals.swap_if_else),
    Transform("ternary_to_if", conditionals.ternary_to_if),
    Transform("for_to_while", loops.for_to_while),
    Transform("swap_relational_operands", operators.swap_relational_operands),
    Transform("expand_compound_assignment", operators.expand_compound_assignment),
    Transform("insert_dead_code", layout.insert_dead_code),
    Transform("reformat", layout.reformat),
)
