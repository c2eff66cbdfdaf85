"""AVATAR vs Compressor vs the teacher on real data, after `bench/avatar_fits.sh <task>`.

    PYTHONPATH=. python bench/avatar_evidence.py --task clone [--root DIR] [--n-test 1000] [--repeats 5] [--out FILE]

Reads the two exported students under ``runs/evidence/avatar_<task>/{avatar,compressor}/model`` and AVATAR's
search result (``--root`` for another run directory), predicts the first ``--n-test`` test examples with teacher
and both students, and prints (and with ``--out`` writes; merge it into ``bench/results/avatar_<task>.md`` by
hand, whose other sections are not generated) a report: the search (trials, wall time, z3 bounds, surrogate CV, Pareto front, chosen
spec), accuracy and F1 with 95 % bootstrap intervals (2,000 resamples of the test examples), the paired
AVATAR − Compressor and AVATAR − teacher accuracy differences with their intervals, sizes, GFLOPs, CPU latency
(interleaved medians) and energy per 1,000 predictions (codecarbon; an estimate where no energy counters exist).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kd import cost  # noqa: E402
from kd.data.datamodules import CloneDetectionDataModule, DefectDataModule  # noqa: E402
from kd.data.encoding import CodeEncoder  # noqa: E402
from kd.methods.avatar_efficiency import _batches, _energy  # noqa: E402
from kd.models.inference import predict_logits  # noqa: E402
from kd.models.io import LoadedModel, load_classifier, load_model_dir  # noqa: E402
from kd.modules import n_inputs_for  # noqa: E402
from kd.spec import StudentSpec  # noqa: E402

DATA = {"clone": ("bigclonebench", CloneDetectionDataModule), "vulnerability": ("devign", DefectDataModule)}


def scores(pred: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    tp = int(((pred == 1) & (y == 1)).sum())
    fp, fn = int(((pred == 1) & (y == 0)).sum()), int(((pred == 0) & (y == 1)).sum())
    return float((pred == y).mean()), (2 * tp / (2 * tp + fp + fn) if tp else 0.0)


def bootstrap(preds: dict[str, np.ndarray], y: np.ndarray, n: int = 2000, seed: int = 0) -> dict[str, Any]:
    """95 % percentile intervals of accuracy/F1 per model and of paired accuracy differences."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(y), (n, len(y)))
    out: dict[str, Any] = {}
    for name, p in preds.items():
        accs, f1s = zip(*(scores(p[i], y[i]) for i in idx), strict=True)
        out[name] = {"acc_ci": np.percentile(accs, [2.5, 97.5]), "f1_ci": np.percentile(f1s, [2.5, 97.5])}
    for a, b in (("avatar", "compressor"), ("avatar", "teacher"), ("compressor", "teacher")):
        diff = [(preds[a][i] == y[i]).mean() - (preds[b][i] == y[i]).mean() for i in idx]
        out[f"{a}-{b}"] = {
            "diff": float((preds[a] == y).mean() - (preds[b] == y).mean()),
            "ci": np.percentile(diff, [2.5, 97.5]),
        }
    return out


def latency(
    models: dict[str, tuple[LoadedModel, int]], examples: list[tuple[str, ...]], repeats: int
) -> dict[str, float]:
    """Median seconds per example of end-to-end prediction, the models interleaved (rotating order) per repeat."""
    times: dict[str, list[float]] = {k: [] for k in models}
    names = list(models)
    for r in range(repeats + 1):  # repeat 0 warms up
        for k in names[r % len(names) :] + names[: r % len(names)]:
            model, length = models[k]
            start = time.perf_counter()
            predict_logits(model.model, CodeEncoder(model.tokenizer, length), examples)
            if r:
                times[k].append((time.perf_counter() - start) / len(examples))
    return {k: statistics.median(v) for k, v in times.items()}


def describe(model: LoadedModel, length: int, n_inputs: int) -> dict[str, Any]:
    spec = StudentSpec.from_roberta_config(model.model.encoder.config)
    params = cost.actual_param_count(model.model)
    return {
        "spec": spec.name,
        "size_mb": params * 4 / 1e6,
        "gflops": cost.gflops(spec, min(length, spec.max_seq_len)) * n_inputs,
        "length": length,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--task", choices=sorted(DATA), required=True)
    p.add_argument("--root", type=Path)
    p.add_argument("--n-test", type=int, default=1000)
    p.add_argument("--latency-examples", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out", type=Path)
    p.add_argument("--fits", nargs="*", help="the fit commands that were run, for the report's header")
    p.add_argument("--search-only", action="store_true", help="report the search alone (no final fits yet)")
    args = p.parse_args()
    root = args.root or ROOT / "runs" / "evidence" / f"avatar_{args.task}"
    if not (root / "avatar" / "search" / "search_result.json").is_file():
        partial(args, root)
        return
    search = json.loads((root / "avatar" / "search" / "search_result.json").read_text())
    if args.search_only:
        write(args, root, search, None, None, None, None, None, None)
        return
    folder, dm_cls = DATA[args.task]
    dm = dm_cls(str(ROOT.parent / "shared" / "data" / folder), max_eval_examples=args.n_test)
    split = dm.split("test")
    examples = [split.texts(i) for i in range(len(split))]
    y = split.labels().numpy()
    n_inputs = n_inputs_for(args.task)
    teacher = load_classifier(str(ROOT.parent / "shared" / "models" / "compressor-3mb" / args.task), n_inputs)
    avatar = load_model_dir(root / "avatar" / "model")
    compressor = load_model_dir(root / "compressor" / "model")
    a_spec = StudentSpec.from_roberta_config(avatar.model.encoder.config)
    models = {
        "teacher": (teacher, 400),
        "avatar": (avatar, min(400, a_spec.max_seq_len)),
        "compressor": (compressor, 400),
    }
    preds = {
        k: predict_logits(m.model.eval(), CodeEncoder(m.tokenizer, length), examples).argmax(-1).numpy()
        for k, (m, length) in models.items()
    }
    ci = bootstrap(preds, y)
    lat = latency(models, examples[: args.latency_examples], args.repeats)
    energy = {}
    for k in ("teacher", "avatar", "compressor"):
        m, length = models[k]
        energy[k] = _energy(m.model, _batches(CodeEncoder(m.tokenizer, length), examples[:128], 32), 1000)
    desc = {k: describe(m, length, n_inputs) for k, (m, length) in models.items()}
    write(args, root, search, preds, y, ci, lat, energy, desc)


def partial(args: Any, root: Path) -> None:
    """The search did not finish: report the z3 bounds (recomputed) and the trials that did, with their sizes."""
    from kd.search.avatar_space import avatar_space
    from kd.search.objectives import CostModel
    from kd.search.smt import feasible_bounds

    config = yaml.safe_load((ROOT / "lightning_configs" / DATA[args.task][0] / "avatar.yaml").read_text())
    init = config["model"]["init_args"]
    space = avatar_space(args.task, init["search"].get("genes"))
    pruned = feasible_bounds(space, init["target_mb"], CostModel(size_convention="spec"))
    load = os.getloadavg()
    lines = [
        f"# AVATAR evidence: {args.task} (partial: the search did not finish)",
        "",
        "```",
        *(args.fits or [f"bash bench/avatar_fits.sh {args.task}"]),
        "PYTHONPATH=. python bench/avatar_evidence.py " + " ".join(sys.argv[1:]),
        "```",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / "
        f"{load[2]:.1f} when this was written (the 2 cores were shared with other jobs throughout).",
        "",
        f"- z3 bounds for the config's {init['target_mb']} MB budget (recomputed now): {pruned.checks} checks, "
        f"{pruned.seconds:.1f} s: `{pruned.bounds}`",
        "",
        "| trial | spec | lr | batch | size MB (spec convention) | status | metric | s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    cm = CostModel(size_convention="spec")
    for trial_file in sorted((root / "avatar" / "search" / "trials").glob("*/trial.json")):
        trial = json.loads(trial_file.read_text())["trial"]
        spec = StudentSpec.from_dict(trial["spec"])
        res_file = trial_file.parent / "result.json"
        res = json.loads(res_file.read_text()) if res_file.is_file() else {"status": "unfinished"}
        metric = f"{res['metric']:.3f} ({trial['metric']})" if res.get("metric") is not None else "—"
        lines.append(
            f"| {trial_file.parent.name} | {spec.name} | {trial['hparams'].get('learning_rate')} | "
            f"{trial['hparams'].get('batch_size')} | {cm.size_mb(spec):.3f} | {res['status']} | {metric} | "
            f"{res.get('seconds', 0):.0f} |"
        )
    emit(args.out, lines)


def write(
    args: Any,
    root: Path,
    search: dict,
    preds: dict | None,
    y: np.ndarray | None,
    ci: dict | None,
    lat: dict | None,
    energy: dict | None,
    desc: dict | None,
) -> None:
    load = os.getloadavg()
    lines = [
        f"# AVATAR evidence: {args.task}",
        "",
        "```",
        *(args.fits or [f"bash bench/avatar_fits.sh {args.task}"]),
        "PYTHONPATH=. python bench/avatar_evidence.py " + " ".join(sys.argv[1:]),
        "```",
        "",
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs, torch {torch.__version__}, load average "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the end (shared with other jobs: latency ratios are "
        "interleaved in one process, absolute times are not comparable with other runs).",
        "",
        "## Search",
        "",
        f"- trials: {len(search['trials'])} ({search['n_trials_ok']} finished), metric `{search['metric']}`; whole search "
        f"{search['total_seconds']:.0f} s wall (trials + surrogate + {search['algorithm']}, {search['n_evals']} "
        f"configurations scored, {search['n_front']} on the front)",
        f"- z3 bounds for {search['target_mb']} MB ({search['smt_checks']} checks, {search['smt_seconds']:.1f} s): "
        f"`{search['pruned_bounds']}`",
        f"- surrogate (BayesianRidge, {search['surrogate']['n']} trials): CV R² {search['surrogate']['cv_r2']:.3f}, "
        f"MAE {search['surrogate']['cv_mae']:.4f} ({int(search['surrogate']['cv_folds'])}-fold)",
        f"- chosen: `{search['chosen']['spec_name']}` {search['chosen']['hparams']}, formula size "
        f"{search['chosen']['size_mb']:.3f} MB, predicted {search['metric']} {search['chosen']['objectives']['accuracy']:.3f}",
        "",
        "| trial | spec | lr | batch | size MB | status | metric | s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in search["trials"]:
        metric = f"{t['metric']:.3f}" if t["metric"] is not None else "—"
        lines.append(
            f"| {t['trial_id']} | {t['spec']} | {t['gene.learning_rate']} | {t['gene.batch_size']} | {t['size_mb']:.3f} "
            f"| {t['status']} | {metric} | {t['seconds']:.0f} |"
        )
    if preds is None or y is None or ci is None or lat is None or energy is None or desc is None:
        lines += ["", "Final fits: not run (`--search-only`)."]
        emit(args.out, lines)
        return
    lines += ["", f"## Test (first {len(y)} test examples, the same for all three models)", ""]
    lines += ["| | teacher | AVATAR | Compressor |", "|---|---|---|---|"]
    row = {k: desc[k] for k in ("teacher", "avatar", "compressor")}
    lines.append("| architecture | " + " | ".join(row[k]["spec"] for k in row) + " |")
    lines.append("| size MB (params × 4 B) | " + " | ".join(f"{row[k]['size_mb']:.3f}" for k in row) + " |")
    lines.append(
        "| GFLOPs / example (at its input length) | "
        + " | ".join(f"{row[k]['gflops']:.3f}" for k in row)
        + " |"
    )
    for metric, idx in (("accuracy", 0), ("F1", 1)):
        cells = []
        for k in row:
            v = scores(preds[k], y)[idx]
            lo, hi = ci[k]["acc_ci" if idx == 0 else "f1_ci"]
            cells.append(f"{v:.4f} [{lo:.4f}, {hi:.4f}]")
        lines.append(f"| test {metric} [95 % CI] | " + " | ".join(cells) + " |")
    lines.append("| latency ms / example (median) | " + " | ".join(f"{lat[k] * 1e3:.2f}" for k in row) + " |")
    lines.append(
        "| energy J / 1,000 predictions (codecarbon) | "
        + " | ".join(f"{energy[k]['joules_per_1000']:.1f}" for k in row)
        + " |"
    )
    lines += [""]
    for pair in ("avatar-compressor", "avatar-teacher", "compressor-teacher"):
        lo, hi = ci[pair]["ci"]
        lines.append(
            f"- accuracy {pair}: {ci[pair]['diff']:+.4f} [95 % CI {lo:+.4f}, {hi:+.4f}] (paired bootstrap)"
        )
    lines.append(
        f"- teacher / AVATAR: size {row['teacher']['size_mb'] / row['avatar']['size_mb']:.2f}×, latency "
        f"{lat['teacher'] / lat['avatar']:.2f}×, energy "
        f"{energy['teacher']['joules_per_1000'] / energy['avatar']['joules_per_1000']:.2f}×"
    )
    e = energy["teacher"]
    lines.append(
        f"- energy: codecarbon CPU mode `{e['codecarbon_cpu_mode']}`, TDP {e['codecarbon_tdp_w']} W (generic: "
        f"{e['codecarbon_generic_tdp']}), CPU `{e['cpu_model']}`; this machine exposes no RAPL energy counters "
        f"(/sys/class/powercap absent: {not Path('/sys/class/powercap').exists()}), so the joules are codecarbon's "
        "estimate from CPU load × TDP plus a RAM constant, not a measurement."
    )
    emit(args.out, lines)


def emit(out: Path | None, lines: list[str]) -> None:
    """Print the report; write it to ``--out`` too when given. There is no default file: the results files
    (bench/results/avatar_*.md) hold hand-written sections, so a re-run is merged by hand, never overwritten."""
    if out is not None:
        out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
