"""Python transforms on small inputs: exact outputs where the rewrite is determined, and the
refusals that keep behaviour (keywords, strings, globals, aliasing, chained comparisons, ...)."""

from __future__ import annotations

from fidelity.transforms import apply_transform, identifiers, list_transforms, rename_identifiers

EXPECTED = {
    "expand_compound_assignment",
    "for_to_while",
    "insert_dead_code",
    "natural_rename",
    "reformat",
    "rename_function",
    "rename_local_variables",
    "rename_parameters",
    "swap_if_else",
    "swap_relational_operands",
    "ternary_to_if",
}


def run(code: str, name: str, seed: int = 0) -> str | None:
    result = apply_transform(code, "python", name, seed=seed)
    assert result.status in ("ok", "not_applicable"), result
    if result.ok:
        compile(result.code or "", "variant", "exec")  # every variant is valid Python
    return result.code


def test_registered_names() -> None:
    assert set(list_transforms("python")) == EXPECTED


def test_for_to_while_keeps_python_semantics() -> None:
    code = "def f(n):\n    for i in range(1, n, 2):\n        if i == 3:\n            continue\n        i += 10\n    return i\n"
    assert run(code, "for_to_while") == (
        "def f(n):\n    i_index = 1\n    i_stop = n\n    while i_index < i_stop:\n"
        "        i = i_index\n        i_index += 2\n        if i == 3:\n            continue\n"
        "        i += 10\n    return i\n"
    )
    namespace: dict[str, object] = {}
    exec(run(code, "for_to_while") or "", namespace)
    exec(code.replace("def f", "def g"), namespace)
    assert all(namespace["f"](n) == namespace["g"](n) for n in (2, 4, 9))  # type: ignore[operator]


def test_for_to_while_refuses_else_steps_and_shadowed_range() -> None:
    assert run("for i in range(3):\n    pass\nelse:\n    x = 1\n", "for_to_while") is None
    assert run("for i in range(0, 9, k):\n    pass\n", "for_to_while") is None
    assert run("range = list\nfor i in range(3):\n    pass\n", "for_to_while") is None
    assert run("for i in range(3): pass\n", "for_to_while") is None  # one-line body


def test_swap_if_else_negates_truthiness() -> None:
    code = "if x < y:\n    a = 1\nelse:\n    a = 2\n"
    assert run(code, "swap_if_else") == "if not (x < y):\n    a = 2\nelse:\n    a = 1\n"
    assert (
        run("if not x:\n    a = 1\nelse:\n    a = 2\n", "swap_if_else")
        == "if x:\n    a = 2\nelse:\n    a = 1\n"
    )
    assert run("if x:\n    a = 1\nelif y:\n    a = 2\n", "swap_if_else") is None


def test_ternary_to_if() -> None:
    code = "def f(v):\n    d[k] += 1 if v else 2\n    return d\n"
    assert run(code, "ternary_to_if") == (
        "def f(v):\n    if v:\n        d[k] += 1\n    else:\n        d[k] += 2\n    return d\n"
    )
    assert run("a = b = 1 if c else 2\n", "ternary_to_if") is None
    assert run("x = 1; y = 1 if c else 2\n", "ternary_to_if") is None


def test_swap_relational_operands_only_when_order_is_unobservable() -> None:
    assert run("ok = a < b\n", "swap_relational_operands") == "ok = b > a\n"
    assert run("ok = f() <= 3\n", "swap_relational_operands") == "ok = 3 >= f()\n"
    assert run("ok = f() < g()\n", "swap_relational_operands") is None
    assert run("ok = a < b < c\n", "swap_relational_operands") is None


def test_expand_compound_assignment_only_for_scalars() -> None:
    code = "def f(xs):\n    total = 0\n    total += xs[0] * 2\n    items = []\n    items += xs\n    xs += [1]\n    return total\n"
    assert run(code, "expand_compound_assignment") == code.replace(
        "total += xs[0] * 2", "total = total + (xs[0] * 2)"
    )
    assert run("def f():\n    global n\n    n += 1\n", "expand_compound_assignment") is None


def test_renames_respect_keywords_strings_globals_and_attributes() -> None:
    code = (
        "def scale(value, factor=2):\n    result = value * factor\n    self.result = result\n"
        "    return result\n\nscale(1, factor=3)\nprint(getattr(obj, 'value'))\n"
    )
    out = run(code, "rename_local_variables") or ""
    assert "self.result" in out and "    result =" not in out  # attribute kept, local renamed
    assert identifiers(code, "python") == ["scale", "result"]  # value: a string; factor: a keyword
    assert run("count = 0\ndef f():\n    global count\n    count = 1\n", "rename_local_variables") is None


def test_renames_follow_closures_comprehensions_and_fstrings() -> None:
    code = "def f(n):\n    k = n + 1\n    g = lambda: k\n    return [k for k in range(g())], f'{k}'\n"
    out = rename_identifiers(code, "python", {"k": "m", "n": "p"})
    assert out == "def f(p):\n    m = p + 1\n    g = lambda: m\n    return [m for m in range(g())], f'{m}'\n"
    assert rename_identifiers(code, "python", {"k": "g"}) is None  # would collide


def test_dynamic_namespaces_block_all_renames() -> None:
    assert identifiers("def f(a):\n    b = a\n    return locals()\n", "python") == []


def test_insert_dead_code_stays_inside_functions_after_docstrings() -> None:
    code = 'X = 1\nclass C:\n    y = 2\ndef f():\n    """doc"""\n    return X\n'
    for seed in range(5):
        out = run(code, "insert_dead_code", seed) or ""
        assert out.startswith('X = 1\nclass C:\n    y = 2\ndef f():\n    """doc"""\n    ') and out.endswith(
            "    return X\n"
        )
    assert run("def f():\n    return vars()\n", "insert_dead_code") is None


def test_reformat_changes_only_spacing() -> None:
    code = "def f(a,b):\n    return a+b*2  # keep  this\nx = f'{1 + 2}'\n"
    for seed in range(3):
        out = run(code, "reformat", seed) or ""
        assert out.split() != [] and "".join(out.split()) == "".join(code.split())
        assert "# keep  this" in out and "f'{1 + 2}'" in out
