"""AVATAR's search pipeline (research notes §2.3–2.5) on the shared engine, independent of Lightning.

1. space: `avatar_space(task, genes)`; z3 prunes each size gene to its feasible bounds for the budget
   (`kd.search.smt.feasible_bounds`) and the space is restricted to them;
2. trials: ``n_trials`` configurations by adaptive random sampling (feasible: size ≤ budget), each distilled
   briefly as a `Trial` through a `TrialRunner` (own process, nested MLflow run, resumable, failures recorded);
3. surrogate: `BayesianRidge` from the configuration to the trial metric (cross-validated R², MAE), in logit
   space for metrics bounded to [0, 1]; a **collapsed** trial — its best-metric model predicts one class on the
   validation slice (`is_collapsed_trial`) — is recorded with status ``collapsed`` and kept out of the surrogate:
   its F1 (0.78 for "always clone" on BigCloneBench's validation split) would teach the surrogate that a student
   which learned nothing is good. If fewer than ``min_trials`` trials are left, the surrogate is fitted on every
   finished trial with a warning (``surrogate.includes_collapsed`` in the result) rather than failing the search;
4. NSGA-II (default; ``algorithm`` nsga2 | agemoea | ga) on (|size − budget|, −predicted metric, GFLOPs) with the
   hard constraint size ≤ budget, started from the trial configurations; the chosen solution follows
   `kd.search.result.select_solution` (closest to the budget, then best predicted accuracy).

`run_avatar_search` returns the engine's `SearchOutcome` with ``meta`` holding the pruned bounds, the trial table
and the surrogate's scores, and saves everything under ``output_dir``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kd.collapse import is_collapsed_rate
from kd.search.avatar_space import avatar_space
from kd.search.engine import search
from kd.search.objectives import (
    CostModel,
    Objective,
    budget_gap_objective,
    gflops_objective,
    max_size_constraint,
)
from kd.search.result import ACCURACY, SearchOutcome
from kd.search.sampling import adaptive_random_sample
from kd.search.smt import feasible_bounds
from kd.search.space import DEFAULT_BASE, SearchSpace
from kd.search.surrogate import Surrogate
from kd.search.trials import Trial, TrialResult, TrialRunner

log = logging.getLogger(__name__)

POSITIVE_RATE = "val/positive_rate"  # logged by every classifier module's validation (kd.modules)


def is_collapsed_trial(result: TrialResult, min_fraction: float = 0.0) -> bool:
    """True when the trial's model (at its best metric) put at most ``min_fraction`` of the validation examples
    in its rarer predicted class; with the default 0, exactly "predicts one class". Unknown (no positive rate
    logged, e.g. an older trial result) counts as not collapsed."""
    rate = result.metrics.get(POSITIVE_RATE)
    if rate is None or not result.ok:
        return False
    return is_collapsed_rate(rate, min_fraction)


@dataclass(frozen=True)
class AvatarPlan:
    """The pruned space and the trial configurations (index genomes) a search will run."""

    space: SearchSpace
    bounds: dict[str, list[Any]]
    smt_seconds: float
    smt_checks: int
    genomes: np.ndarray


def plan_avatar(
    task: str,
    target_mb: float,
    cost_model: CostModel,
    n_trials: int = 20,
    seed: int = 0,
    genes: Mapping[str, Any] | None = None,
    prune: bool = True,
    candidates: int = 20,
) -> AvatarPlan:
    """Space, z3 bounds and the adaptive-random trial sample (deterministic for ``seed``)."""
    space = avatar_space(task, genes)
    bounds: dict[str, list[Any]] = {}
    seconds, checks = 0.0, 0
    if prune:
        pruned = feasible_bounds(space, target_mb, cost_model, DEFAULT_BASE)
        bounds, seconds, checks = pruned.bounds, pruned.seconds, pruned.checks
        space = space.restrict(bounds)
        log.info("z3 bounds for %.3g MB in %.2f s (%d checks): %s", target_mb, seconds, checks, bounds)

    def fits(x: np.ndarray) -> bool:
        return cost_model.size_mb(space.decode(x)) <= target_mb

    genomes = adaptive_random_sample(space, n_trials, seed, candidates, feasible=fits)
    return AvatarPlan(space, bounds, seconds, checks, genomes)


def run_avatar_search(
    plan: AvatarPlan,
    make_trial: Callable[[np.ndarray], Trial],
    runner: TrialRunner,
    target_mb: float,
    cost_model: CostModel,
    algorithm: str = "nsga2",
    population: int = 20,
    generations: int = 50,
    seed: int = 0,
    min_trials: int = 3,
    collapse_min_fraction: float = 0.0,
) -> tuple[SearchOutcome, list[TrialResult]]:
    """Trials → surrogate → multi-objective search; errors name the failed trials when too few finished."""
    start = time.perf_counter()
    trials = [make_trial(g) for g in plan.genomes]
    results = runner.run(trials)
    collapsed = [is_collapsed_trial(r, collapse_min_fraction) for r in results]
    finished = [(g, r) for g, r in zip(plan.genomes, results, strict=True) if r.ok]
    if len(finished) < min_trials:
        failed = [
            f"{r.trial_id}: {r.error.splitlines()[0] if r.error else r.status}" for r in results if not r.ok
        ]
        raise RuntimeError(
            f"only {len(finished)} of {len(trials)} search trials finished (need {min_trials} for the "
            f"surrogate); failed: {failed}; logs under {runner.root / 'trials'}"
        )
    ok = [(g, r) for g, r, c in zip(plan.genomes, results, collapsed, strict=True) if r.ok and not c]
    includes_collapsed = len(ok) < min_trials
    if includes_collapsed:
        log.warning(
            "%d of %d finished trials collapsed to one predicted class, leaving %d (< %d) for the surrogate: "
            "it is fitted on all finished trials, collapsed ones included, so its predictions are weak. Give "
            "each trial more training (search.trial_epochs, search.trial_train_examples).",
            sum(collapsed),
            len(finished),
            len(ok),
            min_trials,
        )
        ok = finished
    X = np.array([g for g, _ in ok])
    y = np.array([float(r.metric) for _, r in ok])  # type: ignore[arg-type]
    bounded = bool(np.all((y >= 0) & (y <= 1)) and not trials[0].metric.endswith("loss"))
    surrogate = Surrogate(plan.space, bounded=bounded).fit(X, y)
    scores = surrogate.cross_validate(X, y, seed=seed)
    objectives: list[Objective] = [
        budget_gap_objective(target_mb, cost_model),
        Objective(ACCURACY, lambda c: float(surrogate.predict(np.array([c.genome]))[0]), "max"),
        gflops_objective(cost_model),
    ]
    initial = plan.genomes if len(plan.genomes) >= population else None
    outcome = search(
        plan.space,
        objectives,
        algorithm,
        generations=generations,
        population=population,
        seed=seed,
        constraints=[max_size_constraint(target_mb, cost_model)],
        cost_model=cost_model,
        target_mb=target_mb,
        initial=initial[:population] if initial is not None else None,
    )
    table = [
        {
            "trial_id": t.trial_id,
            "spec": plan.space.decode(g).name,
            **{f"gene.{k}": v for k, v in plan.space.values(g).items()},
            "size_mb": cost_model.size_mb(plan.space.decode(g)),
            "gflops": cost_model.gflops(plan.space.decode(g)),
            "status": "collapsed" if c else r.status,
            "metric": r.metric,
            "positive_rate": r.metrics.get(POSITIVE_RATE),
            "seconds": r.seconds,
            "resumed": r.resumed,
            "error": r.error.splitlines()[0] if r.error else "",
        }
        for t, g, r, c in zip(trials, plan.genomes, results, collapsed, strict=True)
    ]
    outcome.meta.update(
        {
            "pruned_bounds": plan.bounds,
            "smt_seconds": plan.smt_seconds,
            "smt_checks": plan.smt_checks,
            "metric": trials[0].metric,
            "trials": table,
            "n_trials_ok": len(ok),
            "n_collapsed": int(sum(collapsed)),
            "surrogate": {
                **scores,
                "coefficients": surrogate.coefficients(),
                "n": len(ok),
                "target": "logit" if bounded else "identity",
                "includes_collapsed": includes_collapsed,
            },
            "total_seconds": time.perf_counter() - start,
        }
    )
    return outcome, results


def save_trials_csv(outcome: SearchOutcome, directory: Path) -> Path:
    import pandas as pd

    path = directory / "trials.csv"
    pd.DataFrame(outcome.meta.get("trials", [])).to_csv(path, index=False)
    return path
