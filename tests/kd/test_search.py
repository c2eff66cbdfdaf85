"""Search space encoding/repair and Compressor's GA: determinism, budget adherence, trace."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from kd.cost import gflops, size_mb
from kd.search import (
    COMPRESSOR_SPACE,
    Gene,
    SearchSpace,
    compressor_fitness,
    exhaustive_compressor,
    search_compressor,
)
from kd.search.compressor_ga import tail_resample
from tests.kd.helpers import PAPER_3MB


def test_compressor_space_matches_notes() -> None:
    space = COMPRESSOR_SPACE
    assert space.names == [
        "num_attention_heads",
        "hidden_size",
        "intermediate_size",
        "num_hidden_layers",
        "vocab_size",
    ]
    assert space.gene("vocab_size").values == tuple(range(1000, 50001, 1000))
    assert space.gene("num_attention_heads").values == (1, 2, 4, 8)
    assert space.gene("hidden_size").values[0] == 16 and space.gene("hidden_size").values[-1] == 768
    assert len(space.gene("hidden_size").values) == 48
    assert (
        space.gene("intermediate_size").values[-1] == 3040
        and len(space.gene("intermediate_size").values) == 95
    )
    assert space.gene("num_hidden_layers").values == tuple(range(1, 13))
    assert space.size() == 4 * 48 * 95 * 12 * 50


def test_encode_decode_round_trip() -> None:
    genome = COMPRESSOR_SPACE.encode(PAPER_3MB)
    assert genome.tolist() == [3, 5, 1, 11, 0]
    assert COMPRESSOR_SPACE.decode(genome) == PAPER_3MB
    base = PAPER_3MB.replace(hidden_dropout_prob=0.2)
    assert COMPRESSOR_SPACE.decode(genome, base=base).hidden_dropout_prob == 0.2
    with pytest.raises(ValueError, match="intermediate_size 100"):
        COMPRESSOR_SPACE.encode(PAPER_3MB.replace(intermediate_size=100))
    with pytest.raises(ValueError, match="index 60"):
        COMPRESSOR_SPACE.decode([0, 0, 0, 0, 60])


def _avatar_like_space() -> SearchSpace:
    """A slice of AVATAR's genes: hidden not a multiple of 16, heads up to 12, non-spec genes."""
    return SearchSpace(
        genes=(
            Gene("tokenizer", ("bpe", "wordpiece", "unigram", "wordlevel")),
            Gene.int_range("hidden_size", 16, 256),
            Gene.int_range("num_attention_heads", 1, 12),
            Gene.int_range("max_seq_len", 256, 512, field="max_position_embeddings", offset=2),
            Gene("learning_rate", (1e-3, 1e-4, 5e-5)),
        )
    )


def test_repair_nearest_multiple_ties_lower() -> None:
    space = _avatar_like_space()
    # hidden 30, heads 4: 28 and 32 are equally near, the lower wins (MORPH's rule).
    genome = np.array([0, 30 - 16, 4 - 1, 0, 0])
    repaired = space.repair(genome)
    assert space.values(repaired)["hidden_size"] == 28
    assert space.values(space.repair([0, 35 - 16, 12 - 1, 0, 0]))["hidden_size"] == 36
    valid = space.repair([0, 48 - 16, 12 - 1, 0, 0])
    assert space.values(valid)["hidden_size"] == 48


def test_non_spec_genes_and_offsets() -> None:
    space = _avatar_like_space()
    genome = [2, 48 - 16, 8 - 1, 358 - 256, 1]
    base = PAPER_3MB
    spec = space.decode(genome, base)
    assert (spec.tokenizer, spec.hidden_size, spec.num_attention_heads) == ("unigram", 48, 8)
    assert spec.max_position_embeddings == 360
    assert space.decode_hparams(genome) == {"learning_rate": 1e-4}
    assert space.encode(spec, {"learning_rate": 1e-4}).tolist() == genome
    with pytest.raises(ValueError, match="learning_rate"):
        space.encode(spec)


def test_tail_resample_changes_a_suffix() -> None:
    rng = np.random.default_rng(0)
    upper = COMPRESSOR_SPACE.upper
    x = np.array([3, 5, 1, 11, 0])
    for _ in range(50):
        y = tail_resample(x, upper, rng)
        changed = np.flatnonzero(y != x)
        assert len(changed) >= 1
        assert changed.tolist() == list(range(changed[0], len(x)))  # every gene from locus k on differs
        assert np.all((y >= 0) & (y <= upper))


def test_fitness_definition() -> None:
    # Hand-worked (tests/kd/test_spec_cost.py::test_3mb_formula_by_hand): 2,252,584,440 FLOPs and 765,410
    # parameters, i.e. 2.25258444 GFLOPs and 3.06164 MB, 0.06164 MB from a 3 MB target.
    assert compressor_fitness(PAPER_3MB, 3.0) == pytest.approx(2.25258444 - 0.06164, abs=1e-9)
    assert compressor_fitness(PAPER_3MB, 3.1) == pytest.approx(2.25258444 - 0.03836, abs=1e-9)
    # At s = 100, by hand from the papers' per-token terms (h 96, I 64, A 8, V 1000, L 12): attention
    # 6h² + 3h + 4hs + 10sA + 2h² + 11h + 5 = 121,477, FFN 4hI + 9I + 5h = 25,632, embeddings
    # 2hV + 2h(s + 2) + 11h = 212,640, classifier 2h² + 15h = 19,872, so 100 × (12 × 147,109 + 232,512)
    # = 199,782,000 FLOPs; 414 fewer positions drop 414·96 parameters: 725,666 × 4 B = 2.902664 MB,
    # 0.097336 MB from the target.
    assert gflops(PAPER_3MB, 100) == pytest.approx(0.199782, abs=1e-12)
    assert size_mb(PAPER_3MB, 100) == pytest.approx(2.902664, abs=1e-12)
    assert compressor_fitness(PAPER_3MB, 3.0, seq_len=100) == pytest.approx(0.199782 - 0.097336, abs=1e-9)


# Regression pin for the engine refactor: (target, seed, bounds, population, generations, restarts) → the spec,
# fitness (10 decimals), kept seed and sha256 (16 hex) of the per-generation [best, mean] fitness trace. These
# were recorded by running `search_compressor` on the UNTOUCHED code of main (commit a95112c), before
# `kd.search.engine` existed; the refactored search must reproduce them exactly.
PINNED = [
    (3.0, 0, None, 50, 100, 1, "L12-H64-A8-I256-V2000", 1.7865342, 0, "11a56ddeca70b2bc"),
    (0.5, 0, None, 50, 100, 1, "L12-H16-A8-I224-V1000", 0.58705996, 0, "cee08c4943bfcce4"),
    (25.0, 2, None, 50, 100, 1, "L11-H256-A8-I320-V5000", 9.555111022, 2, "804cca8cd37c16b4"),
    # The shipped compressor.yaml search (bounds, population 100, 200 generations, 4 restarts).
    (
        0.5,
        0,
        {"num_hidden_layers": [1, 3]},
        100,
        200,
        4,
        "L3-H48-A8-I96-V1000",
        0.314998014,
        3,
        "512d5756185b0dd8",
    ),
    (0.05, 2, None, 16, 10, 1, "L1-H16-A8-I128-V1000", -0.001497302, 2, "ebbd41eece364500"),
    (
        0.5,
        3,
        {"num_hidden_layers": [1, 3]},
        20,
        20,
        1,
        "L3-H32-A2-I160-V2000",
        0.24063163,
        3,
        "2872de97747a2dcd",
    ),
]


@pytest.mark.parametrize("case", PINNED, ids=lambda c: f"{c[0]}MB-seed{c[1]}-r{c[5]}")
def test_search_unchanged_by_the_engine_refactor(case: tuple) -> None:
    target, seed, bounds, pop, gens, restarts, name, fitness, kept, trace_hash = case
    space = COMPRESSOR_SPACE.restrict(bounds) if bounds else COMPRESSOR_SPACE
    r = search_compressor(target, space, population=pop, generations=gens, seed=seed, restarts=restarts)
    pairs = [[round(x["best_fitness"], 10), round(x["mean_fitness"], 10)] for x in r.trace]
    digest = hashlib.sha256(json.dumps(pairs).encode()).hexdigest()[:16]
    assert (r.spec.name, round(r.fitness, 10), r.seed, digest) == (name, fitness, kept, trace_hash)
    assert r.outcome is not None and r.outcome.chosen.spec == r.spec and len(r.outcome.front) == 1


def test_search_is_deterministic() -> None:
    a = search_compressor(3.0, generations=30, seed=7)
    b = search_compressor(3.0, generations=30, seed=7)
    assert a.spec == b.spec and a.trace == b.trace
    c = search_compressor(3.0, generations=30, seed=8)
    assert c.trace != a.trace


@pytest.mark.parametrize("target", [3.0, 0.5])
def test_search_hits_budget_with_defaults(target: float, tmp_path: Path) -> None:
    result = search_compressor(target, seed=0)
    assert abs(result.size_mb - target) <= 0.05 * target
    assert result.size_mb == pytest.approx(size_mb(result.spec))
    assert result.gflops == pytest.approx(gflops(result.spec))
    assert result.fitness == pytest.approx(compressor_fitness(result.spec, target))
    COMPRESSOR_SPACE.encode(result.spec)  # raises if outside the space
    assert result.spec.hidden_size % result.spec.num_attention_heads == 0
    # Trace: one row per generation, elitist so best fitness never drops, ends at the returned result.
    assert len(result.trace) == 100
    df = result.trace_dataframe()
    assert df["generation"].tolist() == list(range(1, 101))
    assert (df["best_fitness"].diff().dropna() >= 0).all()
    assert (df["mean_fitness"] <= df["best_fitness"] + 1e-12).all()
    assert df["best_fitness"].iloc[-1] == pytest.approx(result.fitness)
    assert df["n_evals"].iloc[-1] == 50 + 100 * 50
    png = result.plot_trace(tmp_path / "trace.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_search_beats_random_sampling() -> None:
    # The GA must do better than the best of as many uniform random genomes as it evaluates.
    rng = np.random.default_rng(0)
    result = search_compressor(3.0, generations=40, seed=1)
    upper = COMPRESSOR_SPACE.upper
    best_random = max(
        compressor_fitness(COMPRESSOR_SPACE.decode(rng.integers(0, upper + 1)), 3.0)
        for _ in range(50 + 40 * 50)
    )
    assert result.fitness > best_random


def test_search_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="target_mb"):
        search_compressor(0.0)
    with pytest.raises(ValueError, match="crossover_prob"):
        search_compressor(3.0, crossover_prob=1.5)
    with pytest.raises(ValueError, match="restarts"):
        search_compressor(3.0, restarts=0)


def test_paper_3mb_architecture_is_the_exact_optimum() -> None:
    # Compressor's published 3 MB student maximises its own fitness over the whole space: a check that our
    # formulas, space and fitness are the paper's.
    spec, best = exhaustive_compressor(3.0)
    assert spec == PAPER_3MB
    assert best == pytest.approx(compressor_fitness(PAPER_3MB, 3.0))
    ga = search_compressor(3.0, generations=20, seed=0)
    assert ga.fitness <= best


def test_exhaustive_respects_heads_constraint() -> None:
    space = SearchSpace(
        genes=(
            Gene.int_range("num_attention_heads", 1, 12),
            Gene.int_range("hidden_size", 16, 64, 4),
            Gene.int_range("num_hidden_layers", 1, 3),
            Gene("intermediate_size", (32, 64)),
        )
    )
    spec, best = exhaustive_compressor(0.5, space=space)
    assert spec.hidden_size % spec.num_attention_heads == 0
    # Brute force over decoded specs agrees.
    brute = max(
        compressor_fitness(space.decode(g), 0.5)
        for g in np.ndindex(*(space.upper + 1))
        if space.values(g)["hidden_size"] % space.values(g)["num_attention_heads"] == 0
    )
    assert best == pytest.approx(brute)


def test_restrict_bounds_genes_and_names_bad_bounds() -> None:
    space = COMPRESSOR_SPACE.restrict({"num_hidden_layers": [1, 3], "hidden_size": [48, 64]})
    assert space.gene("num_hidden_layers").values == (1, 2, 3)
    assert space.gene("hidden_size").values == (48, 64)
    assert space.gene("vocab_size") == COMPRESSOR_SPACE.gene("vocab_size")
    assert space.names == COMPRESSOR_SPACE.names  # the genome layout (crossover order) is unchanged
    with pytest.raises(ValueError, match="n_layers"):
        COMPRESSOR_SPACE.restrict({"n_layers": [1, 3]})
    with pytest.raises(ValueError, match=r"\[13, 20\] keeps none"):
        COMPRESSOR_SPACE.restrict({"num_hidden_layers": [13, 20]})
    with pytest.raises(ValueError, match="low, high"):
        COMPRESSOR_SPACE.restrict({"num_hidden_layers": [3]})


def test_bounded_search_stays_in_bounds_and_is_deterministic() -> None:
    space = COMPRESSOR_SPACE.restrict({"num_hidden_layers": [1, 3]})
    first = search_compressor(0.5, space=space, population=20, generations=20, seed=0)
    again = search_compressor(0.5, space=space, population=20, generations=20, seed=0)
    free = search_compressor(0.5, population=20, generations=20, seed=0)
    assert first.spec == again.spec
    assert first.spec.num_hidden_layers <= 3 < free.spec.num_hidden_layers
    assert first.spec.hidden_size % first.spec.num_attention_heads == 0


def test_restarts_keep_the_fittest_seed_and_list_every_run() -> None:
    space = COMPRESSOR_SPACE.restrict({"num_hidden_layers": [1, 3]})
    singles = [search_compressor(0.5, space=space, population=20, generations=15, seed=k) for k in (4, 5, 6)]
    best = search_compressor(0.5, space=space, population=20, generations=15, seed=4, restarts=3)
    fittest = max(singles, key=lambda r: r.fitness)
    assert (best.spec, best.fitness, best.seed, best.trace) == (
        fittest.spec,
        fittest.fitness,
        fittest.seed,
        fittest.trace,
    )
    assert [row["seed"] for row in best.restarts] == [4, 5, 6]
    assert [row["fitness"] for row in best.restarts] == [r.fitness for r in singles]
    assert [row["spec"] for row in best.restarts] == [r.spec.name for r in singles]
    assert singles[0].restarts == ()  # a single run lists no restarts
