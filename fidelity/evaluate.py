"""Scoring a student on a probe set, and the MetaCompress relations per follow-up and over all of them.

Shared by :class:`fidelity.callback.FidelityCallback` (per checkpoint, inside a fit) and by
``python -m fidelity evaluate`` (any teacher/student pair loadable by ``kd.models.io.load_classifier``).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import torch

from fidelity.metrics import RELATION_KEYS, FidelityRelations
from fidelity.probe import ProbeConfig, ProbeSet, Teacher, build_probe
from kd.data.encoding import CodeEncoder
from kd.models.classifier import CodeClassifier
from kd.models.inference import predict_logits
from kd.models.ref import ModelRef

#: Row of the relation table pooling every follow-up pair (transforms and attacks together).
ALL = "all"
#: Pseudo follow-up holding teacher/student accuracy and agreement on the unmodified probe examples.
ORIGINALS = "originals"


@dataclass(frozen=True)
class Thresholds:
    """τ_d (JS distance), τ_c (high confidence), τ_g (confidence gap): see :mod:`fidelity.relations`."""

    tau_d: float = 0.1
    tau_c: float = 0.9
    tau_g: float = 0.1


@dataclass
class FidelityResult:
    """``table[followup][relation]`` for each non-empty follow-up set and ``all``; ``originals`` holds
    accuracies on the unmodified probe; ``student_probs`` rows follow ``probe.all_examples()``."""

    table: dict[str, dict[str, float]]
    originals: dict[str, float]
    student_probs: torch.Tensor
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)

    def metrics(self, prefix: str = "fidelity") -> dict[str, float]:
        """Flat ``{prefix}/<followup>/<relation>`` keys (the names logged to Lightning and MLflow)."""
        out = {f"{prefix}/{fu}/{rel}": v for fu, row in self.table.items() for rel, v in row.items()}
        out.update({f"{prefix}/{ORIGINALS}/{k}": v for k, v in self.originals.items()})
        return out


@contextmanager
def single_threaded() -> Iterator[None]:
    """Run torch ops on one intra-op thread, then restore the setting.

    The relations are hundreds of reductions over (N, 2) tensors; with a thread pool each one pays
    a synchronisation that, on a busy CPU, costs milliseconds (measured 10× slower with 2 threads
    than with 1 on a loaded 2-core machine)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def student_probs(
    probe: ProbeSet, model: CodeClassifier, encoder: CodeEncoder, batch_size: int = 64
) -> torch.Tensor:
    """Probabilities (N_all, C) of ``model`` on originals and follow-ups, one de-duplicated batched pass."""
    logits = predict_logits(model, encoder, probe.all_examples(), batch_size)
    return torch.softmax(logits.float(), dim=-1)


def fidelity_relations(
    probe: ProbeSet,
    s_probs: torch.Tensor,
    thresholds: Thresholds = Thresholds(),
    relations: tuple[str, ...] = RELATION_KEYS,
) -> FidelityResult:
    """Relations per follow-up set and pooled over all sets; empty sets are listed in ``skipped``."""
    start = time.perf_counter()
    expected = len(probe.all_examples())
    if s_probs.shape[0] != expected:
        raise ValueError(
            f"Expected student probabilities for {expected} probe examples, got {s_probs.shape[0]}"
        )
    s_src, s_fu = probe.split_scores(s_probs)
    with single_threaded():
        table, skipped = _relation_table(probe, s_src, s_fu, thresholds, relations)
    labels = probe.labels
    t_pred, s_pred = probe.teacher_probs.argmax(1), s_src.argmax(1)
    originals = {
        "acc_teacher": float((t_pred == labels).float().mean()) if len(labels) else 0.0,
        "acc_student": float((s_pred == labels).float().mean()) if len(labels) else 0.0,
        "agreement_violation": float((t_pred != s_pred).float().mean()) if len(labels) else 0.0,
    }
    return FidelityResult(table, originals, s_probs, time.perf_counter() - start, skipped)


def _relation_table(
    probe: ProbeSet,
    s_src: torch.Tensor,
    s_fu: dict[str, torch.Tensor],
    thresholds: Thresholds,
    relations: tuple[str, ...],
) -> tuple[dict[str, dict[str, float]], list[str]]:
    def metric() -> FidelityRelations:
        return FidelityRelations(tau_d=thresholds.tau_d, tau_c=thresholds.tau_c, tau_g=thresholds.tau_g)

    pooled = metric()
    table: dict[str, dict[str, float]] = {}
    skipped = []
    for name, fu in probe.followups.items():
        if not fu.examples:
            skipped.append(name)
            continue
        idx = torch.tensor(fu.source, dtype=torch.long)
        batch = (probe.teacher_probs[idx], s_src[idx], fu.teacher_probs, s_fu[name], probe.labels[idx])
        one = metric()
        one.update(*batch)
        pooled.update(*batch)
        table[name] = {k: float(v) for k, v in one.compute().items() if k in relations}
    table[ALL] = {k: float(v) for k, v in pooled.compute().items() if k in relations}
    return table, skipped


def evaluate_models(
    teacher: str,
    student: str,
    data_dir: str,
    task: str,
    config: ProbeConfig,
    thresholds: Thresholds = Thresholds(),
    split: str = "test",
    max_length: int = 400,
    batch_size: int = 64,
    use_cache: bool = True,
) -> tuple[ProbeSet, FidelityResult]:
    """The full MetaCompress evaluation of ``student`` against ``teacher`` on ``split`` of ``data_dir``."""
    from kd.data.datamodules import CloneDetectionDataModule, DefectDataModule
    from kd.distill import model_fingerprint
    from kd.models.io import load_classifier
    from kd.modules import n_inputs_for

    n_inputs = n_inputs_for(task)
    if split not in ("train", "distill", "val", "test"):
        raise ValueError(f"Unknown split {split!r}; expected one of train, distill, val, test")
    if data_dir != "demo" and not Path(data_dir).is_dir():
        raise FileNotFoundError(f"data directory {data_dir!r} does not exist")
    dm_cls = CloneDetectionDataModule if task == "clone" else DefectDataModule
    dm = dm_cls(data_dir, max_length=max_length, eval_batch_size=batch_size)
    data = dm.split(split)  # type: ignore[arg-type]
    t_loaded = load_classifier(teacher, n_inputs)
    s_loaded = load_classifier(student, n_inputs)
    t_model, s_model = t_loaded.model.eval(), s_loaded.model.eval()
    t_encoder = CodeEncoder(t_loaded.tokenizer, max_length)

    def teacher_predict(examples: list[tuple[str, ...]]) -> torch.Tensor:
        return predict_logits(
            t_model, t_encoder, examples, batch_size, progress=True, desc="teacher on probe"
        )

    handle = Teacher(
        t_model, t_loaded.tokenizer, model_fingerprint(ModelRef(teacher)), max_length, teacher_predict
    )
    probe = build_probe(data, task, config, handle, use_cache=use_cache)
    probs = student_probs(probe, s_model, CodeEncoder(s_loaded.tokenizer, max_length), batch_size)
    return probe, fidelity_relations(probe, probs, thresholds)
