"""The public transforms API: names, errors, statuses, determinism, identifier renaming, corpora."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from pathlib import Path

import pytest

from fidelity.parsing import LANGUAGES, count_errors, parse
from fidelity.transforms import (
    IdentifierIndex,
    apply_transform,
    base,
    identifiers,
    list_transforms,
    rename_identifiers,
    scope,
)
from fidelity.transforms.api import same_tokens
from fidelity.transforms.edits import Damage
from fidelity.transforms.profile import cfamily, profile, profiles
from tests.conftest import BCB, DEVIGN, needs_shared

REQUIRED = {
    "rename_local_variables",
    "rename_parameters",
    "rename_function",
    "natural_rename",
    "insert_dead_code",
    "for_to_while",
    "while_to_for",
    "swap_if_else",
    "swap_relational_operands",
    "increment_rewrite",
    "expand_compound_assignment",
    "ternary_to_if",
    "switch_to_if",
    "add_braces",
    "remove_braces",
    "reformat",
}
JAVA = (
    "int sum(int[] a, int n) {\n    int s = 0;\n    for (int i = 0; i < n; i++) s += a[i];\n    return s;\n}"
)


@pytest.mark.parametrize("language", ["java", "c"])
def test_list_transforms_is_sorted_and_complete(language: str) -> None:
    names = list_transforms(language)
    assert names == sorted(names)
    assert set(names) >= REQUIRED


def test_unknown_names_raise_with_the_valid_options() -> None:
    with pytest.raises(ValueError, match="rename_parameters"):
        apply_transform(JAVA, "java", "no_such_transform")
    with pytest.raises(ValueError, match="java"):
        apply_transform(JAVA, "cobol", "rename_parameters")
    with pytest.raises(ValueError, match="expected one of"):
        list_transforms("cobol")


@pytest.mark.parametrize(
    "code", ["", "   \n", "\x00\x01\x02binary\xff", "}}}}{{{", "hello world this is not code"]
)
@pytest.mark.parametrize("language", ["java", "c"])
def test_not_code_is_parse_error(code: str, language: str) -> None:
    for name in list_transforms(language):
        result = apply_transform(code, language, name)
        assert result.status == "parse_error", (name, result)
        assert result.code is None and result.reason


def test_non_str_input_does_not_raise() -> None:
    assert apply_transform(b"int f() {}", "c", "reformat").status == "parse_error"  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["java", "c"])
def test_every_transform_is_deterministic_per_seed(language: str) -> None:
    for name in list_transforms(language):
        first = [apply_transform(JAVA, language, name, seed=s) for s in (0, 1, 2)]
        again = [apply_transform(JAVA, language, name, seed=s) for s in (0, 1, 2)]
        assert first == again, name


NESTED = """int[] sort(int[] a) {
    boolean swapped;
    do {
        swapped = false;
        for (int i = 0; i < a.length - 1; i++) {
            if (a[i] > a[i + 1]) {
                int tmp = a[i];
                a[i] = a[i + 1];
                a[i + 1] = tmp;
                swapped = true;
            }
        }
    } while (swapped);
    return a;
}"""


@pytest.mark.parametrize("language", ["java", "c", "cpp"])
def test_nested_blocks_give_one_variant_per_seed(language: str) -> None:
    """Sites are picked from query captures, which tree-sitter may return out of document order for
    nested nodes; repeated calls in one process must still agree (insert_dead_code once did not)."""
    for name in list_transforms(language):
        for seed in (0, 1):
            assert len({apply_transform(NESTED, language, name, seed=seed).code for _ in range(4)}) == 1, name


def test_seed_changes_the_chosen_names() -> None:
    outputs = {apply_transform(JAVA, "java", "rename_local_variables", seed=s).code for s in range(6)}
    assert len(outputs) > 1


def test_identifiers_first_occurrence_order_and_exclusions() -> None:
    code = "int f(int a, Foo b) {\n    int size = b.size();\n    this.x = a;\n    System.out.println(size);\n    return a;\n}"
    assert identifiers(code, "java") == ["f", "a", "b", "size"]
    assert identifiers(code, "java", preserve=["a"]) == ["f", "b", "size"]
    c = "#define N 4\nint g(int n) {\n    int k = N;\nagain:\n    if (k--) goto again;\n    return MAX(n, k);\n}"
    assert identifiers(c, "c") == ["g", "n", "k"]
    assert identifiers("", "c") == []


def test_rename_identifiers_is_consistent_and_refuses_unsafe_names() -> None:
    code = "int f(int a, int b) {\n    int t = a + b;\n    return t * a;\n}"
    assert rename_identifiers(code, "c", {"a": "x", "t": "total"}) == (
        "int f(int x, int b) {\n    int total = x + b;\n    return total * x;\n}"
    )
    assert rename_identifiers(code, "c", {"a": "b"}) is None  # collides with a visible name
    assert rename_identifiers(code, "c", {"a": "while"}) is None  # keyword
    assert rename_identifiers(code, "c", {"a": "1x"}) is None  # not an identifier
    assert rename_identifiers(code, "c", {"a": "z", "b": "z"}) is None  # two bindings, one name
    assert rename_identifiers(code, "c", {"printf": "z"}) is None  # not a renamable binding
    assert rename_identifiers(code, "c", {}) == code


README = Path(__file__).resolve().parents[2] / "README.md"
README_COLUMNS = {"Java": "java", "C": "c", "C++": "cpp", "Python": "python"}


def readme_transform_table() -> dict[str, set[str]]:
    """language -> transforms ticked in the README's "| transform | Java | C | C++ | Python |" table."""
    lines = README.read_text(encoding="utf-8").splitlines()
    head = next(i for i, line in enumerate(lines) if re.match(r"\|\s*transform\s*\|\s*Java", line))
    columns = [README_COLUMNS[c.strip()] for c in lines[head].strip("|").split("|")[1:]]
    table: dict[str, set[str]] = {language: set() for language in columns}
    for line in lines[head + 2 :]:
        if not line.startswith("|"):
            break
        name, *cells = (c.strip() for c in line.strip("|").split("|"))
        assert len(cells) == len(columns), line
        for language, cell in zip(columns, cells, strict=True):
            assert cell in ("✓", "—"), f"README cell {cell!r} for {name} / {language}"
            if cell == "✓":
                table[language].add(name.strip("`"))
    return table


def test_readme_transform_table_equals_the_registry() -> None:
    table = readme_transform_table()
    assert set(table) == set(LANGUAGES)
    for language in LANGUAGES:
        assert table[language] == set(list_transforms(language)), language


def test_identifier_index_reuse_does_not_reanalyse(monkeypatch: pytest.MonkeyPatch) -> None:
    """``rename`` on a built index is a splice: no parse and no scope analysis per call (the time of
    2,000 renames was asserted here; it is work that can be counted, so it is)."""
    index = IdentifierIndex(JAVA, "java")
    assert index.names == ["sum", "a", "n", "s", "i"]

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("rename re-parsed or re-analysed its input")

    monkeypatch.setattr(scope, "parse", forbidden)
    monkeypatch.setitem(scope._ANALYZERS, "java", forbidden)
    outputs = {index.rename({"s": f"acc{k}"}) for k in range(2000)}
    assert len(outputs) == 2000 and None not in outputs


def _corpus(path: Path, stride: int) -> list[str]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line)["func"] for k, line in enumerate(handle) if k % stride == 0]


@needs_shared
@pytest.mark.slow
@pytest.mark.parametrize(("language", "folder", "stride"), [("java", BCB, 20), ("c", DEVIGN, 1)])
def test_corpus_outputs_never_gain_parse_errors(language: str, folder: Path, stride: int) -> None:
    """Every (sampled) corpus function x every transform re-parses with no new ERROR/MISSING nodes.

    BigCloneBench is sampled every 20th function to stay within the CI budget; set
    METACOMPRESS_FULL_CORPUS=1 to run all 22,975.
    """
    codes = _corpus(folder / "functions.jsonl", 1 if os.environ.get("METACOMPRESS_FULL_CORPUS") else stride)
    before = [count_errors(parse(code, language).root_node) for code in codes]
    failures: list[str] = []
    for name in list_transforms(language):
        counts: Counter[str] = Counter()
        for code, errors in zip(codes, before, strict=True):
            result = apply_transform(code, language, name)
            counts[result.status] += 1
            if result.reason.startswith("transform failed"):
                failures.append(f"{name}: {result.reason}")
            ok = result.ok and result.code is not None
            if ok and count_errors(parse(result.code or "", language).root_node) > errors:
                failures.append(f"{name}: new parse errors")
        print(
            f"{language} {name}: applicable {counts['ok'] / len(codes):.1%} of {len(codes)} ({dict(counts)})"
        )
    assert not failures, failures[:5]


def test_same_tokens_accepts_only_blank_changes_at_line_edges() -> None:
    """reformat skips its verification re-parse only when this proves the token stream unchanged."""
    assert same_tokens("int f() {\n  return 1;  \n}", "int f() {\n\treturn 1;\n}")
    assert same_tokens("a;\r\n    b;\r\n", "a;\r\n  b;\r\n")
    assert not same_tokens("a b;\nc;", "a\nb c;")  # a line break moved
    assert not same_tokens("return a+b;", "return a + b;")  # blanks inside a line
    assert not same_tokens("x = 1; \\ \ny;", "x = 1; \\\ny;")  # stripping would splice the lines
    assert not same_tokens("a\\\r \nb", "a\\\r\nb")


@pytest.mark.parametrize(
    "code",
    [  # separate damaged regions; an ERROR enclosing a later, nested one (unbalanced braces)
        "int f(int n) {\n  FOO(a, b) { x = ; }\n  int y = n +;\n  BAR baz qux(1) ]\n  return y;\n}\n",
        "void OPPROTO op(void)\n{\n    x0 = T0;\n    if (x0 > 1) {\n\tT0 = 1;\n    } else {\n\tT0 = x0;\n    FORCE_RET();",
    ],
)
def test_damage_overlaps_matches_a_scan_of_every_range(code: str) -> None:
    damage = Damage(parse(code, "c"))
    assert len(damage.ranges) >= 2
    for start in range(len(code) + 1):
        for end in range(start, len(code) + 1, 3):
            brute = any(s <= end and start <= e for s, e in damage.ranges)
            assert damage.overlaps(start, end) == brute, (start, end)


def test_transform_tables_carry_the_properties() -> None:
    """Properties are registered with each transform (they were name sets in api.py): the renames
    keep the token stream, C-family ``reformat`` moves only blanks at line edges (Python's cannot:
    its indentation is syntax)."""
    renames = {"rename_local_variables", "rename_parameters", "rename_function", "natural_rename"}
    for language in LANGUAGES:
        table = base.transforms(language)
        assert {n for n, t in table.items() if t.token_preserving} == renames, language
        layout = set() if language == "python" else {"reformat"}
        assert {n for n, t in table.items() if t.layout_only} == layout, language


def test_every_language_has_a_profile_and_a_table() -> None:
    assert set(profiles()) == set(LANGUAGES)
    for language in LANGUAGES:
        assert profiles()[language].name == language
        assert (profiles()[language].cfamily is None) == (language == "python")
        assert base.transforms(language), language
    with pytest.raises(ValueError, match="not a C-family language"):
        cfamily("python")
    with pytest.raises(ValueError, match="No language profile for 'cobol'"):
        profile("cobol")
