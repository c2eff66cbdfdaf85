"""A brief AVATAR-style search trial's fixed overhead: what a trial costs beyond its training steps.

Runs :func:`kd.search.trials.run_trial` in this process, as a search's trial subprocess does after its imports:
AvatarKD, teacher = the imported 3 MB Compressor clone model, a tiny fresh student (L1-H32-A2-I64, vocabulary
1000 trained per trial, as AVATAR), 256 BigCloneBench distillation pairs, 1 epoch, batch 16, 200 validation pairs,
logging into an existing MLflow sqlite store and run (as :class:`kd.search.trials.TrialRunner` prepares them).
Two trials run back to back: the first with empty caches (tokenizer training, teacher pass and tokenisation are
paid), the second a different learning rate on the same data (caches warm, as every later trial of a search).
Phases are timed as in ``bench/profile_distill.py``; ``overhead`` = the trial's wall time minus its training
steps (forward, backward, optimiser) and its validation pass. The import time of a fresh trial process
(``python -m kd.search.trials`` imports) is measured in a subprocess.

    python bench/trial_overhead.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_distill import DATA, ROOT, TEACHER  # noqa: E402
from profile_distill import PhaseTimer, instrument  # noqa: E402

sys.path.insert(0, str(ROOT))
import lightning as L  # noqa: E402
import mlflow  # noqa: E402

from kd.distill import DistillationModule  # noqa: E402
from kd.modules import ClassifierModule  # noqa: E402
from kd.search.trials import Trial, run_trial  # noqa: E402
from kd.spec import StudentSpec  # noqa: E402
from kd.tracking import get_or_create_experiment  # noqa: E402

SPEC = StudentSpec(
    vocab_size=1000, num_hidden_layers=1, hidden_size=32, num_attention_heads=2, intermediate_size=64
)
IMPORTS = (
    "import kd.search.trials, kd.methods.avatar, kd.data.datamodules, kd.tracking, lightning, torch, mlflow"
)


def trial(lr: float) -> Trial:
    return Trial(
        spec=SPEC.to_dict(),
        hparams={"learning_rate": lr, "batch_size": 16},
        module={
            "class_path": "kd.methods.avatar.AvatarKD",
            "init_args": {"teacher": {"source": str(TEACHER)}, "task": "clone", "efficiency_examples": 0},
        },
        data={
            "class_path": "kd.data.datamodules.CloneDetectionDataModule",
            "init_args": {"data_dir": str(DATA), "max_train_examples": 256, "max_eval_examples": 200},
        },
        epochs=1,
        metric="val/f1",
    )


def main() -> None:
    import_s = []
    for _ in range(2):
        t0 = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", IMPORTS], check=True, env={**os.environ, "PYTHONPATH": str(ROOT)}
        )
        import_s.append(time.perf_counter() - t0)
    timer = PhaseTimer()
    instrument(timer)
    timer.wrap(ClassifierModule, "_fresh_tokenizer", "tokenizer-train")
    timer.wrap(DistillationModule, "validation_step", "validation")
    timer.wrap(L.LightningModule, "log_dict", "logging")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["METACOMPRESS_CACHE"] = str(Path(tmp) / "cache")
        uri = f"sqlite:///{tmp}/mlflow.db"
        client = mlflow.MlflowClient(uri)  # the search's store and runs exist before its trials start
        exp = get_or_create_experiment(client, "trials", None)
        for name, lr in (("first trial (cold caches)", 1e-4), ("later trial (warm caches)", 3e-4)):
            run_id = client.create_run(exp).info.run_id
            timer.seconds.clear()
            timer.calls.clear()
            load = os.getloadavg()[0]
            result = run_trial(trial(lr), run_id=run_id, tracking_uri=uri)
            steps = sum(timer.seconds.get(k, 0.0) for k in ("forward", "backward", "optimiser"))
            val = timer.seconds.get("validation", 0.0)
            rows.append((name, result.seconds, steps, val, dict(timer.seconds), timer.calls["forward"], load))
    print(
        f"\nfresh trial process imports: {min(import_s):.1f} s (best of 2: "
        + ", ".join(f"{s:.1f}" for s in import_s)
        + ")\n"
    )
    print(
        "| trial | load | wall s | training steps s | validation s | **overhead s** | largest overhead phases |"
    )
    print("|---|---:|---:|---:|---:|---:|---|")
    skip = {"forward", "backward", "optimiser", "validation"}
    for name, total, steps, val, phases, n_steps, load in rows:
        top = sorted(((v, k) for k, v in phases.items() if k not in skip), reverse=True)[:4]
        detail = ", ".join(f"{k} {v:.1f}" for v, k in top)
        print(
            f"| {name} ({n_steps} steps) | {load:.1f} | {total:.1f} | {steps:.1f} | {val:.1f} "
            f"| **{total - steps - val:.1f}** | {detail} |"
        )


if __name__ == "__main__":
    main()
