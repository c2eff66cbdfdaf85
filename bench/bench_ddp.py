"""A short Hinton KD fit on 1 vs 2 CPU processes (DDP, gloo): training samples/s of each, in one run.

    python bench/bench_ddp.py                       # 1,024 BCB pairs, 1 epoch, batch 32 per process
    python bench/bench_ddp.py --train 1024 --out bench/results/ddp.md

Both fits run ``train.py fit --config lightning_configs/bigclonebench/hinton.yaml`` as a user would, with the
FidelityCallback and checkpointing off, after a warm-up fit that caches the teacher's logits (so neither pays
for them). Samples/s = training examples seen by all ranks / wall time of the training epoch (measured by
`bench.epoch_timer.EpochTimer`, rank 0, after a barrier). On a 2-core machine the two processes share the same
cores as one process with 2 threads, so DDP is not expected to win here; the point of the DDP path is
correctness (tests/kd/test_ddp.py) and multi-GPU / multi-node machines.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("METACOMPRESS_SHARED", ROOT.parent / "shared"))


def fit(tmp: Path, name: str, devices: int, train: int, batch: int, threads: int) -> dict:
    out = tmp / f"{name}.json"
    args = [
        sys.executable,
        str(ROOT / "train.py"),
        "fit",
        "--config",
        str(ROOT / "lightning_configs/bigclonebench/hinton.yaml"),
        "--trainer.callbacks=[]",
        "--trainer.callbacks+=bench.epoch_timer.EpochTimer",
        f"--trainer.callbacks.out={out}",
        "--trainer.enable_checkpointing=false",
        "--trainer.max_epochs=1",
        "--trainer.limit_val_batches=0",
        "--trainer.limit_test_batches=0",
        "--trainer.enable_progress_bar=false",
        f"--trainer.default_root_dir={tmp / name}",
        "--trainer.accelerator=cpu",
        f"--trainer.devices={devices}",
        f"--trainer.strategy={'ddp' if devices > 1 else 'auto'}",
        "--model.teacher.source=" + str(SHARED / "models/compressor-3mb/clone"),
        "--model.student.tokenizer=" + str(SHARED / "models/compressor-3mb/clone/tokenizer.json"),
        f"--model.export_dir={tmp / name / 'model'}",
        "--data.data_dir=" + str(SHARED / "data/bigclonebench"),
        f"--data.max_train_examples={train}",
        "--data.max_eval_examples=64",
        f"--data.batch_size={batch}",
    ]
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        OMP_NUM_THREADS=str(threads),
        MLFLOW_TRACKING_URI=f"sqlite:///{tmp}/mlflow.db",
    )
    proc = subprocess.run(args, cwd=tmp, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{name} fit failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
    return json.loads(out.read_text())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", type=int, default=1024)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    cores = os.cpu_count() or 1
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-ddp-") as name:
        tmp = Path(name)
        print("warm-up fit (teacher cache)...", flush=True)
        fit(tmp, "warm", 1, args.train, args.batch_size, cores)
        one = fit(tmp, "one", 1, args.train, args.batch_size, cores)
        two = fit(tmp, "two", 2, args.train, args.batch_size, max(1, cores // 2))
    load_after = os.getloadavg()
    rows = [("1 process", cores, one), ("2 processes (DDP, gloo)", max(1, cores // 2), two)]
    lines = [
        f"# DDP on CPU: 1 vs 2 processes ({args.train} BCB pairs, 1 epoch, batch {args.batch_size} per process)",
        "",
        f"Command: `python bench/bench_ddp.py --train {args.train} --batch-size {args.batch_size}`; "
        f"{cores} CPUs; load average {load_before[0]:.1f} before, {load_after[0]:.1f} after.",
        "",
        "| fit | threads per process | epoch s | samples/s | ratio vs 1 process |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, threads, r in rows:
        lines.append(
            f"| {label} | {threads} | {r['seconds']:.1f} | {r['samples_per_s']:.1f} | "
            f"{r['samples_per_s'] / one['samples_per_s']:.2f}x |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
