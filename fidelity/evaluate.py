"""Scoring a student on a probe set, and the MetaCompress relations per follow-up and over all of them.

Shared by :class:`fidelity.callback.FidelityCallback` (per checkpoint, inside a fit) and by
``python -m fidelity evaluate`` (any teacher/student pair loadable by ``kd.models.io.load_classifier``).
Both can also attack the student directly (:func:`compare_attacks`) and set its attack metrics beside
those of the same attacks against the teacher.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import torch

from fidelity.metrics import RELATION_KEYS, FidelityRelations
from fidelity.probe import (
    ProbeConfig,
    ProbeSet,
    Teacher,
    attack_pool_texts,
    attack_summaries,
    build_probe,
    teacher_attack_stats,
)
from kd.data.encoding import CodeEncoder
from kd.data.splits import CodeSplit
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


@dataclass(frozen=True)
class AttackComparison:
    """Per attack, the :func:`fidelity.attacks.summarize` metrics (``asr``, ``avg_queries``, ``icr``,
    ``tcr``, ``seconds``, ...) against the teacher (from probe building) and against the student (run
    directly on the same originals, labels, candidate pool, budget and seed)."""

    teacher: dict[str, dict[str, float]]
    student: dict[str, dict[str, float]]

    def metrics(self, prefix: str = "fidelity") -> dict[str, float]:
        """``{prefix}/student_attack/<attack>/<metric>`` and ``{prefix}/teacher_attack/<attack>/<metric>``."""
        return {
            f"{prefix}/{target}_attack/{attack}/{key}": float(value)
            for target, summaries in (("student", self.student), ("teacher", self.teacher))
            for attack, summary in summaries.items()
            for key, value in summary.items()
        }

    def rows(self) -> list[dict[str, float | str]]:
        """One row per (attack, target), teacher first: the table ``evaluate --attack-student`` prints."""
        return [
            {"attack": attack, "target": target, **summaries[attack]}
            for attack in dict.fromkeys([*self.teacher, *self.student])
            for target, summaries in (("teacher", self.teacher), ("student", self.student))
            if attack in summaries
        ]


def compare_attacks(
    probe: ProbeSet,
    split: CodeSplit,
    config: ProbeConfig,
    model: CodeClassifier,
    encoder: CodeEncoder,
    progress: bool = False,
) -> AttackComparison:
    """Run ``config``'s attacks directly against the student ``model`` on the probe's attacked originals
    (the first ``config.n_attack``, gold labels), with the candidate pool the teacher's attacks used.

    ``config`` must be the one ``probe`` was built with, or the two sides attack different inputs."""
    student = attack_summaries(
        model,
        encoder.tokenizer,
        encoder.max_length,
        probe.originals,
        probe.labels.tolist(),
        probe.language,
        config,
        attack_pool_texts(split, config),
        progress,
    )
    return AttackComparison(teacher_attack_stats(probe), student)


@dataclass
class FidelityResult:
    """``table[followup][relation]`` for each non-empty follow-up set and ``all``; ``originals`` holds
    accuracies on the unmodified probe; ``student_probs`` rows follow ``probe.all_examples()``."""

    table: dict[str, dict[str, float]]
    originals: dict[str, float]
    student_probs: torch.Tensor
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)
    attacks: AttackComparison | None = None  # set by ``evaluate_models(..., attack_student=True)``

    def metrics(self, prefix: str = "fidelity") -> dict[str, float]:
        """Flat ``{prefix}/<followup>/<relation>`` keys (the names logged to Lightning and MLflow), and
        the attack comparison's keys when there is one."""
        out = {f"{prefix}/{fu}/{rel}": v for fu, row in self.table.items() for rel, v in row.items()}
        out.update({f"{prefix}/{ORIGINALS}/{k}": v for k, v in self.originals.items()})
        if self.attacks is not None:
            out.update(self.attacks.metrics(prefix))
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
        # The whole probe is scored in this process (one rank under DDP): never all-gather across ranks.
        return FidelityRelations(
            tau_d=thresholds.tau_d, tau_c=thresholds.tau_c, tau_g=thresholds.tau_g, sync_on_compute=False
        )

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
    attack_student: bool = False,
    student_max_length: int | None = None,
) -> tuple[ProbeSet, FidelityResult]:
    """The full MetaCompress evaluation of ``student`` against ``teacher`` on ``split`` of ``data_dir``;
    with ``attack_student``, also the configured attacks run directly against the student
    (``result.attacks``). ``max_length`` is the teacher's tokens per function, ``student_max_length``
    the student's (default: the same), so each model can read what it was trained on."""
    from kd.data.datamodules import CloneDetectionDataModule, DefectDataModule
    from kd.distill import model_fingerprint
    from kd.models.io import input_length, load_classifier
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
    max_length = input_length(t_model, max_length, False, "teacher")
    t_encoder = CodeEncoder(t_loaded.tokenizer, max_length)

    def teacher_predict(examples: list[tuple[str, ...]]) -> torch.Tensor:
        return predict_logits(
            t_model, t_encoder, examples, batch_size, progress=True, desc="teacher on probe"
        )

    handle = Teacher(
        t_model, t_loaded.tokenizer, model_fingerprint(ModelRef(teacher)), max_length, teacher_predict
    )
    probe = build_probe(data, task, config, handle, use_cache=use_cache)
    s_length = input_length(s_model, student_max_length or max_length, bool(student_max_length), "student")
    s_encoder = CodeEncoder(s_loaded.tokenizer, s_length)
    result = fidelity_relations(probe, student_probs(probe, s_model, s_encoder, batch_size), thresholds)
    if attack_student:
        result.attacks = compare_attacks(probe, data, config, s_model, s_encoder, progress=True)
    return probe, result
