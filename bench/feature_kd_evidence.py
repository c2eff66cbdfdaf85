"""Feature-based / correlation KD (PKD, CKD, DIST) against the Hinton baseline on BigCloneBench, side by side.

    PYTHONPATH=. python bench/feature_kd_evidence.py --limit-train 384 --limit-val 64 --n-test 400 \\
        --epochs 1 --max-length 64 --lr 2e-3

Fits ``lightning_configs/bigclonebench/{hinton,dist,pkd,ckd}.yaml`` one after another in this process (KDCLI),
all with the same overrides: teacher = the imported 3 MB Compressor clone model, the configs' student
(4 layers × 64), ``--limit-train`` distillation pairs, ``--epochs``, ``--max-length``, seed 0, CPU. The
FidelityCallback runs at each validation on ``--n-probe`` validation pairs (transforms; attacks off unless
``--n-attack`` > 0) and the last validation's ``fidelity/all`` agreement violation and student flip rate are
reported with their number of (original, follow-up) pairs. Then each exported student and the teacher predict
the first ``--n-test`` test pairs: accuracy (Wilson 95 % interval), F1 (2,000-resample bootstrap percentile
interval), agreement with the teacher (Wilson), and the paired accuracy difference to Hinton (bootstrap).
Training time per epoch is the sum of the training steps' wall time (validation and the fidelity probe
excluded), measured in this one process. Writes ``bench/results/feature_kd_bigclonebench.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

import lightning as L
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fidelity.stats import wilson  # noqa: E402
from kd.cli import KDCLI  # noqa: E402
from kd.data.datamodules import CloneDetectionDataModule  # noqa: E402
from kd.data.encoding import CodeEncoder  # noqa: E402
from kd.models.inference import predict_logits  # noqa: E402
from kd.models.io import load_classifier, load_model_dir  # noqa: E402

METHODS = ("hinton", "dist", "pkd", "ckd")
TEACHER = "../shared/models/compressor-3mb/clone"
DATA_DIR = "../shared/data/bigclonebench"


class StepTimer(L.Callback):
    """Wall seconds of the training steps (forward, backward, optimiser) per epoch; validation excluded."""

    def __init__(self) -> None:
        self.per_epoch: dict[int, float] = {}
        self._start = 0.0

    def on_train_batch_start(self, trainer: L.Trainer, *args: Any) -> None:
        self._start = time.perf_counter()

    def on_train_batch_end(self, trainer: L.Trainer, *args: Any) -> None:
        epoch = trainer.current_epoch
        self.per_epoch[epoch] = self.per_epoch.get(epoch, 0.0) + time.perf_counter() - self._start


def fit(method: str, args: argparse.Namespace) -> dict[str, Any]:
    run_root = args.root / method
    export = run_root / "model"
    cli_args = [
        "fit",
        "--config",
        str(ROOT / "lightning_configs" / "bigclonebench" / f"{method}.yaml"),
        "--trainer.default_root_dir",
        str(run_root),
        "--model.init_args.export_dir",
        str(export),
        "--test_after_fit",
        "false",
        "--trainer.enable_progress_bar",
        "false",
        "--trainer.accelerator",
        "cpu",
        "--trainer.max_epochs",
        str(args.epochs),
        "--data.init_args.max_train_examples",
        str(args.limit_train),
        "--data.init_args.max_eval_examples",
        str(args.limit_val),
        "--data.init_args.max_length",
        str(args.max_length),
        "--data.init_args.batch_size",
        str(args.batch_size),
        "--model.init_args.lr",
        str(args.lr),
        "--trainer.logger.init_args.tracking_uri",
        f"sqlite:///{args.root}/mlflow.db",
        "--trainer.logger.init_args.experiment_name",
        "feature_kd_evidence",
        # the config's last callback is the FidelityCallback
        f"--trainer.callbacks.n_probe={args.n_probe}",
        "--trainer.callbacks.progress=false",
        *(
            [
                f"--trainer.callbacks.n_attack={args.n_attack}",
                f"--trainer.callbacks.attack_max_queries={args.attack_queries}",
            ]
            if args.n_attack
            else ["--trainer.callbacks.attacks=[]"]
        ),
        "--trainer.callbacks+=bench.feature_kd_evidence.StepTimer",
    ]
    torch.manual_seed(0)
    start = time.perf_counter()
    cli = KDCLI(args=cli_args)
    wall = time.perf_counter() - start
    trainer = cli.trainer
    timer = next(c for c in trainer.callbacks if type(c).__name__ == "StepTimer")  # type: ignore[attr-defined]
    fid = next(c for c in trainer.callbacks if type(c).__name__ == "FidelityCallback")  # type: ignore[attr-defined]
    row = fid.last.table["all"]
    return {
        "export": str(export),
        "wall_s": wall,
        "epoch_s": [timer.per_epoch[e] for e in sorted(timer.per_epoch)],
        "steps": trainer.global_step,
        "train_pairs": len(cli.datamodule.split("distill")),
        "agreement_violation": float(row["agreement_violation"]),
        "flip_rate_student": float(row["flip_rate_student"]),
        "flip_rate_teacher": float(row["flip_rate_teacher"]),
        "fidelity_pairs": int(row["n_pairs"]),
        "mlflow_run": getattr(trainer.logger, "run_id", None),
    }


def step_times(args: argparse.Namespace) -> dict[str, float]:
    """Median wall seconds of one training step (forward, teacher pass where live, loss, backward) per method.

    The methods run on the same batch of distillation pairs, interleaved with a rotating order over
    ``--timing-repeats`` rounds (round 0 warms up), so a change in machine load hits every method alike."""
    from kd.methods.feature import ContextualKD, DistKD, PatientKD
    from kd.methods.vanilla import HintonKD
    from kd.models.ref import FreshModel, ModelRef
    from kd.spec import StudentSpec

    spec = StudentSpec(
        vocab_size=1000, num_hidden_layers=4, hidden_size=64, num_attention_heads=4, intermediate_size=128
    )
    teacher, student = ModelRef(TEACHER), FreshModel(spec, f"{TEACHER}/tokenizer.json")
    common: dict[str, Any] = {"temperature": 1.0, "lr": args.lr}
    modules: dict[str, Any] = {
        "hinton": HintonKD(teacher, student, **common),
        "dist": DistKD(teacher, student, **common),
        "pkd": PatientKD(teacher, student, **common),
        "ckd": ContextualKD(teacher, student, **common),
    }
    dm = CloneDetectionDataModule(DATA_DIR, max_train_examples=args.limit_train, max_length=args.max_length)
    split = dm.split("distill")
    rows = list(range(32))
    texts = [t for i in rows for t in split.texts(i)]
    logits = None
    for m in modules.values():
        m.configure_model()
        m.log = lambda *a, **k: None  # outside a Trainer: no logging
        if logits is None:
            logits = m.teacher_predict([split.texts(i) for i in rows], args.max_length)
        m.teacher_logits = logits
    batch = dm.encoder_for(modules["hinton"].tokenizer).batch(texts)
    batch["labels"] = torch.tensor([split.items[i][1] for i in rows])
    batch["index"] = torch.tensor(rows)
    times: dict[str, list[float]] = {k: [] for k in modules}
    names = list(modules)
    for r in range(args.timing_repeats + 1):
        for k in names[r % len(names) :] + names[: r % len(names)]:
            m = modules[k]
            m.zero_grad(set_to_none=True)
            start = time.perf_counter()
            m.training_step(batch, 0).backward()
            if r:
                times[k].append(time.perf_counter() - start)
    return {k: float(np.median(v)) for k, v in times.items()}


def f1(pred: np.ndarray, y: np.ndarray) -> float:
    tp = int(((pred == 1) & (y == 1)).sum())
    wrong = int((pred != y).sum())
    return 2 * tp / (2 * tp + wrong) if tp else 0.0


def evaluate(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> dict[str, Any]:
    dm = CloneDetectionDataModule(DATA_DIR, max_eval_examples=args.n_test, max_length=args.max_length)
    split = dm.split("test")
    examples = [split.texts(i) for i in range(len(split))]
    y = split.labels().numpy()
    teacher = load_classifier(TEACHER, 2)
    t_enc = CodeEncoder(teacher.tokenizer, args.max_length)  # the length the students learned its outputs at
    preds = {"teacher": predict_logits(teacher.model, t_enc, examples).argmax(-1)}
    for m, r in results.items():
        loaded = load_model_dir(r["export"])
        enc = CodeEncoder(loaded.tokenizer, args.max_length)
        preds[m] = predict_logits(loaded.model, enc, examples).argmax(-1)
    p = {k: v.numpy() for k, v in preds.items()}
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(y), (2000, len(y)))
    out: dict[str, Any] = {"n_test": len(y)}
    for name, pred in p.items():
        ok = pred == y
        f1s = [f1(pred[i], y[i]) for i in idx]
        agree = pred == p["teacher"]
        entry = {
            "acc": wilson(int(ok.sum()), len(y)),
            "f1": (f1(pred, y), *np.percentile(f1s, [2.5, 97.5])),
            "agree": wilson(int(agree.sum()), len(y)),
        }
        if name not in ("teacher", "hinton") and "hinton" in p:
            base_ok = p["hinton"] == y
            diffs = ok[idx].mean(1) - base_ok[idx].mean(1)
            entry["diff_vs_hinton"] = (float(ok.mean() - base_ok.mean()), *np.percentile(diffs, [2.5, 97.5]))
        out[name] = entry
    return out


def report(results: dict[str, dict[str, Any]], ev: dict[str, Any], args: argparse.Namespace, cmd: str) -> str:
    lines = [
        "# Feature-based and correlation KD vs Hinton KD on BigCloneBench (small CPU run)",
        "",
        f"Command: `{cmd}`",
        "",
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU threads shared with other "
        f"jobs, torch {torch.__version__}. Teacher = the imported 3 MB Compressor clone model ({TEACHER}). Every "
        "student: the configs' fresh 4-layer × 64 RoBERTa on the teacher's 1,000-token BPE, "
        f"lr {args.lr:g}, T = 1, seed 0, "
        f"{results[next(iter(results))]['train_pairs']} distillation pairs (unlabeled_train slice), "
        f"{args.epochs} epochs, max length {args.max_length}, batch {args.batch_size}; validation {args.limit_val} pairs. "
        f"Fidelity: FidelityCallback on {args.n_probe} validation pairs (Java transforms"
        + (f", attacks on {args.n_attack}" if args.n_attack else ", no attacks")
        + "), last validation, `fidelity/all`. Test: the first "
        f"{ev['n_test']} test pairs (teacher and students at length {args.max_length}).",
        "",
        "| method | test acc [95% CI] | test F1 [95% CI] | agreement with teacher [95% CI] | acc − Hinton [95% CI] "
        "| agreement violation | student flip rate | fidelity pairs | train s/epoch | s/epoch ÷ Hinton |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    t = ev["teacher"]
    lines.append(
        f"| teacher | {t['acc'].format()} | {t['f1'][0]:.3f} [{t['f1'][1]:.3f}, {t['f1'][2]:.3f}] | – | – | – "
        f"| {results[next(iter(results))]['flip_rate_teacher']:.3f} (teacher) | – | – | – |"
    )
    base = float(np.mean(results["hinton"]["epoch_s"])) if "hinton" in results else float("nan")
    for m, r in results.items():
        e = ev[m]
        d = e.get("diff_vs_hinton")
        diff = f"{d[0]:+.3f} [{d[1]:+.3f}, {d[2]:+.3f}]" if d else "–"
        per_epoch = float(np.mean(r["epoch_s"]))
        lines.append(
            f"| {m} | {e['acc'].format()} | {e['f1'][0]:.3f} [{e['f1'][1]:.3f}, {e['f1'][2]:.3f}] "
            f"| {e['agree'].format()} | {diff} | {r['agreement_violation']:.3f} | {r['flip_rate_student']:.3f} "
            f"| {r['fidelity_pairs']} | {per_epoch:.1f} | {per_epoch / base:.2f}× |"
        )
    lines += [
        "",
        f"n = {ev['n_test']} test pairs for every row. Accuracy and agreement intervals: Wilson; F1 and the paired "
        "accuracy difference: percentile bootstrap over the test pairs (2,000 resamples). Agreement violation and "
        "flip rates are rates over the fidelity pairs (the pairs are not independent, so no interval is given).",
        "",
    ]
    return "\n".join(lines)


TIMING = "## Training step time, interleaved"


def with_timing(text: str, times: dict[str, float], args: argparse.Namespace, cmd: str) -> str:
    """``text`` with its step-time section (re)written from ``times``."""
    base = times["hinton"]
    lines = [
        TIMING,
        "",
        f"Command: `{cmd}`. One batch of 32 distillation pairs (64 functions, max length {args.max_length}): "
        "forward, the live teacher pass (PKD, CKD), loss and backward, the methods interleaved with a rotating "
        f"order, median of {args.timing_repeats} rounds after a warm-up round. These ratios are the time figures to "
        "compare; the per-epoch seconds in the table above come from fits run one after another while the machine's "
        "load changed.",
        "",
        "| method | s per step (median) | ÷ Hinton |",
        "|---|---|---|",
        *(f"| {k} | {v:.2f} | {v / base:.2f}× |" for k, v in times.items()),
        "",
    ]
    head = text.split(TIMING)[0].rstrip("\n")
    return head + "\n\n" + "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--methods", nargs="+", choices=METHODS, default=list(METHODS))
    p.add_argument("--limit-train", type=int, default=384)
    p.add_argument("--limit-val", type=int, default=64)
    p.add_argument("--n-test", type=int, default=400)
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--max-length", type=int, default=64)
    p.add_argument("--n-probe", type=int, default=40)
    p.add_argument("--batch-size", type=int, default=32, help="training batch (the configs' value)")
    p.add_argument("--lr", type=float, default=5e-4, help="every method's learning rate (the configs': 5e-4)")
    p.add_argument("--n-attack", type=int, default=0)
    p.add_argument("--attack-queries", type=int, default=20)
    p.add_argument("--timing-repeats", type=int, default=5, help="interleaved rounds of the step timing")
    p.add_argument("--timing-only", action="store_true", help="only (re)measure step times into --out")
    p.add_argument("--root", type=Path, default=ROOT / "runs" / "evidence" / "feature_kd")
    p.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "feature_kd_bigclonebench.md")
    args = p.parse_args()
    args.root = args.root.resolve()
    os.chdir(ROOT)  # the configs' ../shared paths are relative to the repository root
    cmd = "PYTHONPATH=. python bench/feature_kd_evidence.py " + " ".join(sys.argv[1:])
    if args.timing_only:
        args.out.write_text(with_timing(args.out.read_text(), step_times(args), args, cmd))
        print(args.out.read_text())
        return
    results: dict[str, dict[str, Any]] = {}
    for m in args.methods:
        results[m] = fit(m, args)
        print(json.dumps({m: results[m]}, default=str), flush=True)
    ev = evaluate(results, args)
    text = with_timing(report(results, ev, args, cmd), step_times(args), args, cmd)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
