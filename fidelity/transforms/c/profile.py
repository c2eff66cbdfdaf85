"""C's :class:`~fidelity.transforms.profile.LanguageProfile` (C++ extends it)."""

from __future__ import annotations

import re

from fidelity.transforms.profile import CFamily, LanguageProfile

KEYWORDS = """auto break case char const continue default do double else enum extern float for goto if inline
int long register restrict return short signed sizeof static struct switch typedef union unsigned void volatile
while _Alignas _Alignof _Atomic _Bool _Complex _Generic _Imaginary _Noreturn _Static_assert _Thread_local
asm typeof __attribute__ __inline __inline__ __restrict __asm__ bool true false NULL"""
LIBRARY = """printf fprintf sprintf snprintf scanf malloc calloc realloc free memcpy memset memmove memcmp
strlen strcpy strncpy strcmp strncmp strcat strdup exit abort assert size_t ssize_t uint8_t uint16_t uint32_t
uint64_t int8_t int16_t int32_t int64_t uintptr_t intptr_t ptrdiff_t FILE stdin stdout stderr errno main
offsetof va_list va_start va_end abs labs fabs sqrt pow floor ceil"""

CFAMILY = CFamily(
    block="compound_statement",
    true="1",
    false="0",
    ternary="conditional_expression",
    for_init="initializer",
    switch="switch_statement",
    declaration="declaration",
    unary_operand="argument",
    comments=("comment",),
    loops=frozenset({"for_statement", "while_statement", "do_statement"}),
    int_type="int",
    condition="parenthesized",
    brace_owners="(if_statement) @s (for_statement) @s (while_statement) @s (do_statement) @s",
    ternary_statements="""(expression_statement (assignment_expression right: (conditional_expression))) @n
(return_statement (conditional_expression)) @n
(declaration declarator: (init_declarator value: (conditional_expression))) @n""",
    switch_jumps="(break_statement) @b (case_statement) @b",
    dead_code=(
        "if (0) {{ int {v} = 0; {v}++; }}",
        "{{ int {v} = 0; (void) {v}; }}",
        "do {{ }} while (0);",
    ),
    layout_query="""(compound_statement) @b (field_declaration_list) @b (initializer_list) @b (enumerator_list) @b
(string_literal) @p (char_literal) @p (preproc_def) @p (preproc_function_def) @p (preproc_call) @p
(preproc_include) @p (comment) @c""",
)

PROFILE = LanguageProfile(
    name="c",
    keywords=frozenset(KEYWORDS.split()),
    library=frozenset(LIBRARY.split()),
    renamable_keywords=frozenset(),
    identifier=re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z"),
    cfamily=CFAMILY,
)
