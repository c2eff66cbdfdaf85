"""MORPH's search pipeline (Panichella, ICSE 2025; research notes §3.3–3.6) on the shared engine.

1. space: AVATAR's 13 genes (`avatar_space`), optionally cut to the z3 bounds of the size budget as AVATAR's;
2. trials: ``n_trials`` configurations by Latin hypercube sampling (`latin_hypercube_sample`, repaired), each
   distilled briefly as a `Trial` (own process, nested MLflow run: the AVATAR runner) reporting the validation
   accuracy and the prediction flips between the original and metamorphic validation sets;
3. surrogates (`MorphSurrogates`): scikit-learn gradient boosting on the encoded genes — accuracy fitted in logit
   space and mapped back with expit, flips tuned by a cross-validated grid search (MAE) and rounded, ≥ 0;
4. AGE-MOEA (default; or NSGA-II) over four objectives — minimise size (MB), predicted flips and GFLOPs, maximise
   predicted accuracy — from a Latin-hypercube initial population, with `MorphRepair` after every variation;
5. selection (`select_morph`): the front member whose **size** is closest to the budget (the reference code
   selects on the flips column in two of its four scripts), ties within 2 % of the budget broken by higher
   predicted accuracy, then fewer predicted flips, then fewer GFLOPs.

**Collapsed-student guard** (`guard_flips`): a student that predicts one label on the whole validation set
(original and metamorphic together) cannot flip, so its raw flip count is 0 — the most "robust" value possible.
MORPH's own surrogate data holds such students at 0 flips. Here a collapsed trial (or epoch) is scored with the
worst flip count, the number of validation examples: it stays in the surrogate's data (its accuracy is real)
but never looks robust, and the checkpoint rule applies the same score to collapsed epochs.

The search's quality is reported as the surrogates' k-fold CV R² and MAE and the hypervolume of the front
(`hypervolume`: each objective normalised to [0, 1] between its best and worst value over the front and the LHS
initial population, reference point 1.1 per objective, so 1.1⁴ ≈ 1.464 is the largest value).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pymoo.core.problem import Problem
from pymoo.core.repair import Repair

from kd.search.avatar_space import avatar_space
from kd.search.engine import search
from kd.search.objectives import (
    Candidate,
    Constraint,
    CostModel,
    Objective,
    gflops_objective,
    max_size_constraint,
    size_objective,
)
from kd.search.result import ACCURACY, SearchOutcome, Solution
from kd.search.sampling import latin_hypercube_sample
from kd.search.smt import feasible_bounds
from kd.search.space import DEFAULT_BASE, SearchSpace
from kd.search.surrogate import encode_features
from kd.search.trials import Trial, TrialResult, TrialRunner

log = logging.getLogger(__name__)

FLIPS = "flips"
SIZE = "size_mb"
GFLOPS = "gflops"
# The grid of MORPH's flip model (mo_surrogate.py): the code's n_estimators {100}; the paper says {50, 100, 150}.
FLIP_GRID: dict[str, list[Any]] = {
    "n_estimators": [100],
    "learning_rate": [0.05, 0.10, 0.15, 0.20, 0.25],
    "max_depth": [2, 3, 4, 5],
    "min_samples_split": [2, 3, 4],
    "min_samples_leaf": [1, 2, 3],
}
SELECTION_RULE = (
    "size closest to target_mb (2% tolerance), then best predicted accuracy, then fewest predicted flips, "
    "then fewest GFLOPs"
)


# -- repair ---------------------------------------------------------------------------------------------------


def is_probability_gene(values: Sequence[Any]) -> bool:
    """All values numeric and in [0, 1] (`MorphRepair` also asks for a ``*_prob`` gene name)."""
    return all(isinstance(v, int | float) and not isinstance(v, bool) and 0 <= v <= 1 for v in values)


class MorphRepair(Repair):
    """MORPH's repair operator on index genomes, applied to every child after variation.

    - integer (index) genes are rounded to the nearest index and clipped to the gene's range;
    - probabilities (genes named ``*_prob``) are rounded to one decimal and moved to the nearest gene value
      (a no-op on the default 0.1 grid; it matters for a finer overridden grid);
    - hidden is moved to the nearest multiple of heads among its gene values, ties to the lower
      (`SearchSpace.repair`, which moves heads instead when no hidden value is divisible).

    The reference code computes the rounded integers but never assigns them (research notes §3.6): here every
    rounded value is written back, so a repaired genome always decodes to a buildable student.
    """

    def __init__(self, space: SearchSpace) -> None:
        super().__init__()
        self.space = space
        self._prob = [
            j for j, g in enumerate(space.genes) if g.name.endswith("_prob") and is_probability_gene(g.values)
        ]

    def repair_one(self, x: Sequence[float] | np.ndarray) -> np.ndarray:
        idx = np.clip(np.rint(np.asarray(x, dtype=float)), 0, self.space.upper).astype(int)
        for j in self._prob:
            values = np.array(self.space.genes[j].values, dtype=float)
            target = round(float(values[idx[j]]), 1)
            # nearest value to the one-decimal probability; ties to the lower value (argmin takes the first)
            order = np.argsort(values, kind="stable")
            idx[j] = int(order[int(np.argmin(np.abs(values[order] - target)))])
        return self.space.repair(idx)

    def _do(self, problem: Problem, X: np.ndarray, **kwargs: Any) -> Any:
        return np.array([self.repair_one(x) for x in X])


# -- the collapsed-student guard -------------------------------------------------------------------------------


def is_collapsed(predictions: np.ndarray | Sequence[int], min_fraction: float = 0.0) -> bool:
    """True when the rarest predicted label covers at most ``min_fraction`` of the predictions.

    With the default 0 this is exactly "predicts one label" (binary tasks: the minority label never occurs).
    """
    pred = np.asarray(predictions).astype(int).ravel()
    if pred.size == 0:
        return False
    counts = np.bincount(pred, minlength=2)
    return bool(counts.min() / pred.size <= min_fraction)


def guard_flips(flips: float, collapsed: bool, n_examples: int) -> float:
    """The flip count a search and the checkpoint rule see: a collapsed student gets the worst, ``n_examples``."""
    if n_examples < 0 or flips < 0:
        raise ValueError(f"Expected flips >= 0 and n_examples >= 0, got {flips}, {n_examples}")
    return float(n_examples) if collapsed else float(flips)


# -- surrogates --------------------------------------------------------------------------------------------------


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    return np.asarray(np.log(p / (1 - p)))


def _expit(z: np.ndarray) -> np.ndarray:
    from scipy.special import expit

    return np.asarray(expit(z), dtype=float)


@dataclass
class MorphSurrogates:
    """Gradient-boosting surrogates from index genomes (`encode_features`, standardised) to accuracy and flips."""

    space: SearchSpace
    flip_grid: Mapping[str, Sequence[Any]] = field(default_factory=lambda: dict(FLIP_GRID))
    grid_folds: int = 3
    seed: int = 0
    accuracy_model: Any = field(default=None, repr=False)
    flips_model: Any = field(default=None, repr=False)
    flip_params: dict[str, Any] = field(default_factory=dict)

    def _pipeline(self, **params: Any) -> Any:
        from sklearn.ensemble import GradientBoostingRegressor
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), GradientBoostingRegressor(random_state=self.seed, **params))

    def fit(self, genomes: np.ndarray, accuracy: np.ndarray, flips: np.ndarray) -> MorphSurrogates:
        from sklearn.model_selection import GridSearchCV, KFold

        X = encode_features(self.space, genomes)
        acc = np.asarray(accuracy, dtype=float)
        fl = np.asarray(flips, dtype=float)
        if not len(X) == len(acc) == len(fl) or len(X) < 3:
            raise ValueError(
                f"MORPH surrogates need >= 3 (configuration, accuracy, flips) rows of equal count, "
                f"got {len(X)}/{len(acc)}/{len(fl)}"
            )
        if np.any((acc < 0) | (acc > 1)):
            raise ValueError(f"accuracy must lie in [0, 1], got {acc.tolist()}")
        self.accuracy_model = self._pipeline().fit(X, _logit(acc))
        grid = {f"gradientboostingregressor__{k}": list(v) for k, v in self.flip_grid.items()}
        k = min(self.grid_folds, len(X))
        gs = GridSearchCV(
            self._pipeline(),
            grid,
            cv=KFold(k, shuffle=True, random_state=self.seed),
            scoring="neg_mean_absolute_error",
        ).fit(X, fl)
        self.flips_model = gs.best_estimator_
        self.flip_params = {k.split("__", 1)[1]: v for k, v in gs.best_params_.items()}
        return self

    def predict_accuracy(self, genomes: np.ndarray) -> np.ndarray:
        if self.accuracy_model is None:
            raise RuntimeError("MorphSurrogates.predict_accuracy before fit")
        return _expit(self.accuracy_model.predict(encode_features(self.space, genomes)))

    def predict_flips(self, genomes: np.ndarray) -> np.ndarray:
        if self.flips_model is None:
            raise RuntimeError("MorphSurrogates.predict_flips before fit")
        pred = self.flips_model.predict(encode_features(self.space, genomes))
        return np.clip(np.rint(pred), 0, None).astype(float)

    def cross_validate(
        self, genomes: np.ndarray, accuracy: np.ndarray, flips: np.ndarray, folds: int = 5
    ) -> dict[str, dict[str, float]]:
        """k-fold CV R² and MAE of both surrogates, in natural units (accuracy after expit, flips rounded).

        The flip model is re-fitted with the grid search's chosen hyper-parameters in each fold, not re-tuned
        (no nested search): its scores are slightly optimistic. NaN below 3 rows.
        """
        from sklearn.metrics import mean_absolute_error, r2_score
        from sklearn.model_selection import KFold

        X = encode_features(self.space, genomes)
        acc, fl = np.asarray(accuracy, dtype=float), np.asarray(flips, dtype=float)
        k = min(folds, len(X))
        nan = {"cv_r2": float("nan"), "cv_mae": float("nan"), "cv_folds": float(k)}
        if k < 3:
            return {"accuracy": dict(nan), "flips": dict(nan)}
        pa, pf = np.zeros(len(X)), np.zeros(len(X))
        for train, test in KFold(k, shuffle=True, random_state=self.seed).split(X):
            pa[test] = _expit(self._pipeline().fit(X[train], _logit(acc[train])).predict(X[test]))
            model = self._pipeline(**self.flip_params).fit(X[train], fl[train])
            pf[test] = np.clip(np.rint(model.predict(X[test])), 0, None)

        def scores(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
            return {"cv_r2": float(r2_score(y, p)), "cv_mae": float(mean_absolute_error(y, p)), "cv_folds": k}

        return {"accuracy": scores(acc, pa), "flips": scores(fl, pf)}


# -- front quality and selection --------------------------------------------------------------------------------


def minimised_matrix(front: Sequence[Solution], objectives: Sequence[tuple[str, str]]) -> np.ndarray:
    """(n, m) objective values of the front as pymoo minimises them (maximised objectives negated)."""
    return np.array(
        [[s.objectives[n] if d == "min" else -s.objectives[n] for n, d in objectives] for s in front],
        dtype=float,
    )


def hypervolume(
    front: Sequence[Solution],
    objectives: Sequence[tuple[str, str]],
    ref: float = 1.1,
    reference_points: np.ndarray | None = None,
) -> float:
    """Hypervolume of the front, normalised per objective to [0, 1] (best → 0, worst → 1), reference ``ref``.

    The best and worst values are taken over the front and ``reference_points`` (minimised objective rows, e.g.
    the initial population's): without them a front is scaled by its own extent, and a one-member front always
    scores ``ref ** m``.
    """
    from pymoo.indicators.hv import HV

    if not front:
        return float("nan")
    F = minimised_matrix(front, objectives)
    span_of = F if reference_points is None else np.vstack([F, np.asarray(reference_points, dtype=float)])
    lo, hi = span_of.min(axis=0), span_of.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return float(HV(ref_point=np.full(F.shape[1], ref))((F - lo) / span))


def select_morph(front: Sequence[Solution], target_mb: float | None, tolerance: float = 0.02) -> Solution:
    """`SELECTION_RULE`: the size closest to the budget (by size), then accuracy, flips, GFLOPs."""
    if not front:
        raise ValueError("cannot select from an empty front")
    if len(front) == 1 or target_mb is None:
        return front[0]
    gaps = [abs(s.size_mb - target_mb) for s in front]
    near = [s for s, g in zip(front, gaps, strict=True) if g <= min(gaps) + tolerance * target_mb]
    return min(
        near,
        key=lambda s: (-s.objectives.get(ACCURACY, 0.0), s.objectives.get(FLIPS, 0.0), s.gflops),
    )


# -- the pipeline -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MorphPlan:
    """The (optionally z3-pruned) space, the LHS trial configurations and the LHS initial population."""

    space: SearchSpace
    bounds: dict[str, list[Any]]
    smt_seconds: float
    smt_checks: int
    genomes: np.ndarray
    initial: np.ndarray


def plan_morph(
    task: str,
    target_mb: float,
    cost_model: CostModel,
    n_trials: int = 20,
    population: int = 50,
    seed: int = 0,
    genes: Mapping[str, Any] | None = None,
    prune: bool = True,
    trial_max_size_ratio: float | None = None,
) -> MorphPlan:
    """Space, z3 bounds, LHS trial sample (seed) and LHS initial population (seed + 1); deterministic.

    ``trial_max_size_ratio`` (default None: MORPH's unfiltered LHS): the trial sample keeps only configurations
    whose formula size is at most ``ratio × target_mb``. z3 bounds each gene alone, so their corners combine into
    students many times the budget (L9-H40-I1408: 27 minutes for one 2-core trial of 4,000 pairs); the filter
    draws a Latin hypercube of 2, 4, 8 … times ``n_trials`` points (same seed) and keeps the first ``n_trials``
    that fit, in sample order. It changes which configurations are distilled, not the search's space."""
    space = avatar_space(task, genes)
    bounds: dict[str, list[Any]] = {}
    seconds, checks = 0.0, 0
    if prune:
        pruned = feasible_bounds(space, target_mb, cost_model, DEFAULT_BASE)
        bounds, seconds, checks = pruned.bounds, pruned.seconds, pruned.checks
        space = space.restrict(bounds)
    repair = MorphRepair(space)
    if trial_max_size_ratio is None:
        trials = np.unique(
            np.array([repair.repair_one(x) for x in latin_hypercube_sample(space, n_trials, seed)]), axis=0
        )
    else:
        trials = _size_filtered_sample(
            space, repair, n_trials, seed, trial_max_size_ratio * target_mb, cost_model
        )
    initial = np.array([repair.repair_one(x) for x in latin_hypercube_sample(space, population, seed + 1)])
    return MorphPlan(space, bounds, seconds, checks, trials, initial)


def _size_filtered_sample(
    space: SearchSpace, repair: MorphRepair, n: int, seed: int, max_mb: float, cost_model: CostModel
) -> np.ndarray:
    if max_mb <= 0:
        raise ValueError(f"search.trial_max_size_ratio must be > 0, got a size cap of {max_mb} MB")
    for factor in (2, 4, 8, 16, 32, 64):
        sample = np.array([repair.repair_one(x) for x in latin_hypercube_sample(space, n * factor, seed)])
        kept: list[np.ndarray] = []
        seen: set[bytes] = set()
        for genome in sample:
            key = genome.tobytes()
            if key in seen or cost_model.size_mb(space.decode(genome, DEFAULT_BASE)) > max_mb + 1e-12:
                continue
            seen.add(key)
            kept.append(genome)
            if len(kept) == n:
                return np.array(kept)
    if not kept:
        raise ValueError(
            f"search.trial_max_size_ratio: none of {n * 64} Latin-hypercube configurations is at most "
            f"{max_mb:.3f} MB; raise the ratio or narrow the genes"
        )
    log.warning(
        "trial size filter: only %d of %d trials fit %.3f MB in %d draws", len(kept), n, max_mb, n * 64
    )
    return np.array(kept)


def make_morph_algorithm(
    name: str, plan: MorphPlan, population: int, sbx_eta: float = 15.0, pm_eta: float = 30.0
) -> Any:
    """AGE-MOEA (or NSGA-II) with MORPH's operators: SBX p 0.9, polynomial mutation p 1/n_var, `MorphRepair`."""
    from pymoo.algorithms.moo.age import AGEMOEA
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair

    algorithms = {"agemoea": AGEMOEA, "nsga2": NSGA2}
    if name not in algorithms:
        raise ValueError(f"Unknown MORPH search algorithm {name!r}; expected one of {sorted(algorithms)}")
    return algorithms[name](
        pop_size=population,
        sampling=plan.initial.astype(float),
        crossover=SBX(prob=0.9, eta=sbx_eta, vtype=float, repair=RoundingRepair()),
        mutation=PM(
            prob=1.0, prob_var=1.0 / plan.space.n_var, eta=pm_eta, vtype=float, repair=RoundingRepair()
        ),
        repair=MorphRepair(plan.space),
        eliminate_duplicates=True,
    )


@dataclass(frozen=True)
class TrialScores:
    """What the surrogates learn from one finished trial (flips already guarded)."""

    accuracy: float
    flips: float
    raw_flips: float
    collapsed: bool
    n_examples: int


def trial_scores(result: TrialResult, accuracy_metric: str) -> TrialScores:
    """Accuracy and guarded flips of a finished MORPH trial; errors name the missing metric."""
    m = result.metrics
    needed = [accuracy_metric, "val/flips", "val/collapsed", "val/n"]
    missing = [k for k in needed if k not in m]
    if missing:
        raise ValueError(f"trial {result.trial_id}: metrics {missing} missing (a MorphKD trial logs them)")
    collapsed = bool(m["val/collapsed"] > 0.5)
    n = int(m["val/n"])
    return TrialScores(
        float(m[accuracy_metric]),
        guard_flips(m["val/flips"], collapsed, n),
        float(m["val/flips"]),
        collapsed,
        n,
    )


def run_morph_search(
    plan: MorphPlan,
    make_trial: Callable[[np.ndarray], Trial],
    runner: TrialRunner,
    target_mb: float,
    cost_model: CostModel,
    algorithm: str = "agemoea",
    population: int = 50,
    generations: int = 100,
    seed: int = 0,
    min_trials: int = 3,
    flip_grid: Mapping[str, Sequence[Any]] | None = None,
    size_constraint: bool = False,
    sbx_eta: float = 15.0,
    pm_eta: float = 30.0,
) -> tuple[SearchOutcome, list[TrialResult]]:
    """Trials → surrogates → four-objective search; errors name the failed trials when too few finished."""
    start = time.perf_counter()
    trials = [make_trial(g) for g in plan.genomes]
    metric = trials[0].metric if trials else "val/morph_acc"
    results = runner.run(trials)
    ok = [(g, r) for g, r in zip(plan.genomes, results, strict=True) if r.ok]
    if len(ok) < min_trials:
        failed = [
            f"{r.trial_id}: {r.error.splitlines()[0] if r.error else r.status}" for r in results if not r.ok
        ]
        raise RuntimeError(
            f"only {len(ok)} of {len(trials)} MORPH trials finished (need {min_trials} for the surrogates); "
            f"failed: {failed}; logs under {runner.root / 'trials'}"
        )
    scores = {r.trial_id: trial_scores(r, metric) for _, r in ok}
    X = np.array([g for g, _ in ok])
    acc = np.array([scores[r.trial_id].accuracy for _, r in ok])
    flips = np.array([scores[r.trial_id].flips for _, r in ok])
    surrogates = MorphSurrogates(plan.space, dict(flip_grid or FLIP_GRID), seed=seed).fit(X, acc, flips)
    quality = surrogates.cross_validate(X, acc, flips)

    def predict(fn: Callable[[np.ndarray], np.ndarray]) -> Callable[[Any], float]:
        return lambda c: float(fn(np.array([c.genome]))[0])

    objectives: list[Objective] = [
        size_objective(cost_model),
        Objective(FLIPS, predict(surrogates.predict_flips), "min"),
        gflops_objective(cost_model),
        Objective(ACCURACY, predict(surrogates.predict_accuracy), "max"),
    ]
    constraints: list[Constraint] = [max_size_constraint(target_mb, cost_model)] if size_constraint else []
    outcome = search(
        plan.space,
        objectives,
        make_morph_algorithm(algorithm, plan, population, sbx_eta, pm_eta),
        generations=generations,
        population=population,
        seed=seed,
        constraints=constraints,
        cost_model=cost_model,
        target_mb=target_mb,
        select=select_morph,
    )
    # The LHS initial population, scored like every candidate: the span the front's hypervolume is measured in.
    initial_points = np.array(
        [
            [o.minimised(o(Candidate(tuple(int(v) for v in g), plan.space.decode(g)))) for o in objectives]
            for g in plan.initial
        ]
    )
    table = []
    for t, g, r in zip(trials, plan.genomes, results, strict=True):
        spec = plan.space.decode(g)
        s = scores.get(r.trial_id)
        table.append(
            {
                "trial_id": t.trial_id,
                "spec": spec.name,
                **{f"gene.{k}": v for k, v in plan.space.values(g).items()},
                "size_mb": cost_model.size_mb(spec),
                "gflops": cost_model.gflops(spec),
                "status": r.status,
                "accuracy": s.accuracy if s else None,
                "flips": s.raw_flips if s else None,
                "flips_guarded": s.flips if s else None,
                "collapsed": s.collapsed if s else None,
                "n_val": s.n_examples if s else None,
                "seconds": r.seconds,
                "resumed": r.resumed,
                "error": r.error.splitlines()[0] if r.error else "",
            }
        )
    outcome.meta.update(
        {
            "algorithm": algorithm,
            "selection_rule": SELECTION_RULE,
            "pruned_bounds": plan.bounds,
            "smt_seconds": plan.smt_seconds,
            "smt_checks": plan.smt_checks,
            "metric": metric,
            "trials": table,
            "n_trials_ok": len(ok),
            "n_collapsed": int(sum(s.collapsed for s in scores.values())),
            "surrogates": {**quality, "flip_params": surrogates.flip_params, "n": len(ok)},
            "hypervolume": hypervolume(outcome.front, outcome.objectives, reference_points=initial_points),
            "total_seconds": time.perf_counter() - start,
        }
    )
    return outcome, results
