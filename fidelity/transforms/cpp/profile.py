"""C++'s :class:`~fidelity.transforms.profile.LanguageProfile`: C's, plus C++ keywords and library names,
``condition_clause`` conditions, and raw strings that reformat keeps byte-identical."""

from __future__ import annotations

import dataclasses
import re

from fidelity.transforms.c import profile as c
from fidelity.transforms.profile import LanguageProfile

_EXTRA_KEYWORDS = """alignas alignof and and_eq bitand bitor catch char8_t char16_t char32_t class co_await co_return
co_yield compl concept const_cast consteval constexpr constinit decltype delete dynamic_cast explicit export
friend mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public
reinterpret_cast requires static_assert static_cast template this thread_local throw try typeid typename
using virtual wchar_t xor xor_eq override final"""

PROFILE = LanguageProfile(
    name="cpp",
    keywords=frozenset(c.KEYWORDS.split()) | frozenset(_EXTRA_KEYWORDS.split()),
    library=frozenset(c.LIBRARY.split())
    | frozenset(["std", "cout", "cin", "endl", "string", "vector", "map"]),
    renamable_keywords=frozenset(),
    identifier=re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z"),
    cfamily=dataclasses.replace(
        c.CFAMILY, condition="clause", layout_query=c.CFAMILY.layout_query + " (raw_string_literal) @p"
    ),
)
