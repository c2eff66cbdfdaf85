"""A/B of the per-step speed options on the same real batches, interleaved in one process.

The bench student (L4-H64-A4-I128, teacher's tokenizer) on length-bucketed BigCloneBench distillation batches
(batch 16 pairs, max length 400). Forward + loss + backward of the whole (2B, L) batch in these variants, each a
student with the same seed-0 initial weights:

- default: transformers' ``sdpa`` attention with the spec's attention dropout 0.1 (what a fit runs);
- ``eager`` attention (transformers' explicit matmul-softmax-dropout-matmul);
- bf16 autocast (``torch.autocast("cpu", dtype=torch.bfloat16)``);
- ``torch.set_flush_denormal(True)``;
- attention dropout 0: with no dropout, PyTorch's CPU ``scaled_dot_product_attention`` can use its fused
  (flash) kernel instead of the math path that materialises every (2B, heads, L, L) score, probability and
  dropout-mask tensor. This is a different model (no attention dropout), listed to show what that path costs;
- ``--grouped``: :meth:`CodeClassifier.forward_grouped` (up to 8 encoder calls; what a fit runs since session 7);
- ``--compile``: ``torch.compile`` (compiled during the warm-up, outside the clock).

Then one AdamW step with PyTorch's default (per-tensor loop on CPU), ``foreach=True`` and ``fused=True``. Each
repetition runs every variant once on the same batches, in alternating order, after one warm-up step each
outside the clock; the table gives the median and range of the seconds per batch, the ratio of medians to the
default, and the padded share of encoded positions.

    python bench/ab_distill_step.py --batches 2 --reps 3 --grouped
"""

from __future__ import annotations

import argparse
import importlib
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
importlib.import_module(
    "kd"
)  # before torch: OMP_WAIT_POLICY (kd/__init__.py), as in the kd CLI and the bench

import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_distill import DATA, ROOT, STUDENT, TEACHER  # noqa: E402

sys.path.insert(0, str(ROOT))
from tokenizers import Tokenizer  # noqa: E402

from kd.data.datamodules import CloneDetectionDataModule  # noqa: E402
from kd.losses import kd_kl_loss  # noqa: E402
from kd.models.classifier import CodeClassifier, padded_positions  # noqa: E402
from kd.models.io import from_config  # noqa: E402


def padding(batches: list[dict[str, torch.Tensor]], grouped: bool) -> float:
    lengths = [b["attention_mask"].sum(1).tolist() for b in batches]
    return 1 - sum(map(sum, lengths)) / sum(padded_positions(x, grouped) for x in lengths)


def fit_step(
    model: CodeClassifier, batches: list[dict[str, torch.Tensor]], target: torch.Tensor, how: str
) -> None:
    """Forward + loss + backward of every batch, as the training step does, in the variant ``how``."""
    for b in batches:
        ids, mask = b["input_ids"], b["attention_mask"]
        if how == "length-grouped":
            logits = model.forward_grouped(ids, mask)
        elif how == "bf16 autocast":
            with torch.autocast("cpu", dtype=torch.bfloat16):
                logits = model(ids, mask)
        else:
            logits = model(ids, mask)
        kd_kl_loss(logits.float(), target[: len(logits)], 1.0).backward()


def students(tok: Tokenizer, grouped: bool, compiled: bool) -> dict[str, tuple[CodeClassifier, str]]:
    """Variant name → (student, how its step runs); every student has the same seed-0 initial weights."""

    def build(**overrides: object) -> CodeClassifier:
        torch.manual_seed(0)
        return from_config(STUDENT.to_roberta_config(**overrides), 2, tok)

    out = {
        "default: sdpa attention, attention dropout 0.1": (build(), "plain"),
        "eager attention": (build(attn_implementation="eager"), "plain"),
        "bf16 autocast": (build(), "bf16 autocast"),
        "flush denormals": (build(), "denormals"),
        "attention dropout 0 (sdpa fused kernel; a different model)": (
            build(attention_probs_dropout_prob=0.0),
            "plain",
        ),
    }
    if grouped:
        out["length-grouped forward (up to 8 encoder calls)"] = (build(), "length-grouped")
    if compiled:
        out["torch.compile (inductor)"] = (torch.compile(build()), "plain")  # type: ignore[arg-type]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batches", type=int, default=2)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--grouped", action="store_true", help="also the length-grouped forward")
    ap.add_argument("--compile", action="store_true", help="also torch.compile (compiled outside the clock)")
    ap.add_argument("--no-optim", action="store_true", help="skip the AdamW variants")
    ap.add_argument(
        "--profile", action="store_true", help="also torch.profiler's top operators of the default step"
    )
    args = ap.parse_args()
    tok = Tokenizer.from_file(str(TEACHER / "tokenizer.json"))
    dm = CloneDetectionDataModule(str(DATA), batch_size=16, max_train_examples=256, cache_tokens=False)
    batches = [b for _, b in zip(range(args.batches), dm.loader("distill", tok, shuffle=True), strict=False)]
    torch.manual_seed(0)
    target = torch.randn(len(batches[0]["labels"]), 2)
    variants = students(tok, args.grouped, args.compile)
    for model, how in variants.values():  # warm-up outside the clock (allocator, compilation)
        torch.set_flush_denormal(how == "denormals")
        fit_step(model, batches[:1], target, how)
    torch.set_flush_denormal(False)
    student = variants["default: sdpa attention, attention dropout 0.1"][0]
    times: dict[str, list[float]] = {}
    loads = []
    for rep in range(args.reps):
        loads.append(os.getloadavg()[0])
        names = list(variants) if rep % 2 == 0 else list(variants)[::-1]
        for name in names:
            model, how = variants[name]
            torch.set_flush_denormal(how == "denormals")
            start = time.perf_counter()
            fit_step(model, batches, target, how)
            times.setdefault(f"forward + backward, {name}", []).append(
                (time.perf_counter() - start) / len(batches)
            )
            torch.set_flush_denormal(False)
        if args.no_optim:
            continue
        kinds = [("default", {}), ("foreach", {"foreach": True}), ("fused", {"fused": True})]
        for name, kw in kinds if rep % 2 == 0 else kinds[::-1]:
            opt = torch.optim.AdamW(student.parameters(), lr=1e-4, **kw)  # type: ignore[arg-type]
            opt.step()  # state initialised outside the clock
            start = time.perf_counter()
            for _ in range(10):
                opt.step()
            times.setdefault(f"AdamW step, {name}", []).append((time.perf_counter() - start) / 10)
    if args.profile:
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU]) as prof:
            fit_step(student, batches, target, "plain")
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))
    shapes = ", ".join("×".join(map(str, b["input_ids"].shape)) for b in batches)
    print(
        f"\n{args.batches} batches of 16 pairs (input_ids {shapes}), {args.reps} interleaved repetitions, "
        f"{torch.get_num_threads()} torch threads, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}; "
        f"load average {statistics.median(loads):.1f} (range {min(loads):.1f}–{max(loads):.1f}); padding "
        f"{100 * padding(batches, False):.1f} % whole batch, {100 * padding(batches, True):.1f} % length-grouped\n"
    )
    base = statistics.median(times["forward + backward, default: sdpa attention, attention dropout 0.1"])
    print("| variant | seconds per batch / step, median (range) | vs default |\n|---|---|---:|")
    for name, values in times.items():
        rel = f"{statistics.median(values) / base:.2f}×" if name.startswith("forward") else ""
        print(f"| {name} | {statistics.median(values):.3f} ({min(values):.3f}–{max(values):.3f}) | {rel} |")


if __name__ == "__main__":
    main()
