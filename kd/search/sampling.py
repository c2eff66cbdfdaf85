"""Initial configurations for the trials: AVATAR's adaptive random sampling (and Latin hypercube for MORPH).

Adaptive random sampling (research notes §2.4): the first configuration is uniform at random; each next one is
the farthest — largest Euclidean distance to its nearest already chosen configuration — of ``candidates``
uniform random feasible configurations. Distances are taken on gene indices scaled to [0, 1], so every gene
counts alike whatever its number of values. Every sample is repaired (hidden % heads) and must pass
``feasible`` (e.g. size ≤ budget); duplicates are never returned.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from kd.search.space import SearchSpace

Feasible = Callable[[np.ndarray], bool]


def _random_feasible(
    space: SearchSpace, rng: np.random.Generator, feasible: Feasible | None, max_tries: int
) -> np.ndarray:
    for _ in range(max_tries):
        x = space.repair(rng.integers(0, space.upper + 1))
        if feasible is None or feasible(x):
            return x
    raise ValueError(
        f"no feasible configuration in {max_tries} random draws: the constraints (e.g. the size budget) leave "
        "almost none of the space; widen the budget or the gene bounds"
    )


def adaptive_random_sample(
    space: SearchSpace,
    n: int,
    seed: int = 0,
    candidates: int = 20,
    feasible: Feasible | None = None,
    max_tries: int = 10_000,
) -> np.ndarray:
    """``n`` distinct feasible index genomes, shape (n, n_var), deterministic for ``seed``."""
    if n < 1 or candidates < 1:
        raise ValueError(f"Expected n >= 1 and candidates >= 1, got {n}, {candidates}")
    rng = np.random.default_rng(seed)
    scale = np.maximum(space.upper, 1).astype(float)
    chosen = [_random_feasible(space, rng, feasible, max_tries)]
    seen = {tuple(chosen[0])}
    while len(chosen) < n:
        pool = [_random_feasible(space, rng, feasible, max_tries) for _ in range(candidates)]
        pool = [x for x in pool if tuple(x) not in seen]
        if not pool:
            if len(seen) >= space.size():
                raise ValueError(f"the space has only {len(seen)} configurations, {n} requested")
            continue
        picked = np.array(chosen) / scale
        dist = [np.min(np.linalg.norm(picked - x / scale, axis=1)) for x in pool]
        best = pool[int(np.argmax(dist))]
        chosen.append(best)
        seen.add(tuple(best))
    return np.array(chosen, dtype=int)


def latin_hypercube_sample(space: SearchSpace, n: int, seed: int = 0) -> np.ndarray:
    """``n`` index genomes from a Latin hypercube (scipy's), one stratum per sample and gene, then repaired."""
    from scipy.stats import qmc

    if n < 1:
        raise ValueError(f"Expected n >= 1, got {n}")
    unit = qmc.LatinHypercube(d=space.n_var, seed=seed).random(n)
    idx = np.minimum(np.floor(unit * (space.upper + 1)), space.upper).astype(int)
    return np.array([space.repair(x) for x in idx], dtype=int)
