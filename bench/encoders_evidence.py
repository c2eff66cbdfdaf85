"""Summarise the encoder-family evidence runs (lightning_configs/encoders/*.yaml) from MLflow as Markdown.

    python bench/encoders_evidence.py [--tracking-uri sqlite:///mlruns/mlflow.db] [--experiment encoders]

For each run name (newest run of that name): test accuracy / F1 with the number of test pairs and a 95 %
Wilson interval (statsmodels), wall time, and the last `fidelity/all/*` relations the FidelityCallback logged.
"""

from __future__ import annotations

import argparse
import json

import mlflow
from statsmodels.stats.proportion import proportion_confint

RUNS = ("minilm-teacher", "minilm-hinton-student")


def summarise(client: mlflow.MlflowClient, experiment: str, run_name: str) -> list[str]:
    exp = client.get_experiment_by_name(experiment)
    if exp is None:
        return [f"| {run_name} | (experiment {experiment!r} not found) |"]
    runs = client.search_runs(
        [exp.experiment_id], f"tags.mlflow.runName = '{run_name}'", order_by=["attributes.start_time DESC"]
    )
    if not runs:
        return [f"| {run_name} | (no run) |"]
    run = runs[0]
    m, p = run.data.metrics, run.data.params
    n_test = int(json.loads(p.get("max_eval_examples", "null") or "null") or 0)  # test pairs (slice)
    acc = m.get("test/acc")
    ci = ""
    if acc is not None and n_test:
        lo, hi = proportion_confint(round(acc * n_test), n_test, method="wilson")
        ci = f"[{lo:.3f}, {hi:.3f}]"
    wall = (run.info.end_time - run.info.start_time) / 1000 if run.info.end_time else float("nan")
    fid = {k.removeprefix("fidelity/all/"): v for k, v in m.items() if k.startswith("fidelity/all/")}
    fid_txt = ", ".join(f"{k} {v:.3f}" for k, v in sorted(fid.items())[:6]) or "—"
    acc_txt = f"{acc:.3f}" if acc is not None else "—"
    f1_txt = f"{m['test/f1']:.3f}" if "test/f1" in m else "—"
    return [
        f"| {run_name} | {run.info.run_id[:8]} | {run.info.status} | {n_test} | {acc_txt} {ci} | {f1_txt} | "
        f"{wall:.0f} | {fid_txt} |"
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tracking-uri", default="sqlite:///mlruns/mlflow.db")
    ap.add_argument("--experiment", default="encoders")
    args = ap.parse_args(argv)
    client = mlflow.MlflowClient(tracking_uri=args.tracking_uri)
    print(
        "| run | id | status | test pairs | test acc [95 % Wilson] | test F1 | wall s | fidelity/all (last) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for name in RUNS:
        print("\n".join(summarise(client, args.experiment, name)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
