"""Tiny models and tokenizers for unit tests (random init, CPU, milliseconds)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from tokenizers import Tokenizer

from kd.models.classifier import CodeClassifier
from kd.models.io import from_config
from kd.spec import StudentSpec
from kd.tokenization import train_tokenizer

SNIPPETS = [
    "int add(int a, int b) { return a + b; }",
    "static void copy(String src, String dst) throws IOException { Files.copy(Paths.get(src), Paths.get(dst)); }",
    "for (int i = 0; i < n; i++) { total += values[i]; }",
    "char *dup(const char *s) { char *p = malloc(strlen(s) + 1); strcpy(p, s); return p; }",
] * 5

TINY_SPEC = StudentSpec(
    vocab_size=300, num_hidden_layers=1, hidden_size=16, num_attention_heads=2, intermediate_size=32
)

# Compressor's published 3 MB student (L12-H96-A8-I64-V1000), written out by hand so tests check
# kd.search / kd.cost against an independent reference rather than against the package's own constant.
PAPER_3MB = StudentSpec(
    vocab_size=1000, num_hidden_layers=12, hidden_size=96, num_attention_heads=8, intermediate_size=64
)


def tiny_tokenizer() -> Tokenizer:
    return train_tokenizer(SNIPPETS, 300)


def tiny_model(n_inputs: int = 1, tokenizer: Tokenizer | None = None) -> tuple[CodeClassifier, Tokenizer]:
    tok = tokenizer or tiny_tokenizer()
    spec = TINY_SPEC.replace(vocab_size=tok.get_vocab_size())
    return from_config(spec.to_roberta_config(), n_inputs, tok), tok


def tiny_student_json(tokenizer: Path) -> str:
    """``--model.student`` value: a fresh TINY_SPEC student reusing ``tokenizer`` (a model dir or file)."""
    keys = ("vocab_size", "num_hidden_layers", "hidden_size", "num_attention_heads", "intermediate_size")
    return json.dumps({"spec": {k: getattr(TINY_SPEC, k) for k in keys}, "tokenizer": str(tokenizer)})


def tiny_fit_args(
    root: Path,
    data_dir: Path,
    teacher: Path,
    steps: int,
    *,
    method: str = "kd.methods.vanilla.HintonKD",
    model_args: Sequence[str] | None = None,
    val_check_interval: int = 3,
    experiment: str = "t",
    extra: Sequence[str] = (),
) -> list[str]:
    """KDCLI arguments for a seconds-long CPU clone-detection fit that logs to MLflow and checkpoints.

    One builder so the CLI and method tests exercise the same trainer/data settings. ``model_args`` go
    after ``--model.teacher``; left at None they give HintonKD a tiny student (``tiny_student_json``).
    Runs, the MLflow database and checkpoints all live under ``root``; ``extra`` is appended last.
    """
    if model_args is None:
        model_args = ["--model.student", tiny_student_json(teacher)]
    return [
        "fit",
        "--seed_everything",
        "0",
        "--model",
        method,
        "--model.task",
        "clone",
        "--model.teacher",
        json.dumps({"source": str(teacher)}),
        *model_args,
        "--data",
        "kd.data.datamodules.CloneDetectionDataModule",
        "--data.data_dir",
        str(data_dir),
        "--data.batch_size",
        "8",
        "--data.max_train_examples",
        "48",
        "--data.max_eval_examples",
        "16",
        "--data.max_length",
        "64",
        "--trainer.accelerator",
        "cpu",
        "--trainer.max_steps",
        str(steps),
        "--trainer.log_every_n_steps",
        "1",
        "--trainer.val_check_interval",
        str(val_check_interval),
        "--trainer.enable_progress_bar",
        "false",
        "--trainer.default_root_dir",
        str(root / "runs"),
        "--trainer.logger.init_args.tracking_uri",
        f"sqlite:///{root}/mlflow.db",
        "--trainer.logger.init_args.experiment_name",
        experiment,
        "--trainer.callbacks+=lightning.pytorch.callbacks.ModelCheckpoint",
        "--trainer.callbacks.monitor=val/acc",
        "--trainer.callbacks.mode=max",
        "--trainer.callbacks.save_last=true",
        *extra,
    ]


# A search space small enough for seconds-long trials: a few one- or two-layer students (AVATAR / MORPH tests).
TINY_GENES = {
    "vocab_size": [300, 500],
    "num_hidden_layers": [1, 2],
    "hidden_size": {"low": 16, "high": 32, "step": 8},
    "intermediate_size": [32, 64],
    "max_seq_len": [48, 128],
    "num_attention_heads": [1, 2, 4],
    "attention_probs_dropout_prob": [0.0],
}
