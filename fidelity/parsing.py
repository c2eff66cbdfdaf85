"""Tree-sitter parsers per language, built once per process and cached."""

from __future__ import annotations

import importlib
from functools import cache

from tree_sitter import Language, Node, Parser, Tree

LANGUAGES: tuple[str, ...] = ("java", "c", "cpp", "python")
_MODULES = {
    "java": "tree_sitter_java",
    "c": "tree_sitter_c",
    "cpp": "tree_sitter_cpp",
    "python": "tree_sitter_python",
}


def check_language(language: str) -> str:
    if language not in _MODULES:
        raise ValueError(f"Unknown language {language!r}; expected one of {', '.join(LANGUAGES)}")
    return language


@cache
def get_language(language: str) -> Language:
    module = importlib.import_module(_MODULES[check_language(language)])
    return Language(module.language())


@cache
def get_parser(language: str) -> Parser:
    return Parser(get_language(language))


def parse(code: str | bytes, language: str) -> Tree:
    source = code.encode("utf-8", errors="surrogatepass") if isinstance(code, str) else code
    return get_parser(language).parse(source)


def count_errors(node: Node) -> int:
    """Number of ERROR and MISSING nodes under ``node`` (inclusive)."""
    if not node.has_error:
        return 0
    count = 1 if (node.is_error or node.is_missing) else 0
    for child in node.children:
        count += count_errors(child)
    return count
