"""Transforms do work linear in their rewrite sites: counted in executed Python lines, not seconds.

Issue #12: seven transforms took 0.6/2.3/10/39 s for 2k/4k/8k/16k sites (each site rescanned every
earlier edit). Timing belongs in ``bench/bench_transform_scaling.py``; here the work is counted as
the number of Python lines executed inside ``fidelity/`` (``sys.settrace``), which a loaded machine
cannot change. Quadrupling the sites must at most about quadruple the count (a quadratic rescan
multiplies it by ~16). Work done inside C (tree-sitter, regex scans) is not counted: the bench
covers that.
"""

from __future__ import annotations

import random

import pytest

from fidelity.transforms import apply_transform, list_transforms
from fidelity.transforms.edits import EditSet
from fidelity.transforms.names import FreshNames
from tests.fidelity.workcount import executed_lines

SMALL, LARGE = 60, 240  # 4x the sites
MAX_GROWTH = 4 * 1.5  # linear plus slack for per-call constants; quadratic would be ~16

# transform -> one statement holding one rewrite site
C_SITES = {
    "expand_compound_assignment": "x += 2;",
    "increment_rewrite": "x++;",
    "swap_relational_operands": "b = x < y;",
    "remove_braces": "if (x > 0) { y = 1; }",
    "add_braces": "if (x > 0) y = 1;",
    "swap_if_else": "if (x > 0) { y = 1; } else { y = 2; }",
    "ternary_to_if": "y = x > 0 ? 1 : 2;",
    "for_to_while": "for (i = 0; i < 3; i++) { y = y + i; }",
    "while_to_for": "while (x < 0) { x = x + 1; }",
    "switch_to_if": "switch (x) { case 1: y = 1; break; default: y = 2; }",
}
PY_SITES = {
    "expand_compound_assignment": "x += 2",
    "swap_relational_operands": "b = x < y",
    "swap_if_else": "if x > 0:\n        y = 1\n    else:\n        y = 2",
    "ternary_to_if": "y = 1 if x > 0 else 2",
    "for_to_while": "for i in range(3):\n        y = y + i",  # every loop wants the counter i_index
}


def program(language: str, stmt: str, n: int) -> str:
    if language == "python":
        return (
            "def f(z):\n    "
            + "\n    ".join(["x = 0", "y = 0", "b = False", *[stmt] * n])
            + "\n    return x\n"
        )
    decl = (
        "int x = 0, y = 0, i = 0; boolean b = false;"
        if language == "java"
        else "int x = 0, y = 0, i = 0, b = 0;"
    )
    return "int f(int z) {\n    " + "\n    ".join([decl, *[stmt] * n]) + "\n    return x + y;\n}\n"


CASES = [
    (language, name)
    for language in ("java", "c", "cpp", "python")
    for name in (PY_SITES if language == "python" else C_SITES)
    if name in list_transforms(language)
]


@pytest.mark.parametrize(("language", "name"), CASES, ids=[f"{lang}-{name}" for lang, name in CASES])
def test_work_grows_linearly_with_sites(language: str, name: str) -> None:
    stmt = (PY_SITES if language == "python" else C_SITES)[name]
    counts = []
    for n in (SMALL, LARGE):
        lines, result = executed_lines(
            lambda n=n: apply_transform(program(language, stmt, n), language, name)
        )
        assert result.ok and result.sites == n, (n, result.status, result.sites, result.reason)
        counts.append(lines)
    assert counts[1] <= MAX_GROWTH * counts[0], f"{name}: {counts[0]} -> {counts[1]} lines for 4x the sites"


def test_edit_set_absorbs_each_edit_once() -> None:
    """Innermost-first nesting: n leaf edits, then one enclosing edit per leaf pair, then the root."""
    source = bytes(range(97, 97 + 16)) * 64  # 1024 bytes
    counts = []
    for width in (8, 2):  # 128 leaves of 8 bytes vs 512 leaves of 2 bytes: 4x the edits
        es = EditSet(source)

        def build(es: EditSet = es, width: int = width) -> bytes:
            for start in range(len(source) - width, -1, -width):  # innermost_first order
                es.replace(start, start + width, es.render(start, start + width).upper())
            for start in range(len(source) - 2 * width, -1, -2 * width):
                es.replace(start, start + 2 * width, b"<" + es.render(start, start + 2 * width) + b">")
            return es.result()

        lines, out = executed_lines(build)
        counts.append(lines)
        assert out.replace(b"<", b"").replace(b">", b"") == source.upper()  # every byte rewritten once
        assert len(es) == len(source) // (2 * width)
    assert counts[1] <= MAX_GROWTH * counts[0], counts


def test_fresh_names_resume_their_search() -> None:
    """n requests for one taken hint give hint0, hint1, ... and cost O(n) in total."""
    counts = []
    for n in (200, 800):
        fresh = FreshNames({"i_index"}, random.Random(0), "python")
        lines, names = executed_lines(lambda fresh=fresh, n=n: [fresh.fresh("i_index") for _ in range(n)])
        assert names == [f"i_index{k}" for k in range(n)]
        counts.append(lines)
    assert counts[1] <= MAX_GROWTH * counts[0], counts


def test_fresh_names_give_up_on_a_base_no_suffix_can_fix() -> None:
    """``for _ in range(n)`` hints ``__index``: no ``__index<k>`` is a valid new name (dunder), so the
    search must stop (it once ran until the process was killed for memory) -- as before, with an error
    that apply_transform reports as not applicable."""
    fresh = FreshNames(set(), random.Random(0), "python")
    with pytest.raises(RuntimeError, match="no fresh name"):
        fresh.fresh("__index")
    code = "def f(n):\n    total = 0\n    for _ in range(n):\n        total += 1\n    return total\n"
    result = apply_transform(code, "python", "for_to_while")
    assert result.status == "not_applicable" and "no fresh name" in result.reason
