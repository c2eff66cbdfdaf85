"""``study`` and ``attack`` subcommands.

    python -m fidelity study --config studies/bigclonebench.yaml [--no-mlflow] [--output DIR]
    python -m fidelity study --n 0.03 --rate 0.1         # power note only: probe size for ±3 points
    python -m fidelity attack --model DIR --data DIR --task clone --n 200 --attacks mhm alert wir_random

``study`` runs :func:`fidelity.study.run_study` and writes the report (Markdown, self-contained HTML,
tidy CSV, adversarial examples) into the config's ``output`` folder, plus MLflow runs. ``attack`` attacks
one model on a data split and writes ``adversarial.jsonl`` (original, adversarial code, renames,
queries, the model's probabilities) and ``summary.csv`` / ``summary.md`` (with Wilson intervals).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import pandas as pd

EXIT_BAD_INPUT = 2
SUMMARY = ("attack", "n", "n_attacked", "n_success", "asr", "asr_ci_low", "asr_ci_high", "robust_acc",
           "avg_queries", "icr", "tcr", "seconds")  # fmt: skip


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    st = subparsers.add_parser("study", help="many students vs one teacher: fidelity, attacks, statistics")
    st.add_argument("--config", type=Path, help="study YAML (see studies/)")
    st.add_argument("--output", type=Path, default=None, help="report folder (default: the config's output)")
    st.add_argument("--no-mlflow", action="store_true", help="write the report only, log no runs")
    st.add_argument(
        "--n",
        type=float,
        default=None,
        metavar="HALF_WIDTH",
        help="power note only: probe examples a ± HALF_WIDTH interval needs (e.g. 0.03), then exit",
    )
    st.add_argument("--rate", type=float, default=0.5, help="expected rate for --n (default worst case 0.5)")
    st.add_argument("--confidence", type=float, default=0.95)
    st.set_defaults(func=run_study_cli)
    at = subparsers.add_parser(
        "attack", help="attack one model on a data split (MHM, ALERT-style, WIR-Random)"
    )
    at.add_argument("--model", required=True, help="model dir / Compressor release dir / hub name")
    at.add_argument("--data", required=True, help="CodeXGLUE-format data dir, or 'demo'")
    at.add_argument("--task", required=True, choices=("clone", "vulnerability"))
    at.add_argument("--split", default="test", choices=("train", "distill", "val", "test"))
    at.add_argument("--n", type=int, default=200, help="examples attacked (sampled with --seed)")
    at.add_argument("--attacks", nargs="+", default=["mhm", "alert", "wir_random"])
    at.add_argument("--max-queries", type=int, default=40)
    at.add_argument("--candidates", type=int, default=10)
    at.add_argument("--pool-functions", type=int, default=500, help="functions whose names are substitutes")
    at.add_argument("--max-length", type=int, default=400)
    at.add_argument("--seed", type=int, default=0)
    at.add_argument("--output", type=Path, required=True, help="folder for adversarial.jsonl and summary")
    at.add_argument("--quiet", action="store_true", help="no progress bars")
    at.set_defaults(func=run_attack_cli)


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def run_study_cli(args: argparse.Namespace) -> int:
    from fidelity.stats import n_for_half_width

    if args.n is not None:
        try:
            need = n_for_half_width(args.n, args.rate, args.confidence)
        except ValueError as exc:
            return _error(str(exc))
        print(
            f"±{args.n * 100:.1f} points ({args.confidence:.0%} interval) at a rate of {args.rate:.3f} needs "
            f"n ≈ {need} probe examples (n = z²·p(1−p)/h²); the same n of attacked examples per model for "
            f"an attack success rate."
        )
        return 0
    if args.config is None:
        return _error("--config is required (or --n for the power note)")
    from fidelity.study import run_study
    from fidelity.study_config import StudyConfigError, load_study
    from fidelity.study_report import study_comparisons, write_study

    try:
        config = load_study(args.config)
        result = run_study(config)
        comp = study_comparisons(result)  # the bootstraps run once, for the reports, the CSV and MLflow
    except (StudyConfigError, ValueError, FileNotFoundError, OSError) as exc:
        return _error(str(exc))
    out = args.output or Path(config.output)
    write_study(result, out, comp)
    print((out / "report.md").read_text())
    print(f"\nreport: {out / 'report.md'}, {out / 'report.html'}, {out / 'tidy.csv'}")
    if config.mlflow.enabled and not args.no_mlflow:
        from fidelity.study_mlflow import log_study

        run_id = log_study(result, out, comp)
        print(
            f"MLflow parent run {run_id} (experiment {config.mlflow.experiment}; one nested run per student)"
        )
    return 0


def run_attack_cli(args: argparse.Namespace) -> int:
    from fidelity.probe import LANGUAGE_FOR_TASK, ProbeConfig, attack_pool_texts
    from fidelity.report import markdown_table
    from fidelity.study_attacks import attack_model, attack_table
    from fidelity.study_config import ModelEntry
    from fidelity.study_models import load_study_model

    try:
        config = ProbeConfig(
            n_probe=args.n,
            attacks=tuple(args.attacks),
            max_queries=args.max_queries,
            n_candidates=args.candidates,
            n_attack=args.n,
            pool_functions=args.pool_functions,
            seed=args.seed,
        )
        model = load_study_model(
            ModelEntry(name=Path(args.model).name, source=args.model), args.task, args.max_length
        )
        split = _split(args)
    except (ValueError, FileNotFoundError, OSError) as exc:
        return _error(str(exc))
    sample = split.subset(args.n, args.seed)
    originals = [sample.texts(i) for i in range(len(sample))]
    records = attack_model(
        model.model,
        model.tokenizer,
        model.max_length,
        originals,
        sample.labels().tolist(),
        LANGUAGE_FOR_TASK[args.task],
        config,
        attack_pool_texts(split, config),
        progress=not args.quiet,
        target=model.name,
    )
    if not records:
        return _error("no identifiers in the candidate pool: nothing to attack with")
    args.output.mkdir(parents=True, exist_ok=True)
    with (args.output / "adversarial.jsonl").open("w") as fh:
        for name, recs in records.items():
            for r in recs:
                fh.write(json.dumps({"attack_set": name, **r.to_json()}) + "\n")
    table = pd.DataFrame(attack_table(records))
    table.to_csv(args.output / "summary.csv", index=False)
    text = markdown_table(table[[c for c in SUMMARY if c in table.columns]])
    (args.output / "summary.md").write_text(text + "\n")
    print(text)
    print(
        f"\nwrote {args.output / 'adversarial.jsonl'}, {args.output / 'summary.csv'}, {args.output / 'summary.md'}"
    )
    return 0


def _split(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from kd.data.datamodules import CloneDetectionDataModule, DefectDataModule

    if args.data != "demo" and not Path(args.data).is_dir():
        raise FileNotFoundError(f"data directory {args.data!r} does not exist")
    dm_cls = CloneDetectionDataModule if args.task == "clone" else DefectDataModule
    return dm_cls(args.data, max_length=args.max_length).split(args.split)
