"""The synthetic quickstart data: formats, split hygiene, determinism, difficulty, and that the code compiles."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from fidelity.parsing import count_errors, parse
from kd.data.demo import (
    CLONE_FILES,
    DEVIGN_FILES,
    ensure_demo_data,
    generate_clone_demo,
    generate_vulnerability_demo,
    main,
)
from kd.data.demo_c import C_PRELUDE, PATTERNS
from kd.data.demo_java import FAMILIES, JAVA_IMPORTS
from kd.data.demo_layout import Layout, fill, pick_names, render, split_lines


def read_functions(folder: Path) -> list[dict]:
    return [json.loads(line) for line in (folder / "functions.jsonl").read_text().splitlines()]


def read_pairs(folder: Path, split: str) -> list[tuple[str, str, int]]:
    rows = [line.split("\t") for line in (folder / f"{split}.txt").read_text().splitlines()]
    assert all(len(row) == 3 for row in rows), f"{split}: every line must be idx1<TAB>idx2<TAB>label"
    return [(a, b, int(label)) for a, b, label in rows]


def best_threshold_accuracy(train: list[tuple[float, int]], test: list[tuple[float, int]]) -> float:
    """Test accuracy of the single-feature threshold rule that is best on train (a shortcut detector)."""
    best = (0.0, 0.0, 1)
    values = sorted({x for x, _ in train})
    for cut in values[:: max(1, len(values) // 200)]:
        for sign in (1, -1):
            acc = sum((sign * x > sign * cut) == bool(y) for x, y in train) / len(train)
            best = max(best, (acc, cut, sign))
    _, cut, sign = best
    return sum((sign * x > sign * cut) == bool(y) for x, y in test) / len(test)


def rename_function(func: str, new: str) -> str:
    """Give a function a unique name so that many can share one class / translation unit."""
    header = re.sub(r"/\*.*?\*/", "", func, flags=re.S).split("{", 1)[0]
    name = re.findall(r"(\w+)\s*\(", header)[0]
    return re.sub(rf"(?<![.\w]){name}\b", new, func)


def test_clone_format_and_counts(demo_root: Path) -> None:
    folder = demo_root / "bigclonebench"
    functions = read_functions(folder)
    assert all(set(f) == {"idx", "func"} and isinstance(f["idx"], str) for f in functions)
    assert [int(f["idx"]) for f in functions] == sorted(int(f["idx"]) for f in functions)
    assert 600 <= len(functions) <= 1000
    ids = {f["idx"] for f in functions}
    expected = {"train": 2000, "unlabeled_train": 2000, "valid": 300, "test": 400}
    for split, size in expected.items():
        pairs = read_pairs(folder, split)
        assert len(pairs) == size
        assert {label for _, _, label in pairs} == {0, 1}
        assert 0.45 <= sum(label for _, _, label in pairs) / size <= 0.55
        assert all(a in ids and b in ids and a != b for a, b, _ in pairs)


def test_clone_splits_share_no_function_and_no_pair(demo_root: Path) -> None:
    folder = demo_root / "bigclonebench"
    members = {
        s: {i for a, b, _ in read_pairs(folder, s) for i in (a, b)} for s in ("train", "valid", "test")
    }
    members["train"] |= {i for a, b, _ in read_pairs(folder, "unlabeled_train") for i in (a, b)}
    assert not members["test"] & (members["train"] | members["valid"])
    assert not members["valid"] & members["train"]
    train = {frozenset((a, b)) for a, b, _ in read_pairs(folder, "train")}
    unlabeled = {frozenset((a, b)) for a, b, _ in read_pairs(folder, "unlabeled_train")}
    assert len(train) == 2000 and not train & unlabeled


def test_clone_labels_form_a_partition(demo_root: Path) -> None:
    """Clone = same family is an equivalence: no negative pair may join two functions linked by clones."""
    folder = demo_root / "bigclonebench"
    pairs = [p for s in ("train", "unlabeled_train", "valid", "test") for p in read_pairs(folder, s)]
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for a, b, label in pairs:
        if label:
            parent[root(a)] = root(b)
    assert not [(a, b) for a, b, label in pairs if not label and root(a) == root(b)]
    train_groups = {root(a) for a, _, label in read_pairs(folder, "train") if label}
    assert len(train_groups) == len(FAMILIES) >= 20


def test_vulnerability_format_and_stratified_split(demo_root: Path) -> None:
    folder = demo_root / "devign"
    functions = read_functions(folder)
    assert 800 <= len(functions) <= 1200
    assert [f["idx"] for f in functions] == list(range(len(functions)))
    for f in functions:
        assert set(f) == {"idx", "project", "commit_id", "target", "func"}
        assert f["project"] == "demo" and f["target"] in (0, 1)
        assert re.fullmatch(r"[0-9a-f]{40}", f["commit_id"])
    splits = {
        s: [int(x) for x in (folder / f"{s}.txt").read_text().split()] for s in ("train", "valid", "test")
    }
    assert sorted(i for ids in splits.values() for i in ids) == list(range(len(functions)))
    target = {f["idx"]: f["target"] for f in functions}
    for split, ids in splits.items():
        assert ids == sorted(ids)
        assert abs(len(ids) / len(functions) - {"train": 0.8, "valid": 0.1, "test": 0.1}[split]) < 0.02
        assert 0.45 <= sum(target[i] for i in ids) / len(ids) <= 0.55


def test_no_duplicate_function_text(demo_root: Path) -> None:
    for name in ("bigclonebench", "devign"):
        texts = [" ".join(f["func"].split()) for f in read_functions(demo_root / name)]
        assert len(set(texts)) == len(texts), name


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    for run in ("a", "b", "c"):
        seed = 1 if run == "c" else 7
        generate_clone_demo(tmp_path / run / "java", n_functions_per_family=10, seed=seed, n_train_pairs=200,
                            n_unlabeled_pairs=100, n_valid_pairs=40, n_test_pairs=40)  # fmt: skip
        generate_vulnerability_demo(tmp_path / run / "c", n_functions=100, seed=seed)
    for sub, files in (("java", CLONE_FILES), ("c", DEVIGN_FILES)):
        for f in files:
            assert (tmp_path / "a" / sub / f).read_bytes() == (tmp_path / "b" / sub / f).read_bytes(), f
        assert (tmp_path / "a" / sub / "functions.jsonl").read_bytes() != (
            tmp_path / "c" / sub / "functions.jsonl"
        ).read_bytes()


def test_labels_not_predictable_from_length(demo_root: Path) -> None:
    """Fixed code is often longer (an added check): make sure size alone does not give the label away."""
    devign = demo_root / "devign"
    size = {f["idx"]: (len(f["func"].split()), f["target"]) for f in read_functions(devign)}
    split = {s: [size[int(i)] for i in (devign / f"{s}.txt").read_text().split()] for s in ("train", "test")}
    assert best_threshold_accuracy(split["train"], split["test"]) < 0.65
    clone = demo_root / "bigclonebench"
    n_tok = {f["idx"]: len(f["func"].split()) for f in read_functions(clone)}

    def ratio(s: str) -> list[tuple[float, int]]:
        return [(min(n_tok[a], n_tok[b]) / max(n_tok[a], n_tok[b]), y) for a, b, y in read_pairs(clone, s)]

    assert best_threshold_accuracy(ratio("train"), ratio("test")) < 0.7


def test_readmes_label_the_data_synthetic(demo_root: Path) -> None:
    for name, count in (("bigclonebench", "864"), ("devign", "1,008")):
        text = (demo_root / name / "README.md").read_text()
        assert "Synthetic demo data generated by metacompress" in text and "not a benchmark" in text
        assert count in text


def test_ensure_demo_data_keeps_complete_folders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METACOMPRESS_DEMO_DIR", str(tmp_path / "env"))
    root = ensure_demo_data()
    assert root == tmp_path / "env"
    marker = root / "devign" / "test.txt"
    marker.write_text("kept\n")
    assert ensure_demo_data() == root and marker.read_text() == "kept\n"
    (root / "bigclonebench" / "valid.txt").unlink()
    ensure_demo_data()
    assert len(read_pairs(root / "bigclonebench", "valid")) == 300
    assert sorted(p.name for p in root.iterdir()) == ["bigclonebench", "devign"]


def test_bad_sizes_raise_naming_the_parameter(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="n_functions_per_family"):
        generate_clone_demo(tmp_path, n_functions_per_family=3)
    with pytest.raises(ValueError, match="n_test_pairs"):
        generate_clone_demo(
            tmp_path, 8, n_train_pairs=20, n_unlabeled_pairs=20, n_valid_pairs=20, n_test_pairs=500
        )
    assert not (tmp_path / "functions.jsonl").exists()  # nothing half-written on a bad request
    with pytest.raises(ValueError, match="n_functions"):
        generate_vulnerability_demo(tmp_path, n_functions=5)


def test_cli_writes_both_datasets(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(
            [
                "--out",
                str(tmp_path),
                "--seed",
                "3",
                "--java-per-family",
                "8",
                "--c-functions",
                "56",
                "--pairs",
                "100",
                "100",
                "20",
                "20",
            ]
        )
        == 0
    )
    assert all((tmp_path / "bigclonebench" / f).is_file() for f in CLONE_FILES)
    assert len(read_functions(tmp_path / "devign")) == 56
    assert "clone:" in capsys.readouterr().out


def test_layout_keeps_literals_and_initialisers_intact() -> None:
    code = 'int f(int a) { char s[] = "x;{y}\\";"; int t[2] = {0, 1}; if (a) { return t[0]; } else { return 1; } }'
    knr = render(split_lines(code), Layout(indent="  "))
    assert knr.splitlines() == [
        "int f(int a) {",
        '  char s[] = "x;{y}\\";";',
        "  int t[2] = {0, 1};",
        "  if (a) {",
        "    return t[0];",
        "  } else {",
        "    return 1;",
        "  }",
        "}",
    ]
    allman = render(split_lines(code), Layout(braces="allman", keyword_space=False))
    assert "    if(a)\n    {" in allman and "    }\n    else\n    {" in allman


def test_names_are_distinct_and_missing_roles_are_reported() -> None:
    for seed in range(20):
        names = pick_names(
            ["a", "b"], {"a": ("x", "y", "z"), "b": ("x", "z")}, random.Random(seed), {"M": "y"}
        )
        assert names["M"] == "y" and len(set(names.values())) == 3
    with pytest.raises(ValueError, match="exhausted"):
        pick_names(["a", "b"], {"a": ("x",), "b": ("x",)}, random.Random(0))
    with pytest.raises(KeyError, match=r"\$b"):
        fill("$a + $b", {"a": "x"})


def test_functions_parse_with_tree_sitter(demo_root: Path) -> None:
    """The fidelity transforms parse these functions: they must have no syntax errors for tree-sitter."""
    for f in read_functions(demo_root / "bigclonebench"):
        assert count_errors(parse("class X {\n" + f["func"] + "}\n", "java").root_node) == 0, f["func"]
    for f in read_functions(demo_root / "devign"):
        assert count_errors(parse(f["func"], "c").root_node) == 0, f["func"]


def compile_sets(demo_root: Path, tmp_path: Path, name: str) -> list[str]:
    """The default-scale data plus a second seed, so every template compiles under many surface draws."""
    other = tmp_path / "seed1"
    if not other.exists():
        generate_clone_demo(other / "bigclonebench", seed=1)
        generate_vulnerability_demo(other / "devign", seed=1)
    return [f["func"] for root in (demo_root, other) for f in read_functions(root / name)]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("javac") is None, reason="javac not on PATH")
def test_java_functions_compile(demo_root: Path, tmp_path: Path) -> None:
    methods = [
        rename_function(f, f"m{k}") for k, f in enumerate(compile_sets(demo_root, tmp_path, "bigclonebench"))
    ]
    imports = "".join(f"import {i};\n" for i in JAVA_IMPORTS)
    (tmp_path / "Demo.java").write_text(imports + "public class Demo {\n" + "\n".join(methods) + "}\n")
    done = subprocess.run(
        ["javac", "-nowarn", "-proc:none", "-d", str(tmp_path / "classes"), str(tmp_path / "Demo.java")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not on PATH")
def test_c_functions_compile(demo_root: Path, tmp_path: Path) -> None:
    funcs = [rename_function(f, f"f{k}") for k, f in enumerate(compile_sets(demo_root, tmp_path, "devign"))]
    for part in range(2):  # two translation units, as a project would split them
        unit = tmp_path / f"demo{part}.c"
        unit.write_text(C_PRELUDE + "\n".join(funcs[part::2]))
        done = subprocess.run(
            ["gcc", "-fsyntax-only", "-std=gnu11", str(unit)], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr[-3000:]
    assert len(PATTERNS) >= 12
