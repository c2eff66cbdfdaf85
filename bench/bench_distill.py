"""Distillation throughput: metacompress KD fit vs a minimal plain-PyTorch loop, side by side in one run.

Teacher: the imported 3 MB Compressor clone model; student: a smaller RoBERTa; data: BigCloneBench
``unlabeled_train.txt`` (the first ``--n`` pairs). The plain loop runs the teacher forward every step
and pads every function to 400 tokens (as the reference code does). metacompress computes teacher
outputs once (cached, de-duplicated by function) and pads dynamically with length bucketing; its
time *includes* computing that cache from scratch.

    python bench/bench_distill.py --n 1024 --batch-size 16
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

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


def plain_loop(n: int, batch_size: int, max_length: int = 400) -> float:
    """Samples/s of the reference-style loop: fixed padding, teacher forward every step."""
    teacher = import_compressor(TEACHER)
    split = CloneDetectionDataModule(str(DATA), max_train_examples=n).split("distill")
    enc = CodeEncoder(teacher.tokenizer, max_length)
    torch.manual_seed(0)
    student = from_config(STUDENT.to_roberta_config(), 2, teacher.tokenizer)
    opt = torch.optim.AdamW(student.parameters(), lr=1e-4)
    teacher.model.eval()
    start = time.perf_counter()
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
    return len(split) / (time.perf_counter() - start)


def metacompress_fit(n: int, batch_size: int, workdir: Path) -> float:
    os.environ["METACOMPRESS_CACHE"] = str(workdir / "cache")  # cold cache: teacher pass is timed
    steps = (n + batch_size - 1) // batch_size
    spec = ", ".join(
        f'"{k}": {v}'
        for k, v in STUDENT.to_dict().items()
        if k in ("vocab_size", "num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size")
    )
    args = [
        "fit",
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
        "--trainer.accelerator",
        "cpu",
        "--trainer.max_steps",
        str(steps),
        "--trainer.limit_val_batches",
        "0",
        "--trainer.enable_progress_bar",
        "false",
        "--trainer.enable_checkpointing",
        "false",
        "--trainer.default_root_dir",
        str(workdir / "runs"),
        "--test_after_fit",
        "false",
        "--trainer.logger.init_args.tracking_uri",
        f"sqlite:///{workdir}/mlflow.db",
    ]
    start = time.perf_counter()
    KDCLI(args=args)
    return n / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1024, help="distillation pairs (one epoch)")
    ap.add_argument("--batch-size", type=int, default=16)
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    with tempfile.TemporaryDirectory() as tmp:
        ours = metacompress_fit(args.n, args.batch_size, Path(tmp))
        plain = plain_loop(args.n, args.batch_size)
    print(
        f"\n| loop | samples/s |\n|---|---|\n| plain PyTorch (teacher every step, pad to 400) | {plain:.2f} |"
        f"\n| metacompress fit (cached teacher, dynamic padding) | {ours:.2f} |\n\nratio: {ours / plain:.2f}× "
        f"(n={args.n}, batch {args.batch_size}, {torch.get_num_threads()} threads; target ≥ 1.5×)"
    )


if __name__ == "__main__":
    main()
