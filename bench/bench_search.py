"""Compressor GA benchmark: time, chosen spec, size and GFLOPs per target size and seed.

Run: `PYTHONPATH=. python bench/bench_search.py [--seeds 5] [--generations 100]`. Prints one row per
(target, seed); per target, the paper's published architecture scored with the same fitness, and the exact
optimum of the fitness over all 10.9M genomes of COMPRESSOR_SPACE (vectorised `kd.cost` formulas), so the GA's
gap to the optimum is visible.
The GA is Compressor's own, so its result varies a lot with the seed; the table shows by how much. Row `rK`:
`search_compressor(..., seed=0, restarts=K)`, the fittest of seeds 0..K-1 (what `search.restarts` does in a
config). `--max-layers 3` bounds the depth as the shipped Compressor configs do.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from kd.search import (
    COMPRESSOR_SPACE,
    SearchResult,
    compressor_fitness,
    exhaustive_compressor,
    search_compressor,
)
from kd.spec import StudentSpec

PAPER = {
    3.0: StudentSpec(
        vocab_size=1000, num_hidden_layers=12, hidden_size=96, num_attention_heads=8, intermediate_size=64
    ),
    25.0: StudentSpec(
        vocab_size=1000, num_hidden_layers=6, hidden_size=432, num_attention_heads=16, intermediate_size=128
    ),
    50.0: StudentSpec(
        vocab_size=6000, num_hidden_layers=6, hidden_size=480, num_attention_heads=16, intermediate_size=576
    ),
}


def print_row(target: float, label: int | str, r: SearchResult) -> None:
    print(
        f"{target:>6} {label:>4} {r.seconds:>7.2f} {r.spec.name:<24} {r.size_mb:>8.3f} {r.gflops:>7.3f} "
        f"{r.fitness:>8.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--targets", type=float, nargs="+", default=[0.5, 3.0, 25.0, 50.0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--population", type=int, default=50)
    parser.add_argument("--generations", type=int, default=100)
    parser.add_argument("--restarts", type=int, default=4, help="K of the best-of-K row (0: no such row)")
    parser.add_argument("--max-layers", type=int, help="bound num_hidden_layers to [1, N] (a latency bound)")
    args = parser.parse_args()
    space = (
        COMPRESSOR_SPACE.restrict({"num_hidden_layers": [1, args.max_layers]})
        if args.max_layers
        else COMPRESSOR_SPACE
    )
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(
        f"{'target':>6} {'seed':>4} {'seconds':>7} {'spec':<24} {'size_mb':>8} {'gflops':>7} {'fitness':>8}"
    )
    for target in args.targets:
        for seed in range(args.seeds):
            r = search_compressor(
                target, space, population=args.population, generations=args.generations, seed=seed
            )
            print_row(target, seed, r)
        if args.restarts > 1:
            r = search_compressor(
                target, space, args.population, args.generations, seed=0, restarts=args.restarts
            )
            print_row(target, f"r{args.restarts}", r)
        if target in PAPER and not args.max_layers:
            spec = PAPER[target]
            print(
                f"{target:>6} {'paper':>4} {'':>7} {spec.name:<24} {'':>8} {'':>7} {compressor_fitness(spec, target):>8.3f}"
            )
        start = time.perf_counter()
        opt, best = exhaustive_compressor(target, space)
        name = opt.name
        print(
            f"{target:>6} {'opt':>4} {time.perf_counter() - start:>7.2f} {name:<24} {'':>8} {'':>7} {best:>8.3f}"
        )


if __name__ == "__main__":
    main()
