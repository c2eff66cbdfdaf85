"""One student search engine: a space, objectives as data, a pymoo algorithm as a parameter, a Pareto front out.

``search(space, objectives, algorithm=...)`` is what Compressor (one objective, GA), AVATAR (three objectives,
NSGA-II) and MORPH (four objectives, AGE-MOEA) run:

- **space**: a `SearchSpace` of index genes; its per-gene bounds come from `SearchSpace.restrict` (config bounds,
  or the z3-pruned bounds of `kd.search.smt`);
- **objectives**: `kd.search.objectives.Objective` values (name, function of a `Candidate`, min/max);
- **constraints**: `Constraint` values, feasible when ≤ 0 (pymoo ranks infeasible candidates last);
- **repair**: a pymoo `Repair` applied to every child (default: `SpaceRepair`, hidden % heads);
- **algorithm**: ``"ga"``, ``"nsga2"`` or ``"agemoea"`` with default operators, or any configured pymoo
  algorithm instance (Compressor passes its own GA operators);
- **result**: a `SearchOutcome`: the Pareto front over every feasible candidate evaluated (one row for a single
  objective: the algorithm's optimum), the chosen solution under `select_solution`, a per-generation trace,
  and writers for the CSV / scatter figure / JSON that a fit reuses and MLflow stores.

Each genome is decoded and scored once (a cache keyed by the genome), so expensive objectives (latency, a
surrogate) cost one call per distinct candidate.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from pymoo.core.algorithm import Algorithm
from pymoo.core.callback import Callback
from pymoo.core.problem import Problem
from pymoo.core.repair import Repair
from pymoo.optimize import minimize
from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

from kd.search.objectives import COMPRESSOR_COST, Candidate, Constraint, CostModel, Objective
from kd.search.result import SearchOutcome, Solution, select_solution
from kd.search.space import SearchSpace
from kd.spec import StudentSpec

ALGORITHMS = ("ga", "nsga2", "agemoea")


class SpaceRepair(Repair):
    """Applies `SearchSpace.repair` (hidden % heads) to every child, after rounding to integer indices."""

    def __init__(self, space: SearchSpace) -> None:
        super().__init__()
        self.space = space

    def _do(self, problem: Problem, X: np.ndarray, **kwargs: Any) -> Any:
        upper = self.space.upper
        return np.array([self.space.repair(np.clip(np.rint(x), 0, upper)) for x in X])


@dataclass
class Evaluation:
    """A scored candidate: its objective values (natural units), constraint values, size and GFLOPs."""

    candidate: Candidate
    objectives: dict[str, float]
    constraints: dict[str, float]
    size_mb: float
    gflops: float

    @property
    def feasible(self) -> bool:
        return all(v <= 0 for v in self.constraints.values())


class SpaceProblem(Problem):
    """pymoo problem over index genomes; every distinct genome is decoded and scored once."""

    def __init__(
        self,
        space: SearchSpace,
        objectives: Sequence[Objective],
        constraints: Sequence[Constraint] = (),
        base: StudentSpec | None = None,
        cost_model: CostModel = COMPRESSOR_COST,
    ) -> None:
        if not objectives:
            raise ValueError("search needs at least one objective")
        names = [o.name for o in objectives] + [c.name for c in constraints]
        if len(set(names)) != len(names):
            raise ValueError(f"objective/constraint names must be unique, got {names}")
        super().__init__(
            n_var=space.n_var,
            n_obj=len(objectives),
            n_ieq_constr=len(constraints),
            xl=np.zeros(space.n_var),
            xu=space.upper,
            vtype=int,
        )
        self.space, self.base, self.cost_model = space, base, cost_model
        self.objectives, self.constraints = tuple(objectives), tuple(constraints)
        self.cache: dict[tuple[int, ...], Evaluation] = {}

    def candidate(self, x: np.ndarray | Sequence[int]) -> Candidate:
        key = tuple(int(round(float(v))) for v in x)
        return Candidate(
            key, self.space.decode(key, self.base), self.space.decode_hparams(key), self.space.values(key)
        )

    def evaluate_one(self, x: np.ndarray | Sequence[int]) -> Evaluation:
        key = tuple(int(round(float(v))) for v in x)
        if key not in self.cache:
            c = self.candidate(key)
            self.cache[key] = Evaluation(
                c,
                {o.name: o(c) for o in self.objectives},
                {k.name: k(c) for k in self.constraints},
                self.cost_model.size_mb(c.spec),
                self.cost_model.gflops(c.spec),
            )
        return self.cache[key]

    def minimised(self, ev: Evaluation) -> list[float]:
        return [o.minimised(ev.objectives[o.name]) for o in self.objectives]

    def _evaluate(self, X: np.ndarray, out: dict[str, Any], *args: Any, **kwargs: Any) -> None:
        evals = [self.evaluate_one(x) for x in X]
        out["F"] = np.array([self.minimised(e) for e in evals], dtype=float).reshape(len(X), self.n_obj)
        if self.constraints:
            out["G"] = np.array(
                [[e.constraints[c.name] for c in self.constraints] for e in evals], dtype=float
            )

    def solution(self, ev: Evaluation) -> Solution:
        c = ev.candidate
        return Solution(
            c.genome, c.spec, dict(c.hparams), dict(c.values), ev.objectives, ev.size_mb, ev.gflops
        )

    def archive_front(self) -> list[Solution]:
        """Non-dominated feasible candidates among everything evaluated (all infeasible: the least violating)."""
        evals = list(self.cache.values())
        feasible = [e for e in evals if e.feasible]
        if not feasible:
            least = min(sum(max(v, 0.0) for v in e.constraints.values()) for e in evals)
            feasible = [e for e in evals if sum(max(v, 0.0) for v in e.constraints.values()) == least]
        F = np.array([self.minimised(e) for e in feasible])
        front = NonDominatedSorting().do(F, only_non_dominated_front=True)
        # Deterministic order: by the first objective, then the genome.
        chosen = sorted(
            (feasible[int(i)] for i in front), key=lambda e: (self.minimised(e), e.candidate.genome)
        )
        unique: dict[tuple[float, ...], Evaluation] = {}
        for e in chosen:  # one row per distinct objective vector (different genomes, same scores: first kept)
            unique.setdefault(tuple(self.minimised(e)), e)
        return [self.solution(e) for e in unique.values()]


class TraceCallback(Callback):
    """Per generation: best and mean of each objective (natural units), the best-by-first-objective member's
    size and GFLOPs, the number of evaluations. Generation g is the population after the g-th variation round
    (the random initial population is round 0 and not traced)."""

    def __init__(self, problem: SpaceProblem) -> None:
        super().__init__()
        self.problem = problem
        self.rows: list[dict[str, Any]] = []

    def notify(self, algorithm: Any) -> None:
        if algorithm.n_gen < 2:
            return
        F = algorithm.pop.get("F")
        row: dict[str, Any] = {"generation": algorithm.n_gen - 1}
        for j, o in enumerate(self.problem.objectives):
            natural = F[:, j] if o.direction == "min" else -F[:, j]
            row[f"best_{o.name}"] = float(natural.min() if o.direction == "min" else natural.max())
            row[f"mean_{o.name}"] = float(natural.mean())
        best = self.problem.evaluate_one(algorithm.pop[int(np.argmin(F[:, 0]))].X)
        row["best_size_mb"], row["best_gflops"] = best.size_mb, best.gflops
        if self.problem.n_obj > 1:
            row["n_front"] = len(NonDominatedSorting().do(F, only_non_dominated_front=True))
        row["n_evals"] = int(algorithm.evaluator.n_eval)
        self.rows.append(row)


def make_algorithm(
    name: str,
    space: SearchSpace,
    population: int = 50,
    initial: np.ndarray | None = None,
    repair: Repair | None = None,
) -> Algorithm:
    """pymoo ``GA`` / ``NSGA2`` / ``AGEMOEA`` on index genomes with integer-safe default operators.

    Variation is SBX (p 0.9, η 15) and polynomial mutation (η 20, p 1/n_var) on the index vector, rounded and
    repaired (``repair``, default `SpaceRepair`); ``initial`` (an (n, n_var) index array, e.g. the trial configs)
    seeds the first population, otherwise it is uniform random.
    """
    from pymoo.algorithms.moo.age import AGEMOEA
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.algorithms.soo.nonconvex.ga import GA
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.operators.sampling.rnd import IntegerRandomSampling

    if name not in ALGORITHMS:
        raise ValueError(f"Unknown search algorithm {name!r}; expected one of {list(ALGORITHMS)}")
    if population < 2:
        raise ValueError(f"Expected population >= 2, got {population}")
    sampling: Any = IntegerRandomSampling()
    if initial is not None:
        sampling = np.asarray(initial, dtype=float)
        if sampling.ndim != 2 or sampling.shape[1] != space.n_var:
            raise ValueError(f"initial population must have shape (n, {space.n_var}), got {sampling.shape}")
    kwargs: dict[str, Any] = {
        "pop_size": population,
        "sampling": sampling,
        "crossover": SBX(prob=0.9, eta=15, vtype=float, repair=RoundingRepair()),
        "mutation": PM(eta=20, vtype=float, repair=RoundingRepair()),
        "repair": repair or SpaceRepair(space),
        "eliminate_duplicates": True,
    }
    cls = {"ga": GA, "nsga2": NSGA2, "agemoea": AGEMOEA}[name]
    return cls(**kwargs)


def search(
    space: SearchSpace,
    objectives: Sequence[Objective],
    algorithm: str | Algorithm = "nsga2",
    *,
    generations: int = 100,
    population: int = 50,
    seed: int = 0,
    constraints: Sequence[Constraint] = (),
    base: StudentSpec | None = None,
    cost_model: CostModel = COMPRESSOR_COST,
    target_mb: float | None = None,
    initial: np.ndarray | None = None,
    repair: Repair | None = None,
    select: Callable[[Sequence[Solution], float | None], Solution] = select_solution,
    progress: bool = False,
) -> SearchOutcome:
    """Run ``algorithm`` for ``generations`` variation rounds; deterministic for a given ``seed``.

    ``algorithm`` is a name (`make_algorithm` builds it with ``population``, ``initial`` and ``repair``) or a
    configured pymoo algorithm. ``target_mb`` is the budget the selection rule measures against (see
    `kd.search.result.select_solution`).
    """
    if generations < 1:
        raise ValueError(f"Expected generations >= 1, got {generations}")
    start = time.perf_counter()
    problem = SpaceProblem(space, objectives, constraints, base, cost_model)
    algo = (
        make_algorithm(algorithm, space, population, initial, repair)
        if isinstance(algorithm, str)
        else algorithm
    )
    trace = TraceCallback(problem)
    res = minimize(problem, algo, ("n_gen", generations + 1), seed=seed, callback=trace, verbose=progress)
    if problem.n_obj == 1:
        # The algorithm's optimum (the elitist GA's best), as Compressor's search has always returned it.
        best = np.atleast_2d(res.X)[0]
        front = [problem.solution(problem.evaluate_one(best))]
    else:
        front = problem.archive_front()
    return SearchOutcome(
        front=tuple(front),
        chosen=select(front, target_mb),
        objectives=tuple((o.name, o.direction) for o in objectives),
        trace=trace.rows,
        seconds=time.perf_counter() - start,
        seed=seed,
        algorithm=algorithm if isinstance(algorithm, str) else type(algorithm).__name__,
        n_evals=len(problem.cache),
        target_mb=target_mb,
        gene_names=tuple(space.names),
    )
