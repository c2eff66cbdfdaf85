"""Markdown tables for ``bench/compression_evidence.py`` (sizes, latency, accuracy, fidelity, attacks)."""

from __future__ import annotations

import functools
import os
from typing import Any

RELATIONS = (
    "agreement_violation",
    "distribution_violation",
    "confidence_violation",
    "flip_rate_student",
    "robustness_drop_student",
    "robustness_drop_relative",
)


def _wilson(k: int, n: int) -> str:
    from fidelity.stats import wilson  # the study's Wilson interval (tested against statsmodels)

    if not n:
        return "n/a"
    ci = wilson(k, n)
    return f"{k}/{n} = {k / n:.3f} [{ci.low:.3f}, {ci.high:.3f}]"


@functools.cache  # the relations, attack and ordering tables read the same runs
def _fidelity_metrics(run_id: str) -> dict[str, float]:
    import mlflow

    from kd.tracking import default_tracking_uri

    return dict(mlflow.MlflowClient(default_tracking_uri()).get_run(run_id).data.metrics)


def _size_rows(state: dict[str, Any]) -> list[str]:
    rows = state["rows"]
    t = rows["teacher"]
    lines = [
        "| model | params | params × bits, MB | weights file, bytes | non-zero params | latency, median s | "
        "teacher / model | test acc [95 % CI] | F1 | agrees with teacher | McNemar p vs teacher |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows.items():
        s = r["size"]
        k = round(r["acc"] * state["n_test"])
        lines.append(
            f"| {name} | {s.get('params', 0):,} | {s.get('payload_mb', float('nan')):.3f} | "
            f"{s.get('weights_bytes') or 0:,} | {s.get('nonzero_params', s.get('params', 0)):,} | "
            f"{r['latency_s']:.3f} | {t['latency_s'] / r['latency_s']:.2f}× | "
            f"{r['acc']:.4f} [{r['acc_ci'][0]:.3f}, {r['acc_ci'][1]:.3f}] ({k}/{state['n_test']}) | "
            f"{r['f1']:.4f} | {r['agreement']:.4f} | {r['mcnemar_p']:.3g} |"
        )
    return lines


def _fidelity_rows(state: dict[str, Any]) -> tuple[list[str], list[str]]:
    runs = state.get("fidelity_runs", {})
    rel = ["| model | " + " | ".join(RELATIONS) + " | follow-ups |", "|---" * (len(RELATIONS) + 2) + "|"]
    att = [
        "| model | attack | ASR against the teacher (success/attacked) [95 % CI] | ASR against the model [95 % CI] |",
        "|---|---|---|---|",
    ]
    for name, run_id in runs.items():
        m = _fidelity_metrics(run_id)
        values = " | ".join(f"{m.get(f'fidelity/all/{k}', float('nan')):.4f}" for k in RELATIONS)
        rel.append(f"| {name} | {values} | {int(m.get('fidelity/all/n_pairs', 0))} |")
        attacks = sorted({k.split("/")[2] for k in m if k.startswith("fidelity/student_attack/")})
        for a in attacks:
            cells = []
            for target in ("teacher", "student"):
                n = int(m.get(f"fidelity/{target}_attack/{a}/n_attacked", 0))
                k = int(m.get(f"fidelity/{target}_attack/{a}/n_success", 0))
                cells.append(_wilson(k, n))
            att.append(f"| {name} | {a} | {cells[0]} | {cells[1]} |")
    return rel, att


def _ordering_rows(state: dict[str, Any]) -> list[str]:
    """Pool the direct-attack outcomes and agreement violations by kind; Fisher's exact test between kinds.

    The seed paper (Awal et al.) finds every kind of compression loses robustness and distillation the most. Here
    that is read as: the attack success rate against the compressed model (same attacks, originals and budget) is
    higher for the distilled kind than for the pruned and quantized kinds, tested two-sided with
    ``scipy.stats.fisher_exact`` on the pooled success/attacked counts.
    """
    from scipy.stats import fisher_exact

    kinds: dict[str, str] = state.get("kinds", {})
    runs = state.get("fidelity_runs", {})
    rows = state.get("rows", {})
    # a model that predicts one class for every test example is "robust" for free (nothing flips, no attack can
    # change its answer): such models are left out of the pools and named below the table
    collapsed = [n for n in runs if rows.get(n, {}).get("positive_rate") in (0.0, 1.0)]
    asr: dict[str, list[int]] = {}
    viol: dict[str, list[int]] = {}
    for name, run_id in runs.items():
        kind = kinds.get(name)
        if kind is None or name in collapsed:
            continue
        m = _fidelity_metrics(run_id)
        a = asr.setdefault(kind, [0, 0])
        for key in m:
            if key.startswith("fidelity/student_attack/") and key.endswith("/n_attacked"):
                a[1] += int(m[key])
                a[0] += int(m[key.replace("/n_attacked", "/n_success")])
        n_pairs = int(m.get("fidelity/all/n_pairs", 0))
        v = viol.setdefault(kind, [0, 0])
        v[0] += round(m.get("fidelity/all/agreement_violation", 0.0) * n_pairs)
        v[1] += n_pairs
    if len(asr) < 2:
        return ["(needs fidelity runs of at least two kinds)"]
    lines = [
        "| kind | models | ASR against the model, pooled [95 % CI] | agreement violation, pooled [95 % CI] |",
        "|---|---|---|---|",
    ]
    for kind in sorted(asr):
        members = ", ".join(n for n in runs if kinds.get(n) == kind and n not in collapsed)
        lines.append(f"| {kind} | {members} | {_wilson(*asr[kind])} | {_wilson(*viol[kind])} |")
    lines += [
        "",
        "| comparison | ASR odds ratio | Fisher exact p (two-sided) | agreement-violation odds ratio | "
        "Fisher exact p (two-sided) |",
        "|---|---|---|---|---|",
    ]
    order = sorted(asr)
    for i, a in enumerate(order):
        for b in order[i + 1 :]:
            cells = []
            for counts in (asr, viol):
                table = [
                    [counts[a][0], counts[a][1] - counts[a][0]],
                    [counts[b][0], counts[b][1] - counts[b][0]],
                ]
                odds, p = fisher_exact(table)
                cells.append(f"{odds:.2f} | {p:.3g}")
            lines.append(f"| {a} vs {b} | {cells[0]} | {cells[1]} |")
    if collapsed:
        lines += [
            "",
            f"Left out of the pools — predict one class for every test example: {', '.join(collapsed)}.",
        ]
    lines += [
        "",
        "Follow-ups of one original are not independent, and every model is scored on the same follow-ups, so "
        "the agreement-violation p-values treat clustered, paired data as independent counts: read them as "
        "descriptive (`python -m fidelity study` gives paired cluster-bootstrap intervals).",
    ]
    return lines


def render(task: str, state: dict[str, Any], machine: str, torch_version: str, threads: int) -> str:
    rel, att = _fidelity_rows(state)
    facts = state.get("facts", {})
    lines = [
        f"# Compression evidence: {task} (pruning and quantization of the 3 MB Compressor model)",
        "",
        "```",
        state.get("command", ""),
        "```",
        "",
        f"Test accuracy on {state['n_test']} test examples (seeded sample when `--test` is given); latency: the "
        f"same {state['n_latency']} test functions padded to ≤ 400 tokens through each encoder, interleaved "
        "repeats in one process (median).",
        "",
        *_size_rows(state),
        "",
        "## MetaCompress relations (`python -m fidelity evaluate`, all follow-ups)",
        "",
        *rel,
        "",
        "## Direct attacks (`--attack-student`: the same attacks, budget and originals against each model)",
        "",
        *att,
        "",
        "## The seed paper's ordering (distilled models lose the most robustness?)",
        "",
        *_ordering_rows(state),
        "",
        *([state["reading"], ""] if state.get("reading") else []),
        "## How each model was made",
        "",
    ]
    for name, f in facts.items():
        lines.append(f"- {name}: {f}")
    lines += [
        "",
        f"Machine: {machine}, {os.cpu_count()} CPUs shared with other jobs, torch {torch_version}, {threads} threads, "
        f"load average {state.get('load', [float('nan')])[0]:.1f} when the timings were taken.",
        f"MLflow experiment `compression-{task}` holds one `fidelity evaluate` run per model: "
        f"`python -m fidelity compare --experiment compression-{task}` groups them by `kd.compression`.",
    ]
    return "\n".join(lines) + "\n"
