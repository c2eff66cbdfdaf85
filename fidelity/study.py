"""Many students × one probe × attacks → one report with statistics (``python -m fidelity study``).

1. The probe (originals + transform follow-ups + the teacher's outputs) is built **once** through
   :func:`fidelity.probe.build_probe` and its disk cache.
2. Each attack runs **directly** against the teacher on the probe's first ``n_attack`` originals; the
   teacher's adversarial examples become follow-up sets transferred to every student.
3. Each student is scored on the same originals and follow-ups, and attacked directly with the same
   originals, candidate pool, budget and seed.

Every model output is cached under ``$METACOMPRESS_CACHE/study`` keyed by the probe, the attack
settings and the model's content fingerprint, so adding a student to the YAML costs only that student.
Statistics are in :mod:`fidelity.study_stats`, outputs in :mod:`fidelity.study_report`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import torch

from fidelity.evaluate import FidelityResult, Thresholds, fidelity_relations
from fidelity.followups import Example
from fidelity.probe import (
    LANGUAGE_FOR_TASK,
    FollowUpSet,
    ProbeConfig,
    ProbeSet,
    Teacher,
    attack_pool_texts,
    build_probe,
)
from fidelity.study_attacks import AttackRecord, attack_model
from fidelity.study_config import StudyConfig
from fidelity.study_models import StudyModel, load_study_model
from fidelity.study_stats import Row, direct_attack_rows, originals_row, student_rows
from kd.data.encoding import CodeEncoder
from kd.data.splits import CodeSplit
from kd.models.inference import predict_logits
from kd.modules import cache_dir

log = logging.getLogger(__name__)
Attacks = dict[str, list[AttackRecord]]


@dataclass
class StudentOutcome:
    model: StudyModel
    result: FidelityResult
    originals: Row
    followups: list[Row]
    attacks: list[Row]  # direct attacks on this student, compared with the teacher's
    records: Attacks = field(default_factory=dict)


@dataclass
class StudyResult:
    config: StudyConfig
    probe: ProbeSet  # transform follow-ups + transferred attack follow-ups
    teacher: StudyModel
    teacher_records: Attacks
    teacher_attacks: list[Row]
    students: list[StudentOutcome]


def probe_config(config: StudyConfig, with_attacks: bool) -> ProbeConfig:
    """The probe's settings; without attacks, the attack fields keep their defaults so that the transform
    probe (and its cache key) does not change when only the attack budget does."""
    a = config.attacks
    if not with_attacks:
        return ProbeConfig(
            n_probe=config.probe.n, transforms=config.probe.transforms, attacks=(), seed=config.probe.seed
        )
    return ProbeConfig(
        n_probe=config.probe.n,
        transforms=config.probe.transforms,
        attacks=a.names,
        max_queries=a.max_queries,
        n_candidates=a.candidates,
        n_attack=min(a.n_attack, config.probe.n),
        pool_functions=a.pool_functions,
        seed=config.probe.seed,
    )


def _key(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:24]


def cached_attacks(
    model: StudyModel,
    probe: ProbeSet,
    split: CodeSplit,
    config: ProbeConfig,
    target: str,
    progress: bool,
) -> Attacks:
    """The configured attacks against ``model`` on the probe's first ``n_attack`` originals, from the
    study cache or run now (and cached, one JSON line per record)."""
    key = _key(probe.key, json.dumps(asdict(config), sort_keys=True), model.fingerprint, model.max_length)
    path = cache_dir("study") / f"attacks-{key}.jsonl"
    if path.is_file():
        out: Attacks = {}
        for line in path.read_text().splitlines():
            data = json.loads(line)
            out.setdefault(data.pop("attack_set"), []).append(AttackRecord.from_json(data))
        log.info("study: attacks on %s from cache %s", model.name, path)
        return out
    found = attack_model(
        model.model,
        model.tokenizer,
        model.max_length,
        probe.originals,
        probe.labels.tolist(),
        probe.language,
        config,
        attack_pool_texts(split, config),
        progress,
        target,
    )
    lines = [json.dumps({"attack_set": n, **r.to_json()}) for n, recs in found.items() for r in recs]
    tmp = path.with_suffix(".tmp")
    tmp.write_text("\n".join(lines) + ("\n" if lines else ""))
    tmp.replace(path)
    return found


def with_transferred_attacks(probe: ProbeSet, records: Attacks) -> ProbeSet:
    """The probe plus one follow-up set per attack: the teacher's most damaging variant of each attacked
    original (also when it did not flip the teacher: it is still a semantic-preserving rewrite)."""
    followups = dict(probe.followups)
    n_classes = probe.teacher_probs.shape[1]
    for name, recs in records.items():
        kept = [r for r in recs if r.p_adversarial is not None and r.result.adversarial != r.result.original]
        examples: list[Example] = [
            (r.result.adversarial,) if isinstance(r.result.adversarial, str) else tuple(r.result.adversarial)  # type: ignore[arg-type]
            for r in kept
        ]
        probs = torch.tensor([r.p_adversarial for r in kept], dtype=torch.float32).reshape(-1, n_classes)
        followups[name] = FollowUpSet(name, "attack", [r.index for r in kept], examples, probs)
    # keyed by the transferred examples themselves: other attack settings give other student caches
    added = {n: [fu.source, fu.examples] for n, fu in followups.items() if n in records}
    key = _key(probe.key, hashlib.sha256(json.dumps(added, sort_keys=True).encode()).hexdigest())
    return replace(probe, followups=followups, key=key)


def cached_probs(model: StudyModel, probe: ProbeSet, batch_size: int, progress: bool) -> torch.Tensor:
    """Probabilities (N_all, C) of ``model`` on ``probe.all_examples()``, from the study cache or now."""
    path = cache_dir("study") / f"probs-{_key(probe.key, model.fingerprint, model.max_length)}.pt"
    expected = len(probe.all_examples())
    if path.is_file():
        probs = torch.load(path, map_location="cpu", weights_only=True)
        if isinstance(probs, torch.Tensor) and probs.shape[0] == expected:
            log.info("study: %s outputs from cache %s", model.name, path)
            return probs
    encoder = CodeEncoder(model.tokenizer, model.max_length)
    logits = predict_logits(
        model.model, encoder, probe.all_examples(), batch_size, progress, desc=f"{model.name} on probe"
    )
    probs = torch.softmax(logits.float(), dim=-1)
    torch.save(probs, path.with_suffix(".tmp"))
    path.with_suffix(".tmp").replace(path)
    return probs


def _load_split(config: StudyConfig) -> CodeSplit:
    from kd.data.datamodules import CloneDetectionDataModule, DefectDataModule

    if config.data != "demo" and not Path(config.data).is_dir():
        raise FileNotFoundError(f"data directory {config.data!r} does not exist")
    dm_cls = CloneDetectionDataModule if config.task == "clone" else DefectDataModule
    return dm_cls(config.data, max_length=config.max_length).split(config.split)  # type: ignore[arg-type]


def build_study_probe(
    config: StudyConfig, teacher: StudyModel, split: CodeSplit, progress: bool = True
) -> tuple[ProbeSet, Attacks, str]:
    """The transform probe (teacher scored once, cached) plus the teacher's attacks and their transfer,
    and the transform probe's key (what every model's attack cache is keyed by)."""
    encoder = CodeEncoder(teacher.tokenizer, teacher.max_length)

    def predict(examples: list[Example]) -> torch.Tensor:
        return predict_logits(
            teacher.model, encoder, examples, config.batch_size, progress, desc="teacher on probe"
        )

    handle = Teacher(teacher.model, teacher.tokenizer, teacher.fingerprint, teacher.max_length, predict)
    probe = build_probe(split, config.task, probe_config(config, False), handle, progress=progress)
    attack_cfg = probe_config(config, True)
    records = (
        cached_attacks(teacher, probe, split, attack_cfg, "teacher", progress) if attack_cfg.attacks else {}
    )
    return with_transferred_attacks(probe, records), records, probe.key


def evaluate_student(
    config: StudyConfig,
    student: StudyModel,
    probe: ProbeSet,
    base_probe_key: str,
    split: CodeSplit,
    teacher_records: Attacks,
    progress: bool = True,
) -> StudentOutcome:
    t = config.thresholds
    probs = cached_probs(student, probe, config.batch_size, progress)
    result = fidelity_relations(probe, probs, Thresholds(t.tau_d, t.tau_c, t.tau_g))
    records: Attacks = {}
    attack_cfg = probe_config(config, True)
    if config.attacks.direct and attack_cfg.attacks:
        base = replace(probe, key=base_probe_key)  # the same originals the teacher was attacked on
        records = cached_attacks(student, base, split, attack_cfg, student.name, progress)
    stats = config.statistics
    return StudentOutcome(
        student,
        result,
        originals_row(probe, result, stats),
        student_rows(probe, result, stats),
        direct_attack_rows(student.name, records, teacher_records, stats),
        records,
    )


def run_study(config: StudyConfig, progress: bool = True) -> StudyResult:
    """Load every model first (a bad path fails before any work), then teacher once, then students."""
    if config.task not in LANGUAGE_FOR_TASK:
        raise ValueError(f"Unknown task {config.task!r}")
    uri = config.mlflow.tracking_uri
    teacher = load_study_model(config.teacher, config.task, config.max_length, uri)
    students = [load_study_model(s, config.task, config.max_length, uri) for s in config.students]
    split = _load_split(config)
    probe, teacher_records, base_key = build_study_probe(config, teacher, split, progress)
    outcomes = [
        evaluate_student(config, s, probe, base_key, split, teacher_records, progress) for s in students
    ]
    teacher_rows = direct_attack_rows(teacher.name, teacher_records, teacher_records, config.statistics)
    return StudyResult(config, probe, teacher, teacher_records, teacher_rows, outcomes)
