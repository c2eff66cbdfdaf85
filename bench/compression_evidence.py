"""Pruned and quantized students of a 3 MB Compressor model, tested like distilled ones.

    python bench/compression_evidence.py --task clone --train 2000 --epochs 1
    python bench/compression_evidence.py --task vulnerability --epochs 2

From the teacher (the imported 3 MB Compressor model) it makes: int8-dynamic, fp16 (``python -m kd.compress
quantize``), 50 % unstructured magnitude pruning (no fine-tuning), and structured pruning to 1/2 and 1/5 of the
parameters followed by a short recovery fine-tune (``lightning_configs/<task>/prune.yaml`` with this script's
budget; the FidelityCallback is left out of these fits to keep them short). For every model it reports size
(bytes of ``model.pt``, parameters × bits), CPU latency relative to the teacher (interleaved repeats in this one
process, median), test accuracy and F1 with 95 % Wilson intervals and the exact McNemar test against the
teacher, and ``python -m fidelity evaluate --attack-student`` (relations and direct-attack success rates; one
MLflow run each in experiment ``compression-<task>``, so ``python -m fidelity compare --experiment
compression-<task>`` tabulates them by ``kd.compression``). Stages already done are reused from
``runs/evidence/compression_<task>/`` unless ``--fresh``. Output: ``bench/results/compression_<task>.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import torch
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# intervals and tests shared with the study (fidelity.stats: tested against statsmodels / scipy)
from fidelity.stats import mcnemar_paired, wilson  # noqa: E402
from kd.compress.api import StructuredSettings, prune_dir, quantize_dir, size_report  # noqa: E402
from kd.data.encoding import CodeEncoder  # noqa: E402
from kd.models.inference import predict_logits  # noqa: E402
from kd.models.io import LoadedModel, load_classifier  # noqa: E402

CONFIG_DIR = {"clone": "bigclonebench", "vulnerability": "devign"}
N_INPUTS = {"clone": 2, "vulnerability": 1}


def fine_tune(task: str, ratio: float, out: Path, args: argparse.Namespace) -> dict[str, Any]:
    """prune.yaml with this run's budget (structured to ``ratio``, no FidelityCallback) via KDCLI."""
    from kd.cli import KDCLI

    cfg = yaml.safe_load((ROOT / "lightning_configs" / CONFIG_DIR[task] / "prune.yaml").read_text())
    cfg["trainer"]["callbacks"] = [
        c for c in cfg["trainer"]["callbacks"] if "Fidelity" not in c["class_path"]
    ]
    cfg["trainer"].update(
        max_epochs=args.epochs, default_root_dir=str(out / "fit"), enable_progress_bar=False
    )
    cfg["trainer"]["logger"]["init_args"]["run_name"] = f"prune-{ratio}"
    cfg["model"]["init_args"].update(target_ratio=ratio, export_dir=str(out))
    data = cfg["data"]["init_args"]
    data.update(max_train_examples=args.train, max_eval_examples=args.val)
    path = out.parent / f"prune-{ratio}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    start = time.perf_counter()
    cli = KDCLI(args=["fit", "--config", str(path), "--test_after_fit", "false"])
    return {
        "fit_seconds": time.perf_counter() - start,
        "steps": cli.trainer.global_step,
        "train_examples": len(cli.datamodule.split("distill")),
        "best_val_acc": float(cli.trainer.checkpoint_callback.best_model_score or float("nan")),
        "mlflow_run": getattr(cli.trainer.logger, "run_id", None),
    }


def build_variants(
    task: str, teacher: str, root: Path, args: argparse.Namespace, facts: dict
) -> dict[str, Path]:
    ft = "" if args.no_finetune else " + FT"
    variants = {
        "int8-dynamic": root / "int8",
        "fp16": root / "fp16",
        "unstructured 50 %": root / "unstructured50",
        f"structured 1/2{ft}": root / f"structured50{ft.strip(' +')}",
        f"structured 1/5{ft}": root / f"structured20{ft.strip(' +')}",
    }
    for name, out in variants.items():
        if (out / "metacompress.json").is_file() and not args.fresh:
            continue
        start = time.perf_counter()
        if name == "int8-dynamic":
            quantize_dir(teacher, "int8-dynamic", out, task=task)
        elif name == "fp16":
            quantize_dir(teacher, "fp16", out, task=task)
        elif name.startswith("unstructured"):
            prune_dir(teacher, out, "unstructured", sparsity=0.5, task=task)
        elif (
            args.no_finetune
        ):  # the same pruning as prune.yaml (Taylor, 128 calibration examples), no recovery
            cfg = yaml.safe_load((ROOT / "lightning_configs" / CONFIG_DIR[task] / "prune.yaml").read_text())
            settings = StructuredSettings(target_ratio=0.5 if "1/2" in name else 0.2, importance="taylor")
            data = cfg["data"]["init_args"]["data_dir"]
            prune_dir(teacher, out, "structured", settings=settings, data_dir=data, task=task)
        else:
            facts[name] = fine_tune(task, 0.5 if "1/2" in name else 0.2, out, args)
        facts.setdefault(name, {})["make_seconds"] = time.perf_counter() - start
    return variants


def latency(models: dict[str, LoadedModel], texts: list[str], repeats: int) -> dict[str, float]:
    """Interleaved medians: every model embeds the same padded batch, order rotated each repeat."""
    first = next(iter(models.values()))
    enc = CodeEncoder(first.tokenizer, 400)
    ids, mask = enc.pad(enc.encode_many(texts))
    times: dict[str, list[float]] = {k: [] for k in models}
    names = list(models)
    with torch.inference_mode():
        for r in range(repeats + 1):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                start = time.perf_counter()
                models[name].model.eval().embed(ids, mask)
                if r:  # repeat 0 warms up
                    times[name].append(time.perf_counter() - start)
    return {k: statistics.median(v) for k, v in times.items()}


def fidelity_run(
    task: str, teacher: str, student: Path, data: str, experiment: str, budget: list[str]
) -> str:
    """``python -m fidelity evaluate --attack-student`` in process; returns the MLflow run id."""
    import mlflow

    from fidelity.cli import main as fidelity_main
    from kd.tracking import default_tracking_uri

    args = ["evaluate", "--teacher", teacher, "--student", str(student), "--data", data, "--task", task]
    args += [*budget, "--max-length", "400", "--attack-student", "--experiment", experiment]
    if fidelity_main(args) != 0:
        raise RuntimeError(f"fidelity evaluate failed for {student}")
    client = mlflow.MlflowClient(default_tracking_uri())
    exp = client.get_experiment_by_name(experiment)
    assert exp is not None
    runs = client.search_runs([exp.experiment_id], order_by=["attributes.start_time DESC"], max_results=1)
    return str(runs[0].info.run_id)


def kind_of(directory: Path) -> str:
    """The seed paper's three kinds of compression (Awal et al.): quantized, pruned, distilled — from the method
    the model dir records (the study's rule, fidelity.study_compare.compression_kind), not from its display name."""
    from fidelity.study_compare import compression_kind

    method = str(json.loads((directory / "metacompress.json").read_text()).get("method", ""))
    kind = compression_kind(method)
    if kind is None:
        raise ValueError(f"{directory}: method {method!r} names no compression kind")
    return kind


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--task", choices=sorted(CONFIG_DIR), required=True)
    p.add_argument(
        "--train", type=int, help="distillation examples for the recovery fine-tunes (default all)"
    )
    p.add_argument("--val", type=int, default=300, help="validation examples during the fine-tunes")
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--test", type=int, help="test examples (a seeded sample; default the whole split)")
    p.add_argument("--probe", type=int, default=200, help="fidelity evaluate --n")
    p.add_argument("--attacks", nargs="+", default=["mhm", "alert", "wir_random"])
    p.add_argument("--n-attack", type=int, default=30)
    p.add_argument("--max-queries", type=int, default=40)
    p.add_argument("--skip-fidelity", action="store_true")
    p.add_argument(
        "--no-finetune", action="store_true", help="structured variants without recovery fine-tuning"
    )
    p.add_argument("--latency-functions", type=int, default=32)
    p.add_argument("--fresh", action="store_true", help="rebuild every model and rerun every evaluation")
    p.add_argument(
        "--distilled",
        nargs="*",
        default=[],
        metavar="NAME=DIR",
        help="distilled students of the same teacher (model dirs made elsewhere, e.g. by "
        "bench/feature_kd_evidence.py) measured in the same tables, for the seed paper's ordering question",
    )
    args = p.parse_args()
    os.chdir(ROOT)
    cfg = yaml.safe_load((ROOT / "lightning_configs" / CONFIG_DIR[args.task] / "prune.yaml").read_text())
    teacher = cfg["model"]["init_args"]["teacher"]["source"]
    data_dir = cfg["data"]["init_args"]["data_dir"]
    root = ROOT / "runs" / "evidence" / f"compression_{args.task}"
    root.mkdir(parents=True, exist_ok=True)
    state_path = root / "state.json"
    state: dict[str, Any] = (
        json.loads(state_path.read_text()) if state_path.is_file() and not args.fresh else {}
    )
    facts = state.setdefault("facts", {})
    variants = build_variants(args.task, teacher, root, args, facts)
    for item in args.distilled:
        name, sep, path = item.partition("=")
        if not sep or not (Path(path) / "metacompress.json").is_file():
            p.error(f"--distilled {item!r}: expected NAME=DIR with DIR a model directory (metacompress.json)")
        variants[name] = Path(path).resolve()
        facts.setdefault(name, {})["made_by"] = f"distilled elsewhere: {path}"
    state["kinds"] = {name: kind_of(Path(directory)) for name, directory in variants.items()}
    state_path.write_text(json.dumps(state, indent=2))

    from kd.data.datamodules import CloneDetectionDataModule, DefectDataModule

    dm = (CloneDetectionDataModule if args.task == "clone" else DefectDataModule)(
        data_dir, max_eval_examples=args.test
    )
    test = dm.split("test")
    examples, labels = [test.texts(i) for i in range(len(test))], test.labels()
    models = {"teacher": load_classifier(teacher, N_INPUTS[args.task])}
    models.update({k: load_classifier(str(v), N_INPUTS[args.task]) for k, v in variants.items()})
    preds = {
        k: predict_logits(m.model, CodeEncoder(m.tokenizer, 400), examples).argmax(-1)
        for k, m in models.items()
    }
    texts = list(dict.fromkeys(t for ex in examples for t in ex))[: args.latency_functions]
    lat = latency(models, texts, args.repeats)
    rows = {}
    for name, pred in preds.items():
        right = pred == labels
        tp = int(((pred == 1) & (labels == 1)).sum())
        fp, fn = int(((pred == 1) & (labels == 0)).sum()), int(((pred == 0) & (labels == 1)).sum())
        k, n = int(right.sum()), len(labels)
        size = size_report(variants[name]) if name in variants else size_report(teacher)
        rows[name] = {
            "acc": k / n,
            "acc_ci": (wilson(k, n).low, wilson(k, n).high),
            "f1": 2 * tp / (2 * tp + fp + fn) if tp else 0.0,
            "agreement": float((pred == preds["teacher"]).float().mean()),
            "positive_rate": float((pred == 1).float().mean()),
            "mcnemar_p": mcnemar_paired((preds["teacher"] == labels).numpy(), right.numpy()),
            "latency_s": lat[name],
            "speedup": lat["teacher"] / lat[name],
            "size": size,
        }
    state.update(rows=rows, n_test=len(labels), n_latency=len(texts), load=os.getloadavg())
    state_path.write_text(json.dumps(state, indent=2))
    write_report(args.task, state)
    if not args.skip_fidelity:
        runs = state.setdefault("fidelity_runs", {})
        first = [n for n in variants if n.startswith("structured 1/5")] + [
            "int8-dynamic",
            "unstructured 50 %",
        ]
        for name in dict.fromkeys([*first, *variants]):  # the most compressed first: the run may be cut short
            path = variants[name]
            if name not in runs:
                budget = [
                    "--n",
                    str(args.probe),
                    "--attacks",
                    *args.attacks,
                    "--n-attack",
                    str(args.n_attack),
                ]
                budget += ["--max-queries", str(args.max_queries)]
                runs[name] = fidelity_run(
                    args.task, teacher, path, data_dir, f"compression-{args.task}", budget
                )
                state_path.write_text(json.dumps(state, indent=2))
    write_report(args.task, state)
    print((ROOT / "bench" / "results" / f"compression_{args.task}.md").read_text())


def write_report(task: str, state: dict[str, Any]) -> None:
    from compression_report import render  # bench/ is on sys.path when run as a script

    state["command"] = shlex.join(["python", "bench/compression_evidence.py", *sys.argv[1:]])
    out = ROOT / "bench" / "results" / f"compression_{task}.md"
    out.write_text(render(task, state, platform.platform(), torch.__version__, torch.get_num_threads()))


if __name__ == "__main__":
    main()
