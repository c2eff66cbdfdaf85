"""The search engine: Pareto fronts on toy problems with known fronts, constraints, selection rule, files."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from kd.search import (
    Constraint,
    Gene,
    Objective,
    SearchSpace,
    Solution,
    load_search_result,
    search,
    select_solution,
)
from kd.search.objectives import (
    CostModel,
    budget_gap_objective,
    compressor_objective,
    gflops_objective,
    max_size_constraint,
    size_objective,
)
from tests.kd.helpers import PAPER_3MB

# Two hyper-parameter genes (not spec fields), so every genome decodes to the same base spec.
TOY = SearchSpace(genes=(Gene.int_range("x", 0, 10), Gene.int_range("y", 0, 10)))


def _f1(c) -> float:  # type: ignore[no-untyped-def]
    return float(c.values["x"])


def _f2(c) -> float:  # type: ignore[no-untyped-def]
    return float(10 - c.values["x"] + c.values["y"])


def _brute_front(feasible) -> set[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """Non-dominated (x, y) by the definition: no other point is <= in both objectives and < in one."""
    pts = [(x, y) for x, y in itertools.product(range(11), range(11)) if feasible(x, y)]
    f = {p: (p[0], 10 - p[0] + p[1]) for p in pts}
    return {
        p for p in pts if not any(f[q][0] <= f[p][0] and f[q][1] <= f[p][1] and f[q] != f[p] for q in pts)
    }


@pytest.mark.parametrize("algorithm", ["nsga2", "agemoea"])
def test_front_equals_brute_force_front(algorithm: str) -> None:
    objectives = [Objective("f1", _f1), Objective("f2", _f2)]
    out = search(TOY, objectives, algorithm, population=24, generations=25, seed=0)
    found = {(s.values["x"], s.values["y"]) for s in out.front}
    assert found == _brute_front(lambda x, y: True) == {(x, 0) for x in range(11)}
    assert out.objectives == (("f1", "min"), ("f2", "min"))
    # A maximised objective is the same problem: its front is the same set, reported in natural units.
    neg = [Objective("f1", _f1), Objective("g2", lambda c: -_f2(c), "max")]
    out2 = search(TOY, neg, algorithm, population=24, generations=25, seed=0)
    assert {(s.values["x"], s.values["y"]) for s in out2.front} == found
    assert all(s.objectives["g2"] == -(10 - s.values["x"]) for s in out2.front)


def test_constraints_cut_the_front() -> None:
    objectives = [Objective("f1", _f1), Objective("f2", _f2)]
    at_least_3 = Constraint("x_ge_3", lambda c: 3 - c.values["x"])
    out = search(TOY, objectives, "nsga2", population=24, generations=25, seed=0, constraints=[at_least_3])
    assert {(s.values["x"], s.values["y"]) for s in out.front} == _brute_front(lambda x, y: x >= 3)


def test_single_objective_ga_finds_the_optimum_and_is_deterministic() -> None:
    # Minimise (x − 7)² + y: the unique optimum is (7, 0).
    obj = [Objective("d", lambda c: (c.values["x"] - 7) ** 2 + c.values["y"])]
    a = search(TOY, obj, "ga", population=10, generations=15, seed=3)
    b = search(TOY, obj, "ga", population=10, generations=15, seed=3)
    assert len(a.front) == 1 and (a.chosen.values["x"], a.chosen.values["y"]) == (7, 0)
    assert a.trace == b.trace and len(a.trace) == 15
    assert a.trace[-1]["best_d"] == 0.0


def test_initial_population_and_bad_arguments() -> None:
    obj = [Objective("f1", _f1), Objective("f2", _f2)]
    init = np.array([[10, 10], [9, 10], [8, 10], [7, 10]])
    out = search(TOY, obj, "nsga2", population=4, generations=1, seed=0, initial=init)
    assert out.n_evals >= 4
    with pytest.raises(ValueError, match="shape"):
        search(TOY, obj, "nsga2", population=4, generations=1, initial=np.zeros((4, 3)))
    with pytest.raises(ValueError, match="moead"):
        search(TOY, obj, "moead")
    with pytest.raises(ValueError, match="at least one objective"):
        search(TOY, [], "ga")
    with pytest.raises(ValueError, match="unique"):
        search(TOY, [obj[0], obj[0]], "nsga2")
    with pytest.raises(ValueError, match="direction"):
        Objective("f", _f1, "up")  # type: ignore[arg-type]


def test_analytic_objectives_by_hand() -> None:
    from kd.search.objectives import Candidate

    c = Candidate((0,), PAPER_3MB)
    # Hand-worked in test_spec_cost.py: 3.06164 MB, 2.25258444 GFLOPs at s = 514.
    assert size_objective()(c) == pytest.approx(3.06164)
    assert budget_gap_objective(3.0)(c) == pytest.approx(0.06164)
    assert gflops_objective()(c) == pytest.approx(2.25258444)
    assert compressor_objective(3.0)(c) == pytest.approx(2.25258444 - 0.06164)
    assert max_size_constraint(3.0)(c) == pytest.approx(0.06164)
    # The "spec" convention counts the position table that is built: 200 positions instead of 514.
    small = Candidate((0,), PAPER_3MB.replace(max_position_embeddings=200))
    spec_cost = CostModel(size_convention="spec", flops_convention="spec")
    assert size_objective(spec_cost)(small) == pytest.approx((765_410 - 314 * 96) * 4 / 1e6)


def _sol(size: float, acc: float, gfl: float, name: int) -> Solution:
    spec = PAPER_3MB.replace(num_hidden_layers=name)
    return Solution((name,), spec, {}, {}, {"budget_gap_mb": abs(size - 1.0), "accuracy": acc}, size, gfl)


def test_selection_rule_closest_then_accuracy_then_gflops() -> None:
    a, b, c, d = (
        _sol(0.99, 0.70, 1.0, 1),
        _sol(1.005, 0.80, 2.0, 2),
        _sol(0.9, 0.95, 0.5, 3),
        _sol(1.0, 0.8, 1.5, 4),
    )
    # a, b, d lie within 2% of 1 MB of the closest gap (0.0); c is 0.1 away. Best accuracy among a, b, d: b and
    # d tie at 0.80, d has fewer GFLOPs.
    assert select_solution([a, b, c, d], 1.0) is d
    assert select_solution([a, b, c], 1.0) is b
    assert select_solution([c, a], 1.0) is a
    assert select_solution([c, a], None) is c  # no budget: the first row (best in the first objective)
    with pytest.raises(ValueError, match="empty"):
        select_solution([], 1.0)


def test_outcome_files_round_trip(tmp_path: Path) -> None:
    space = SearchSpace(
        genes=(
            Gene.int_range("num_hidden_layers", 1, 4),
            Gene.int_range("hidden_size", 16, 64, 16),
            Gene("learning_rate", (1e-3, 1e-4)),
        )
    )
    out = search(
        space,
        [budget_gap_objective(0.3), gflops_objective()],
        "nsga2",
        population=10,
        generations=5,
        seed=0,
        target_mb=0.3,
    )
    path = out.save(tmp_path / "s")
    saved = load_search_result(tmp_path / "s")
    assert saved.path == path and saved.spec == out.chosen.spec and saved.hparams == out.chosen.hparams
    assert set(saved.hparams) == {"learning_rate"}
    rows = (tmp_path / "s" / "pareto_front.csv").read_text().splitlines()
    assert len(rows) == 1 + len(out.front) and "budget_gap_mb" in rows[0] and "gflops" in rows[0]
    assert (tmp_path / "s" / "pareto_front.png").read_bytes()[:4] == b"\x89PNG"
    assert json.loads(path.read_text())["n_front"] == len(out.front)
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="bad.json"):
        load_search_result(tmp_path / "bad.json")
    with pytest.raises(FileNotFoundError, match="search stage"):
        load_search_result(tmp_path / "missing")
