"""What a search optimises, as data: named functions of a candidate student, each minimised or maximised.

A `Candidate` is one decoded genome (the spec, the non-spec hyper-parameters, the raw gene values). An
`Objective` maps a candidate to a number and says whether lower or higher is better; a `Constraint` maps it to a
number that is feasible when ≤ 0 (pymoo's convention). The factories below cover the analytic objectives of
Compressor, AVATAR and MORPH (size, distance to a size budget, GFLOPs, Compressor's fitness), measured CPU
latency, and learned ones (any fitted predictor of a trial metric, e.g. accuracy or prediction flips).

Sizes and GFLOPs follow `kd.cost`'s paper formulas under a `CostModel` (which sequence length and head the
formulas count), so a searched size is the size the method's paper would report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from kd import cost
from kd.spec import StudentSpec

Direction = Literal["min", "max"]


@dataclass(frozen=True)
class Candidate:
    """One decoded genome: index genome, student spec, non-spec hyper-parameters, gene name → raw value."""

    genome: tuple[int, ...]
    spec: StudentSpec
    hparams: Mapping[str, Any] = field(default_factory=dict)
    values: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Objective:
    """A named function of a candidate; ``direction`` says whether the search minimises or maximises it."""

    name: str
    fn: Callable[[Candidate], float]
    direction: Direction = "min"

    def __post_init__(self) -> None:
        if self.direction not in ("min", "max"):
            raise ValueError(
                f"Objective {self.name!r}: direction must be 'min' or 'max', got {self.direction!r}"
            )

    def __call__(self, candidate: Candidate) -> float:
        return float(self.fn(candidate))

    def minimised(self, value: float) -> float:
        """The value pymoo minimises (the objective itself, or its negation when maximised)."""
        return value if self.direction == "min" else -value


@dataclass(frozen=True)
class Constraint:
    """A named feasibility function: a candidate is feasible when ``fn(candidate) <= 0``."""

    name: str
    fn: Callable[[Candidate], float]

    def __call__(self, candidate: Candidate) -> float:
        return float(self.fn(candidate))


@dataclass(frozen=True)
class CostModel:
    """Which sequence length and classifier head the paper formulas count (see `kd.cost`).

    ``size_convention`` / ``flops_convention`` are `kd.cost.paper_seq_len` conventions: ``compressor`` (s = 514),
    ``avatar_single`` (s = max_seq_len), ``avatar_clone`` (s = 2 × max_seq_len), ``spec`` (s = the spec's
    position table, i.e. what is actually built). ``seq_len``, when set, is a fixed s for both formulas.
    """

    size_convention: cost.Convention = "compressor"
    flops_convention: cost.Convention = "compressor"
    head: cost.Head = "single"
    seq_len: int | None = None

    def size_mb(self, spec: StudentSpec) -> float:
        s = self.seq_len or cost.paper_seq_len(spec, self.size_convention)
        return cost.size_mb(spec, s, self.head)

    def gflops(self, spec: StudentSpec) -> float:
        return cost.gflops(spec, self.seq_len or cost.paper_seq_len(spec, self.flops_convention))


COMPRESSOR_COST = CostModel()


def size_objective(cost_model: CostModel = COMPRESSOR_COST) -> Objective:
    """Size in MB (minimised)."""
    return Objective("size_mb", lambda c: cost_model.size_mb(c.spec), "min")


def budget_gap_objective(target_mb: float, cost_model: CostModel = COMPRESSOR_COST) -> Objective:
    """``|size_MB − target_MB|`` (minimised): AVATAR's and MORPH's size objective."""
    _check_target(target_mb)
    return Objective("budget_gap_mb", lambda c: abs(cost_model.size_mb(c.spec) - target_mb), "min")


def gflops_objective(cost_model: CostModel = COMPRESSOR_COST) -> Objective:
    """Inference GFLOPs (minimised): the latency and energy proxy of AVATAR and MORPH."""
    return Objective("gflops", lambda c: cost_model.gflops(c.spec), "min")


def compressor_objective(target_mb: float, cost_model: CostModel = COMPRESSOR_COST) -> Objective:
    """Compressor's fitness ``GFLOPs − |size_MB − target_MB|`` (maximised)."""
    _check_target(target_mb)

    def fitness(c: Candidate) -> float:
        return cost_model.gflops(c.spec) - abs(cost_model.size_mb(c.spec) - target_mb)

    return Objective("fitness", fitness, "max")


def max_size_constraint(target_mb: float, cost_model: CostModel = COMPRESSOR_COST) -> Constraint:
    """Feasible when size ≤ target (AVATAR's hard 3 MB bound)."""
    _check_target(target_mb)
    return Constraint("size_le_budget", lambda c: cost_model.size_mb(c.spec) - target_mb)


def latency_objective(n_tokens: int = 256, batch_size: int = 8, repeats: int = 5, seed: int = 0) -> Objective:
    """Measured CPU milliseconds per example of a randomly initialised encoder of the spec (minimised).

    Slow (one model build and a few forward passes per candidate): meant for small spaces or final checks, the
    engine caches it per genome. Inputs are ``n_tokens`` random ids (capped at the spec's position table).
    """
    import torch
    from transformers import RobertaModel

    def latency(c: Candidate) -> float:
        spec = c.spec.replace(position_embedding_type="absolute")
        torch.manual_seed(seed)
        model = RobertaModel(spec.to_roberta_config(), add_pooling_layer=False)
        n = min(n_tokens, spec.max_seq_len)
        ids = torch.randint(4, spec.vocab_size, (batch_size, n)) if spec.vocab_size > 4 else None
        if ids is None:
            raise ValueError(f"latency objective: vocab_size {spec.vocab_size} leaves no ordinary token")
        return cost.measure_latency(model, ids, warmup=1, repeats=repeats) * 1e3

    return Objective("latency_ms", latency, "min")


def predicted_objective(
    name: str, predict: Callable[[np.ndarray], np.ndarray], direction: Direction = "max"
) -> Objective:
    """A learned objective: ``predict`` maps a (1, n_var) index-genome array to a (1,) prediction.

    ``kd.search.surrogate.Surrogate.predict`` fits this signature; e.g. ``predicted_objective("accuracy",
    surrogate.predict)`` (maximised) or ``predicted_objective("flips", flips_model.predict, "min")``.
    """
    return Objective(name, lambda c: float(predict(np.array([c.genome]))[0]), direction)


def _check_target(target_mb: float) -> None:
    if not target_mb > 0:
        raise ValueError(f"Expected target_mb > 0, got {target_mb}")
