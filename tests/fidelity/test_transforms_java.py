"""Exact-output tests for the Java transforms, including the classic traps."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from fidelity.parsing import count_errors, parse
from fidelity.transforms import apply_transform, list_transforms
from tests.conftest import JVM_QUIET

CASES = [
    (  # continue in a for body: the update must still run
        "for_to_while",
        "void f(int[] a) {\n    for (int i = 0; i < a.length; i++) {\n        if (a[i] == 0) continue;\n        g(a[i]);\n    }\n}",
        "void f(int[] a) {\n    {\n        int i = 0;\n        while (i < a.length) {\n            if (a[i] == 0) { i++; continue; }\n"
        "            g(a[i]);\n            i++;\n        }\n    }\n}",
    ),
    (  # a local named like a field: this.x stays, the local changes
        "rename_local_variables",
        "class A {\n    int x;\n    void set(int v) {\n        int x = v;\n        this.x = x;\n    }\n}",
        "class A {\n    int x;\n    void set(int v) {\n        int token = v;\n        this.x = token;\n    }\n}",
    ),
    (  # obj.size() keeps its method name although a local is called size
        "rename_local_variables",
        "int f(java.util.List<Integer> obj) {\n    int size = obj.size();\n    return size;\n}",
        "int f(java.util.List<Integer> obj) {\n    int token = obj.size();\n    return token;\n}",
    ),
    (  # labels are not variables
        "rename_parameters",
        "int f(int a, int b) {\n    outer: for (;;) { if (a > b) break outer; a++; }\n    return a;\n}",
        "int f(int token, int first) {\n    outer: for (;;) { if (token > first) break outer; token++; }\n    return token;\n}",
    ),
    (
        "natural_rename",
        # `measure` has no sub-token in the lexicon, so the function keeps its name (a known one is renamed too:
        # test_natural_rename_renames_the_function)
        "int measure(String[] args, int idx) {\n    String buf = args[idx];\n    return buf.length();\n}",
        "int measure(String[] arguments, int index) {\n    String buffer = arguments[index];\n    return buffer.length();\n}",
    ),
    (
        "rename_function",
        "int fact(int n) {\n    return n <= 1 ? 1 : n * fact(n - 1);\n}",
        "int token(int n) {\n    return n <= 1 ? 1 : n * token(n - 1);\n}",
    ),
    (  # g() has a side effect: its comparison keeps its order
        "swap_relational_operands",
        "boolean f(int a, int b) {\n    return a < b && g() <= b;\n}",
        "boolean f(int a, int b) {\n    return b > a && g() <= b;\n}",
    ),
    (  # a[i++] += 1, byte += and String += must stay; int += expands
        "expand_compound_assignment",
        'void f(int[] a, int i, byte b, String s, int x) {\n    a[i++] += 1;\n    b += 1;\n    s += "x";\n    x += 2;\n}',
        'void f(int[] a, int i, byte b, String s, int x) {\n    a[i++] += 1;\n    b += 1;\n    s += "x";\n    x = x + 2;\n}',
    ),
    (
        "while_to_for",
        "void f(int n) {\n    while (n > 0) n--;\n}",
        "void f(int n) {\n    for (; n > 0; ) n--;\n}",
    ),
    (
        "swap_if_else",
        "int f(boolean a) {\n    if (!a) {\n        return 1;\n    } else {\n        return 2;\n    }\n}",
        "int f(boolean a) {\n    if (a) {\n        return 2;\n    } else {\n        return 1;\n    }\n}",
    ),
    (  # Java: only primitive targets (boxing would change behaviour)
        "ternary_to_if",
        'int f(int a) {\n    int x = a > 0 ? a : -a;\n    String s = a > 0 ? "p" : "n";\n    return x;\n}',
        'int f(int a) {\n    int x;\n    if (a > 0) {\n        x = a;\n    } else {\n        x = -a;\n    }\n    String s = a > 0 ? "p" : "n";\n    return x;\n}',
    ),
    (
        "add_braces",
        "void f(int a) {\n    if (a > 0)\n        a--;\n    for (;;) break;\n}",
        "void f(int a) {\n    if (a > 0) {\n        a--;\n    }\n    for (;;) { break; }\n}",
    ),
    (  # the consequence holds an if: removing its braces would steal the else
        "remove_braces",
        "void f(int a) {\n    if (a == 1) { if (a > 1) a = 2; } else { a = 3; }\n    while (a > 0) {\n        a--;\n    }\n}",
        "void f(int a) {\n    if (a == 1) { if (a > 1) a = 2; } else a = 3;\n    while (a > 0)\n        a--;\n}",
    ),
    (
        "increment_rewrite",
        "void f(int n) {\n    int i = 0;\n    i++;\n    n = i++;\n}",
        "void f(int n) {\n    int i = 0;\n    i += 1;\n    n = i++;\n}",
    ),
    (  # stacked labels merge; a break inside a nested loop stays; default becomes the else
        "switch_to_if",
        "int f(int x) {\n    int y = 0;\n    switch (x) {\n        case 1:\n        case 2:\n            y = 10;\n            break;\n"
        "        case 3:\n            for (;;) { break; }\n            break;\n        default:\n            y = -1;\n    }\n    return y;\n}",
        "int f(int x) {\n    int y = 0;\n    if (x == 1 || x == 2) {\n        y = 10;\n    } else if (x == 3) {\n        for (;;) { break; }\n"
        "    } else {\n        y = -1;\n    }\n    return y;\n}",
    ),
    (
        "insert_dead_code",
        "int f(int a) {\n    return a;\n}",
        "int f(int a) {\n    int unit = 0;\n    return a;\n}",
    ),
    (
        "reformat",
        "int f(int a) {\n    if (a > 0)\n        a--;  // keep\n    return a;\n}",
        "int f(int a) {\n\tif (a > 0)\n\t\ta--;  // keep\n\treturn a;\n}",
    ),
]


@pytest.mark.parametrize(
    ("name", "code", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_java_transform_exact_output(name: str, code: str, expected: str) -> None:
    result = apply_transform(code, "java", name, seed=0)
    assert result.status == "ok", result.reason
    assert result.code == expected
    assert result.sites >= 1
    assert count_errors(parse(result.code, "java").root_node) == 0


@pytest.mark.parametrize(
    ("name", "code"),
    [
        (
            "for_to_while",
            "void f(java.util.List<String> xs) {\n    for (String x : xs) g(x);\n}",
        ),  # enhanced for
        ("expand_compound_assignment", "void f(short s, char c) {\n    s += 1;\n    c -= 2;\n}"),
        ("rename_local_variables", "int f(int a) {\n    return a;\n}"),
        ("ternary_to_if", "Integer f(boolean c) {\n    return c ? 1 : null;\n}"),  # unboxing NPE
        (
            "switch_to_if",
            "void f(int x) {\n    switch (x) {\n        case 1: g();\n        case 2: h(); break;\n    }\n}",
        ),  # fall-through
        ("switch_to_if", "void f(Color c) {\n    switch (c) { case RED: g(); break; }\n}"),  # enum constant
        (
            "switch_to_if",
            "void f(int x) {\n    switch (x) { case 1: if (x > 0) break; g(); break; }\n}",
        ),  # inner break
    ],
)
def test_java_not_applicable(name: str, code: str) -> None:
    assert apply_transform(code, "java", name).status == "not_applicable"


def test_java_for_to_while_skips_body_ending_in_jump() -> None:
    # javac rejects the appended update as unreachable after a trailing return.
    code = "int f(int n) {\n    for (int i = 0; i < n; i++) {\n        return i;\n    }\n    return -1;\n}"
    assert apply_transform(code, "java", "for_to_while").status == "not_applicable"


def test_java_preserve_and_keywordish_names() -> None:
    code = "int f(int record, int var, int yield_) {\n    return record + var + yield_;\n}"
    result = apply_transform(code, "java", "rename_parameters", preserve=["var"])
    assert result.ok and result.code is not None
    assert "var" in result.code and "record" not in result.code and "yield_" not in result.code
    assert result.sites == 2


def test_java_shadowing_sibling_scopes_rename_consistently() -> None:
    code = "void f() {\n    for (int i = 0; i < 2; i++) g(i);\n    for (int i = 0; i < 3; i++) h(i);\n}"
    result = apply_transform(code, "java", "rename_local_variables")
    assert (
        result.code
        == "void f() {\n    for (int token = 0; token < 2; token++) g(token);\n    for (int token = 0; token < 3; token++) h(token);\n}"
    )


def test_java_override_method_not_renamed() -> None:
    code = "@Override\npublic String toString() {\n    return name;\n}"
    assert apply_transform(code, "java", "rename_function").status == "not_applicable"


def test_java_method_calling_an_unseen_overload_is_not_renamed() -> None:
    code = "void write(byte[] b) {\n    write(b, 0, b.length);\n}"
    assert apply_transform(code, "java", "rename_function").status == "not_applicable"


PROGRAM = """public class Prog {
    static int counter;
    static int helper(int[] arr, int len, String tag) {
        int total = 0;
        for (int i = 0; i < len; i++) {
            if (arr[i] % 3 == 0) continue;
            total += arr[i];
        }
        outer:
        for (int a = 0; a < 3; a++) {
            for (int b = 0; b < 3; b++) { if (a * b > 2) continue outer; total += a - b; }
        }
        while (total > 1000) total /= 2;
        switch (len) {
            case 1:
            case 2:
                total += 7;
                break;
            case 5:
                total -= 3;
                break;
            default:
                total *= 2;
        }
        switch (tag) { case "x": total += 1; break; default: total -= 1; }
        int sign = total > 0 ? 1 : -1;
        if (!(total % 2 == 0)) { total++; } else { total--; }
        long big = total;
        big <<= 2;
        double d = 1.5;
        d *= total + 1;
        byte small = 3;
        small += 1;
        counter++;
        return total + sign + (int) big + (int) d + small + (len <= 3 ? counter : -counter);
    }
    public static void main(String[] args) {
        int[] data = {3, 4, 5, 6, 7, 8};
        for (int n = 0; n <= 6; n++) System.out.println(helper(data, n, n % 2 == 0 ? "x" : "y"));
    }
}
"""


def _run_all(sources: list[str], folder: Path) -> list[str]:
    """Compile every variant (renamed Prog0, Prog1, ...) with one javac and run them in one JVM."""
    calls = []
    for k, source in enumerate(sources):
        (folder / f"Prog{k}.java").write_text(source.replace("public class Prog ", f"public class Prog{k} "))
        calls.append(f'Prog{k}.main(args); System.out.println("--end--");')
    runner = "public class Runner { public static void main(String[] args) { " + " ".join(calls) + " } }"
    (folder / "Runner.java").write_text(runner)
    files = [str(f) for f in folder.glob("*.java")]
    subprocess.run(["javac", "-d", str(folder), *files], check=True, capture_output=True)
    done = subprocess.run(
        ["java", *JVM_QUIET, "-cp", str(folder), "Runner"], check=True, capture_output=True, text=True
    )
    return done.stdout.split("--end--\n")[: len(sources)]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("javac") is None, reason="javac not installed")
def test_every_java_transform_preserves_program_output(tmp_path: Path) -> None:
    """Each transform applies to this program (labels, byte +=, String switch, ...) and javac/java agree."""
    names = list_transforms("java")
    variants = []
    for name in names:
        result = apply_transform(PROGRAM, "java", name, seed=0, preserve=["main", "args"])
        assert result.ok and result.code is not None, (name, result.reason)
        variants.append(result.code)
    expected, *outputs = _run_all([PROGRAM, *variants], tmp_path)
    assert expected.count("\n") == 7
    for name, output in zip(names, outputs, strict=True):
        assert output == expected, name


def test_natural_rename_renames_the_function() -> None:
    """MORPH's default rename covers the function: a lexicon-known name (``count``: total / num) changes at its
    definition and its recursive call, and the parameter with it; an @Override method keeps its name."""
    code = "int count(int[] arr, int n) {\n    return n == 0 ? 0 : arr[n - 1] + count(arr, n - 1);\n}"
    for seed in range(3):
        out = apply_transform(code, "java", "natural_rename", seed=seed).code
        assert out is not None
        name = out.split("(")[0].split()[-1]
        assert name in ("total", "num"), out
        assert f"+ {name}(" in out and "count" not in out, out
        assert not re.search(r"\barr\b", out), out  # arr -> array, per the lexicon
    override = "@Override\npublic int count(int[] arr) {\n    return arr.length;\n}"
    out = apply_transform(override, "java", "natural_rename", seed=0).code
    assert out is not None and "public int count(" in out, out
