"""Print a Markdown example (unified diff) for every transform of a language, from a small snippet.

python bench/transform_examples.py --language java > /tmp/java_examples.md
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from fidelity.transforms import apply_transform, list_transforms  # noqa: E402

SNIPPETS = {
    "java": """int sumPositive(int[] values, int limit) {
    int total = 0;
    for (int idx = 0; idx < values.length; idx++) {
        if (values[idx] < 0) { continue; }
        total += values[idx];
    }
    int k = 0;
    while (k < limit) k++;
    if (total > 100) { total = 100; } else { total = total + 1; }
    String kind = total > limit ? "big" : "small";
    switch (k) { case 1: total -= 1; break; default: break; }
    return kind.equals("big") ? total : -total;
}
""",
    "c": """int count_bytes(const char *buf, int len) {
    int n = 0;
    for (int i = 0; i < len; i++) {
        if (buf[i] == 0) { continue; }
        n += 1;
    }
    int j = 0;
    while (j < len) j++;
    if (n > 100) { n = 100; } else { n = n + 1; }
    int r = n > len ? n : len;
    switch (r) { case 1: n -= 1; break; default: break; }
    return r;
}
""",
    "cpp": """int count_bytes(const std::string &buf, int len) {
    int n = 0;
    for (int i = 0; i < len; i++) {
        if (buf[i] == 0) { continue; }
        n += 1;
    }
    int j = 0;
    while (j < len) j++;
    if (n > 100) { n = 100; } else { n = n + 1; }
    int r = n > len ? n : len;
    switch (r) { case 1: n -= 1; break; default: break; }
    return r;
}
""",
    "python": """def count_items(args, limit):
    total = 0
    for idx in range(len(args)):
        if args[idx] is None:
            continue
        total += 1
    k = 0
    while k < limit:
        k += 1
    if total > 100:
        total = 100
    else:
        total = total+1
    kind = "big" if total > limit else "small"
    return kind, total
""",
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--language", default="java", choices=sorted(SNIPPETS))
    lang = ap.parse_args().language
    code = SNIPPETS[lang]
    for name in list_transforms(lang):
        res = apply_transform(code, lang, name, seed=0)
        print(f"**`{name}`** ({res.status}, {res.sites} site(s))\n")
        if res.ok and res.code is not None:
            diff = difflib.unified_diff(code.splitlines(), res.code.splitlines(), lineterm="", n=0)
            body = [line for line in diff if not line.startswith(("---", "+++", "@@"))]
            print("```diff\n" + "\n".join(body[:12]) + "\n```\n")


if __name__ == "__main__":
    main()
