"""C++ transforms on small inputs: exact outputs, the C++-only refusals (members, overloads, class
operators, iterators, qualified names, stringifying macros), and a compile check with g++."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fidelity.transforms import apply_transform, identifiers, list_transforms, rename_identifiers

SHARED_NAMES = {
    "add_braces",
    "expand_compound_assignment",
    "for_to_while",
    "increment_rewrite",
    "insert_dead_code",
    "natural_rename",
    "reformat",
    "remove_braces",
    "rename_function",
    "rename_local_variables",
    "rename_parameters",
    "swap_if_else",
    "swap_relational_operands",
    "switch_to_if",
    "ternary_to_if",
    "while_to_for",
}


def run(code: str, name: str, seed: int = 0) -> str | None:
    result = apply_transform(code, "cpp", name, seed=seed)
    assert result.status in ("ok", "not_applicable"), result
    return result.code


def test_registered_names() -> None:
    assert set(list_transforms("cpp")) == SHARED_NAMES


def test_swap_if_else_over_condition_clauses() -> None:
    assert run("int f(int x) { if (x < 1) { return 2; } else { return 3; } }", "swap_if_else") == (
        "int f(int x) { if (!(x < 1)) { return 3; } else { return 2; } }"
    )
    code = "int f(int x) { if constexpr (N > 1) return 2; else return 3; }"
    assert run(code, "swap_if_else") == "int f(int x) { if constexpr (!(N > 1)) return 3; else return 2; }"
    assert run("int f() { if (auto y = g(); y) return 1; else return 2; }", "swap_if_else") is None


def test_while_to_for() -> None:
    assert (
        run("void f(int x) { while (x < 3) x++; }", "while_to_for")
        == "void f(int x) { for (; x < 3; ) x++; }"
    )
    assert run("void f(int x) { while (int y = x--) g(y); }", "while_to_for") is None


def test_operator_rewrites_need_builtin_types() -> None:
    code = "struct V { int m; bool operator<(const V &o) const; };\nbool f(V a, V b, int i, int j) { return a < b || i < j; }"
    assert run(code, "swap_relational_operands") == code.replace("i < j", "j > i")
    code = (
        "void f(std::list<int> &xs) { for (auto it = xs.begin(); it != xs.end(); it++) {} int k = 0; k++; }"
    )
    out = run(code, "increment_rewrite") or ""
    assert "it++" in out and "k++" not in out
    code = "struct Acc { Acc &operator+=(int); };\nvoid f(Acc acc, unsigned char u) { acc += 5; u += 10; }"
    assert run(code, "expand_compound_assignment") == code.replace("u += 10", "u = u + (10)")


def test_renames_leave_members_qualified_names_and_overloads() -> None:
    code = (
        "int x = 1;\nstruct C { int count; int get(int count) { return this->count + count; } };\n"
        "int area(int s) { return s * s; }\nint area(int w, int h) { return w * h; }\n"
        "int f(int x) { return x + ::x + area(2); }\n"
    )
    names = identifiers(code, "cpp")
    assert "area" not in names and "x" not in names  # overloaded; global x is used as ::x
    out = rename_identifiers(code, "cpp", {"count": "n"}) or ""
    assert "this->count + n" in out and "int count;" in out


def test_lambda_captures_follow_renames() -> None:
    code = "int f() { int off = 1; auto g = [off](int v) { return v + off; }; return g(2); }"
    out = rename_identifiers(code, "cpp", {"off": "delta", "v": "w"})
    assert out == "int f() { int delta = 1; auto g = [delta](int w) { return w + delta; }; return g(2); }"


def test_stringifying_macro_arguments_are_not_renamed() -> None:
    code = "#define STR(x) #x\nconst char *f() { int value = 1; (void)value; return STR(value); }"
    assert "value" not in identifiers(code, "cpp")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")
def test_variants_of_a_small_program_compile(tmp_path: Path) -> None:
    code = (
        "#include <vector>\nint total(const std::vector<int> &xs) {\n  int sum = 0;\n"
        "  for (int i = 0; i < (int)xs.size(); i++) {\n    if (xs[i] < 0) continue;\n    sum += xs[i];\n  }\n"
        "  int k = 0;\n  while (k < 3) k++;\n  return sum > 10 ? sum : -sum;\n}\n"
        "int main() { return total({1, 2, -3}) == -3 ? 0 : 1; }\n"
    )
    for name in list_transforms("cpp"):
        out = run(code, name, seed=1)
        if out is None:
            continue
        src = tmp_path / f"{name}.cpp"
        src.write_text(out)
        build = subprocess.run(
            ["g++", "-std=c++17", "-w", "-o", str(tmp_path / name), str(src)], capture_output=True, text=True
        )
        assert build.returncode == 0, f"{name}:\n{out}\n{build.stderr}"
        assert subprocess.run([str(tmp_path / name)]).returncode == 0, f"{name} changed behaviour:\n{out}"
