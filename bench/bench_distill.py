"""Distillation throughput: metacompress KD fit vs a minimal plain-PyTorch loop, interleaved repetitions.

Teacher: the imported 3 MB Compressor clone model; student: L4-H64-A4-I128 (teacher's tokenizer); data:
BigCloneBench ``unlabeled_train.txt`` (the first ``--n`` pairs), batch 16, two epochs. The plain loop runs the
teacher forward every step and pads every function to 400 tokens (as the reference code does), with
PyTorch's default AdamW. metacompress computes the teacher's outputs once (cached, de-duplicated by function),
tokenises through its token cache and pads dynamically with length bucketing.

Both loops are timed from the same point (after imports) and report two figures per repetition:

- **cold**: set-up + epoch 1 — for metacompress: CLI parsing, a fresh MLflow store and run, an empty teacher and
  token cache (so the teacher pass and tokenisation are timed); for the plain loop: loading the teacher and the
  data, building the student;
- **warm**: epoch 2 alone (steady state: caches filled, the plain loop still runs its teacher every step).

Repetitions alternate which loop runs first; the table gives the median and range of each loop's pairs/s and
of the per-repetition ratio (metacompress / plain, measured side by side), and the machine's load average
before each run, since other jobs on a shared machine slow both loops.

    python bench/bench_distill.py --n 256 --batch-size 16 --reps 3
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
# the kd package first, as the kd CLI imports it: it sets OMP_WAIT_POLICY before torch loads OpenMP (kd/__init__.py);
# both loops run in this process, so both get it
importlib.import_module("kd")

import lightning as L  # noqa: E402
import torch  # noqa: E402

from kd.cli import KDCLI  # noqa: E402
from kd.data.datamodules import CloneDetectionDataModule  # noqa: E402
from kd.data.encoding import CodeEncoder  # noqa: E402
from kd.losses import kd_kl_loss  # noqa: E402
from kd.models.io import from_config, import_compressor  # noqa: E402
from kd.spec import StudentSpec  # noqa: E402

SHARED = Path(os.environ.get("METACOMPRESS_SHARED", ROOT.parent / "shared"))
TEACHER = SHARED / "models" / "compressor-3mb" / "clone"
DATA = SHARED / "data" / "bigclonebench"
STUDENT = StudentSpec(
    vocab_size=1000, num_hidden_layers=4, hidden_size=64, num_attention_heads=4, intermediate_size=128
)


def plain_loop(n: int, batch_size: int, epochs: int = 2, max_length: int = 400) -> list[float]:
    """Seconds to the end of each epoch of the reference-style loop (set-up included in the first)."""
    start = time.perf_counter()
    teacher = import_compressor(TEACHER)
    split = CloneDetectionDataModule(str(DATA), max_train_examples=n).split("distill")
    enc = CodeEncoder(teacher.tokenizer, max_length)
    torch.manual_seed(0)
    student = from_config(STUDENT.to_roberta_config(), 2, teacher.tokenizer)
    opt = torch.optim.AdamW(student.parameters(), lr=1e-4)
    teacher.model.eval()
    marks = []
    for _ in range(epochs):
        for b in range(0, len(split), batch_size):
            texts = [t for i in range(b, min(b + batch_size, len(split))) for t in split.texts(i)]
            ids = [s + [enc.pad_id] * (max_length - len(s)) for s in enc.encode_many(texts)]  # fixed length
            input_ids = torch.tensor(ids)
            mask = input_ids.ne(enc.pad_id).long()
            with torch.no_grad():
                t_logits = teacher.model(input_ids, mask)
            loss = kd_kl_loss(student(input_ids, mask), t_logits, 1.0)
            opt.zero_grad()
            loss.backward()
            opt.step()
        marks.append(time.perf_counter() - start)
    return marks


def fit_cli(n: int, batch_size: int, workdir: Path, epochs: int = 2, cache_tokens: bool = True) -> KDCLI:
    """The metacompress fit, configured (``KDCLI(run=False)``) but not run; caches and MLflow under ``workdir``."""
    os.environ["METACOMPRESS_CACHE"] = str(workdir / "cache")  # cold cache: teacher pass is timed
    keys = ("vocab_size", "num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size")
    spec = ", ".join(f'"{k}": {v}' for k, v in STUDENT.to_dict().items() if k in keys)
    args = [
        "--seed_everything",
        "0",
        "--model",
        "kd.methods.vanilla.HintonKD",
        "--model.task",
        "clone",
        "--model.temperature",
        "1.0",
        "--model.teacher",
        f'{{"source": "{TEACHER}"}}',
        "--model.student",
        f'{{"spec": {{{spec}}}, "tokenizer": "{TEACHER / "tokenizer.json"}"}}',
        "--data",
        "kd.data.datamodules.CloneDetectionDataModule",
        "--data.data_dir",
        str(DATA),
        "--data.batch_size",
        str(batch_size),
        "--data.max_train_examples",
        str(n),
        "--data.cache_tokens",
        str(cache_tokens).lower(),
        "--trainer.accelerator",
        "cpu",
        "--trainer.max_epochs",
        str(epochs),
        "--trainer.limit_val_batches",
        "0",
        "--trainer.enable_progress_bar",
        "false",
        "--trainer.enable_model_summary",
        "false",
        "--trainer.enable_checkpointing",
        "false",
        "--trainer.default_root_dir",
        str(workdir / "runs"),
        "--trainer.logger.init_args.tracking_uri",
        f"sqlite:///{workdir}/mlflow.db",
    ]
    return KDCLI(args=args, run=False)


class EpochMarks(L.Callback):
    """Seconds from ``start`` to the end of each training epoch."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.marks: list[float] = []

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        self.marks.append(time.perf_counter() - self.start)


def metacompress_fit(n: int, batch_size: int, workdir: Path, epochs: int = 2) -> list[float]:
    """Seconds to the end of each epoch of the metacompress fit (set-up and cold caches in the first)."""
    start = time.perf_counter()
    cli = fit_cli(n, batch_size, workdir, epochs)
    marks = EpochMarks(start)
    cli.trainer.callbacks.append(marks)
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    return marks.marks


def _summary(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=256, help="distillation pairs per epoch")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument("--reps", type=int, default=3, help="interleaved repetitions of both loops")
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    rows: dict[str, dict[str, list[float]]] = {
        "metacompress": {"cold": [], "warm": []},
        "plain": {"cold": [], "warm": []},
    }
    loads: list[float] = []
    for rep in range(args.reps):
        order = ["metacompress", "plain"] if rep % 2 == 0 else ["plain", "metacompress"]
        for name in order:
            loads.append(os.getloadavg()[0])
            if name == "plain":
                marks = plain_loop(args.n, args.batch_size)
            else:
                with tempfile.TemporaryDirectory() as tmp:
                    marks = metacompress_fit(args.n, args.batch_size, Path(tmp))
            rows[name]["cold"].append(args.n / marks[0])
            rows[name]["warm"].append(args.n / (marks[1] - marks[0]))
            print(
                f"rep {rep + 1} {name}: cold {marks[0]:.1f} s, warm epoch {marks[1] - marks[0]:.1f} s "
                f"(load {loads[-1]:.1f})",
                flush=True,
            )
    ratio: dict[str, list[float]] = {
        k: [a / b for a, b in zip(rows["metacompress"][k], rows["plain"][k], strict=True)]
        for k in ("cold", "warm")
    }
    out: list[Any] = [
        f"\nn = {args.n} pairs, batch {args.batch_size}, {args.reps} interleaved repetitions, "
        f"{torch.get_num_threads()} torch threads, {os.cpu_count()} CPUs; 1-min load average before each run: "
        f"median {statistics.median(loads):.1f} (range {min(loads):.1f}–{max(loads):.1f})\n",
        "| pairs/s, median (range) | cold: set-up + epoch 1 | warm: epoch 2 |",
        "|---|---|---|",
        f"| plain PyTorch (teacher every step, pad to 400) | {_summary(rows['plain']['cold'])} "
        f"| {_summary(rows['plain']['warm'])} |",
        f"| metacompress fit (cached teacher and tokens, dynamic padding) | "
        f"{_summary(rows['metacompress']['cold'])} | {_summary(rows['metacompress']['warm'])} |",
        f"| **ratio** (per repetition) | **{_summary(ratio['cold'])}×** | **{_summary(ratio['warm'])}×** |",
    ]
    print("\n".join(out))


if __name__ == "__main__":
    main()
