"""Python's :class:`~fidelity.transforms.profile.LanguageProfile` (no C-family rewrites: its own live
beside this module)."""

from __future__ import annotations

import re

from fidelity.transforms.profile import LanguageProfile

_KEYWORDS = """False None True and as assert async await break class continue def del elif else except finally
for from global if import in is lambda nonlocal not or pass raise return try while with yield match case type _"""
_BUILTINS = """print len range list dict set tuple str int float bool object type super self cls isinstance
open map filter zip sum min max abs any all sorted reversed enumerate iter next id hash repr input format"""

PROFILE = LanguageProfile(
    name="python",
    keywords=frozenset(_KEYWORDS.split()),
    library=frozenset(_BUILTINS.split()),
    renamable_keywords=frozenset(),
    identifier=re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z"),
)
