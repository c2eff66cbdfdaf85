"""Properties every transform must have on any input: no exception escapes the public API (nor is one
swallowed inside it: a "transform failed" reason is a crash too), statuses are valid, and an "ok"
variant never has more ERROR/MISSING nodes than its input. Inputs: random text and bytes, empty and
blank strings, 1 MB inputs, 5,000-deep nesting, and truncated real functions from ../shared."""

from __future__ import annotations

import json
import random
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tree_sitter import Node

from fidelity.parsing import LANGUAGES, parse
from fidelity.transforms import (
    IdentifierIndex,
    apply_transform,
    identifiers,
    list_transforms,
    rename_identifiers,
)
from tests.conftest import BCB, DEVIGN, needs_shared
from tests.fidelity.workcount import executed_lines

CORPUS = Path(__file__).parent / "corpus"
STATUSES = {"ok", "not_applicable", "parse_error"}
# Characters code is made of, so random strings reach the transforms instead of stopping at "not code".
CODE_ALPHABET = "(){}[];=+-*/%<>!&|?:,.#\"' \n\t_abcdefghijklmnopqrstuvwxyz0123456789"
KEYWORDS = ["if", "else", "for", "while", "return", "int", "def", "switch", "case", "break", "continue", "do"]
code_like = st.lists(
    st.one_of(st.sampled_from(KEYWORDS), st.text(CODE_ALPHABET, max_size=6)), max_size=60
).map(" ".join)


def errors(node: Node) -> int:
    """ERROR and MISSING nodes under ``node``, iteratively (deep trees must not recurse)."""
    count, stack = 0, [node]
    while stack:
        current = stack.pop()
        if current.has_error:
            count += int(current.is_error or current.is_missing)
            stack.extend(current.children)
    return count


def check_transform(code: str, language: str, name: str, seed: int = 0) -> str:
    result = apply_transform(code, language, name, seed=seed)
    assert result.status in STATUSES, result
    assert "transform failed" not in result.reason, f"{language}/{name} crashed inside: {result.reason}"
    if result.ok:
        assert isinstance(result.code, str) and result.code != code and result.sites > 0
        before, after = (
            errors(parse(code, language).root_node),
            errors(parse(result.code, language).root_node),
        )
        assert after <= before, f"{language}/{name} added parse errors: {before} -> {after}"
    else:
        assert result.code is None
    return result.status


def check_identifiers(code: str, language: str) -> None:
    names = identifiers(code, language)
    assert isinstance(names, list) and all(isinstance(n, str) for n in names)
    renamed = rename_identifiers(code, language, {n: f"{n}_renamed_{i}" for i, n in enumerate(names)})
    assert renamed is None or isinstance(renamed, str)
    if renamed is not None:
        assert errors(parse(renamed, language).root_node) <= errors(parse(code, language).root_node)
    if names:  # a reserved word is never an acceptable new name
        assert rename_identifiers(code, language, {names[0]: "while"}) is None


def check_everything(code: str, language: str, seed: int = 0) -> None:
    for name in list_transforms(language):
        check_transform(code, language, name, seed)
    check_identifiers(code, language)


def test_every_language_has_transforms() -> None:
    for language in LANGUAGES:
        assert len(list_transforms(language)) >= 8, f"{language}: {list_transforms(language)}"


@settings(max_examples=40, deadline=None)
@given(code=st.text(max_size=200), language=st.sampled_from(LANGUAGES), seed=st.integers(0, 3))
def test_random_text(code: str, language: str, seed: int) -> None:
    check_everything(code, language, seed)


@settings(max_examples=40, deadline=None)
@given(raw=st.binary(max_size=200), language=st.sampled_from(LANGUAGES))
def test_random_bytes(raw: bytes, language: str) -> None:
    check_everything(raw.decode("utf-8", errors="replace"), language)


@settings(max_examples=80, deadline=None)
@given(code=code_like, language=st.sampled_from(LANGUAGES), seed=st.integers(0, 3))
def test_code_like_text(code: str, language: str, seed: int) -> None:
    check_everything(code, language, seed)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("code", ["", " ", "\n\t\n", "\x00\x01", "\ud800"])
def test_empty_blank_and_binary(code: str, language: str) -> None:
    for name in list_transforms(language):
        assert check_transform(code, language, name) == "parse_error"
    assert identifiers(code, language) == []
    assert rename_identifiers(code, language, {"a": "b"}) is None


def test_unknown_names_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="for_to_while"):
        apply_transform("int x;", "c", "no_such_transform")
    with pytest.raises(ValueError, match="python"):
        list_transforms("cobol")


def _program(language: str) -> str:
    suffix = {"java": "java", "c": "c", "cpp": "cpp", "python": "py"}[language]
    return "\n".join(
        p.read_text(encoding="utf-8") for p in sorted((CORPUS / language).glob(f"*.{suffix}"))[:3]
    )


def _prose(size: int = 1_000_000) -> str:
    rng = random.Random(0)
    words = ["the", "model", "value", "is", "distilled", "into", "a", "student", "\n"]
    return " ".join(rng.choice(words) for _ in range(size // 4))[:size]


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
def test_one_megabyte_of_prose(language: str) -> None:
    """1 MB of prose: rejected as not code, never an exception. One transform per language: each
    call re-parses the megabyte (~1-4 s), and the rejection path is shared by all transforms."""
    assert check_transform(_prose(), language, list_transforms(language)[0]) == "parse_error"


@pytest.mark.slow
def test_one_megabyte_identifiers() -> None:
    check_identifiers(_prose(), "python")


def _repeated_bindings(count: int) -> str:
    fn = "int f%d(int n) {\n    int total = 0;\n    for (int i = 0; i < n; i++) total += i;\n    return total;\n}\n"
    return "".join(fn % k for k in range(count))


@pytest.mark.slow
def test_one_megabyte_of_repeated_bindings_resolves() -> None:
    """10,000 functions each binding ``i``: every use resolves to its own binding (the time it takes
    is measured by ``bench/bench_transform_scaling.py``, the growth by the test below)."""
    count = 1_000_000 // len(_repeated_bindings(1))
    code = _repeated_bindings(count)
    index = IdentifierIndex(code, "c")
    assert len(index.occurrences["i"]) == 4 * count and len(index.occurrences["total"]) == 3 * count
    assert index.rename({"i": "k"}) == code.replace("int i", "int k").replace("i <", "k <").replace(
        "i++", "k++"
    ).replace("+= i", "+= k")


def test_repeated_bindings_resolve_in_linear_work() -> None:
    """Resolution places each use by bisection over merged scopes; a scan of every scope per use (the
    old way) made 4x the functions cost 16x the Python lines executed."""
    counts = []
    for functions in (50, 200):
        code = _repeated_bindings(functions)
        lines, index = executed_lines(lambda code=code: IdentifierIndex(code, "c"))
        assert len(index.occurrences["i"]) == 4 * functions
        counts.append(lines)
    assert counts[1] <= 4 * 1.5 * counts[0], counts


@pytest.mark.slow
@pytest.mark.parametrize("language", LANGUAGES)
def test_large_real_code(language: str) -> None:
    """~100 KB of real code (the corpus repeated, cut mid-file) through every transform: no exception.
    Not 1 MB: several transforms and the renamer's resolution are super-linear in input size."""
    program = _program(language)
    check_everything((program * (100_000 // len(program) + 1))[:100_000], language)


def _nested(language: str, shape: str, depth: int = 5000) -> str:
    if shape == "parens":
        inner = "(" * depth + "x" + ")" * depth
    elif shape == "open_parens":
        inner = "(" * depth + "x"
    elif language == "python":  # Python blocks need indentation: nest lists instead
        inner = "[" * depth + "x" + "]" * depth if shape == "blocks" else "[" * depth
    else:
        block = "{" * depth + "x++;" + "}" * depth if shape == "blocks" else "{" * depth + "x++;"
        return f"int f(int x) {{ {block} return x; }}"
    if language == "python":
        return f"def f(x):\n    y = {inner}\n    return y\n"
    if language == "java":
        return f"class A {{ int f(int x) {{ int y = {inner}; return y; }} }}"
    return f"int f(int x) {{ int y = {inner}; return y; }}"


@pytest.mark.parametrize("shape", ["parens", "open_parens", "blocks", "open_blocks"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_deep_nesting(language: str, shape: str) -> None:
    check_everything(_nested(language, shape), language)


def test_deeply_nested_python_blocks() -> None:
    depth = 400
    lines = ["def f(x):"] + [" " * (i + 1) + "if x:" for i in range(depth)] + [" " * (depth + 1) + "x += 1"]
    check_everything("\n".join(lines) + "\n    return x\n", "python")


@cache
def _functions(path: Path, limit: int = 300) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line)["func"] for line, _ in zip(handle, range(limit), strict=False)]


@pytest.mark.slow
@needs_shared
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_truncated_real_functions(data: st.DataObject) -> None:
    language = data.draw(st.sampled_from(["java", "c", "cpp"]))
    pool = (
        _functions(BCB / "functions.jsonl") if language == "java" else _functions(DEVIGN / "functions.jsonl")
    )
    code = data.draw(st.sampled_from(pool))
    cut = data.draw(st.integers(0, len(code)))
    check_everything(code[:cut], language, seed=data.draw(st.integers(0, 3)))
