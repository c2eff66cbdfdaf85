"""Java's :class:`~fidelity.transforms.profile.LanguageProfile`."""

from __future__ import annotations

import re

from fidelity.transforms.profile import CFamily, LanguageProfile

_KEYWORDS = """abstract assert boolean break byte case catch char class const continue default do double
else enum extends final finally float for goto if implements import instanceof int interface long native new
package private protected public return short static strictfp super switch synchronized this throw throws
transient try void volatile while true false null var yield record sealed permits non-sealed _"""
_CONTEXTUAL = {"var", "yield", "record", "sealed", "permits", "non-sealed"}
_LIBRARY = """String Object System Math Integer Long Double Float Short Byte Character Boolean Number
List ArrayList Map HashMap Set HashSet Arrays Collections Exception RuntimeException Error Throwable Thread
StringBuilder StringBuffer Iterator Iterable Class Override Deprecated File IOException length out err in"""
_OWNERS = "(if_statement) @s (for_statement) @s (while_statement) @s (do_statement) @s"

PROFILE = LanguageProfile(
    name="java",
    keywords=frozenset(_KEYWORDS.split()),
    library=frozenset(_LIBRARY.split()),
    renamable_keywords=frozenset(_CONTEXTUAL),
    identifier=re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*\Z"),
    cfamily=CFamily(
        block="block",
        true="true",
        false="false",
        ternary="ternary_expression",
        for_init="init",
        switch="switch_expression",
        declaration="local_variable_declaration",
        unary_operand="operand",
        comments=("line_comment", "block_comment"),
        loops=frozenset({"for_statement", "while_statement", "do_statement", "enhanced_for_statement"}),
        int_type="int",
        condition="parenthesized",
        brace_owners=_OWNERS + " (enhanced_for_statement) @s",
        ternary_statements="""(expression_statement (assignment_expression right: (ternary_expression))) @n
(return_statement (ternary_expression)) @n
(local_variable_declaration declarator: (variable_declarator value: (ternary_expression))) @n""",
        switch_jumps="(break_statement) @b (yield_statement) @b",
        dead_code=(
            "if (false) {{ int {v} = 0; {v}++; }}",
            "int {v} = 0;",
            "for (int {v} = 0; {v} < 0; {v}++) {{ }}",
        ),
        layout_query="""(block) @b (class_body) @b (switch_block) @b (constructor_body) @b (interface_body) @b
(enum_body) @b (array_initializer) @b (string_literal) @p (character_literal) @p
(block_comment) @c (line_comment) @c""",
    ),
)
