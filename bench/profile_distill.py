"""Where a distillation fit's time goes: the phase breakdown behind bench/results/distill_profile.md.

Runs the same fit as ``bench/bench_distill.py`` (Hinton KD, imported 3 MB Compressor clone teacher, student
L4-H64-A4-I128, the first ``--n`` pairs of BigCloneBench ``unlabeled_train.txt``, batch 16, one epoch) with a cold
teacher/token cache and a fresh MLflow sqlite store, and times each phase by wrapping the functions that do it
with an *exclusive* wall-clock timer (a phase's time excludes the timed phases it calls, so the rows add up to
the total). Imports are done before the clock starts. ``--torch-profiler`` also records the run with
``torch.profiler`` and prints its top operators by self CPU time; ``--baseline`` switches off the speed options
(token cache, fused AdamW, grouped forward) to measure what they save.

    python bench/profile_distill.py --n 256
    python bench/profile_distill.py --n 256 --baseline
    python bench/profile_distill.py --n 2048
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_distill import ROOT, fit_cli  # noqa: E402

from kd.models.classifier import padded_positions  # noqa: E402

sys.path.insert(0, str(ROOT))
import lightning as L  # noqa: E402
import mlflow  # noqa: E402
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore  # noqa: E402

import kd.modules  # noqa: E402
from kd.data import token_cache  # noqa: E402
from kd.data.datamodules import CodeDataModule  # noqa: E402
from kd.data.encoding import CodeEncoder  # noqa: E402
from kd.data.splits import Collator  # noqa: E402
from kd.distill import DistillationModule  # noqa: E402
from kd.models import inference  # noqa: E402
from kd.modules import ClassifierModule  # noqa: E402


class PhaseTimer:
    """Exclusive wall time per phase: nested timed calls are charged to their own phase only."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.calls: Counter[str] = Counter()
        self._stack: list[list[Any]] = []  # [phase, start, time spent in nested timed calls]
        self.record_function = False

    def wrap(self, owner: Any, name: str, phase: str) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            self._stack.append([phase, time.perf_counter(), 0.0])
            try:
                if self.record_function:
                    with torch.profiler.record_function(f"phase:{phase}"):
                        return original(*args, **kwargs)
                return original(*args, **kwargs)
            finally:
                _, start, nested = self._stack.pop()
                spent = time.perf_counter() - start
                self.seconds[phase] += spent - nested
                self.calls[phase] += 1
                if self._stack:
                    self._stack[-1][2] += spent

        setattr(owner, name, timed)


PHASES = [
    ("set-up: config parsing, class instantiation", "set-up"),
    ("MLflow store creation (fresh sqlite: schema migrations)", "mlflow-store"),
    ("MLflow run creation, tags, params, config artifact, metrics", "mlflow-calls"),
    ("data: read functions.jsonl and pair files", "data-read"),
    ("student build (tokenizer, random init)", "student-build"),
    ("teacher cache: load teacher, hash its files", "teacher-load"),
    ("teacher cache: teacher forward over distinct functions", "teacher-forward"),
    ("tokenisation (incl. token-cache read/write)", "tokenise"),
    ("data loading: loader set-up, bucketing, batch collation", "data-loading"),
    ("student forward + loss", "forward"),
    ("backward", "backward"),
    ("optimiser step, zero_grad, LR schedule", "optimiser"),
    ("logging (self.log)", "logging"),
    ("Lightning loop, hooks, callbacks (the rest of trainer.fit)", "loop"),
]


def instrument(timer: PhaseTimer) -> None:
    timer.wrap(SqlAlchemyStore, "__init__", "mlflow-store")
    for name in (
        "create_run",
        "set_tag",
        "log_batch",
        "log_param",
        "log_metric",
        "log_text",
        "set_terminated",
        "update_run",
        "get_experiment_by_name",
        "create_experiment",
        "get_run",
    ):
        timer.wrap(mlflow.MlflowClient, name, "mlflow-calls")
    timer.wrap(CodeDataModule, "split", "data-read")
    timer.wrap(ClassifierModule, "build", "student-build")
    timer.wrap(DistillationModule, "teacher", "teacher-load")
    timer.wrap(DistillationModule, "cached_teacher_logits", "teacher-load")
    timer.wrap(inference, "embed_texts", "teacher-forward")
    timer.wrap(CodeEncoder, "_content", "tokenise")
    timer.wrap(token_cache, "load_or_encode", "tokenise")
    timer.wrap(CodeDataModule, "loader", "data-loading")
    timer.wrap(Collator, "__call__", "data-loading")
    timer.wrap(DistillationModule, "training_step", "forward")
    timer.wrap(L.LightningModule, "backward", "backward")
    timer.wrap(L.LightningModule, "log", "logging")
    timer.wrap(torch.optim.AdamW, "step", "optimiser")
    timer.wrap(torch.optim.Optimizer, "zero_grad", "optimiser")
    timer.wrap(torch.optim.lr_scheduler.LambdaLR, "step", "optimiser")


def padding_fraction(batches: list[dict[str, torch.Tensor]], grouped: bool) -> float:
    """Padded share of the token positions the student encodes (per length group when ``grouped``)."""
    lengths = [batch["attention_mask"].sum(1).tolist() for batch in batches]
    total = sum(padded_positions(x, grouped) for x in lengths)
    return 1 - sum(map(sum, lengths)) / total if total else 0.0


def print_padding(n: int, batch_size: int) -> None:
    """Padded share of encoded positions for the fit's first epoch: unbucketed, bucketed, bucketed + grouped."""
    from bench_distill import DATA, TEACHER
    from tokenizers import Tokenizer

    from kd.data.datamodules import CloneDetectionDataModule

    tok = Tokenizer.from_file(str(TEACHER / "tokenizer.json"))
    shares = {}
    for bucket in (False, True):
        dm = CloneDetectionDataModule(
            str(DATA),
            batch_size=batch_size,
            max_train_examples=n,
            bucket_by_length=bucket,
            cache_tokens=False,
        )
        torch.manual_seed(0)
        batches = list(dm.loader("distill", tok, shuffle=True))
        shares["random batches" if not bucket else "length-bucketed"] = padding_fraction(batches, False)
        if bucket:
            shares["length-bucketed + grouped forward"] = padding_fraction(batches, True)
    print(f"n = {n}, batch {batch_size}: " + "; ".join(f"{k} {100 * v:.1f} %" for k, v in shares.items()))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=256, help="distillation pairs (one epoch)")
    ap.add_argument("--batch-size", type=int, default=16)
    ap.add_argument(
        "--baseline", action="store_true", help="token cache, fused AdamW and the grouped forward off"
    )
    ap.add_argument("--torch-profiler", action="store_true", help="also print torch.profiler's top operators")
    ap.add_argument(
        "--padding-only", action="store_true", help="only the padding of the fit's batches, no training"
    )
    args = ap.parse_args()
    if args.padding_only:
        print_padding(args.n, args.batch_size)
        return
    if args.baseline:
        kd.modules.fused_supported = lambda params: False  # type: ignore[assignment]
        kd.modules.ClassifierModule.grouped_forward = False  # one (2B, L) encoder call per batch
    timer = PhaseTimer()
    instrument(timer)
    batches: list[dict[str, torch.Tensor]] = []
    record_collate = Collator.__call__

    def keep(self: Collator, indices: Any) -> dict[str, torch.Tensor]:
        batch = record_collate(self, indices)
        batches.append(batch)
        return batch

    Collator.__call__ = keep  # type: ignore[method-assign]
    load0 = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        prof = None
        if args.torch_profiler:
            timer.record_function = True
            prof = torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU])
            prof.__enter__()
        start = time.perf_counter()
        timer._stack.append(["set-up", start, 0.0])
        cli = fit_cli(args.n, args.batch_size, workdir, epochs=1, cache_tokens=not args.baseline)
        fit_start = time.perf_counter()
        _, s0, nested = timer._stack.pop()
        timer.seconds["set-up"] += fit_start - s0 - nested
        before_fit = sum(timer.seconds.values())
        cli.trainer.fit(cli.model, datamodule=cli.datamodule)
        fit_s = time.perf_counter() - fit_start
        total = time.perf_counter() - start
        if prof is not None:
            prof.__exit__(None, None, None)
    load1 = os.getloadavg()
    inside_fit = sum(timer.seconds.values()) - before_fit
    timer.seconds["loop"] = max(0.0, fit_s - inside_fit)
    steps = timer.calls["forward"]
    mode = "baseline (speed options off)" if args.baseline else "current (speed options on)"
    print(
        f"\n### n = {args.n} pairs, batch {args.batch_size}, one epoch, cold caches — {mode}\n\n"
        f"{steps} steps; total {total:.1f} s (set-up {fit_start - start:.1f} s + trainer.fit {fit_s:.1f} s); "
        f"{args.n / total:.2f} pairs/s; torch threads {torch.get_num_threads()}; load average "
        f"{load0[0]:.1f} at start, {load1[0]:.1f} at end (1-min), {os.cpu_count()} CPUs; student padding "
        f"{100 * padding_fraction(batches, kd.modules.ClassifierModule.grouped_forward):.1f} % of encoded "
        "positions\n"
    )
    print("| phase | seconds | share | calls |\n|---|---:|---:|---:|")
    for label, key in PHASES:
        s = timer.seconds.get(key, 0.0)
        calls = "" if key == "loop" else str(timer.calls.get(key, 0) or "")
        print(f"| {label} | {s:.2f} | {100 * s / total:.1f} % | {calls} |")
    accounted = sum(timer.seconds.get(k, 0.0) for _, k in PHASES)
    print(f"| **total** | **{total:.2f}** | (rows sum to {accounted:.2f}) | |")
    if steps:
        per = {k: timer.seconds.get(k, 0.0) / steps for k in ("forward", "backward", "optimiser", "logging")}
        print("\nper training step (s): " + ", ".join(f"{k} {v:.3f}" for k, v in per.items()))
    if prof is not None:
        print("\n```\n" + prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15) + "\n```")


if __name__ == "__main__":
    main()
