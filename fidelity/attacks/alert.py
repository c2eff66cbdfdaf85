"""ALERT-style attack (Yang et al., ICSE 2022): natural substitutes, greedy by importance, then a GA.

1. Substitutes per identifier: the masked LM's top ``n_candidates`` when an ``mlm`` is given (ALERT uses
   CodeBERT's MLM), otherwise the ``n_candidates`` pool names nearest to the identifier by embedding
   similarity (:class:`~fidelity.attacks.candidates.CandidatePool`), both filtered to valid unused names.
2. Greedy: identifiers in decreasing importance (:func:`~fidelity.attacks.wir_random.importance_order`);
   each takes its most damaging substitute if that lowers the true-class probability.
3. If no label flipped: a genetic search over chromosomes {identifier: substitute or itself}, seeded with
   the greedy result and single-identifier mutants; single-point crossover with probability
   ``crossover_prob``, otherwise a one-gene mutation; fitness = drop of the true-class probability;
   elitist survival. ``generations`` defaults to ALERT's max(5 × #identifiers with substitutes, 10).
"""

from __future__ import annotations

import random

from fidelity.attacks.base import AttackConfig, IdentifierAttack, Predictor, Renamer, Search
from fidelity.attacks.candidates import CandidatePool, MaskedLM
from fidelity.attacks.wir_random import importance_order

Chromosome = dict[str, str]


def _key(mapping: Chromosome) -> frozenset[tuple[str, str]]:
    return frozenset((k, v) for k, v in mapping.items() if k != v)


class ALERT(IdentifierAttack):
    """Naturalness-ranked greedy substitution with a genetic-search fallback."""

    name = "alert"

    def __init__(
        self,
        predictor: Predictor,
        config: AttackConfig | None = None,
        renamer: Renamer | None = None,
        *,
        pool: CandidatePool | None = None,
        mlm: MaskedLM | None = None,
        population_size: int = 20,
        generations: int | None = None,
        crossover_prob: float = 0.7,
    ) -> None:
        super().__init__(predictor, config, renamer)
        if pool is None and mlm is None:
            raise ValueError(
                "ALERT needs `mlm` (a masked LM ranker) or `pool` (a CandidatePool with `embed`)"
            )
        if pool is not None and mlm is None and pool.embed is None:
            raise ValueError("ALERT without `mlm` ranks by similarity: build the CandidatePool with `embed`")
        if population_size < 2:
            raise ValueError(f"Expected `population_size` >= 2, got {population_size}")
        if generations is not None and generations < 0:
            raise ValueError(f"Expected `generations` None or >= 0, got {generations}")
        if not 0.0 <= crossover_prob <= 1.0:
            raise ValueError(f"Expected `crossover_prob` in [0, 1], got {crossover_prob}")
        self.pool, self.mlm = pool, mlm
        self.population_size, self.generations, self.crossover_prob = (
            population_size,
            generations,
            crossover_prob,
        )

    def substitutes(self, search: Search, name: str) -> list[str]:
        """Natural substitutes for ``name``: valid, not in the code, at most ``n_candidates``."""
        k = self.config.n_candidates
        if self.mlm is not None:
            ranked = self.mlm(search.code, name, k)
            valid = [n for n in dict.fromkeys(ranked) if n not in search.taken]
            return [n for n in valid if search.renamer.is_valid(n, search.config.language)][:k]
        assert self.pool is not None
        return self.pool.nearest(name, k, exclude=search.taken)

    def run(self, search: Search, rng: random.Random) -> None:
        mapping, current, subs = self._greedy(search)
        self._genetic(search, rng, mapping, search.orig_p_true - current, subs)

    def _greedy(self, search: Search) -> tuple[Chromosome, float, dict[str, list[str]]]:
        mapping: Chromosome = {}
        current = search.orig_p_true
        subs: dict[str, list[str]] = {}
        for name in importance_order(search):
            subs[name] = self.substitutes(search, name)
            variants = search.evaluate([{**mapping, name: new} for new in subs[name]])
            if variants:
                best = min(variants, key=lambda v: v.p_true)
                if best.p_true < current:
                    mapping, current = best.mapping, best.p_true
        return mapping, current, subs

    def _genetic(
        self,
        search: Search,
        rng: random.Random,
        seed: Chromosome,
        seed_fit: float,
        subs: dict[str, list[str]],
    ) -> None:
        genes = [n for n in search.names if subs.get(n)]
        if not genes:
            return
        fitness: dict[frozenset[tuple[str, str]], float] = {_key(seed): seed_fit}
        population: list[tuple[Chromosome, float]] = [(dict(seed), seed_fit)]
        mutants = []
        for _ in range(self.population_size - 1):
            gene = rng.choice(genes)
            mutants.append({**seed, gene: rng.choice(subs[gene])})
        population += self._score(search, mutants, fitness)
        generations = self.generations if self.generations is not None else max(5 * len(genes), 10)
        for _ in range(generations):
            children = [self._child(population, genes, subs, rng) for _ in range(self.population_size)]
            population += self._score(search, children, fitness)
            population.sort(key=lambda item: -item[1])  # stable: earlier (older) wins ties
            population = population[: self.population_size]

    def _child(
        self,
        population: list[tuple[Chromosome, float]],
        genes: list[str],
        subs: dict[str, list[str]],
        rng: random.Random,
    ) -> Chromosome:
        first = self._tournament(population, rng)
        if rng.random() < self.crossover_prob:
            second = self._tournament(population, rng)
            cut = rng.randrange(1, len(genes)) if len(genes) > 1 else 0
            return {g: (first if i < cut else second).get(g, g) for i, g in enumerate(genes)}
        gene = rng.choice(genes)
        return {**first, gene: rng.choice([gene, *subs[gene]])}

    @staticmethod
    def _tournament(population: list[tuple[Chromosome, float]], rng: random.Random) -> Chromosome:
        a, b = rng.choice(population), rng.choice(population)
        return a[0] if a[1] >= b[1] else b[0]

    @staticmethod
    def _score(
        search: Search, chromosomes: list[Chromosome], fitness: dict[frozenset[tuple[str, str]], float]
    ) -> list[tuple[Chromosome, float]]:
        """Query only chromosomes not seen before (a GA revisits many); return the new ones scored."""
        fresh: dict[frozenset[tuple[str, str]], Chromosome] = {}
        for chromosome in chromosomes:
            key = _key(chromosome)
            if key and key not in fitness and key not in fresh:
                fresh[key] = {k: v for k, v in chromosome.items() if k != v}
        variants = search.evaluate(list(fresh.values()))
        scored = []
        for v in variants:
            fitness[_key(v.mapping)] = search.orig_p_true - v.p_true
            scored.append((v.mapping, search.orig_p_true - v.p_true))
        return scored
