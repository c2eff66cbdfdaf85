"""Surface rendering shared by the Java and C demo generators.

Templates are written compactly on one line (`$role` placeholders, statements separated by `;`, blocks by
braces). This module fills the placeholders with names drawn from pools and lays the code out in one of
several brace/indent styles, so that the same algorithm yields many distinct-looking functions: clone and
vulnerability labels then depend on what the code does, not on how it is formatted.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

_PLACEHOLDER = re.compile(r"\$(\w+)")
_KEYWORD_PAREN = re.compile(r"\b(if|for|while|switch|catch|try)\s*\(")
_CUDDLED = ("else", "catch", "finally")


@dataclass(frozen=True)
class Line:
    """One laid-out line: `open` is a block header (brace added when rendering), `close` a bare `}`."""

    depth: int
    text: str
    kind: str  # "open" | "close" | "stmt" | "comment" | "blank"


@dataclass(frozen=True)
class Layout:
    """How a function is printed; every field is a choice real code bases make differently."""

    indent: str = "    "
    braces: str = "knr"  # "knr" | "allman" | "linux" (only the function's own brace on a new line)
    keyword_space: bool = True
    base_indent: str = ""
    double_spaced: bool = False  # Devign's quirk: an empty line after every line


def template_roles(template: str) -> list[str]:
    """Placeholder names in order of first appearance."""
    return list(dict.fromkeys(_PLACEHOLDER.findall(template)))


def fill(template: str, names: Mapping[str, str]) -> str:
    """Substitute every `$role`; a role without a name is a template bug, reported by name."""

    def sub(match: re.Match[str]) -> str:
        role = match.group(1)
        if role not in names:
            raise KeyError(f"No name for placeholder ${role} in template {template[:60]!r}")
        return names[role]

    return _PLACEHOLDER.sub(sub, template)


def pick_names(
    roles: Sequence[str],
    pools: Mapping[str, Sequence[str]],
    rng: random.Random,
    fixed: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """One name per role, all distinct, so that no two roles of a template collide."""
    names = dict(fixed or {})
    used = set(names.values())
    for role in roles:
        if role in names:
            continue
        if role not in pools:
            raise KeyError(f"No name pool for placeholder ${role}; known roles: {', '.join(sorted(pools))}")
        free = [name for name in pools[role] if name not in used]
        if not free:
            raise ValueError(f"Name pool for ${role} exhausted by other roles: {list(pools[role])}")
        names[role] = rng.choice(free)
        used.add(names[role])
    return names


def _inline_brace(buf: list[str]) -> bool:
    """An initialiser brace (`= {0}`, `new int[] {1}`) stays on its line instead of opening a block."""
    text = "".join(buf).rstrip()
    return bool(text) and text[-1] in "=,[(]"


def split_lines(code: str) -> list[Line]:
    """Break one-line brace code into statement/block lines, ignoring `;{}` inside parens and literals."""
    lines: list[Line] = []
    buf: list[str] = []
    depth = paren = 0
    inline: list[bool] = []
    quote = ""
    escaped = False

    def flush(kind: str = "stmt") -> None:
        text = "".join(buf).strip()
        buf.clear()
        if text or kind == "open":
            lines.append(Line(depth, text, kind))

    for ch in code:
        if quote:
            buf.append(ch)
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
            continue
        if ch in "\"'":
            quote = ch
            buf.append(ch)
            continue
        paren += {"(": 1, ")": -1}.get(ch, 0)
        if paren or ch not in "{};" or (inline and inline[-1]):
            if ch == "}" and inline:
                inline.pop()
            elif ch == "{":
                inline.append(True)
            buf.append(ch)
        elif ch == "{":
            inline.append(_inline_brace(buf))
            if inline[-1]:
                buf.append(ch)
                continue
            flush("open")
            depth += 1
        elif ch == "}":
            flush()
            inline.pop()
            depth -= 1
            lines.append(Line(depth, "}", "close"))
        else:
            buf.append(ch)
            flush()
    flush()
    return lines


def render(lines: Sequence[Line], layout: Layout) -> str:
    """Print laid-out lines in the given style; the result ends with a newline like the real datasets."""
    out: list[str] = []
    prev_close = False
    for line in lines:
        pad = layout.base_indent + layout.indent * line.depth
        text = _KEYWORD_PAREN.sub(r"\1 (" if layout.keyword_space else r"\1(", line.text)
        cuddle = prev_close and (
            (line.kind == "open" and text.startswith(_CUDDLED) and layout.braces != "allman")
            or (line.kind == "stmt" and text.startswith("while"))
        )
        if line.kind == "open":
            own_line = layout.braces == "allman" or (layout.braces == "linux" and line.depth == 0)
            head = text + ("" if own_line or not text else " ") + ("" if own_line else "{")
            if cuddle:
                out[-1] += " " + head
            elif text:
                out.append(pad + head)
            if own_line:
                out.append(pad + "{")
        elif line.kind == "blank":
            out.append("")
        elif cuddle:
            out[-1] += " " + text
        else:
            out.append(pad + text)
        prev_close = line.kind == "close"
    return ("\n\n" if layout.double_spaced else "\n").join(out) + "\n"


def random_layout(rng: random.Random, braces: Sequence[str], base_indents: Sequence[str]) -> Layout:
    """A style drawn at random from the options a language's code bases commonly use."""
    return Layout(
        indent=rng.choice(("    ", "    ", "  ", "\t")),
        braces=rng.choice(braces),
        keyword_space=rng.random() < 0.8,
        base_indent=rng.choice(base_indents),
    )


def sprinkle(
    lines: list[Line], rng: random.Random, extras: Sequence[str], kind: str, count: int
) -> list[Line]:
    """Insert `count` comment or blank lines before random body statements (never before `else`)."""
    result = list(lines)
    for _ in range(count):
        spots = [
            k
            for k in range(1, len(result))
            if result[k].kind in ("stmt", "open") and not result[k].text.startswith((*_CUDDLED, "while"))
        ]
        if not spots:
            break
        k = rng.choice(spots)
        result.insert(k, Line(result[k].depth, rng.choice(extras) if extras else "", kind))
    return result
