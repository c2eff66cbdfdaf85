"""MORPH evidence tables (bench/results/morph_bigclonebench.md, bench/results/morph_devign.md).

    PYTHONPATH=. python bench/morph_report.py runs/evidence/morph_clone [--task clone|vulnerability] \
        [--n-test 400] [--out FILE] [--student avatar=runs/evidence/avatar_clone_4k/avatar/model \
        compressor=runs/evidence/avatar_clone_4k/compressor/model]

Reads the search result (``<root>/teacher/search``) and the exported students ``<root>/<targets>/model`` (targets
``teacher`` and, when present, ``source``) and any ``--student NAME=DIR`` (AVATAR's and Compressor's students at
the same budget, for MORPH's claim of fewer flips), predicts the first ``--n-test`` test examples (BigCloneBench
pairs for ``--task clone``, Devign C functions for ``--task vulnerability``) and their metamorphic copies (the same
``natural_rename`` variants as training, from the cache) with the teacher and each student, and reports accuracy,
F1, flips (count and rate) with 95 % bootstrap intervals (2,000 resamples of the test examples) and the paired
teacher-targets − source-targets difference in flips.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kd import cost  # noqa: E402
from kd.data.datamodules import CloneDetectionDataModule, DefectDataModule  # noqa: E402
from kd.data.encoding import CodeEncoder  # noqa: E402
from kd.methods.morph_data import TASK_LANGUAGE, metamorphic_split  # noqa: E402
from kd.models.inference import predict_logits  # noqa: E402
from kd.models.io import load_classifier, load_model_dir  # noqa: E402
from kd.modules import n_inputs_for  # noqa: E402
from kd.spec import StudentSpec  # noqa: E402

SHARED = ROOT.parent / "shared"
# task -> (data folder, data module, what one test example is); language and inputs per example from kd
TASKS: dict[str, tuple[str, Any, str]] = {
    "clone": ("bigclonebench", CloneDetectionDataModule, "BigCloneBench test pairs"),
    "vulnerability": ("devign", DefectDataModule, "Devign test functions"),
}


def scores(pred: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    tp = int(((pred == 1) & (y == 1)).sum())
    fp, fn = int(((pred == 1) & (y == 0)).sum()), int(((pred == 0) & (y == 1)).sum())
    return float((pred == y).mean()), (2 * tp / (2 * tp + fp + fn) if tp else 0.0)


def predict(model: Any, tok: Any, length: int, examples: list[tuple[str, ...]]) -> np.ndarray:
    return predict_logits(model, CodeEncoder(tok, length), examples, 64).argmax(-1).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("root", type=Path)
    parser.add_argument("--task", choices=sorted(TASKS), default="clone")
    parser.add_argument("--n-test", type=int, default=400)
    parser.add_argument("--out", type=Path, default=None, help="print the tables here (default: stdout)")
    parser.add_argument(
        "--student",
        nargs="*",
        default=[],
        metavar="NAME=DIR",
        help="other students scored on the same pairs and copies (e.g. AVATAR's and Compressor's exported model dirs "
        "at the same budget); each gets a paired flip difference against MORPH with a bootstrap interval and "
        "McNemar's exact test",
    )
    args = parser.parse_args()
    folder, dm_cls, unit = TASKS[args.task]
    dm = dm_cls(str(SHARED / "data" / folder), max_eval_examples=args.n_test)
    test = dm.split("test")
    meta, stats = metamorphic_split(test, TASK_LANGUAGE[args.task], ["natural_rename"], 0)
    y = test.labels().numpy()
    orig_ex = [test.texts(i) for i in range(len(test))]
    meta_ex = [meta.texts(i) for i in range(len(meta))]

    models: dict[str, tuple[Any, Any, int, str]] = {}
    teacher = load_classifier(str(SHARED / "models" / "compressor-3mb" / args.task), n_inputs_for(args.task))
    models["teacher (Compressor 3 MB)"] = (teacher.model.eval(), teacher.tokenizer, 400, "")
    for targets in ("teacher", "source"):
        directory = args.root / targets / "model"
        if (directory / "model.pt").is_file():
            loaded = load_model_dir(directory)
            config = loaded.model.encoder.config
            length = min(400, int(config.max_position_embeddings) - 2)
            spec = StudentSpec.from_roberta_config(config)
            models[f"MORPH student, augment_targets={targets}"] = (
                loaded.model.eval(),
                loaded.tokenizer,
                length,
                spec.name,
            )

    for item in args.student:
        name, sep, path = item.partition("=")
        if not sep or not (Path(path) / "metacompress.json").is_file():
            parser.error(f"--student {item!r}: expected NAME=DIR with DIR an exported model directory")
        loaded = load_model_dir(Path(path))
        config = loaded.model.encoder.config
        spec_name = StudentSpec.from_roberta_config(config).name
        length = min(400, int(config.max_position_embeddings) - 2)
        models[name] = (loaded.model.eval(), loaded.tokenizer, length, spec_name)

    preds = {
        name: (predict(m, t, n, orig_ex), predict(m, t, n, meta_ex)) for name, (m, t, n, _) in models.items()
    }
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(y), (2000, len(y)))
    lines = [
        f"Test slice: the first {len(y)} {unit} (`max_eval_examples`), "
        f"{int(y.sum())} positive; metamorphic copy: natural_rename changed {stats.changed}/{stats.functions} functions.",
        "",
        "| model | spec | params | acc [95% CI] | F1 [95% CI] | meta acc | flips | flip rate [95% CI] |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, (p, q) in preds.items():
        model, _, _, spec = models[name]
        acc, f1 = scores(p, y)
        meta_acc = float((q == y).mean())
        flips = p != q
        boot = np.array([[*scores(p[i], y[i]), flips[i].mean()] for i in idx])
        lo, hi = np.percentile(boot, [2.5, 97.5], axis=0)
        lines.append(
            f"| {name} | {spec or 'L12-H96-A8-I64-V1000'} | {cost.actual_param_count(model):,} "
            f"| {acc:.3f} [{lo[0]:.3f}, {hi[0]:.3f}] | {f1:.3f} [{lo[1]:.3f}, {hi[1]:.3f}] | {meta_acc:.3f} "
            f"| {int(flips.sum())} | {flips.mean():.3f} [{lo[2]:.3f}, {hi[2]:.3f}] |"
        )
    names = [n for n in preds if n.startswith("MORPH")]
    if len(names) == 2:
        (pt, qt), (ps, qs) = preds[names[0]], preds[names[1]]
        d = (pt != qt).astype(float) - (ps != qs).astype(float)
        lo, hi = np.percentile([d[i].mean() for i in idx], [2.5, 97.5])
        lines += [
            "",
            f"Paired flip-rate difference, teacher − source targets: {d.mean():+.3f} [95% CI {lo:+.3f}, {hi:+.3f}] "
            f"({int((pt != qt).sum())} vs {int((ps != qs).sum())} flips on the same {len(y)} examples).",
        ]
    morph = next((n for n in names if n.endswith("=teacher")), names[0] if names else None)
    others = [n for n in preds if not n.startswith("MORPH") and not n.startswith("teacher")]
    if morph is not None and others:
        from fidelity.stats import difference_interval, mcnemar_exact  # tested against statsmodels / scipy

        lines += [
            "",
            f"Flips of {morph} vs the other students on the same {len(y)} examples (paired: difference in flip rate "
            "with a 2,000-resample bootstrap interval; McNemar's exact test on the examples where exactly one flips):",
            "",
            "| other student | MORPH flips | other flips | MORPH − other flip rate [95% CI] | relative | McNemar p |",
            "|---|---|---|---|---|---|",
        ]
        fm = preds[morph][0] != preds[morph][1]
        for other in others:
            fo = preds[other][0] != preds[other][1]
            diff = difference_interval(fm.astype(float), fo.astype(float), n_boot=2000, seed=0)
            p_value = mcnemar_exact(int((fm & ~fo).sum()), int((~fm & fo).sum()))
            rel = f"{(fm.sum() - fo.sum()) / fo.sum():+.0%}" if fo.sum() else "n/a"
            lines.append(
                f"| {other} | {int(fm.sum())} | {int(fo.sum())} | {diff.estimate:+.3f} [{diff.low:+.3f}, "
                f"{diff.high:+.3f}] | {rel} | {p_value:.3g} |"
            )
    summary = json.loads((args.root / "teacher" / "search" / "search_result.json").read_text())
    sur = summary["surrogates"]
    lines += [
        "",
        f"Search: {summary['n_trials_ok']} of {len(summary['trials'])} LHS trials finished "
        f"({summary['n_collapsed']} collapsed to one label), {summary['algorithm']} over "
        f"{[o[0] for o in summary['objectives']]}, {summary['n_evals']} configurations scored, "
        f"{summary['n_front']} on the front, hypervolume {summary['hypervolume']:.3f} (of 1.464), "
        f"search {summary['total_seconds']:.0f} s wall.",
        f"Surrogates ({sur['n']} trials, {int(sur['accuracy']['cv_folds'])}-fold CV): accuracy R² "
        f"{sur['accuracy']['cv_r2']:.3f}, MAE {sur['accuracy']['cv_mae']:.4f}; flips R² {sur['flips']['cv_r2']:.3f}, "
        f"MAE {sur['flips']['cv_mae']:.2f}; flip grid choice {sur['flip_params']}.",
        f"Chosen (closest to {summary['target_mb']} MB by size): `{summary['chosen']['spec_name']}` "
        f"{summary['chosen']['hparams']}, formula size {summary['chosen']['size_mb']:.3f} MB, "
        f"{summary['chosen']['gflops']:.3f} GFLOPs, predicted accuracy {summary['chosen']['objectives']['accuracy']:.3f}, "
        f"predicted flips {summary['chosen']['objectives']['flips']:.0f}.",
        "",
        "| trial | spec | lr | batch | size MB | accuracy (mean orig/meta) | flips | collapsed | s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in summary["trials"]:
        acc = "" if row["accuracy"] is None else f"{row['accuracy']:.3f}"
        flips = "" if row["flips"] is None else f"{row['flips']:.0f} / {row['n_val']}"
        lines.append(
            f"| {row['trial_id']} | {row['spec']} | {row['gene.learning_rate']} | {row['gene.batch_size']} "
            f"| {row['size_mb']:.3f} | {acc} | {flips} | {row['collapsed']} | {row['seconds']:.0f} |"
        )
    text = "\n".join(lines) + "\n"
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
