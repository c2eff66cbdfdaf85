"""The transforms Java offers, with their properties (the registry reads this table)."""

from __future__ import annotations

from fidelity.transforms import renaming
from fidelity.transforms.base import Transform
from fidelity.transforms.cfamily import braces, conditionals, dead_code, layout, loops, operators, switches
from fidelity.transforms.java import scope  # noqa: F401  (registers the Java identifier analyzer)

TRANSFORMS = (
    *renaming.TRANSFORMS,
    Transform("add_braces", braces.add_braces),
    Transform("remove_braces", braces.remove_braces),
    Transform("swap_if_else", conditionals.swap_if_else),
    Transform("ternary_to_if", conditionals.ternary_to_if),
    Transform("switch_to_if", switches.switch_to_if),
    Transform("for_to_while", loops.for_to_while),
    Transform("while_to_for", loops.while_to_for),
    Transform("swap_relational_operands", operators.swap_relational_operands),
    Transform("increment_rewrite", operators.increment_rewrite),
    Transform("expand_compound_assignment", operators.expand_compound_assignment),
    Transform("insert_dead_code", dead_code.insert_dead_code),
    Transform("reformat", layout.reformat, layout_only=True),
)
