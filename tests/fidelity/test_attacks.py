"""Attacks against deterministic fake predictors, with a tiny regex renamer injected (no tree-sitter)."""

from __future__ import annotations

import dataclasses
import random
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pytest

from fidelity.attacks import (
    ALERT,
    MHM,
    AttackConfig,
    AttackResult,
    CandidatePool,
    CodeInput,
    IdentifierAttack,
    WIRRandom,
    char_ngram_embedder,
    summarize,
    word_tokens,
)

KEYWORDS = {"int", "for", "return", "if", "else", "while", "new", "void", "boolean", "true", "false"}
WORD = re.compile(r"\b[a-z][A-Za-z0-9_]*\b")

SNIPPET = """int sum(int[] values, int count) {
    int total = 0;
    for (int index = 0; index < count; index++) {
        total += values[index];
    }
    return total;
}"""
OTHER = "boolean same(int left, int right) { return left == right; }"
POOL_NAMES = [f"name{i}" for i in range(40)] + [
    "zcount",
    "ztotal",
    "zvalues",
    "zindex",
    "counter",
    "totals",
    "if",
]


class FakeRenamer:
    """Lower-case words that are not keywords are identifiers; renames are whole-word substitutions."""

    def identifiers(self, code: str, language: str) -> list[str]:
        return list(dict.fromkeys(w for w in WORD.findall(code) if w not in KEYWORDS))

    def rename(self, code: str, language: str, mapping: Mapping[str, str]) -> str | None:
        if not mapping:
            return code
        pattern = re.compile(r"\b(" + "|".join(map(re.escape, mapping)) + r")\b")
        return pattern.sub(lambda m: mapping[m.group(1)], code)

    def is_valid(self, name: str, language: str) -> bool:
        return bool(re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)) and name not in KEYWORDS


class ZPredictor:
    """Class 1 is the truth; every distinct word starting with ``z`` moves 0.3 of probability to class 0,
    so two such names flip the label. Records the size of each call."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def predict(self, inputs: Sequence[CodeInput]) -> np.ndarray:
        self.calls.append(len(inputs))
        rows = []
        for item in inputs:
            text = item if isinstance(item, str) else " ".join(item)
            p0 = min(0.95, 0.05 + 0.3 * len({w for w in WORD.findall(text) if w.startswith("z")}))
            rows.append([p0, 1.0 - p0])
        return np.array(rows)


class StubbornPredictor(ZPredictor):
    def predict(self, inputs: Sequence[CodeInput]) -> np.ndarray:
        self.calls.append(len(inputs))
        return np.tile([0.1, 0.9], (len(inputs), 1))


def _pool() -> CandidatePool:
    renamer = FakeRenamer()
    return CandidatePool(
        POOL_NAMES, embed=char_ngram_embedder(), is_valid=lambda n: renamer.is_valid(n, "java")
    )


def _make(kind: str, predictor: ZPredictor, **config: Any) -> IdentifierAttack:
    cfg = dataclasses.replace(AttackConfig(max_queries=400, n_candidates=8, batch_size=16, seed=3), **config)
    if kind == "mhm":
        return MHM(predictor, cfg, FakeRenamer(), pool=_pool())
    if kind == "alert":
        return ALERT(predictor, cfg, FakeRenamer(), pool=_pool(), population_size=6, generations=5)
    return WIRRandom(predictor, cfg, FakeRenamer(), pool=_pool())


ATTACKS = ("mhm", "alert", "wir_random")


def _only_renames(before: str, after: str) -> None:
    """Same token sequence except identifier positions, renamed consistently and injectively."""
    renamer = FakeRenamer()
    a, b = word_tokens(before), word_tokens(after)
    assert len(a) == len(b)
    ids_before, ids_after = set(renamer.identifiers(before, "java")), set(renamer.identifiers(after, "java"))
    mapping: dict[str, str] = {}
    for x, y in zip(a, b, strict=True):
        if x != y:
            assert x in ids_before and y in ids_after and y not in ids_before
            assert mapping.setdefault(x, y) == y
    assert len(set(mapping.values())) == len(mapping)


@pytest.mark.parametrize("kind", ATTACKS)
def test_attack_flips_fooling_predictor_and_only_renames(kind: str) -> None:
    predictor = ZPredictor()
    result = _make(kind, predictor).attack(SNIPPET, 1)
    assert result.success and result.status == "success" and result.attack == kind
    assert result.orig_label == 1 and result.adv_label == 0
    assert isinstance(result.adversarial, str)
    _only_renames(SNIPPET, result.adversarial)
    assert result.queries == sum(predictor.calls) <= 400
    assert max(predictor.calls) <= 16 and max(predictor.calls) > 1  # batched, within batch_size
    assert 2 <= result.identifiers_changed <= result.identifiers_total == 5
    assert result.tokens_changed >= result.identifiers_changed and result.tokens_total == len(
        word_tokens(SNIPPET)
    )
    assert "if" not in dict(result.mapping).values()  # a keyword in the pool is never used


@pytest.mark.parametrize("kind", ATTACKS)
def test_unfoolable_predictor_respects_budget_exactly(kind: str) -> None:
    predictor = StubbornPredictor()
    result = _make(kind, predictor, max_queries=37).attack(SNIPPET, 1)
    assert not result.success and result.status == "failed"
    assert result.queries == sum(predictor.calls) == 37
    assert isinstance(result.adversarial, str)  # the best variant tried, kept for transfer
    _only_renames(SNIPPET, result.adversarial)


def test_mhm_max_iter_and_wir_single_pass_stop_below_budget() -> None:
    predictor = StubbornPredictor()
    cfg = AttackConfig(max_queries=10_000, n_candidates=4, batch_size=8)
    mhm = MHM(predictor, cfg, FakeRenamer(), pool=_pool(), max_iter=5).attack(SNIPPET, 1)
    assert mhm.queries == 1 + 5 * 4
    wir = WIRRandom(StubbornPredictor(), cfg, FakeRenamer(), pool=_pool()).attack(SNIPPET, 1)
    assert wir.queries == 1 + 5 + 5 * 4  # original, importance, one batch per identifier


@pytest.mark.parametrize("kind", ATTACKS)
def test_same_seed_same_result(kind: str) -> None:
    first = _make(kind, ZPredictor(), seed=11).attack(SNIPPET, 1)
    second = _make(kind, ZPredictor(), seed=11).attack(SNIPPET, 1)
    assert dataclasses.replace(first, seconds=0.0) == dataclasses.replace(second, seconds=0.0)


@pytest.mark.parametrize("kind", ATTACKS)
@pytest.mark.parametrize("side", [0, 1])
def test_pairs_perturb_only_the_chosen_side(kind: str, side: int) -> None:
    pair = (SNIPPET, OTHER)
    # OTHER's names are far from the z-names: let every pool name be a candidate.
    result = _make(kind, ZPredictor(), side=side, n_candidates=50).attack(pair, 1)
    assert result.success and isinstance(result.adversarial, tuple)
    assert result.adversarial[1 - side] == pair[1 - side]
    _only_renames(pair[side], result.adversarial[side])


def test_misclassified_and_identifier_free_inputs_are_not_attacked() -> None:
    wrong = _make("mhm", ZPredictor()).attack(SNIPPET, 0)
    assert wrong.status == "misclassified" and wrong.queries == 1 and wrong.adversarial is None
    bare = _make("alert", ZPredictor()).attack("{ return 1 + 2; }", 1)
    assert bare.status == "no_identifiers" and bare.queries == 1 and not bare.success


def test_alert_uses_masked_lm_ranking_when_given() -> None:
    seen: list[str] = []

    def mlm(code: str, name: str, k: int) -> list[str]:
        seen.append(name)
        return ["return", name, "values", f"z{name}", f"{name}2"][:k]  # keyword, self, taken, then usable

    cfg = AttackConfig(max_queries=200, n_candidates=5, batch_size=16)
    result = ALERT(ZPredictor(), cfg, FakeRenamer(), mlm=mlm).attack(SNIPPET, 1)
    assert result.success and seen
    assert all(new == f"z{old}" or new == f"{old}2" for old, new in result.mapping)


def test_candidate_pool_filters_and_ranks() -> None:
    pool = _pool()
    assert "if" not in pool.names and len(pool) == len(POOL_NAMES) - 1
    near = pool.nearest("count", 3, exclude={"zcount"})
    assert near[0] == "counter" and "zcount" not in near
    draws = pool.random(10, random.Random(0), exclude={"name0"})
    assert len(set(draws)) == 10 and "name0" not in draws
    assert len(pool.random(100, random.Random(0))) == len(pool)
    with pytest.raises(ValueError, match="at least one valid name"):
        CandidatePool(["if", "3x"], is_valid=lambda n: FakeRenamer().is_valid(n, "java"))


def test_config_and_attack_argument_checks() -> None:
    with pytest.raises(ValueError, match="Expected `max_queries` a positive integer, got 0"):
        AttackConfig(max_queries=0)
    with pytest.raises(ValueError, match="Expected `label` in \\[0, 1\\], got 2"):
        _make("mhm", ZPredictor()).attack(SNIPPET, 2)
    with pytest.raises(ValueError, match="Expected `side` 0"):
        AttackConfig(side=2)
    with pytest.raises(ValueError, match="needs `mlm`"):
        ALERT(ZPredictor(), renamer=FakeRenamer())
    with pytest.raises(ValueError, match="build the CandidatePool with `embed`"):
        ALERT(ZPredictor(), renamer=FakeRenamer(), pool=CandidatePool(["a", "b"]))


def test_summarize_counts_over_attacked_examples() -> None:
    predictor = ZPredictor()
    attack = _make("wir_random", predictor)
    results = attack.attack_many([SNIPPET, SNIPPET, "{ return 1; }"], [1, 0, 1])
    summary = summarize(results)
    assert summary["n"] == 3 and summary["n_attacked"] == 2 and summary["n_success"] == 1
    assert summary["asr"] == 0.5 and summary["n_no_identifiers"] == 1
    ok = next(r for r in results if r.success)
    assert summary["icr"] == ok.identifiers_changed / 5
    assert summary["avg_queries"] == (ok.queries + 1) / 2
    assert summarize([])["asr"] == 0.0
    assert all(isinstance(r, AttackResult) for r in results)


@pytest.mark.parametrize("kind", ATTACKS)
def test_real_renamer_outputs_are_scope_aware_renames(kind: str) -> None:
    from fidelity.attacks import TransformsRenamer
    from fidelity.parsing import count_errors, parse
    from fidelity.transforms import identifiers

    code = "public class A {\n" + SNIPPET.replace("int sum(", "static int sum(") + "\n}"
    cfg = AttackConfig(max_queries=400, n_candidates=20, batch_size=16, seed=3)
    pool = CandidatePool(
        POOL_NAMES, embed=char_ngram_embedder(), is_valid=lambda n: TransformsRenamer().is_valid(n, "java")
    )
    attack = {"mhm": MHM, "wir_random": WIRRandom}.get(kind)
    made = (
        attack(ZPredictor(), cfg, pool=pool) if attack else ALERT(ZPredictor(), cfg, pool=pool, generations=5)
    )
    result = made.attack(code, 1)
    assert result.success and isinstance(result.adversarial, str)
    assert count_errors(parse(result.adversarial, "java").root_node) == 0
    before, after = word_tokens(code), word_tokens(result.adversarial)
    ids_before, ids_after = set(identifiers(code, "java")), set(identifiers(result.adversarial, "java"))
    assert len(ids_before) == len(ids_after) and len(before) == len(after)
    changed = {(x, y) for x, y in zip(before, after, strict=True) if x != y}
    assert changed and all(x in ids_before and y in ids_after for x, y in changed)
    assert changed == set(result.mapping)


def test_subtoken_embedder_and_harvest() -> None:
    from fidelity.attacks.candidates import harvest_names, subtoken_embedder, subtokens

    assert subtokens("getHTTPResponse2") == ["get", "http", "response", "2"]
    vocab = {"get": 0, "http": 1, "response": 2, "2": 3}
    matrix = np.eye(4)
    embed = subtoken_embedder(lambda s: [vocab.get(w, 99) for w in s.split()], matrix)
    vectors = embed(["getResponse", "get_response", "unknownWord"])
    assert vectors[0].tolist() == [0.5, 0.0, 0.5, 0.0] == vectors[1].tolist()
    assert vectors[2].tolist() == [0.0] * 4  # out-of-vocabulary ids are ignored

    def identifiers(code: str) -> list[str]:
        if "bad" in code:
            raise ValueError("unparsable")
        return FakeRenamer().identifiers(code, "java")

    assert harvest_names([SNIPPET, "bad", OTHER], identifiers) == [
        *FakeRenamer().identifiers(SNIPPET, "java"),
        *FakeRenamer().identifiers(OTHER, "java"),
    ]
