"""WIR-Random (Zeng et al., ISSTA 2022): word-importance ranking, then random substitutes.

Importance of an identifier = drop in the true-class probability when it alone is renamed to a
neutral placeholder (one batched query per identifier, as ALERT does with ``<unk>``). Identifiers are
then replaced in decreasing importance, each by the best of ``n_candidates`` names drawn at random
from the pool (``n_candidates=1`` is the single-random-draw variant), keeping a replacement only
when it lowers the true-class probability.
"""

from __future__ import annotations

import random

from fidelity.attacks.base import AttackConfig, IdentifierAttack, Predictor, Renamer, Search
from fidelity.attacks.candidates import CandidatePool

_PLACEHOLDER = "unk"


def placeholder(search: Search) -> str:
    """A valid name absent from the code, standing in for the masked identifier."""
    for k in range(10_000):
        name = _PLACEHOLDER if k == 0 else f"{_PLACEHOLDER}{k}"
        if name not in search.taken and search.renamer.is_valid(name, search.config.language):
            return name
    raise RuntimeError("no placeholder name free")  # pragma: no cover - needs 10k unk* words in one input


def importance_order(search: Search) -> list[str]:
    """Identifiers sorted by importance, highest first; ones the renamer refuses go last."""
    stand_in = placeholder(search)
    variants = search.evaluate([{name: stand_in} for name in search.names])
    drop = {next(iter(v.mapping)): search.orig_p_true - v.p_true for v in variants}
    return sorted(search.names, key=lambda n: -drop.get(n, float("-inf")))


class WIRRandom(IdentifierAttack):
    """Greedy by importance with uniformly random substitutes from ``pool``."""

    name = "wir_random"

    def __init__(
        self,
        predictor: Predictor,
        config: AttackConfig | None = None,
        renamer: Renamer | None = None,
        *,
        pool: CandidatePool,
    ) -> None:
        super().__init__(predictor, config, renamer)
        self.pool = pool

    def run(self, search: Search, rng: random.Random) -> None:
        mapping: dict[str, str] = {}
        current = search.orig_p_true
        for name in importance_order(search):
            names = self.pool.random(self.config.n_candidates, rng, exclude=search.exclude(mapping))
            variants = search.evaluate([{**mapping, name: new} for new in names])
            if variants:
                best = min(variants, key=lambda v: v.p_true)
                if best.p_true < current:
                    mapping, current = best.mapping, best.p_true
