"""Offline quickstart: demo data → teacher → Hinton-KD student → MLflow → a short comparison table.

``python -m kd.quickstart`` (minutes on 2 CPU cores). ``--fast`` trains on a slice (tests).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import torch

from kd.cli import KDCLI
from kd.cost import actual_param_count
from kd.data.demo import ensure_demo_data
from kd.data.encoding import CodeEncoder
from kd.models.inference import predict_logits
from kd.models.io import LoadedModel, load_model_dir

CONFIGS = Path(__file__).resolve().parents[1] / "lightning_configs" / "quickstart"


def _fit(config: Path, extra: list[str]) -> KDCLI:
    return KDCLI(args=["fit", "--config", str(config), *extra])


def _accuracy(loaded: LoadedModel, examples: list[tuple[str, ...]], labels: torch.Tensor) -> float:
    logits = predict_logits(loaded.model, CodeEncoder(loaded.tokenizer, 128), examples)
    return float((logits.argmax(-1) == labels).float().mean())


def _latency(loaded: LoadedModel, examples: list[tuple[str, ...]]) -> float:
    """Seconds to score ``examples`` with a fresh encoder (no cached encodings), single pass."""
    start = time.perf_counter()
    predict_logits(loaded.model, CodeEncoder(loaded.tokenizer, 128), examples)
    return time.perf_counter() - start


def compare(teacher_dir: Path, student_dir: Path, data_dir: Path, repeats: int = 3) -> list[list[str]]:
    from kd.data.datamodules import CloneDetectionDataModule

    split = CloneDetectionDataModule(str(data_dir)).split("test")
    examples = [split.texts(i) for i in range(len(split))]
    teacher, student = load_model_dir(teacher_dir), load_model_dir(student_dir)
    acc_t, acc_s = _accuracy(teacher, examples, split.labels()), _accuracy(student, examples, split.labels())
    # Interleaved, side by side in one process, so machine load affects both alike.
    t_times, s_times = [], []
    for _ in range(repeats):
        t_times.append(_latency(teacher, examples))
        s_times.append(_latency(student, examples))
    p_t, p_s = actual_param_count(teacher.model), actual_param_count(student.model)
    speedup = statistics.median(t_times) / statistics.median(s_times)
    return [
        ["model", "test acc", "params", "size MB", "test-set time s", "speed-up"],
        [
            "teacher",
            f"{acc_t:.3f}",
            f"{p_t:,}",
            f"{p_t * 4 / 1e6:.2f}",
            f"{statistics.median(t_times):.2f}",
            "1.00×",
        ],
        [
            "student (Hinton KD)",
            f"{acc_s:.3f}",
            f"{p_s:,}",
            f"{p_s * 4 / 1e6:.2f}",
            f"{statistics.median(s_times):.2f}",
            f"{speedup:.2f}×",
        ],
    ]


def fidelity_summary(cli: KDCLI, worst: int = 3) -> str:
    """The student's fidelity at its last validation, as the fit's FidelityCallback reports it (no new work).

    The callback is found by its ``summary_text`` method, so ``kd`` does not import ``fidelity``.
    """
    for callback in cli.trainer.callbacks:  # type: ignore[attr-defined]
        summary = getattr(callback, "summary_text", None)
        if callable(summary):
            return str(summary(worst))
    return NO_FIDELITY


NO_FIDELITY = "Fidelity: no evaluation ran (FidelityCallback disabled or no validation)."


def markdown(rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--fast", action="store_true", help="tiny slice and 1 epoch (a smoke test, ~1 min)")
    args = ap.parse_args(argv)
    data_root = ensure_demo_data()
    extra = (
        ["--data.max_train_examples", "128", "--data.max_eval_examples", "64", "--trainer.max_epochs", "1"]
        if args.fast
        else []
    )
    teacher_cli = _fit(CONFIGS / "teacher.yaml", extra)
    student_cli = _fit(CONFIGS / "hinton.yaml", extra)
    rows = compare(
        Path(teacher_cli.model.export_dir), Path(student_cli.model.export_dir), data_root / "bigclonebench"
    )
    uri = getattr(student_cli.trainer.logger, "_tracking_uri", "sqlite:///mlruns/mlflow.db")
    print("\nQuickstart (synthetic demo data, clone detection, test split):\n")
    print(markdown(rows))
    print("\n" + fidelity_summary(student_cli))
    print(
        f"\nOpen the MLflow UI and compare the two runs (experiment 'quickstart'):\n"
        f"  mlflow ui --backend-store-uri {uri} --host 127.0.0.1 --port 5000\n"
        "then open the hinton-student run → Model metrics → chart `fidelity/all/agreement_violation` (per\n"
        "follow-up: `fidelity/<transform>/agreement_violation`); its artifacts hold fidelity/step_*/summary.html.\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
