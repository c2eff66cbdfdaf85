"""``evaluate`` and ``compare`` subcommands: MetaCompress evaluation of a model pair, and a run table.

    python -m fidelity evaluate --teacher DIR --student DIR --data DIR --task clone --n 200
    python -m fidelity compare --experiment quickstart --output runs/compare

``evaluate`` prints relations × follow-ups and logs one MLflow run (metrics ``fidelity/<followup>/<relation>``,
report artifacts under ``fidelity/``). With ``--attack-student`` it also attacks the student directly and
prints/logs each attack's metrics against teacher and student (``fidelity/<target>_attack/<attack>/<metric>``,
artifact ``fidelity/attacks.csv``). ``compare`` reads runs with ``mlflow.search_runs`` and writes
``compare.csv`` and ``compare.md``; for training runs the fidelity columns are the last logged values.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

EXIT_BAD_INPUT = 2
#: Relations shown in the printed evaluation table (all keys are logged).
SHOWN = (
    "n_pairs",
    "agreement_violation",
    "distribution_violation",
    "confidence_violation",
    "calibration_gap",
    "flip_rate_teacher",
    "flip_rate_student",
    "acc_teacher_followup",
    "acc_student_followup",
    "robustness_drop_teacher",
    "robustness_drop_student",
    "robustness_drop_relative",
)
#: Attack metrics shown in the teacher-vs-student attack table (all of ``summarize()`` is logged).
ATTACK_SHOWN = ("attack", "target", "n_attacked", "n_success", "asr", "avg_queries", "icr", "tcr", "seconds")
#: compare's columns: (header, MLflow search_runs columns tried in order).
COLUMNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("method", ("tags.kd.method",)),
    ("task", ("tags.kd.task",)),
    ("size_mb", ("tags.kd.student_size_mb",)),
    ("gflops", ("tags.kd.student_gflops",)),
    ("accuracy", ("metrics.test/acc", "metrics.val/acc", "metrics.fidelity/originals/acc_student")),
    ("f1", ("metrics.test/f1", "metrics.val/f1")),
    ("agreement_violation", ("metrics.fidelity/all/agreement_violation",)),
    ("distribution_violation", ("metrics.fidelity/all/distribution_violation",)),
    ("flip_rate_student", ("metrics.fidelity/all/flip_rate_student",)),
    ("robustness_drop_student", ("metrics.fidelity/all/robustness_drop_student",)),
    ("robustness_drop_relative", ("metrics.fidelity/all/robustness_drop_relative",)),
    ("compression", ("tags.kd.compression",)),  # kd.compress: int8-dynamic, fp16, prune-structured, ...
)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ev = subparsers.add_parser("evaluate", help="MetaCompress evaluation of a student against a teacher")
    ev.add_argument("--teacher", required=True, help="model dir / Compressor release dir / hub name")
    ev.add_argument("--student", required=True, help="model dir / Compressor release dir / hub name")
    ev.add_argument("--data", required=True, help="CodeXGLUE-format data dir, or 'demo'")
    ev.add_argument("--task", required=True, choices=("clone", "vulnerability"))
    ev.add_argument("--split", default="test", choices=("train", "distill", "val", "test"))
    ev.add_argument("--n", type=int, default=200, help="probe examples (default 200)")
    ev.add_argument("--transforms", nargs="*", default=None, help="transform names (default: all)")
    ev.add_argument("--attacks", nargs="*", default=["mhm", "wir_random"], help="mhm alert wir_random")
    ev.add_argument("--max-queries", type=int, default=50, help="attack query budget per example")
    ev.add_argument("--n-attack", type=int, default=50, help="probe examples attacked (the first N)")
    ev.add_argument("--candidates", type=int, default=10, help="substitute names tried per attack step")
    ev.add_argument(
        "--attack-student",
        action="store_true",
        help="also run the attacks directly against the student and compare with the teacher's",
    )
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument(
        "--max-chars",
        type=int,
        default=100_000,
        help="probe budget: leave out examples with a longer function (counted, logged; default 100000)",
    )
    ev.add_argument(
        "--max-seconds",
        type=float,
        default=5.0,
        help="probe budget: transform seconds per function before its remaining transforms are skipped",
    )
    ev.add_argument("--max-length", type=int, default=400, help="tokens per function (teacher)")
    ev.add_argument(
        "--student-max-length", type=int, help="tokens per function for the student (default: --max-length)"
    )
    ev.add_argument("--tau-d", type=float, default=0.1)
    ev.add_argument("--tau-c", type=float, default=0.9)
    ev.add_argument("--tau-g", type=float, default=0.1)
    ev.add_argument("--tracking-uri", default=None, help="MLflow store (default sqlite under mlruns/)")
    ev.add_argument("--experiment", default="fidelity-evaluate")
    ev.add_argument("--no-mlflow", action="store_true", help="print only, log no run")
    ev.set_defaults(func=run_evaluate)
    cmp = subparsers.add_parser("compare", help="table of MLflow runs: size, accuracy, fidelity")
    cmp.add_argument("--experiment", nargs="*", default=None, help="experiment names (default: all)")
    cmp.add_argument("--tracking-uri", default=None)
    cmp.add_argument("--output", type=Path, default=None, help="folder for compare.csv and compare.md")
    cmp.set_defaults(func=run_compare)


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return EXIT_BAD_INPUT


def _student_tags(source: str, n_inputs: int, model: Any) -> dict[str, str]:
    """kd.* tags for a student loaded from disk (method from its metacompress.json when exported)."""
    from kd import cost
    from kd.models.io import META
    from kd.spec import StudentSpec

    meta_path = Path(source) / META
    meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
    params = cost.actual_param_count(model)
    try:
        gflops = f"{cost.gflops(StudentSpec.from_roberta_config(model.encoder.config)):.4f}"
    except (ValueError, TypeError, AttributeError):
        gflops = "n/a"
    tags = {
        "kd.method": str(meta.get("method", "external")),
        "kd.student": source,
        "kd.student_params": str(params),
        "kd.student_size_mb": f"{params * 4 / 1e6:.6g}",
        "kd.student_gflops": gflops,
    }
    if isinstance(meta.get("compression"), dict):  # pruned / quantized dir (kd.compress)
        from kd.compress.recipe import mlflow_tags

        tags.update(mlflow_tags(meta["compression"]))
    return tags


def run_evaluate(args: argparse.Namespace) -> int:
    from fidelity.evaluate import Thresholds, evaluate_models
    from fidelity.probe import ProbeConfig

    try:
        config = ProbeConfig(
            n_probe=args.n,
            transforms=tuple(args.transforms) if args.transforms else None,
            attacks=tuple(args.attacks or ()),
            max_queries=args.max_queries,
            n_candidates=args.candidates,
            n_attack=args.n_attack,
            seed=args.seed,
            max_chars=args.max_chars,
            max_seconds=args.max_seconds,
        )
        thresholds = Thresholds(args.tau_d, args.tau_c, args.tau_g)
        probe, result = evaluate_models(
            args.teacher,
            args.student,
            args.data,
            args.task,
            config,
            thresholds,
            args.split,
            args.max_length,
            attack_student=args.attack_student,
            student_max_length=args.student_max_length,
        )
    except (ValueError, FileNotFoundError, OSError) as exc:
        return _error(str(exc))
    _print_evaluation(probe, result)
    if probe.skipped:
        counts = ", ".join(f"{n} × {reason}" for reason, n in probe.skipped.items())
        print(
            f"probe budget (--max-chars {args.max_chars}, --max-seconds {args.max_seconds:g}) skipped: {counts}"
        )
    if not args.no_mlflow:
        run_id = _log_evaluation(args, probe, result, config)
        print(f"MLflow run {run_id} (experiment {args.experiment})")
    return 0


def _print_evaluation(probe: Any, result: Any) -> None:
    """Relations × follow-ups, accuracies on the originals, and the attack comparison when there is one."""
    from fidelity.report import markdown_table, relations_frame

    frame = relations_frame(result)
    print(markdown_table(frame[[c for c in SHOWN if c in frame.columns]]))
    orig = result.originals
    print(
        f"\noriginals (n={len(probe.originals)}): teacher acc {orig['acc_teacher']:.4f}, "
        f"student acc {orig['acc_student']:.4f}, disagreement {orig['agreement_violation']:.4f}"
    )
    if result.skipped:
        print(f"not applicable to any probe example: {', '.join(result.skipped)}")
    if result.attacks is not None:
        attacks = pd.DataFrame(result.attacks.rows())
        for count in [c for c in attacks.columns if c == "n" or c.startswith("n_")]:
            attacks[count] = attacks[count].astype(int)  # counts print as counts, not 20.0000
        print("\nattacks against teacher and student (same originals, pool, budget, seed):")
        print(
            markdown_table(attacks[[c for c in ATTACK_SHOWN if c in attacks.columns]])
            if len(attacks)
            else "none"
        )


def _log_evaluation(args: argparse.Namespace, probe: Any, result: Any, config: Any) -> str:
    import mlflow

    from kd.models.io import load_classifier
    from kd.modules import n_inputs_for
    from kd.tracking import artifact_location_for, default_tracking_uri, get_or_create_experiment

    uri = args.tracking_uri or default_tracking_uri()
    client = mlflow.MlflowClient(uri)
    exp_id = get_or_create_experiment(client, args.experiment, artifact_location_for(uri))
    n_inputs = n_inputs_for(args.task)
    student = load_classifier(args.student, n_inputs).model
    tags = {
        "kd.task": args.task,
        "kd.teacher": args.teacher,
        **_student_tags(args.student, n_inputs, student),
    }
    run = client.create_run(exp_id, tags=tags, run_name=f"evaluate-{Path(args.student).name}")
    run_id = run.info.run_id
    try:
        _log_to_run(client, run_id, args, probe, result, config)
    except BaseException as exc:  # never leave the run RUNNING: Ctrl-C/SIGTERM → KILLED, an error → FAILED
        client.set_terminated(run_id, "KILLED" if isinstance(exc, KeyboardInterrupt) else "FAILED")
        raise
    client.set_terminated(run_id)
    return str(run_id)


def _log_to_run(
    client: Any, run_id: str, args: argparse.Namespace, probe: Any, result: Any, config: Any
) -> None:
    from fidelity.probe import probe_skip_metrics, probe_skips_json
    from fidelity.report import write_report

    params = {
        "data": args.data,
        "split": args.split,
        "n_probe": args.n,
        "attacks": ",".join(args.attacks or []),
        "max_queries": args.max_queries,
        "n_attack": args.n_attack,
        "seed": args.seed,
        "tau_d": args.tau_d,
        "tau_c": args.tau_c,
        "tau_g": args.tau_g,
        "transforms": ",".join(args.transforms or ["all"]),
        "attack_student": args.attack_student,
        "max_chars": args.max_chars,
        "max_seconds_per_function": args.max_seconds,
    }
    for key, value in params.items():
        client.log_param(run_id, key, str(value))
    for key, value in {**result.metrics(), **probe_skip_metrics(probe)}.items():
        client.log_metric(run_id, key, float(value), step=0)
    if probe.skipped:
        client.log_text(run_id, probe_skips_json(probe, config), "fidelity/probe_skips.json")
    meta = {"teacher": args.teacher, "student": args.student, "task": args.task, "data": args.data}
    with tempfile.TemporaryDirectory(prefix="fidelity-eval-") as tmp:
        write_report(Path(tmp), probe, result, meta)
        if result.attacks is not None:
            pd.DataFrame(result.attacks.rows()).to_csv(Path(tmp) / "attacks.csv", index=False)
        client.log_artifacts(run_id, tmp, "fidelity")


def comparison_table(runs: pd.DataFrame) -> pd.DataFrame:
    """One row per run with the :data:`COLUMNS` headers; missing values stay empty (NaN)."""
    out = pd.DataFrame(index=runs.index)
    out["run"] = runs.get("tags.mlflow.runName", runs["run_id"].str[:8])
    for header, sources in COLUMNS:
        column = pd.Series([None] * len(runs), index=runs.index, dtype=object)
        for source in sources:
            if source in runs.columns:
                column = column.where(column.notna(), runs[source])
        out[header] = column
    for header in ("size_mb", "gflops"):
        out[header] = pd.to_numeric(out[header], errors="coerce")
    return out.sort_values(["task", "method", "run"], na_position="last").reset_index(drop=True)


def run_compare(args: argparse.Namespace) -> int:
    import mlflow

    from fidelity.report import markdown_table
    from kd.tracking import default_tracking_uri

    mlflow.set_tracking_uri(args.tracking_uri or default_tracking_uri())
    try:
        runs = mlflow.search_runs(
            experiment_names=args.experiment, search_all_experiments=not args.experiment
        )
    except mlflow.exceptions.MlflowException as exc:
        return _error(str(exc))
    if not isinstance(runs, pd.DataFrame) or runs.empty:
        return _error(f"no runs found (experiments: {args.experiment or 'all'})")
    table = comparison_table(runs)
    text = markdown_table(table)
    print(text)
    if args.output:
        args.output.mkdir(parents=True, exist_ok=True)
        table.to_csv(args.output / "compare.csv", index=False)
        (args.output / "compare.md").write_text(text + "\n")
        print(f"wrote {args.output / 'compare.csv'} and {args.output / 'compare.md'}")
    return 0
