"""Proof that transforms preserve behaviour: every corpus program x transform x seed is rewritten,
compiled, run, and must exit 0 with the original's stdout.

The corpus (tests/fidelity/corpus/<language>/) holds small self-checking programs written to hit the
constructs where rewriting tools usually go wrong (continue in for loops, fall-through, shadowing,
keyword arguments, macros, NaN comparisons, ...). Builds and runs happen once per language in a
session fixture, on a pool of two workers; identical variants are built once. Java variants are
compiled in batches (one javac per batch) because javac's start-up dominates.
"""

from __future__ import annotations

import argparse
import difflib
import itertools
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from fidelity.transforms import apply_transform, list_transforms
from tests.conftest import JVM_QUIET

pytestmark = pytest.mark.slow

CORPUS = Path(__file__).parent / "corpus"
SUFFIX = {"java": ".java", "c": ".c", "cpp": ".cpp", "python": ".py"}
SEEDS = (0, 1, 2)
# Which (program, transform, seed) each program was written to exercise: only these are compiled
# and run, and each must still give a variant. Regenerate after adding programs or transforms with
# ``python -m tests.fidelity.test_behaviour_corpus --write-manifest`` (and review the diff).
MANIFEST = CORPUS / "applicable.json"
RUN_TIMEOUT = 20
BUILD_TIMEOUT = 120
JVM = ["-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", *JVM_QUIET]
JAVAC = [
    "-J-XX:+UseSerialGC",
    "-J-XX:-UsePerfData",
    "-J-XX:TieredStopAtLevel=1",
    "-proc:none",
    "-nowarn",
    "-encoding",
    "UTF-8",
]

# (language, program stem, transform, seed or None for every seed) -> why it fails. Each entry is a
# real, diagnosed bug; the test is xfail(strict=True) so it turns red again once the bug is fixed.
KNOWN_BUGS: dict[tuple[str, str, str, int | None], str] = {}


@dataclass(frozen=True)
class Outcome:
    """What happened to one (program, transform, seed): the apply status and, when ok, the run."""

    status: str
    passed: bool = True
    detail: str = ""


def programs(language: str) -> list[Path]:
    return sorted((CORPUS / language).glob("*" + SUFFIX[language]))


def load_manifest() -> dict[str, dict[str, dict[str, list[int]]]]:
    """language -> program -> transform -> the seeds whose variant is applicable (see MANIFEST)."""
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def applicable_cases(language: str) -> set[tuple[str, str, int]]:
    """(program, transform, seed) for which ``apply_transform`` gives a variant today."""
    return {
        (program.stem, name, seed)
        for program in programs(language)
        for name in list_transforms(language)
        for seed in SEEDS
        if apply_transform(program.read_text(encoding="utf-8"), language, name, seed=seed).ok
    }


def _cases() -> Iterator[object]:
    """Only the applicable cases of the manifest: a not-applicable case compiles and runs nothing."""
    for language, by_program in load_manifest().items():
        for stem, by_transform in sorted(by_program.items()):
            for name, seeds in sorted(by_transform.items()):
                for seed in seeds:
                    reason = KNOWN_BUGS.get((language, stem, name, seed)) or KNOWN_BUGS.get(
                        (language, stem, name, None)
                    )
                    marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                    ident = f"{language}-{stem}-{name}-{seed}"
                    yield pytest.param(language, stem, name, seed, marks=marks, id=ident)


def _run(cmd: list[str], cwd: Path, timeout: int) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(cmd, 124, "", f"timed out after {timeout}s")


class Builder:
    """Builds and runs source variants of one language in its own directory tree."""

    def __init__(self, language: str, root: Path) -> None:
        self.language = language
        self.root = root
        self.counter = itertools.count()  # next() on a count is atomic: safe from the worker threads

    def _slot(self) -> Path:
        path = self.root / f"v{next(self.counter)}"
        path.mkdir(parents=True)
        return path

    def native(self, stem: str, code: str) -> tuple[bool, str, str]:
        """Build and run one C/C++/Python variant: (built, stdout, error text)."""
        slot = self._slot()
        src = slot / (stem + SUFFIX[self.language])
        src.write_text(code, encoding="utf-8")
        if self.language == "python":
            check = _run([sys.executable, "-c", f"compile(open({str(src)!r}).read(), 'v', 'exec')"], slot, 60)
            if check.returncode != 0:
                return False, "", check.stderr[-2000:]
            run = _run([sys.executable, str(src)], slot, RUN_TIMEOUT)
        else:
            compiler = ["gcc", "-std=c11"] if self.language == "c" else ["g++", "-std=c++17"]
            build = _run([*compiler, "-w", "-O0", "-o", "prog", src.name, "-lm"], slot, BUILD_TIMEOUT)
            if build.returncode != 0:
                return False, "", build.stderr[-2000:]
            run = _run([str(slot / "prog")], slot, RUN_TIMEOUT)
        return True, run.stdout, "" if run.returncode == 0 else f"exit {run.returncode}: {run.stderr[-2000:]}"

    def java_all(self, variants: list[tuple[str, str]]) -> list[tuple[bool, str, str]]:
        """Compile every variant with one javac (each renamed to a unique class), then run each.

        A variant that does not compile is dropped from the batch and the rest recompiled, so one
        broken variant costs one extra javac, not one javac per variant.
        """
        slot = self._slot()
        names = [f"{stem}_v{i}" for i, (stem, _) in enumerate(variants)]
        paths: dict[str, int] = {}
        for i, ((stem, code), name) in enumerate(zip(variants, names, strict=True)):
            src = slot / "src" / f"{name}.java"
            src.parent.mkdir(exist_ok=True)
            src.write_text(re.sub(rf"\b{stem}\b", name, code), encoding="utf-8")
            paths[str(src)] = i
        errors: dict[int, str] = {}
        pending = dict(paths)
        while pending:
            build = _run(["javac", *JAVAC, "-d", "classes", *pending], slot, BUILD_TIMEOUT)
            if build.returncode == 0:
                break
            bad = {
                pending[f] for f in re.findall(r"^(\S+\.java):\d+: error", build.stderr, re.M) if f in pending
            }
            if not bad:  # cannot attribute the failure: blame every pending variant
                bad = set(pending.values())
            for i in bad:
                errors[i] = build.stderr[-2000:]
            pending = {f: i for f, i in pending.items() if i not in bad}

        def run(i: int) -> tuple[bool, str, str]:
            if i in errors:
                return False, "", errors[i]
            out = _run(["java", *JVM, "-cp", "classes", names[i]], slot, RUN_TIMEOUT)
            return (
                True,
                out.stdout,
                "" if out.returncode == 0 else f"exit {out.returncode}: {out.stderr[-2000:]}",
            )

        with ThreadPoolExecutor(max_workers=2) as pool:
            return list(pool.map(run, range(len(variants))))


def _build_all(builder: Builder, variants: list[tuple[str, str]]) -> list[tuple[bool, str, str]]:
    """Build and run every (stem, code) on two workers, keeping input order."""
    if builder.language == "java":
        return builder.java_all(variants)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda v: builder.native(*v), variants))


def _diff(before: str, after: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), "original", "variant", lineterm="", n=1
    )
    return "\n".join(list(lines)[:60])


def _evaluate(language: str, root: Path) -> dict[tuple[str, str, int], Outcome]:
    sources = {p.stem: p.read_text(encoding="utf-8") for p in programs(language)}
    builder = Builder(language, root)
    originals = _build_all(builder, list(sources.items()))
    expected = {}
    for stem, (built, stdout, error) in zip(sources, originals, strict=True):
        assert built and not error, f"corpus program {language}/{stem} itself fails: {error}"
        expected[stem] = stdout
    applied = {
        (stem, name, seed): apply_transform(code, language, name, seed=seed)
        for stem, code in sources.items()
        for name in list_transforms(language)
        for seed in SEEDS
    }
    unique = sorted({(k[0], t.code) for k, t in applied.items() if t.ok and t.code is not None})
    ran = dict(zip(unique, _build_all(builder, unique), strict=True))
    outcomes = {}
    for (stem, name, seed), result in applied.items():
        if not result.ok or result.code is None:
            outcomes[stem, name, seed] = Outcome(
                result.status, result.status == "not_applicable", result.reason
            )
            continue
        built, stdout, error = ran[stem, result.code]
        problem = "does not build" if not built else "fails" if error else ""
        if not problem and stdout != expected[stem]:
            problem = "stdout differs"
        if problem:
            detail = f"{problem}: {error}\nstdout: {stdout[-500:]!r}\nexpected: {expected[stem]!r}\n"
            outcomes[stem, name, seed] = Outcome("ok", False, detail + _diff(sources[stem], result.code))
        else:
            outcomes[stem, name, seed] = Outcome("ok")
    return outcomes


_CACHE: dict[str, dict[tuple[str, str, int], Outcome]] = {}


@pytest.fixture(scope="session")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> object:
    def get(language: str) -> dict[tuple[str, str, int], Outcome]:
        if language not in _CACHE:
            _CACHE[language] = _evaluate(language, tmp_path_factory.mktemp(f"corpus-{language}"))
        return _CACHE[language]

    return get


@pytest.mark.parametrize(("language", "program", "transform", "seed"), list(_cases()))
def test_transform_preserves_behaviour(
    outcomes, language: str, program: str, transform: str, seed: int
) -> None:
    outcome = outcomes(language)[program, transform, seed]
    assert outcome.status == "ok", (
        f"{program} was written for {transform} (seed {seed}) but it is no longer applicable: "
        f"{outcome.status}: {outcome.detail}"
    )
    assert outcome.passed, outcome.detail


@pytest.mark.parametrize("language", list(SUFFIX))
def test_manifest_lists_exactly_the_applicable_cases(outcomes, language: str) -> None:
    """An applicable case missing from the manifest would never be run; a listed one that stopped
    applying is reported by the case itself (and here, with the others)."""
    applicable = {key for key, o in outcomes(language).items() if o.status == "ok"}
    listed = {
        (stem, name, seed)
        for stem, by_transform in load_manifest().get(language, {}).items()
        for name, seeds in by_transform.items()
        for seed in seeds
    }
    assert not applicable - listed, f"applicable but not in {MANIFEST.name}: {sorted(applicable - listed)}"
    assert not listed - applicable, (
        f"in {MANIFEST.name} but no longer applicable: {sorted(listed - applicable)}"
    )


@pytest.mark.parametrize("language", list(SUFFIX))
def test_every_transform_fires_somewhere(outcomes, language: str) -> None:
    """A transform that never applies to a corpus written to contain its construct is broken."""
    fired = {name for (_, name, _), o in outcomes(language).items() if o.status == "ok"}
    never = sorted(set(list_transforms(language)) - fired)
    assert not never, f"{language}: never applied across the corpus: {never}"


def test_corpus_is_complete() -> None:
    for language in SUFFIX:
        assert len(programs(language)) >= 12, f"{language} corpus has only {len(programs(language))} programs"


def write_manifest() -> None:
    manifest: dict[str, dict[str, dict[str, list[int]]]] = {}
    for language in SUFFIX:
        for stem, name, seed in sorted(applicable_cases(language)):
            manifest.setdefault(language, {}).setdefault(stem, {}).setdefault(name, []).append(seed)
    MANIFEST.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    total = sum(len(seeds) for p in manifest.values() for t in p.values() for seeds in t.values())
    print(f"{MANIFEST}: {total} applicable cases")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="rewrite the behaviour corpus manifest")
    parser.add_argument("--write-manifest", action="store_true", required=True)
    parser.parse_args()
    write_manifest()
