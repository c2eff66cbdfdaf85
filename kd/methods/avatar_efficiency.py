"""Teacher vs student efficiency, as AVATAR reports it: size, GFLOPs, CPU latency, energy per 1,000 predictions.

- size: floating-point parameters × 4 bytes of the built models (MB = 10⁶ bytes);
- GFLOPs per example: the papers' formula (`kd.cost.gflops`) at the input length each model reads (the
  teacher at the data's length, the student at min(that, its max_seq_len)), × 2 for clone pairs;
- latency: median CPU seconds per example over interleaved timed batches (teacher, student, teacher, …) of
  the same test examples, in eval mode;
- energy: `codecarbon`'s offline tracker around 1,000 predictions per model, in joules. Where the machine
  exposes no energy counters (no Intel RAPL under /sys/class/powercap), codecarbon *estimates* CPU power from
  the process's CPU load × the CPU's TDP (a generic TDP when the model is unknown) plus a RAM constant: the
  report names the mode and TDP it used, so such a figure is read as an estimate, not a measurement.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path
from typing import Any

import torch

from kd import cost
from kd.data.encoding import CodeEncoder
from kd.spec import StudentSpec


def _gflops(model: Any, length: int, n_inputs: int) -> float | None:
    try:
        spec = StudentSpec.from_roberta_config(model.encoder.config)
    except (ValueError, TypeError):
        return None
    return cost.gflops(spec, min(length, spec.max_seq_len)) * n_inputs


def _batches(
    encoder: CodeEncoder, examples: list[tuple[str, ...]], batch: int
) -> list[dict[str, torch.Tensor]]:
    out = []
    for i in range(0, len(examples), batch):
        flat = [t for ex in examples[i : i + batch] for t in ex]
        out.append(encoder.batch(flat))
    return out


def _energy(model: Any, batches: list[dict[str, torch.Tensor]], n: int) -> dict[str, Any]:
    from codecarbon import OfflineEmissionsTracker

    tracker = OfflineEmissionsTracker(
        country_iso_code="USA",
        measure_power_secs=1,
        save_to_file=False,
        log_level="error",
        tracking_mode="process",
    )
    done, k = 0, 0
    tracker.start()
    start = time.perf_counter()
    with torch.inference_mode():
        while done < n:
            b = batches[k % len(batches)]
            model(b["input_ids"], b["attention_mask"])
            done += len(b["input_ids"]) // model.n_inputs  # rows are functions; a pair is one prediction
            k += 1
    tracker.stop()
    data = tracker.final_emissions_data
    cpu = next((h for h in tracker._hardware if type(h).__name__ == "CPU"), None)
    return {
        "joules_per_1000": float(data.energy_consumed) * 3.6e6 * 1000 / done,
        "predictions": done,
        "seconds": time.perf_counter() - start,
        "cpu_model": data.cpu_model,
        "codecarbon_cpu_mode": getattr(cpu, "_mode", None),
        "codecarbon_tdp_w": getattr(cpu, "_tdp", None),
        "codecarbon_generic_tdp": getattr(cpu, "_is_generic_tdp", None),
    }


def efficiency_report(module: Any, n_examples: int = 200, batch: int = 32, rounds: int = 5) -> dict[str, Any]:
    """Teacher vs ``module``'s student on up to ``n_examples`` test examples; ratios are teacher / student."""
    dm = module._datamodule()
    split = dm.split("test")
    examples = [split.texts(i) for i in range(min(n_examples, len(split)))]
    teacher, t_tok = module.teacher()
    student, s_tok = module.built()
    t_len = module.teacher_max_length or dm.max_length
    models = {
        "teacher": (teacher.eval(), CodeEncoder(t_tok, t_len), t_len),
        "student": (student.eval(), CodeEncoder(s_tok, dm.max_length), dm.max_length),
    }
    batches = {k: _batches(enc, examples, batch) for k, (_, enc, _) in models.items()}
    times: dict[str, list[float]] = {k: [] for k in models}
    was_training = student.training
    with torch.inference_mode():
        for k, (m, _, _) in models.items():  # warm-up
            m(batches[k][0]["input_ids"], batches[k][0]["attention_mask"])
        for _ in range(rounds):
            for k, (m, _, _) in models.items():
                start = time.perf_counter()
                for b in batches[k]:
                    m(b["input_ids"], b["attention_mask"])
                times[k].append((time.perf_counter() - start) / len(examples))
    report: dict[str, Any] = {"n_examples": len(examples), "batch": batch, "rounds": rounds}
    report["load_average"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    report["energy_counters"] = Path("/sys/class/powercap/intel-rapl").exists()
    for k, (m, _, length) in models.items():
        report[k] = {
            "size_mb": cost.actual_param_count(m) * 4 / 1e6,
            "gflops_per_example": _gflops(m, length, module.n_inputs),
            "input_length": length,
            "latency_ms_per_example": statistics.median(times[k]) * 1e3,
            "energy": _energy(m, batches[k], 1000),
        }
    student.train(was_training)
    t, s = report["teacher"], report["student"]
    report["ratios"] = {
        "size": t["size_mb"] / s["size_mb"],
        "latency": t["latency_ms_per_example"] / s["latency_ms_per_example"],
        "energy": t["energy"]["joules_per_1000"] / max(s["energy"]["joules_per_1000"], 1e-12),
    }
    if t["gflops_per_example"] and s["gflops_per_example"]:
        report["ratios"]["gflops"] = t["gflops_per_example"] / s["gflops_per_example"]
    return report
