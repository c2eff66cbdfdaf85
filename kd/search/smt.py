"""AVATAR's SMT pruning (research notes §2.3) with z3: each gene's feasible bounds for a size budget.

The constraints: every size gene takes one of its values; hidden_size = heads × k for an integer k ≥ 1; the
paper-formula parameter count (`kd.cost.param_count_expr`, the very formula the size objective uses) × 4 / 1e6
≤ budget. Where AVATAR enumerated all models with blocking clauses on 80 processes, each gene's lowest and
highest feasible value is found here by binary search over its sorted values, one satisfiability check per
step (about log2(n) checks per bound), in seconds.

Genes that do not enter the size (tokenizer, activation, dropouts, learning rate, batch size, position type)
keep their bounds. The result plugs into `SearchSpace.restrict`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import z3

from kd.cost import param_count_expr
from kd.search.objectives import CostModel
from kd.search.space import DEFAULT_BASE, Gene, SearchSpace
from kd.spec import StudentSpec

SIZE_FIELDS = ("vocab_size", "num_hidden_layers", "hidden_size", "intermediate_size", "num_attention_heads")


@dataclass(frozen=True)
class PrunedBounds:
    """Per size gene [lowest, highest] feasible value, the solver checks spent and the wall time."""

    bounds: dict[str, list[Any]]
    checks: int
    seconds: float


def _domain(var: z3.ArithRef, gene: Gene) -> z3.BoolRef:
    values = sorted({int(gene.value_for_field(j)) for j in range(len(gene.values))})
    if len(values) > 2:
        step = values[1] - values[0]
        if all(b - a == step for a, b in zip(values, values[1:], strict=False)):
            low, high = values[0], values[-1]
            return z3.And(var >= low, var <= high, (var - low) % step == 0)
    return z3.Or([var == v for v in values])


def feasible_bounds(
    space: SearchSpace,
    target_mb: float,
    cost_model: CostModel | None = None,
    base: StudentSpec | None = None,
) -> PrunedBounds:
    """Bounds of each size gene over the models of ``space`` with size ≤ ``target_mb`` (errors when none).

    The size follows ``cost_model`` (default: the spec's own position table, single head). Size fields without
    a gene take ``base``'s value; a ``max_position_embeddings`` gene sets the positions under the ``spec``
    convention, Compressor's convention counts 514 and AVATAR's clone convention twice max_seq_len.
    """
    if not target_mb > 0:
        raise ValueError(f"Expected target_mb > 0, got {target_mb}")
    cm = cost_model or CostModel(size_convention="spec", flops_convention="spec")
    if cm.size_convention == "avatar_single" and cm.seq_len is None:
        raise ValueError("avatar_single size convention: use 'spec' (the same table) for pruning")
    start = time.perf_counter()
    fields = (base or DEFAULT_BASE).to_dict()
    genes = {g.field: g for g in space.genes if g.is_spec_field}
    var: dict[str, Any] = {}
    solver = z3.Solver()
    for name in (*SIZE_FIELDS, "max_position_embeddings", "type_vocab_size"):
        if name in genes:
            var[name] = z3.Int(name)
            solver.add(_domain(var[name], genes[name]))
        else:
            var[name] = int(fields[name])
    k = z3.Int("heads_multiple")
    solver.add(k >= 1, var["hidden_size"] == var["num_attention_heads"] * k)
    if cm.seq_len is not None:
        positions: Any = cm.seq_len
    elif cm.size_convention == "compressor":
        positions = 514
    elif cm.size_convention == "avatar_clone":
        positions = 2 * (var["max_position_embeddings"] - 2)
    else:
        positions = var["max_position_embeddings"]
    params = param_count_expr(SimpleNamespace(**var), positions, cm.head)
    # params × 4 / 1e6 ≤ target  ⇔  params × 4 ≤ target × 1e6 (kept in integers: floor of the right side).
    solver.add(params * 4 <= int(target_mb * 1e6))
    checks = 1
    if solver.check() != z3.sat:
        raise ValueError(f"no model of the search space fits target_mb {target_mb:g} MB")
    bounds: dict[str, list[Any]] = {}
    for name, gene in genes.items():
        if name not in var or not isinstance(var[name], z3.ArithRef):
            continue
        values = sorted({int(gene.value_for_field(j)) for j in range(len(gene.values))})
        lo_i, n = _extreme(solver, var[name], values, lowest=True)
        hi_i, m = _extreme(solver, var[name], values, lowest=False)
        checks += n + m
        off = gene.offset
        bounds[gene.name] = [values[lo_i] - off, values[hi_i] - off]
    return PrunedBounds(bounds, checks, time.perf_counter() - start)


def _extreme(solver: z3.Solver, x: z3.ArithRef, values: list[int], lowest: bool) -> tuple[int, int]:
    """Index of the lowest (highest) value v with a model where x ≤ v (x ≥ v): a binary search, and its checks."""
    lo, hi, checks = 0, len(values) - 1, 0
    while lo < hi:
        mid = (lo + hi) // 2 if lowest else (lo + hi + 1) // 2
        solver.push()
        solver.add(x <= values[mid] if lowest else x >= values[mid])
        sat = solver.check() == z3.sat
        solver.pop()
        checks += 1
        if lowest:
            lo, hi = (lo, mid) if sat else (mid + 1, hi)
        else:
            lo, hi = (mid, hi) if sat else (lo, mid - 1)
    return lo, checks
