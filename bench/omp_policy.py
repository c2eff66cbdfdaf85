"""A/B of the OpenMP wait policy on the bench student's training step, in alternating fresh processes.

The policy is read by the OpenMP runtime when torch loads it, so each variant is its own process: ``default``
imports torch before the kd package (the runtime's default policy: idle threads spin, then sleep), ``passive``
imports kd first, which sets ``OMP_WAIT_POLICY=PASSIVE`` (``kd/__init__.py``). Each process times forward +
loss + backward of the bench student (L4-H64-A4-I128, as ``bench/ab_distill_step.py``) on the same 2 real
length-bucketed batches, with 2 and 1 torch threads (one warm-up step outside the clock); processes alternate
``default``/``passive`` for ``--reps`` rounds. The machine's load average is printed, since the policy matters
when other processes compete for the cores.

    python bench/omp_policy.py --reps 2
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def child(policy: str) -> None:
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    if policy == "default":
        importlib.import_module("torch")  # before kd: the runtime starts with its default policy
    importlib.import_module("kd")  # sets OMP_WAIT_POLICY=PASSIVE unless set (too late when torch came first)

    import torch
    from bench_distill import DATA, STUDENT, TEACHER
    from tokenizers import Tokenizer

    from kd.data.datamodules import CloneDetectionDataModule
    from kd.losses import kd_kl_loss
    from kd.models.io import from_config

    tok = Tokenizer.from_file(str(TEACHER / "tokenizer.json"))
    dm = CloneDetectionDataModule(str(DATA), batch_size=16, max_train_examples=256, cache_tokens=False)
    batches = [b for _, b in zip(range(2), dm.loader("distill", tok, shuffle=True), strict=False)]
    torch.manual_seed(0)
    model = from_config(STUDENT.to_roberta_config(), 2, tok)
    target = torch.randn(16, 2)

    def step() -> float:
        start = time.perf_counter()
        for b in batches:
            kd_kl_loss(model(b["input_ids"], b["attention_mask"]), target, 1.0).backward()
        return (time.perf_counter() - start) / len(batches)

    step()
    out = {}
    for threads in (2, 1):
        torch.set_num_threads(threads)
        out[f"{threads} threads"] = step()
    print(json.dumps(out))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--child", choices=("default", "passive"))
    args = ap.parse_args()
    if args.child:
        child(args.child)
        return
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    times: dict[str, list[float]] = {}
    loads = []
    for rep in range(args.reps):
        for policy in ("default", "passive") if rep % 2 == 0 else ("passive", "default"):
            loads.append(os.getloadavg()[0])
            out = subprocess.run(
                [sys.executable, __file__, "--child", policy],
                env=env,
                capture_output=True,
                text=True,
                check=True,
            )
            for name, seconds in json.loads(out.stdout.strip().splitlines()[-1]).items():
                times.setdefault(f"{policy}, {name}", []).append(seconds)
            print(policy, out.stdout.strip().splitlines()[-1], f"(load {loads[-1]:.1f})", flush=True)
    print(
        f"\n{args.reps} alternating rounds, {os.cpu_count()} CPUs; 1-min load average before each process: median "
        f"{statistics.median(loads):.1f} (range {min(loads):.1f}–{max(loads):.1f})\n"
    )
    print("| OpenMP wait policy, torch threads | seconds per batch (fwd + bwd), median (range) |\n|---|---|")
    for name, values in sorted(times.items()):
        print(f"| {name} | {statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f}) |")


if __name__ == "__main__":
    main()
