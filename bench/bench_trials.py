"""The same tiny search trials run sequentially, with the local process pool and with Ray: wall-time ratios.

    python bench/bench_trials.py                  # 4 trials x (256 BCB pairs, 1 epoch), 2 workers
    python bench/bench_trials.py --trials 4 --train 256 --eval 128 --out bench/results/trials.md

Each trial is a real AVATAR/MORPH-style trial (`kd.search.trials.run_trial` in its own process): a tiny student
distilled (AVATAR's trial module, T²·KL) from the imported 3 MB Compressor clone model on a BigCloneBench slice. The teacher's
logits are cached by a warm-up trial first, so no launcher pays for them. Launchers run one after the other in
this process (sequential = local launcher with 1 worker; local pool = 2 workers; Ray = a private local Ray
instance with 2 CPUs, 1 CPU per trial); each gets fresh trial directories. Ray's start-up (``ray.init``) is
reported apart and included in its wall time. Per-trial overhead = the trial process's wall time minus the
time `run_trial` itself reports (interpreter start, imports, result hand-back).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("METACOMPRESS_SHARED", ROOT.parent / "shared"))


def trials(n: int, train: int, evals: int, seed0: int) -> list:
    from kd.search.trials import Trial

    teacher = SHARED / "models" / "compressor-3mb" / "clone"
    module = {
        "class_path": "kd.methods.avatar.AvatarKD",  # what an AVATAR trial fits: T²·KL on cached teacher logits
        "init_args": {"task": "clone", "teacher": {"source": str(teacher)}, "efficiency_examples": 0},
    }
    data = {
        "class_path": "kd.data.datamodules.CloneDetectionDataModule",
        "init_args": {
            "data_dir": str(SHARED / "data" / "bigclonebench"),
            "batch_size": 32,
            "max_length": 256,
            "max_train_examples": train,
            "max_eval_examples": evals,
            "num_workers": 0,
        },
    }
    out = []
    for i in range(n):
        spec = {
            "vocab_size": 1000,
            "num_hidden_layers": 1 + i % 2,
            "hidden_size": 32,
            "num_attention_heads": 2,
            "intermediate_size": 64,
        }
        out.append(
            Trial(
                spec=spec,
                hparams={},
                module=module,
                data=data,
                epochs=1,
                seed=seed0 + i,
                metric="val/acc",
                student={"tokenizer": str(teacher / "tokenizer.json")},
            )
        )
    return out


def run(launcher, workers: int, items: list, root: Path) -> tuple[float, list, float]:
    """(wall s, results, mean per-trial overhead s = trial process wall - run_trial's own seconds)."""
    from kd.search.trials import TrialRunner

    started = time.perf_counter()
    results = TrialRunner(root, launcher, workers=workers, progress=False).run(items)
    wall = time.perf_counter() - started
    ok = [r.seconds for r in results if r.ok]
    overhead = statistics.mean(launcher.task_seconds) - statistics.mean(ok) if ok else float("nan")
    return wall, results, overhead


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=4)
    ap.add_argument("--train", type=int, default=256)
    ap.add_argument("--eval", type=int, default=128)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=None, help="write a markdown report here")
    args = ap.parse_args()
    if not (SHARED / "data" / "bigclonebench").is_dir():
        print(f"../shared not found at {SHARED} (set METACOMPRESS_SHARED)", file=sys.stderr)
        return 2

    from kd.search.trials import LocalLauncher

    load_before = os.getloadavg()
    rows: list[tuple[str, float, list, float, float]] = []
    with tempfile.TemporaryDirectory(prefix="bench-trials-") as tmp:
        base = Path(tmp)
        print("warm-up trial (caches teacher logits and tokenizer)...", flush=True)
        _, warm, _ = run(LocalLauncher(), 1, trials(1, args.train, args.eval, 1000), base / "warm")
        if not warm[0].ok:
            print(f"warm-up trial failed:\n{warm[0].error}", file=sys.stderr)
            return 1
        items = trials(args.trials, args.train, args.eval, 0)
        for name, workers in [("sequential", 1), ("local pool", args.workers)]:
            print(f"{name}...", flush=True)
            wall, results, overhead = run(LocalLauncher(), workers, items, base / name.replace(" ", "_"))
            rows.append((name, wall, results, overhead, 0.0))
        try:
            import ray

            from kd.search.ray_launcher import RayLauncher
        except ImportError:
            print("Ray not installed (pip install -e '.[distributed]'): Ray row skipped", flush=True)
        else:
            print("ray...", flush=True)
            t0 = time.perf_counter()
            ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
            init_s = time.perf_counter() - t0
            launcher = RayLauncher(num_cpus=1)
            wall, results, overhead = run(launcher, args.workers, items, base / "ray")
            rows.append(("ray", wall + init_s, results, overhead, init_s))
            ray.shutdown()
    load_after = os.getloadavg()

    seq = rows[0][1]
    lines = [
        f"# Search trials: sequential vs local pool vs Ray ({args.trials} trials, {args.workers} workers)",
        "",
        f"Command: `python bench/bench_trials.py --trials {args.trials} --train {args.train} --eval {args.eval}"
        f" --workers {args.workers}`; machine: {os.cpu_count()} CPUs, load average (1/5/15 min) "
        f"{load_before[0]:.1f}/{load_before[1]:.1f}/{load_before[2]:.1f} before, "
        f"{load_after[0]:.1f}/{load_after[1]:.1f}/{load_after[2]:.1f} after.",
        "",
        "Each trial: AVATAR's trial module (T²·KL) from the 3 MB Compressor clone model into a 1-2 layer x 32 hidden student, "
        f"{args.train} BigCloneBench train pairs, {args.eval} validation pairs, 1 epoch.",
        "",
        "| launcher | wall s | speed-up vs sequential | trials ok | mean trial s (run_trial) | "
        "mean per-trial overhead s | start-up s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    report = {}
    for name, wall, results, overhead, init_s in rows:
        ok = [r for r in results if r.ok]
        fit_s = statistics.mean(r.seconds for r in ok) if ok else float("nan")
        report[name] = {
            "wall_s": wall,
            "ok": len(ok),
            "fit_s": fit_s,
            "overhead_s": overhead,
            "init_s": init_s,
        }
        lines.append(
            f"| {name} | {wall:.1f} | {seq / wall:.2f}x | {len(ok)}/{len(results)} | {fit_s:.1f} | "
            f"{overhead:.1f} | {init_s:.1f} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    print(json.dumps(report, indent=1))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
