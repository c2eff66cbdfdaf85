"""Benchmark: fit wall time with vs without the FidelityCallback (default settings) on BigCloneBench.

    python bench/bench_callback.py                      # ~10-20 min on 2 CPU cores
    python bench/bench_callback.py --n-train 512 --n-probe 50 --epochs 1   # a quick look

Teacher: the imported Compressor 3 MB clone model (../shared/models/compressor-3mb/clone); student: a
2-layer, hidden-64 encoder on the teacher's BPE, distilled with Hinton KD on a slice of BigCloneBench.
Three timed fits, side by side, after an untimed warm-up fit that caches the teacher's distillation
outputs (so no timed fit pays for them):

1. without the callback;
2. with the callback and an empty probe cache: pays the one-time probe building (transforms, attacks
   against the teacher, one teacher pass) plus the per-checkpoint cost;
3. with the callback and the probe cache from fit 2: the per-checkpoint cost only (student on the
   probe, relations, MLflow metrics and report artifacts).

Prints the times, both ratios, the probe build time and the per-checkpoint seconds.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import lightning as L  # noqa: E402
import torch  # noqa: E402
from lightning.pytorch.loggers import MLFlowLogger  # noqa: E402

from fidelity.callback import FidelityCallback  # noqa: E402
from kd.data.datamodules import CloneDetectionDataModule  # noqa: E402
from kd.methods.vanilla import HintonKD  # noqa: E402
from kd.models.ref import FreshModel, ModelRef  # noqa: E402
from kd.spec import StudentSpec  # noqa: E402

SHARED = Path(os.environ.get("METACOMPRESS_SHARED", ROOT.parent / "shared"))
TEACHER = SHARED / "models" / "compressor-3mb" / "clone"
DATA = SHARED / "data" / "bigclonebench"
STUDENT = StudentSpec(
    vocab_size=1000, num_hidden_layers=2, hidden_size=64, num_attention_heads=4, intermediate_size=128
)


def fit(
    args: argparse.Namespace, work: Path, name: str, callback: FidelityCallback | None, max_steps: int = -1
) -> tuple[float, L.Trainer]:
    torch.manual_seed(0)
    module = HintonKD(
        ModelRef(str(TEACHER)), FreshModel(STUDENT, str(TEACHER / "tokenizer.json")), temperature=1.0, lr=5e-4
    )
    data = CloneDetectionDataModule(
        str(DATA),
        batch_size=32,
        max_length=args.max_length,
        max_train_examples=args.n_train,
        max_eval_examples=args.n_val,
    )
    logger = MLFlowLogger(
        experiment_name="bench-callback",
        run_name=name,
        tracking_uri=f"sqlite:///{work}/mlflow.db",
        artifact_location=(work / "art").as_uri(),
    )
    trainer = L.Trainer(
        accelerator="cpu",
        max_epochs=args.epochs,
        max_steps=max_steps,
        logger=logger,
        callbacks=[callback] if callback else [],
        enable_progress_bar=False,
        enable_model_summary=False,
        default_root_dir=work / name,
        num_sanity_val_steps=0,
        enable_checkpointing=True,
    )
    start = time.perf_counter()
    trainer.fit(module, datamodule=data)
    return time.perf_counter() - start, trainer


def callback(args: argparse.Namespace) -> FidelityCallback:
    kwargs: dict[str, Any] = {"n_probe": args.n_probe, "progress": False}
    if args.attack_queries is not None:
        kwargs["attack_max_queries"] = args.attack_queries
    return FidelityCallback(**kwargs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-train", type=int, default=2048, help="distillation pairs")
    parser.add_argument("--n-val", type=int, default=500, help="validation pairs (probe drawn from them)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--max-length", type=int, default=400)
    parser.add_argument("--n-probe", type=int, default=200, help="FidelityCallback default: 200")
    parser.add_argument("--attack-queries", type=int, default=None, help="default: the callback's (100)")
    args = parser.parse_args()
    if not TEACHER.is_dir() or not DATA.is_dir():
        raise SystemExit(f"needs {TEACHER} and {DATA} (set METACOMPRESS_SHARED)")
    with tempfile.TemporaryDirectory(prefix="bench-callback-") as tmp:
        work = Path(tmp)
        os.environ["METACOMPRESS_CACHE"] = str(work / "cache")
        fit(args, work, "warmup", None, max_steps=1)  # caches the teacher's distillation outputs
        base, _ = fit(args, work, "without", None)
        cold_cb, warm_cb = callback(args), callback(args)
        cold, _ = fit(args, work, "with-cold-probe", cold_cb)
        warm, trainer = fit(args, work, "with-cached-probe", warm_cb)
    assert cold_cb.probe is not None
    n_fu = sum(len(f.examples) for f in cold_cb.probe.followups.values())
    per_check = warm_cb.seconds
    print(
        f"\nBigCloneBench slice: {args.n_train} distill pairs, {args.n_val} val pairs, {args.epochs} epochs, "
        f"{trainer.global_step} steps, torch threads {torch.get_num_threads()}, {os.cpu_count()} CPUs"
    )
    print(
        f"probe: {len(cold_cb.probe.originals)} originals, {n_fu} follow-ups "
        f"({len(cold_cb.probe.followups)} sets), built in {cold_cb.probe.build_seconds:.1f}s"
    )
    print(f"{'fit':<34}{'seconds':>10}{'ratio':>10}")
    print(f"{'without callback':<34}{base:>10.1f}{1.0:>10.3f}")
    print(f"{'with callback, probe built':<34}{cold:>10.1f}{cold / base:>10.3f}")
    print(f"{'with callback, probe cached':<34}{warm:>10.1f}{warm / base:>10.3f}")
    print(
        f"per-checkpoint evaluation: {len(per_check)} runs, "
        + ", ".join(f"{s:.2f}s" for s in per_check)
        + f" (mean {sum(per_check) / max(len(per_check), 1):.2f}s)"
    )
    report = warm_cb.report_seconds
    print(
        "  of which MLflow report (CSV, figures, Markdown/HTML, upload): "
        + ", ".join(f"{s:.2f}s" for s in report)
    )
    print(
        f"steady-state overhead: {100 * (warm / base - 1):+.1f}% (target <= +5%); "
        f"first fit incl. probe building: {100 * (cold / base - 1):+.1f}%"
    )


if __name__ == "__main__":
    main()
