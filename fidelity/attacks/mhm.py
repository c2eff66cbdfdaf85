"""MHM (Zhang et al., AAAI 2020): Metropolis–Hastings sampling over identifier renamings.

The chain's state is a mapping {original name: new name}. Each iteration picks one original identifier
uniformly, draws ``n_candidates`` names from the pool and queries all of them in one batch; the
candidate with the lowest true-class probability is the proposal, accepted with probability
α = min(1, π(x') / π(x)) where π(x) ∝ 1 − p_y(x) (the target favours misclassification; proposals are
treated as symmetric, as in the reference implementation). The search stops when a label flips, when
the query budget is spent, or after ``max_iter`` iterations.
"""

from __future__ import annotations

import random

from fidelity.attacks.base import AttackConfig, IdentifierAttack, Predictor, Renamer, Search
from fidelity.attacks.candidates import CandidatePool

_EPS = 1e-10
#: Iterations in a row whose every candidate the renamer refused before the chain gives up.
_MAX_EMPTY = 50


class MHM(IdentifierAttack):
    """Metropolis–Hastings Modifier with random candidates from ``pool``."""

    name = "mhm"

    def __init__(
        self,
        predictor: Predictor,
        config: AttackConfig | None = None,
        renamer: Renamer | None = None,
        *,
        pool: CandidatePool,
        max_iter: int | None = None,
    ) -> None:
        super().__init__(predictor, config, renamer)
        if max_iter is not None and max_iter < 1:
            raise ValueError(f"Expected `max_iter` None or a positive integer, got {max_iter}")
        self.pool = pool
        self.max_iter = max_iter

    def run(self, search: Search, rng: random.Random) -> None:
        mapping: dict[str, str] = {}
        current = search.orig_p_true
        iteration = empty = 0
        while self.max_iter is None or iteration < self.max_iter:
            iteration += 1
            name = rng.choice(search.names)
            names = self.pool.random(self.config.n_candidates, rng, exclude=search.exclude(mapping))
            variants = search.evaluate([{**mapping, name: new} for new in names])
            if not variants:
                empty += 1
                if empty >= _MAX_EMPTY:
                    return
                continue
            empty = 0
            proposal = min(variants, key=lambda v: v.p_true)
            alpha = min(1.0, (1.0 - proposal.p_true + _EPS) / (1.0 - current + _EPS))
            if rng.random() < alpha:
                mapping, current = proposal.mapping, proposal.p_true
