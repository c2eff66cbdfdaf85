"""Exact-output tests for the C transforms: macros, labels, damaged (Devign-style) input."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fidelity.parsing import count_errors, parse
from fidelity.transforms import apply_transform, list_transforms
from fidelity.transforms.macros import call_arguments

CASES = [
    (
        "for_to_while",
        "int f(int n) {\n    int s = 0;\n    for (int i = 0; i < n; i++) {\n        if (i % 2) continue;\n        s += i;\n    }\n    return s;\n}",
        "int f(int n) {\n    int s = 0;\n    {\n        int i = 0;\n        while (i < n) {\n            if (i % 2) { i++; continue; }\n"
        "            s += i;\n            i++;\n        }\n    }\n    return s;\n}",
    ),
    (  # k is used inside a macro body and MAX_LEN is a macro: neither changes
        "rename_local_variables",
        "#define SQUARE(v) ((v) * (k))\nint f(int n) {\n    int k = 2, m = n;\n    return SQUARE(m) + MAX_LEN;\n}",
        "#define SQUARE(v) ((v) * (k))\nint f(int n) {\n    int k = 2, token = n;\n    return SQUARE(token) + MAX_LEN;\n}",
    ),
    (  # a field and a label share the parameter's name; only the parameter changes
        "rename_parameters",
        "int f(struct s *p, int len) {\n    if (len < 0) goto len_err;\n    return p->len + len;\nlen_err:\n    return -1;\n}",
        "int f(struct s *token, int first) {\n    if (first < 0) goto len_err;\n    return token->len + first;\nlen_err:\n    return -1;\n}",
    ),
    (
        "expand_compound_assignment",
        "void f(int *a, int i) {\n    a[i++] += 1;\n    a[i] *= i + 1;\n}",
        "void f(int *a, int i) {\n    a[i++] += 1;\n    a[i] = a[i] * (i + 1);\n}",
    ),
    (
        "swap_if_else",
        "int f(int a) {\n    if (!a) {\n        return 1;\n    } else {\n        return 2;\n    }\n}",
        "int f(int a) {\n    if (a) {\n        return 2;\n    } else {\n        return 1;\n    }\n}",
    ),
    (
        "while_to_for",
        "void f(int n) {\n    while (n > 0) n--;\n}",
        "void f(int n) {\n    for (; n > 0; ) n--;\n}",
    ),
    (
        "increment_rewrite",
        "void f(int n) {\n    int i = 0;\n    i++;\n    n = i++;\n}",
        "void f(int n) {\n    int i = 0;\n    i += 1;\n    n = i++;\n}",
    ),
    (
        "ternary_to_if",
        "int f(int a) {\n    int x = a > 0 ? a : -a;\n    return x;\n}",
        "int f(int a) {\n    int x;\n    if (a > 0) {\n        x = a;\n    } else {\n        x = -a;\n    }\n    return x;\n}",
    ),
    (  # buf is declared by a macro: it is not a binding we can see, so it keeps its name
        "rename_local_variables",
        "static int f(AVCodecContext *avctx)\n{\n    int ret = 0;\n    DECLARE_ALIGNED(16, uint8_t, buf)[64];\n    ret = avctx->width + buf[0];\n    return ret;\n}",
        "static int f(AVCodecContext *avctx)\n{\n    int token = 0;\n    DECLARE_ALIGNED(16, uint8_t, buf)[64];\n    token = avctx->width + buf[0];\n    return token;\n}",
    ),
    (  # a macro constant as a case value is fine in C
        "switch_to_if",
        "int f(int x) {\n    int y;\n    switch (x) {\n    case FOO:\n        y = 1;\n        break;\n    default:\n        return -1;\n    }\n    return y;\n}",
        "int f(int x) {\n    int y;\n    if (x == FOO) {\n        y = 1;\n    } else {\n        return -1;\n    }\n    return y;\n}",
    ),
    (
        "natural_rename",
        "int f(char *buf, int len) {\n    int idx = 0;\n    return buf[idx] + len;\n}",
        # the function name too (lexicon: f -> file, the only option), as MORPH renamed function and parameters
        "int file(char *buffer, int length) {\n    int index = 0;\n    return buffer[index] + length;\n}",
    ),
    (
        "rename_function",
        "static int fib(int n) {\n    return n < 2 ? n : fib(n - 1) + fib(n - 2);\n}",
        "static int token(int n) {\n    return n < 2 ? n : token(n - 1) + token(n - 2);\n}",
    ),
    (
        "swap_relational_operands",
        "int f(int *p, int n) {\n    return p[0] < n && g() > n;\n}",
        "int f(int *p, int n) {\n    return n > p[0] && g() > n;\n}",
    ),
]

CASES += [
    (
        "add_braces",
        "void f(int a) {\n    if (a > 0)\n        a--;\n    else\n        a++;\n}",
        "void f(int a) {\n    if (a > 0) {\n        a--;\n    }\n    else {\n        a++;\n    }\n}",
    ),
    (  # a block holding only a preprocessor conditional keeps its braces
        "remove_braces",
        "void f(int a) {\n    if (a) {\n#ifdef X\n        a++;\n#endif\n    }\n    while (a > 0) {\n        a--;\n    }\n}",
        "void f(int a) {\n    if (a) {\n#ifdef X\n        a++;\n#endif\n    }\n    while (a > 0)\n        a--;\n}",
    ),
    (
        "insert_dead_code",
        "int f(int a) {\n    return a;\n}",
        "int f(int a) {\n    { int unit = 0; (void) unit; }\n    return a;\n}",
    ),
    (  # macro continuation lines and the inside of a block comment are left byte-identical
        "reformat",
        "#define TWICE(x) \\\n    ((x) * 2)\nint f(int a) {\n    if (a > 0)\n        a--;  /* keep\n   this */\n    return TWICE(a);\n}",
        "#define TWICE(x) \\\n    ((x) * 2)\nint f(int a) {\n  if (a > 0)\n    a--;  /* keep\n   this */\n  return TWICE(a);\n}",
    ),
]

DAMAGED = (
    'static int f(int n)\n{\n    int k = 0;\n    av_log(s, AV_LOG_ERROR, "x" PRId64 "\\n", n) @@;\n'
    "    for (k = 0; k < n; k++)\n        h(k);\n    return k;\n}\n"
)


@pytest.mark.parametrize(
    ("name", "code", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_c_transform_exact_output(name: str, code: str, expected: str) -> None:
    result = apply_transform(code, "c", name, seed=0)
    assert result.status == "ok", result.reason
    assert result.code == expected
    assert count_errors(parse(result.code, "c").root_node) == 0


def test_c_main_and_preserve_are_kept() -> None:
    code = "int main(int argc, char **argv) {\n    return argc;\n}"
    assert apply_transform(code, "c", "rename_function").status == "not_applicable"
    result = apply_transform(code, "c", "rename_parameters", preserve=["argv"])
    assert result.code == "int main(int token, char **argv) {\n    return token;\n}"


def test_c_damaged_input_transforms_outside_the_error() -> None:
    assert parse(DAMAGED, "c").root_node.has_error
    result = apply_transform(DAMAGED, "c", "for_to_while")
    assert result.ok and result.code is not None
    assert "while (k < n) {\n            h(k);\n            k++;" in result.code
    assert '"\\n", n) @@;' in result.code  # the damaged line is untouched
    before = count_errors(parse(DAMAGED, "c").root_node)
    assert count_errors(parse(result.code, "c").root_node) <= before


def test_c_construct_only_in_damage_is_not_applicable() -> None:
    code = "int f(int n)\n{\n    while (n > 0) @@ n--;\n    return n;\n}\n"
    result = apply_transform(code, "c", "while_to_for")
    assert result.status == "not_applicable"


def test_c_names_in_error_regions_are_not_renamed() -> None:
    code = "int f(int n)\n{\n    int q = n;\n    g(q) @@ q;\n    return q;\n}\n"
    # ``g(q) @@ q;`` misparses as a declaration of a second q: q must keep its name everywhere.
    assert apply_transform(code, "c", "rename_local_variables").status == "not_applicable"
    result = apply_transform(code, "c", "rename_parameters")
    assert result.code == "int f(int token)\n{\n    int q = token;\n    g(q) @@ q;\n    return q;\n}\n"


PROGRAM = """#include <stdio.h>
#define SCALE(v) ((v) * 3)
static int helper(int *arr, int len) {
    int total = 0, idx;
    for (idx = 0; idx < len; idx++) {
        if (arr[idx] % 3 == 0) continue;
        total += arr[idx];
    }
    for (int k = 0, m = len; k < m; k++, m--) total ^= k * m;
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
    int sign = total > 0 ? 1 : -1;
    if (!(total & 1)) {
        total++;
    } else {
        total--;
    }
    arr[0] += SCALE(sign);
    idx = 0;
    idx++;
    return total + arr[0] + (len <= 3 ? idx : -idx);
}
int main(void) {
    int data[6] = {3, 4, 5, 6, 7, 8};
    for (int n = 0; n <= 6; n++) printf("%d\\n", helper(data, n));
    return 0;
}
"""


def _compile_and_run(source: str, folder: Path) -> str:
    (folder / "t.c").write_text(source)
    subprocess.run(
        ["gcc", "-w", "-o", str(folder / "t"), str(folder / "t.c")], check=True, capture_output=True
    )
    return subprocess.run([str(folder / "t")], check=True, capture_output=True, text=True).stdout


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_every_c_transform_preserves_program_output(tmp_path: Path) -> None:
    """Each transform applies to this program (every construct is there) and gcc runs it identically."""
    expected = _compile_and_run(PROGRAM, tmp_path)
    for name in list_transforms("c"):
        result = apply_transform(PROGRAM, "c", name, seed=0, preserve=["main"])
        assert result.ok and result.code is not None, (name, result.reason)
        assert _compile_and_run(result.code, tmp_path) == expected, name


STRINGIFY_PROGRAM = r"""#include <stdio.h>
#define STR(x) #x
#define SHOW(e) printf("%s = %d\n", #e, (e))
#define CAT(a, b) a##b

static int scale(int count, int factor, int off) {
    int buf_len = count * factor + off;
    SHOW(buf_len + (count - 1));
    printf("%s %s\n", STR(count), STR(factor));
    return buf_len;
}

int main(void) {
    int idx = 2, CAT(tmp, val) = 5;
    int total = scale(idx, tmpval, 1);
    int cnt = total + 1;
    printf("%s=%d %s %d\n", STR(total), total, STR(idx), cnt);
    return 0;
}
"""


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
@pytest.mark.parametrize("name", ["rename_local_variables", "rename_parameters", "natural_rename"])
def test_stringified_macro_arguments_keep_their_spelling(tmp_path: Path, name: str) -> None:
    """A name passed to ``#x``/``a##b`` macros is program data: renames leave it, output is unchanged."""
    expected = _compile_and_run(STRINGIFY_PROGRAM, tmp_path)
    assert "buf_len + (count - 1) = 12" in expected and "count factor" in expected
    for seed in range(3):
        result = apply_transform(STRINGIFY_PROGRAM, "c", name, seed=seed)
        assert result.ok and result.code is not None, (seed, result.reason)  # off / cnt are renamable
        for spelled in ("STR(count)", "STR(factor)", "SHOW(buf_len + (count - 1))", "STR(total)"):
            assert spelled in result.code, (seed, spelled)
        assert _compile_and_run(result.code, tmp_path) == expected, (name, seed)


def test_macro_call_arguments_nest_and_respect_word_boundaries() -> None:
    source = b"STR(a(b, c)) + MYSTR(no) + STR (d) + CAT(e, f(g)) + STR(unclosed"
    assert call_arguments(source, {b"STR", b"CAT"}) == [b"a(b, c)", b"d", b"e, f(g)", b"unclosed"]
    assert call_arguments(source, set()) == []
