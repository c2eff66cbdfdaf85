"""C weakness patterns for the synthetic vulnerability-prediction demo (Juliet-style good/bad pairs).

Each pattern is a CWE with vulnerable (`bad`, target 1) and fixed (`good`, target 0) implementations of the
same small job. The two sides share function names, harmless filler statements, decoy guards and layout
choices, and several fixed versions are shorter than their vulnerable twins, so the label is carried by the
weakness itself (an unchecked length, a `<=`, a missing NULL test), not by size or naming.
"""

from __future__ import annotations

import dataclasses
import random
import re
from dataclasses import dataclass

from kd.data.demo_layout import fill, pick_names, random_layout, render, split_lines, sprinkle, template_roles

# What a translation unit needs before the demo functions compile: headers plus a few Devign-flavoured
# macros and a context struct, playing the role of a project's own headers.
C_PRELUDE = r"""#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <limits.h>
#define DEMO_LOG(...) fprintf(stderr, __VA_ARGS__)
#define DEMO_ERROR(e) (-(e))
#define DEMO_DEFAULT_FLAGS 0x3u
#define av_malloc(size) malloc(size)
#define av_free(ptr) free(ptr)
#define g_malloc(size) malloc(size)
#define g_free(ptr) free(ptr)
#define FFMIN(a, b) ((a) > (b) ? (b) : (a))
#define AV_RB16(p) ((((const uint8_t *)(p))[0] << 8) | ((const uint8_t *)(p))[1])
typedef struct DemoContext { uint8_t *data; size_t size; int width; int height; int count; char name[64]; } DemoContext;
extern int demo_trace_enabled;
"""


@dataclass(frozen=True)
class Pattern:
    """A weakness: its CWE id, a function-name pool, and vulnerable / fixed implementations."""

    cwe: str
    names: tuple[str, ...]
    bad: tuple[str, ...]
    good: tuple[str, ...]


# fmt: off
PATTERNS: tuple[Pattern, ...] = (
    Pattern("CWE-121", ("copy_name", "set_label", "store_title", "parse_tag", "read_token", "handle_arg"), bad=(
        r"""int $F(const char *$s) { char $buf[$N]; strcpy($buf, $s); DEMO_LOG("%s\n", $buf); return (int)strlen($buf); }""",
        r"""int $F(const char *$s, size_t $len) { char $buf[$N]; if ($s == NULL) return -1; memcpy($buf, $s, $len); $buf[$N - 1] = '\0'; return $buf[0]; }""",
        r"""void $F(DemoContext *$ctx, const char *$s, int $v) { sprintf($ctx->name, "%s-%d", $s, $v); }""",
        r"""int $F(const char *$s) { char $buf[$N]; snprintf($buf, strlen($s) + 1, "%s", $s); return $buf[0]; }""",
    ), good=(
        r"""int $F(const char *$s) { char $buf[$N]; snprintf($buf, sizeof($buf), "%s", $s); DEMO_LOG("%s\n", $buf); return (int)strlen($buf); }""",
        r"""int $F(const char *$s, size_t $len) { char $buf[$N]; if ($len >= sizeof($buf)) return -1; memcpy($buf, $s, $len); $buf[$len] = '\0'; return $buf[0]; }""",
        r"""void $F(DemoContext *$ctx, const char *$s, int $v) { snprintf($ctx->name, sizeof($ctx->name), "%s-%d", $s, $v); }""",
        r"""int $F(const char *$s) { char $buf[$N]; if (strlen($s) >= sizeof($buf)) return -1; strcpy($buf, $s); return $buf[0]; }""",
    )),
    Pattern("CWE-122", ("dup_string", "clone_buffer", "load_packet", "store_payload", "copy_frame", "save_blob"), bad=(
        r"char *$F(const char *$s) { char *$p = $ALLOC(strlen($s)); if (!$p) return NULL; strcpy($p, $s); return $p; }",
        r"int $F(const uint8_t *$s, size_t $len) { uint8_t *$p = $ALLOC($N); if ($p == NULL) return -1; memcpy($p, $s, $len); $FREE($p); return 0; }",
        r"int $F(DemoContext *$ctx, const uint8_t *$s, size_t $len) { $ctx->data = $ALLOC($N); if (!$ctx->data) return DEMO_ERROR(12); memcpy($ctx->data, $s, $len); $ctx->size = $len; return 0; }",
    ), good=(
        r"char *$F(const char *$s) { char *$p = $ALLOC(strlen($s) + 1); if (!$p) return NULL; strcpy($p, $s); return $p; }",
        r"int $F(const uint8_t *$s, size_t $len) { uint8_t *$p = $ALLOC($N); if ($p == NULL) return -1; memcpy($p, $s, FFMIN($len, (size_t)$N)); $FREE($p); return 0; }",
        r"int $F(DemoContext *$ctx, const uint8_t *$s, size_t $len) { $ctx->data = $ALLOC($len); if (!$ctx->data) return DEMO_ERROR(12); memcpy($ctx->data, $s, $len); $ctx->size = $len; return 0; }",
    )),
    Pattern("CWE-190", ("alloc_table", "create_image", "alloc_frame", "new_array", "init_plane", "make_buffer"), bad=(
        r"int *$F(size_t $n) { int *$p = $ALLOC($n * sizeof(int)); if ($p == NULL) return NULL; memset($p, 0, $n * sizeof(int)); return $p; }",
        r"uint8_t *$F(DemoContext *$ctx) { int $len = $ctx->width * $ctx->height * 4; uint8_t *$p = $ALLOC($len); if (!$p) return NULL; memset($p, 0, $len); return $p; }",
        r"int $F(DemoContext *$ctx, int $n) { int $len = $n * (int)sizeof(int); int *$p = $ALLOC($len); if (!$p) return -1; for (int $i = 0; $i < $n; $i++) $p[$i] = $ctx->count; $FREE($p); return 0; }",
    ), good=(
        r"int *$F(size_t $n) { int *$p = calloc($n, sizeof(int)); if ($p == NULL) return NULL; return $p; }",
        r"int *$F(size_t $n) { int *$p; if ($n > SIZE_MAX / sizeof(int)) return NULL; $p = $ALLOC($n * sizeof(int)); if ($p == NULL) return NULL; memset($p, 0, $n * sizeof(int)); return $p; }",
        r"uint8_t *$F(DemoContext *$ctx) { if ($ctx->width <= 0 || $ctx->height <= 0 || $ctx->width > INT_MAX / 4 / $ctx->height) return NULL; uint8_t *$p = $ALLOC((size_t)$ctx->width * $ctx->height * 4); return $p; }",
        r"int $F(DemoContext *$ctx, int $n) { if ($n < 0 || $n > INT_MAX / (int)sizeof(int)) return -1; int *$p = $ALLOC($n * sizeof(int)); if (!$p) return -1; for (int $i = 0; $i < $n; $i++) $p[$i] = $ctx->count; $FREE($p); return 0; }",
    )),
    Pattern("CWE-476", ("init_buffer", "open_stream", "setup_context", "alloc_data", "read_first", "prepare"), bad=(
        r"""int $F(size_t $n) { char *$p = $ALLOC($n + 1); memset($p, 'A', $n); $p[$n] = '\0'; DEMO_LOG("%s\n", $p); $FREE($p); return 0; }""",
        r"int $F(DemoContext *$ctx) { $ctx->data = $ALLOC($ctx->size); $ctx->data[0] = 0; $ctx->count = 1; return 0; }",
        r"""int $F(const char *$s) { FILE *$fp = fopen($s, "rb"); int $c = fgetc($fp); fclose($fp); return $c; }""",
    ), good=(
        r"""int $F(size_t $n) { char *$p = $ALLOC($n + 1); if ($p == NULL) return -1; memset($p, 'A', $n); $p[$n] = '\0'; DEMO_LOG("%s\n", $p); $FREE($p); return 0; }""",
        r"int $F(DemoContext *$ctx) { $ctx->data = $ALLOC($ctx->size); if (!$ctx->data) return DEMO_ERROR(12); $ctx->data[0] = 0; return 0; }",
        r"""int $F(const char *$s) { FILE *$fp = fopen($s, "rb"); if (!$fp) return -1; int $c = fgetc($fp); fclose($fp); return $c; }""",
    )),
    Pattern("CWE-416", ("release_buffer", "close_session", "reset_state", "drop_frame", "finish_request", "cleanup"), bad=(
        r"int $F(size_t $n) { char *$p = $ALLOC($n + 1); if (!$p) return -1; memset($p, 0, $n + 1); $FREE($p); return $p[0]; }",
        r"void $F(DemoContext *$ctx) { $FREE($ctx->data); if ($ctx->size > 0) $ctx->data[0] = 0; }",
        r"""int $F(const char *$s) { char *$p = $ALLOC(strlen($s) + 1); if (!$p) return -1; strcpy($p, $s); $FREE($p); DEMO_LOG("released %s\n", $p); return 0; }""",
    ), good=(
        r"int $F(size_t $n) { char *$p = $ALLOC($n + 1); if (!$p) return -1; memset($p, 0, $n + 1); int $v = $p[0]; $FREE($p); return $v; }",
        r"void $F(DemoContext *$ctx) { if ($ctx->size > 0) $ctx->data[0] = 0; $FREE($ctx->data); $ctx->data = NULL; }",
        r"""int $F(const char *$s) { char *$p = $ALLOC(strlen($s) + 1); if (!$p) return -1; strcpy($p, $s); DEMO_LOG("released %s\n", $p); $FREE($p); return 0; }""",
    )),
    Pattern("CWE-415", ("free_context", "destroy", "teardown", "close_entry", "uninit", "release_all"), bad=(
        r"int $F(size_t $n) { char *$p = $ALLOC($n); if (!$p) return -1; if ($n < $N) { $FREE($p); } $FREE($p); return 0; }",
        r"void $F(DemoContext *$ctx) { $FREE($ctx->data); $ctx->size = 0; $FREE($ctx->data); }",
        r"""int $F(const char *$s) { char *$p = $ALLOC(strlen($s) + 1); if (!$p) return -1; strcpy($p, $s); if ($p[0] == '#') { $FREE($p); } DEMO_LOG("done\n"); $FREE($p); return 0; }""",
    ), good=(
        r"int $F(size_t $n) { char *$p = $ALLOC($n); if (!$p) return -1; if ($n < $N) { $FREE($p); $p = NULL; } $FREE($p); return 0; }",
        r"void $F(DemoContext *$ctx) { $FREE($ctx->data); $ctx->data = NULL; $ctx->size = 0; }",
        r"""int $F(const char *$s) { char *$p = $ALLOC(strlen($s) + 1); if (!$p) return -1; strcpy($p, $s); if ($p[0] == '#') { $FREE($p); return 0; } DEMO_LOG("done\n"); $FREE($p); return 0; }""",
    )),
    Pattern("CWE-134", ("log_message", "print_status", "report", "show_banner", "emit_warning", "trace_msg"), bad=(
        r"void $F(const char *$s) { printf($s); }",
        r"""int $F(const char *$s) { char $buf[$N]; snprintf($buf, sizeof($buf), $s); return DEMO_LOG("%s\n", $buf); }""",
        r"""void $F(DemoContext *$ctx, const char *$s) { fprintf(stderr, $s); fprintf(stderr, " (%d)\n", $ctx->count); }""",
    ), good=(
        r"""void $F(const char *$s) { printf("%s", $s); }""",
        r"""int $F(const char *$s) { char $buf[$N]; snprintf($buf, sizeof($buf), "%s", $s); return DEMO_LOG("%s\n", $buf); }""",
        r"""void $F(DemoContext *$ctx, const char *$s) { fputs($s, stderr); fprintf(stderr, " (%d)\n", $ctx->count); }""",
        r"void $F(const char *$s) { puts($s); }",
    )),
    Pattern("CWE-787", ("fill_table", "init_row", "copy_token", "parse_field", "read_header", "set_pixels"), bad=(
        r"int $F(int $v) { int $tab[$N]; for (int $i = 0; $i <= $N; $i++) { $tab[$i] = $v; } return $tab[0]; }",
        r"""void $F(const char *$s) { char $buf[$N]; size_t $i; for ($i = 0; $s[$i] != '\0' && $i < sizeof($buf); $i++) $buf[$i] = $s[$i]; $buf[$i] = '\0'; DEMO_LOG("%s\n", $buf); }""",
        r"int $F(const uint8_t *$s, size_t $len) { uint8_t $buf[$N]; if ($len > sizeof($buf)) return -1; memcpy($buf, $s, $len); $buf[$len] = 0; return $buf[0]; }",
    ), good=(
        r"int $F(int $v) { int $tab[$N]; for (int $i = 0; $i < $N; $i++) { $tab[$i] = $v; } return $tab[0]; }",
        r"""void $F(const char *$s) { char $buf[$N]; size_t $i; for ($i = 0; $s[$i] != '\0' && $i < sizeof($buf) - 1; $i++) $buf[$i] = $s[$i]; $buf[$i] = '\0'; DEMO_LOG("%s\n", $buf); }""",
        r"int $F(const uint8_t *$s, size_t $len) { uint8_t $buf[$N]; if ($len >= sizeof($buf)) return -1; memcpy($buf, $s, $len); $buf[$len] = 0; return $buf[0]; }",
    )),
    Pattern("CWE-369", ("average", "compute_ratio", "scale_value", "get_stride", "calc_rate", "bucket_index"), bad=(
        r"int $F(const int *$p, int $n) { int $sum = 0; for (int $i = 0; $i < $n; $i++) $sum += $p[$i]; return $sum / $n; }",
        r"int $F(DemoContext *$ctx, int $v) { if ($v < 0) return -1; return $v % $ctx->width; }",
        r"""int $F(int $v, int $c) { int $sum = 100 * $v / $c; DEMO_LOG("ratio %d\n", $sum); return $sum; }""",
    ), good=(
        r"int $F(const int *$p, int $n) { int $sum = 0; for (int $i = 0; $i < $n; $i++) $sum += $p[$i]; return $n > 0 ? $sum / $n : 0; }",
        r"int $F(DemoContext *$ctx, int $v) { if ($v < 0 || $ctx->width == 0) return -1; return $v % $ctx->width; }",
        r"""int $F(int $v, int $c) { int $sum = $c ? 100 * $v / $c : 0; DEMO_LOG("ratio %d\n", $sum); return $sum; }""",
    )),
    Pattern("CWE-401", ("parse_line", "process_entry", "load_config", "handle_packet", "decode_chunk", "attach_buffer"), bad=(
        r"""int $F(const char *$s) { char *$p = $ALLOC(strlen($s) + 1); if (!$p) return -1; strcpy($p, $s); if ($p[0] == '#') return 0; DEMO_LOG("%s\n", $p); $FREE($p); return 1; }""",
        r"int $F(size_t $n) { uint8_t *$p = $ALLOC($n); if ($p == NULL) return -1; memset($p, 0, $n); return (int)$n; }",
        r"int $F(DemoContext *$ctx, size_t $n) { uint8_t *$p = $ALLOC($n); if (!$p) return -1; if ($ctx->count < 0) return -1; $ctx->data = $p; $ctx->size = $n; return 0; }",
    ), good=(
        r"""int $F(const char *$s) { char *$p = $ALLOC(strlen($s) + 1); if (!$p) return -1; strcpy($p, $s); if ($p[0] == '#') { $FREE($p); return 0; } DEMO_LOG("%s\n", $p); $FREE($p); return 1; }""",
        r"int $F(size_t $n) { uint8_t *$p = $ALLOC($n); if ($p == NULL) return -1; memset($p, 0, $n); $FREE($p); return (int)$n; }",
        r"int $F(DemoContext *$ctx, size_t $n) { if ($ctx->count < 0) return -1; uint8_t *$p = $ALLOC($n); if (!$p) return -1; $ctx->data = $p; $ctx->size = $n; return 0; }",
    )),
    Pattern("CWE-252", ("read_value", "read_config_line", "load_header", "get_input", "parse_file", "fetch_record"), bad=(
        r"""int $F(void) { int $v; scanf("%d", &$v); return $v * 2; }""",
        r"""int $F(const char *$s) { char $buf[$N]; FILE *$fp = fopen($s, "r"); if (!$fp) return -1; fgets($buf, sizeof($buf), $fp); fclose($fp); return (int)strlen($buf); }""",
        r"int $F(DemoContext *$ctx, FILE *$fp) { uint8_t $buf[$N]; fread($buf, 1, sizeof($buf), $fp); $ctx->width = $buf[0]; return 0; }",
    ), good=(
        r"""int $F(void) { int $v; if (scanf("%d", &$v) != 1) return -1; return $v * 2; }""",
        r"""int $F(const char *$s) { char $buf[$N]; FILE *$fp = fopen($s, "r"); if (!$fp) return -1; if (!fgets($buf, sizeof($buf), $fp)) $buf[0] = '\0'; fclose($fp); return (int)strlen($buf); }""",
        r"int $F(DemoContext *$ctx, FILE *$fp) { uint8_t $buf[$N]; if (fread($buf, 1, sizeof($buf), $fp) != sizeof($buf)) return -1; $ctx->width = $buf[0]; return 0; }",
    )),
    Pattern("CWE-125", ("lookup", "get_entry", "read_u16", "peek_byte", "table_value", "get_sample"), bad=(
        r"int $F(int $i) { static const int $tab[$N] = { 1, 2, 3, 5, 8 }; return $tab[$i]; }",
        r"int $F(const uint8_t *$s, size_t $len) { if ($len < 1) return -1; return AV_RB16($s); }",
        r"int $F(DemoContext *$ctx, int $i) { if ($i < 0) return -1; return $ctx->data[$i]; }",
    ), good=(
        r"int $F(int $i) { static const int $tab[$N] = { 1, 2, 3, 5, 8 }; if ($i < 0 || $i >= $N) return -1; return $tab[$i]; }",
        r"int $F(const uint8_t *$s, size_t $len) { if ($len < 2) return -1; return AV_RB16($s); }",
        r"int $F(DemoContext *$ctx, int $i) { if ($i < 0 || (size_t)$i >= $ctx->size) return -1; return $ctx->data[$i]; }",
    )),
    Pattern("CWE-457", ("accumulate", "get_offset", "compute_total", "pick_mode", "sum_values", "derive_level"), bad=(
        r"int $F(const int *$p, int $n) { int $sum; for (int $i = 0; $i < $n; $i++) $sum += $p[$i]; return $sum; }",
        r"int $F(int $v) { int $sum; if ($v > $N) $sum = $v - $N; return $sum; }",
        r"""int $F(DemoContext *$ctx) { int $rc; if ($ctx->count > 0) { $rc = $ctx->width; } DEMO_LOG("rc=%d\n", $rc); return $rc; }""",
    ), good=(
        r"int $F(const int *$p, int $n) { int $sum = 0; for (int $i = 0; $i < $n; $i++) $sum += $p[$i]; return $sum; }",
        r"int $F(int $v) { int $sum = 0; if ($v > $N) $sum = $v - $N; return $sum; }",
        r"""int $F(DemoContext *$ctx) { int $rc = -1; if ($ctx->count > 0) { $rc = $ctx->width; } DEMO_LOG("rc=%d\n", $rc); return $rc; }""",
    )),
    Pattern("CWE-467", ("context_new", "create_ctx", "alloc_state", "new_entry", "make_label", "new_node"), bad=(
        r"DemoContext *$F(void) { DemoContext *$p = $ALLOC(sizeof($p)); if (!$p) return NULL; memset($p, 0, sizeof(*$p)); return $p; }",
        r"char *$F(const char *$s) { char *$p = $ALLOC($N); if (!$p) return NULL; memset($p, 0, sizeof($p)); strncpy($p, $s, $N - 1); return $p; }",
    ), good=(
        r"DemoContext *$F(void) { DemoContext *$p = $ALLOC(sizeof(*$p)); if (!$p) return NULL; memset($p, 0, sizeof(*$p)); return $p; }",
        r"char *$F(const char *$s) { char *$p = $ALLOC($N); if (!$p) return NULL; memset($p, 0, $N); strncpy($p, $s, $N - 1); return $p; }",
    )),
)
# fmt: on

POOLS: dict[str, tuple[str, ...]] = {
    "s": ("src", "str", "input", "name", "arg", "text", "s", "value", "path", "label"),
    "buf": ("buf", "tmp", "local", "dst", "line", "scratch", "out", "tmpbuf", "name_buf"),
    "p": ("p", "ptr", "mem", "block", "data", "dst", "copy", "area", "q", "pbuf"),
    "n": ("n", "count", "num", "nb", "nelem", "items", "nmemb", "entries"),
    "len": ("len", "size", "length", "sz", "nbytes", "l", "bytes"),
    "i": ("i", "j", "k", "idx", "pos", "x"),
    "ctx": ("s", "ctx", "c", "st", "dev", "priv", "h"),
    "sum": ("sum", "acc", "total", "res", "ret", "r", "val2"),
    "v": ("v", "val", "x", "value", "arg", "level", "mode"),
    "fp": ("fp", "f", "file", "in", "stream"),
    "c": ("c", "ch", "byte", "b", "first", "den"),
    "tab": ("table", "tab", "lut", "map", "weights", "steps"),
    "N": ("8", "16", "24", "32", "48", "64", "100", "128", "256", "512"),
    "cnt": ("calls", "cnt", "counter", "ncalls", "hits"),
    "rc": ("rc", "err", "status", "ret2", "result"),
    "unused": ("rc", "err", "status", "ret2", "dummy"),
    "flags": ("flags", "opts", "mask", "mode2"),
}
ALLOCATORS = (("malloc", "free"), ("malloc", "free"), ("av_malloc", "av_free"), ("g_malloc", "g_free"))
NAME_PREFIXES = ("", "", "demo_", "ff_", "qemu_", "vnc_", "av_", "net_", "img_")
QUALIFIERS = ("", "", "static ", "static ", "static inline ")
FILLERS = (
    r"""DEMO_LOG("%s: enter\n", __func__);""",
    r"static int $cnt; $cnt++;",
    r"int $unused = 0; (void)$unused;",
    r"""if (demo_trace_enabled) DEMO_LOG("trace %d\n", __LINE__);""",
    r"unsigned $flags = DEMO_DEFAULT_FLAGS; (void)$flags;",
)
COMMENTS = (
    "/* FIXME */",
    "/* TODO: revisit */",
    "/* fast path */",
    "/* keep in sync with the header */",
    "/* XXX */",
    "// legacy code path",
)


def _guard(header: str, names: dict[str, str], rng: random.Random) -> str:
    """A NULL test on a pointer parameter, added to both sides so that a guard alone never means 'fixed'."""
    params = [names[r] for r in ("s", "ctx") if r in names and re.search(rf"\*{names[r]}\b", header)]
    if not params or rng.random() < 0.7:
        return ""
    fail = (
        "return;"
        if header.startswith("void")
        else "return NULL;"
        if "*" in header.split("(")[0]
        else "return -1;"
    )
    return f"if (!{params[0]}) {fail}"


def c_function(pattern: Pattern, vulnerable: bool, rng: random.Random) -> str:
    """One rendering of a bad (vulnerable) or good implementation of `pattern`, surface drawn from `rng`."""
    template = rng.choice(pattern.bad if vulnerable else pattern.good)
    alloc, free = rng.choice(ALLOCATORS)
    fixed = {"F": rng.choice(NAME_PREFIXES) + rng.choice(pattern.names), "ALLOC": alloc, "FREE": free}
    fillers = rng.sample(FILLERS, k=rng.choice((0, 0, 1, 1, 2)))
    roles = template_roles(template + " ".join(fillers))
    names = pick_names(roles, POOLS, rng, fixed)
    code = fill(template, names)
    body = code.index("{")
    extras = [_guard(code[:body], names, rng)] + [fill(f, names) for f in fillers]
    code = code[: body + 1] + " " + " ".join(e for e in extras if e) + code[body + 1 :]
    lines = split_lines(rng.choice(QUALIFIERS) + code)
    if rng.random() < 0.25:
        lines = sprinkle(lines, rng, COMMENTS, "comment", 1)
    if rng.random() < 0.2:
        lines = sprinkle(lines, rng, (), "blank", 1)
    layout = random_layout(rng, ("linux", "linux", "knr", "allman"), ("",))
    return render(lines, dataclasses.replace(layout, double_spaced=rng.random() < 0.3))
