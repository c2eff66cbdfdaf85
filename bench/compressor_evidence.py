"""Compressor on real data: fit (or reuse) a searched student, then compare it with its teacher side by side.

    python bench/compressor_evidence.py --task clone --limit-train 1500 --epochs 1 --max-length 128

Reports the chosen spec, size (MB, parameters × 4 bytes), GFLOPs (Compressor's formula, s = 514), accuracy and
F1 of teacher and student on the full test split, the student's accuracy as % of the teacher's, and CPU
latency measured in one process with interleaved repeats (median):

- end to end: ``predict_logits`` on the first ``--latency-examples`` test examples with fresh encoders, each
  model at its own evaluation length (tokenisation included);
- model only: the same padded batch of test functions (teacher tokenizer, length 400) through each encoder.

The table and the exact command go to ``bench/results/compressor_<task>.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kd import cost  # noqa: E402
from kd.cli import KDCLI  # noqa: E402
from kd.cost import Head  # noqa: E402
from kd.data.datamodules import CloneDetectionDataModule, DefectDataModule  # noqa: E402
from kd.data.encoding import CodeEncoder  # noqa: E402
from kd.models.inference import predict_logits  # noqa: E402
from kd.models.io import LoadedModel, load_classifier, load_model_dir  # noqa: E402
from kd.modules import n_inputs_for  # noqa: E402
from kd.spec import StudentSpec  # noqa: E402

CONFIG_DIR = {"clone": "bigclonebench", "vulnerability": "devign"}


def fit_student(args: argparse.Namespace, config: Path, run_root: Path) -> tuple[Path, dict[str, Any]]:
    """Run the config's fit in-process (KDCLI) with this script's budget; returns the export dir + facts."""
    export = run_root / "model"
    cli_args = [
        "fit",
        "--config",
        str(config),
        "--trainer.default_root_dir",
        str(run_root),
        "--model.init_args.export_dir",
        str(export),
        "--test_after_fit",
        "false",
        "--trainer.enable_progress_bar",
        "false",
        "--trainer.max_epochs",
        str(args.epochs),
    ]
    if args.limit_train:
        cli_args += ["--data.init_args.max_train_examples", str(args.limit_train)]
    if args.limit_val:
        cli_args += ["--data.init_args.max_eval_examples", str(args.limit_val)]
    if args.max_length:
        cli_args += ["--data.init_args.max_length", str(args.max_length)]
    if args.lr:
        cli_args += ["--model.init_args.lr", str(args.lr)]
    start = time.perf_counter()
    cli = KDCLI(args=cli_args)
    module, trainer = cli.model, cli.trainer
    facts = {
        "fit_seconds": time.perf_counter() - start,
        "steps": trainer.global_step,
        "train_pairs_or_functions": len(cli.datamodule.split("distill")),
        "best_val_acc": float(getattr(trainer.checkpoint_callback, "best_model_score", None) or float("nan")),
        "search_seconds": module.search_result.seconds if module.search_result else None,
        "mlflow_run": getattr(trainer.logger, "run_id", None),
    }
    return export, facts


def metrics(logits: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    pred = logits.argmax(-1)
    tp = int(((pred == 1) & (labels == 1)).sum())
    fp, fn = int(((pred == 1) & (labels == 0)).sum()), int(((pred == 0) & (labels == 1)).sum())
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    return {"acc": float((pred == labels).float().mean()), "f1": f1}


def latency(
    teacher: LoadedModel,
    student: LoadedModel,
    examples: list[tuple[str, ...]],
    t_len: int,
    s_len: int,
    repeats: int,
) -> dict[str, float]:
    """Interleaved medians (seconds): end-to-end predict_logits and model-only embed on one padded batch."""
    torch.manual_seed(0)
    t_e2e: list[float] = []
    s_e2e: list[float] = []
    t_model: list[float] = []
    s_model: list[float] = []
    texts = list(dict.fromkeys(t for ex in examples for t in ex))[:32]
    enc = CodeEncoder(teacher.tokenizer, 400)
    ids, mask = enc.pad(enc.encode_many(texts))  # the same (32, ≤400) batch for both encoders
    ids = ids.clamp_max(student.tokenizer.get_vocab_size() - 1)  # ids of the other vocabulary: timing only
    for r in range(repeats + 1):  # repeat 0 is a warm-up
        order = [(teacher, t_len, t_e2e, t_model), (student, s_len, s_e2e, s_model)]
        for model, length, e2e, only in order if r % 2 == 0 else order[::-1]:
            start = time.perf_counter()
            predict_logits(model.model, CodeEncoder(model.tokenizer, length), examples)
            mid = time.perf_counter()
            with torch.inference_mode():
                model.model.eval().embed(ids, mask)
            if r:
                e2e.append(mid - start)
                only.append(time.perf_counter() - mid)
    return {
        "teacher_e2e": statistics.median(t_e2e),
        "student_e2e": statistics.median(s_e2e),
        "teacher_model": statistics.median(t_model),
        "student_model": statistics.median(s_model),
        "n_functions_model": len(texts),
    }


def describe(model: LoadedModel, head: Head) -> dict[str, Any]:
    params = cost.actual_param_count(model.model)
    spec = StudentSpec.from_roberta_config(model.model.encoder.config)
    return {
        "spec": spec.name,
        "params": params,
        "size_mb": params * 4 / 1e6,
        "gflops": cost.gflops(spec, 514),
        "formula_mb": cost.size_mb(spec, 514, head=head),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", choices=sorted(CONFIG_DIR), required=True)
    p.add_argument("--config", type=Path, help="default lightning_configs/<task dir>/compressor.yaml")
    p.add_argument("--student", type=Path, help="reuse an exported student dir instead of fitting")
    p.add_argument("--limit-train", type=int, help="max distillation examples (the config's when omitted)")
    p.add_argument("--limit-val", type=int, help="max validation examples (the config's when omitted)")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--max-length", type=int, help="student tokens per function (train and eval)")
    p.add_argument("--lr", type=float, help="student learning rate (the config's when omitted)")
    p.add_argument("--latency-examples", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--run-root", type=Path, help="default runs/evidence/compressor_<task>")
    p.add_argument("--out", type=Path, help="default bench/results/compressor_<task>.md")
    args = p.parse_args()
    os.chdir(ROOT)  # the configs' relative paths (../shared, runs/) are relative to the repo root
    config = args.config or ROOT / "lightning_configs" / CONFIG_DIR[args.task] / "compressor.yaml"
    cfg = yaml.safe_load(config.read_text())
    run_root = args.run_root or ROOT / "runs" / "evidence" / f"compressor_{args.task}"
    facts: dict[str, Any] = {}
    export = args.student
    if export is None:
        export, facts = fit_student(args, config, run_root)
    data_cls = CloneDetectionDataModule if args.task == "clone" else DefectDataModule
    dm = data_cls(cfg["data"]["init_args"]["data_dir"])
    test = dm.split("test")
    examples, labels = [test.texts(i) for i in range(len(test))], test.labels()
    n_inputs = n_inputs_for(args.task)
    teacher = load_classifier(cfg["model"]["init_args"]["teacher"]["source"], n_inputs)
    student = load_model_dir(export)
    s_len = args.max_length or int(cfg["data"]["init_args"].get("max_length", 400))
    t0 = time.perf_counter()
    t_logits = predict_logits(teacher.model, CodeEncoder(teacher.tokenizer, 400), examples, progress=True)
    t1 = time.perf_counter()
    s_logits = predict_logits(student.model, CodeEncoder(student.tokenizer, s_len), examples, progress=True)
    t2 = time.perf_counter()
    lat = latency(teacher, student, examples[: args.latency_examples], 400, s_len, args.repeats)
    head: Head = "pair" if n_inputs == 2 else "single"
    report = {
        "task": args.task,
        "n_test": len(examples),
        "teacher": describe(teacher, head),
        "student": describe(student, head),
        "teacher_metrics": metrics(t_logits, labels),
        "student_metrics": metrics(s_logits, labels),
        "agreement": float((t_logits.argmax(-1) == s_logits.argmax(-1)).float().mean()),
        "full_test_seconds": (t1 - t0, t2 - t1),
        "latency": lat,
        "fit": facts,
        "s_len": s_len,
        "command": " ".join(["python", "bench/compressor_evidence.py", *sys.argv[1:]]),
        "export": os.path.relpath(export, ROOT),
    }
    text = render(report)
    out = args.out or ROOT / "bench" / "results" / f"compressor_{args.task}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)


def render(r: dict[str, Any]) -> str:
    t, s, tm, sm, lat = r["teacher"], r["student"], r["teacher_metrics"], r["student_metrics"], r["latency"]
    rows = [
        ("architecture", t["spec"], s["spec"], ""),
        (
            "size MB (params × 4 B)",
            f"{t['size_mb']:.3f}",
            f"{s['size_mb']:.3f}",
            f"student = 1/{t['size_mb'] / s['size_mb']:.2f} of teacher",
        ),
        (
            "GFLOPs (Compressor formula, s = 514)",
            f"{t['gflops']:.3f}",
            f"{s['gflops']:.3f}",
            f"{t['gflops'] / s['gflops']:.2f}×",
        ),
        (
            f"test accuracy (n = {r['n_test']})",
            f"{tm['acc']:.4f}",
            f"{sm['acc']:.4f}",
            f"student = {100 * sm['acc'] / tm['acc']:.1f} % of teacher",
        ),
        ("test F1", f"{tm['f1']:.4f}", f"{sm['f1']:.4f}", f"agreement {r['agreement']:.4f}"),
        (
            "full test split inference, s",
            f"{r['full_test_seconds'][0]:.1f}",
            f"{r['full_test_seconds'][1]:.1f}",
            f"{r['full_test_seconds'][0] / r['full_test_seconds'][1]:.2f}× (single pass, not interleaved)",
        ),
        (
            "latency end to end, median s",
            f"{lat['teacher_e2e']:.3f}",
            f"{lat['student_e2e']:.3f}",
            f"teacher/student {lat['teacher_e2e'] / lat['student_e2e']:.2f}×",
        ),
        (
            f"latency model only, {lat['n_functions_model']} functions padded ≤ 400, median s",
            f"{lat['teacher_model']:.3f}",
            f"{lat['student_model']:.3f}",
            f"teacher/student {lat['teacher_model'] / lat['student_model']:.2f}×",
        ),
    ]
    lines = [
        f"# Compressor evidence: {r['task']}",
        "",
        "```",
        r["command"],
        "```",
        "",
        "| | teacher | student | ratio |",
        "|---|---|---|---|",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    fit = r["fit"]
    lines += [
        "",
        f"Student: exported at `{r['export']}`, evaluated at {r['s_len']} tokens per function; teacher at 400.",
        f"Fit: {fit or 'reused an exported student (no fit in this run)'}",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, load average {os.getloadavg()[0]:.1f} at the end (shared machine).",
        "Targets (issue): student ≥ 95 % of teacher accuracy on BigCloneBench, ≤ 1/5 of its size, ≥ 3× faster.",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
