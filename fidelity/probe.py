"""Probe set: a fixed sample of validation examples, their follow-ups, and the teacher's outputs on both.

Built once per fit (and cached on disk), so each checkpoint only has to run the student:

- follow-ups from every applicable transform, one set per transform name; for clone pairs the *first*
  function is rewritten and the second kept, so a pair stays a pair of the same two behaviours;
- follow-ups from identifier attacks (MHM, ALERT-style, WIR-Random) run against the teacher once; the
  most damaging variant each attack found is transferred to the student (also when it did not flip
  the teacher: it is still a semantic-preserving rewrite), and the attack metrics on the teacher are
  kept in the follow-up set's ``stats``;
- the teacher's probabilities on originals and follow-ups, from one batched teacher pass.

How follow-ups are made lives in :mod:`fidelity.followups` (re-exported here); this module holds the
probe's data, its disk cache and :func:`build_probe`. The cache key covers the data, transform set,
attack configuration, seed and teacher fingerprint.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer

from fidelity.followups import (
    ATTACKS,
    Example,
    Found,
    attack_followups,
    attack_summaries,
    transform_followups,
)
from fidelity.transforms import code_fingerprint, list_transforms
from kd.data.encoding import CodeEncoder
from kd.data.splits import CodeSplit
from kd.models.classifier import CodeClassifier
from kd.modules import cache_dir

__all__ = [
    "ATTACKS",
    "LANGUAGE_FOR_TASK",
    "Example",
    "FollowUpSet",
    "Found",
    "ProbeConfig",
    "ProbeSet",
    "Teacher",
    "attack_followups",
    "attack_pool_texts",
    "attack_summaries",
    "build_probe",
    "probe_key",
    "probe_skip_metrics",
    "probe_skips_json",
    "probe_summary",
    "teacher_attack_stats",
    "transform_followups",
]
log = logging.getLogger(__name__)
LANGUAGE_FOR_TASK = {"clone": "java", "vulnerability": "c"}
_VERSION = 1  # bump when the probe format or construction changes: old cache entries are ignored


@dataclass(frozen=True)
class ProbeConfig:
    """What goes into a probe set. ``transforms=None`` means every transform of the task's language.

    Attacks cost ``max_queries`` teacher queries per attacked example, far more than a transform, so
    they run on the first ``n_attack`` probe examples only (all of them when ``n_attack >= n_probe``).

    Budget per function, so no single input can stall probe building: a sampled example with a function
    longer than ``max_chars`` characters is left out of the probe (and of the attacks' name pool), and a
    function whose transforms have taken ``max_seconds`` in all gets no further transform follow-ups. Both are
    counted in :attr:`ProbeSet.skipped` (``too_large``, ``time_budget``) and logged.
    """

    n_probe: int = 200
    transforms: tuple[str, ...] | None = None
    attacks: tuple[str, ...] = ("mhm", "wir_random")
    max_queries: int = 50
    n_candidates: int = 10
    n_attack: int = 50
    pool_functions: int = 500
    seed: int = 0
    max_chars: int = 100_000
    max_seconds: float = 5.0

    def __post_init__(self) -> None:
        for name in ("n_probe", "max_queries", "n_candidates", "n_attack", "pool_functions", "max_chars"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Expected `{name}` a positive integer, got {value!r}")
        if not isinstance(self.max_seconds, int | float) or not self.max_seconds > 0:
            raise ValueError(f"Expected `max_seconds` a positive number, got {self.max_seconds!r}")
        unknown = [a for a in self.attacks if a not in ATTACKS]
        if unknown:
            raise ValueError(f"Unknown attack(s) {unknown}; expected some of {', '.join(ATTACKS)}")

    def transform_names(self, language: str) -> tuple[str, ...]:
        available = list_transforms(language)
        if self.transforms is None:
            return tuple(available)
        unknown = [t for t in self.transforms if t not in available]
        if unknown:
            raise ValueError(
                f"Unknown transform(s) {unknown} for {language}; expected some of {', '.join(available)}"
            )
        return tuple(dict.fromkeys(self.transforms))


@dataclass
class Teacher:
    """The teacher as the probe builder needs it: the model (attack target), and ``predict`` — the one
    batched pass over originals and follow-ups (``DistillationModule.teacher_predict`` in a fit)."""

    model: CodeClassifier
    tokenizer: Tokenizer
    fingerprint: str
    max_length: int
    predict: Callable[[list[Example]], torch.Tensor]


@dataclass
class FollowUpSet:
    """Follow-ups of one transform or attack: ``examples[j]`` rewrites original ``source[j]``."""

    name: str
    kind: str  # "transform" | "attack"
    source: list[int]
    examples: list[Example]
    teacher_probs: torch.Tensor  # (M, C)
    stats: dict[str, float] = field(default_factory=dict)


@dataclass
class ProbeSet:
    task: str
    language: str
    originals: list[Example]
    labels: torch.Tensor  # (N,)
    teacher_probs: torch.Tensor  # (N, C)
    followups: dict[str, FollowUpSet]
    key: str = ""
    build_seconds: float = 0.0
    #: functions left out by the per-function budget: reason -> count, and the first few, for the log
    skipped: dict[str, int] = field(default_factory=dict)
    skipped_examples: list[str] = field(default_factory=list)

    def all_examples(self) -> list[Example]:
        """Originals, then every follow-up set in order: the layout of one batched scoring pass."""
        return [*self.originals, *(ex for fu in self.followups.values() for ex in fu.examples)]

    def split_scores(self, scores: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """Cut scores over :meth:`all_examples` back into (originals, {follow-up name: rows})."""
        n = len(self.originals)
        out, start = {}, n
        for name, fu in self.followups.items():
            out[name] = scores[start : start + len(fu.examples)]
            start += len(fu.examples)
        return scores[:n], out

    def save(self, path: Path) -> None:
        data = {**asdict(self), "version": _VERSION}  # tensors become lists in _jsonable
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, default=_jsonable))
        tmp.replace(path)  # atomic: an interrupted build never leaves a truncated probe

    @classmethod
    def load(cls, path: Path) -> ProbeSet | None:
        """The cached probe, or None when it is missing, unreadable or from another format version."""
        try:
            data = json.loads(path.read_text())
            if data.pop("version", None) != _VERSION:
                return None
            t_probs = torch.tensor(data["teacher_probs"], dtype=torch.float32)
            n_classes = t_probs.shape[1]
            followups = {}
            for name, fu in data["followups"].items():
                examples = [tuple(e) for e in fu.pop("examples")]
                probs = torch.tensor(fu.pop("teacher_probs"), dtype=torch.float32).reshape(-1, n_classes)
                followups[name] = FollowUpSet(examples=examples, teacher_probs=probs, **fu)
            originals = [tuple(e) for e in data.pop("originals")]
            labels = torch.tensor(data.pop("labels"), dtype=torch.long)
            del data["teacher_probs"], data["followups"]
            return cls(originals=originals, labels=labels, teacher_probs=t_probs, followups=followups, **data)
        except (OSError, ValueError, KeyError, TypeError, IndexError, RuntimeError) as exc:
            log.warning("ignoring unreadable probe cache %s: %s", path, exc)
            return None


def _jsonable(value: object) -> object:
    if isinstance(value, torch.Tensor):
        return value.tolist()
    raise TypeError(f"cannot store {type(value).__name__} in a probe file")


def probe_key(split: CodeSplit, task: str, config: ProbeConfig, teacher: Teacher) -> str:
    enc = CodeEncoder(teacher.tokenizer, teacher.max_length)
    parts = [
        str(_VERSION),
        task,
        split.fingerprint(),
        json.dumps(asdict(config), sort_keys=True),
        ",".join(config.transform_names(LANGUAGE_FOR_TASK[task])),
        teacher.fingerprint,
        enc.fingerprint(),
        code_fingerprint(),  # follow-ups made by other transform code are other follow-ups
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def build_probe(
    split: CodeSplit,
    task: str,
    config: ProbeConfig,
    teacher: Teacher,
    use_cache: bool = True,
    progress: bool = True,
) -> ProbeSet:
    """The probe for ``split`` (validation, usually): from the disk cache, or built and cached."""
    if task not in LANGUAGE_FOR_TASK:
        raise ValueError(f"Unknown task {task!r}; expected one of {', '.join(LANGUAGE_FOR_TASK)}")
    language = LANGUAGE_FOR_TASK[task]
    key = probe_key(split, task, config, teacher)
    path = cache_dir("probes") / f"{key}.json"
    if use_cache and path.is_file():
        cached = ProbeSet.load(path)
        if cached is not None:
            log.info("fidelity probe: cache hit %s", path)
            return cached
    start = time.perf_counter()
    sample = split.subset(config.n_probe, config.seed)
    skipped: dict[str, int] = {}
    notes: list[str] = []
    keep = []
    for i in range(len(sample)):
        longest = max(len(t) for t in sample.texts(i))
        if longest <= config.max_chars:
            keep.append(i)
            continue
        skipped["too_large"] = skipped.get("too_large", 0) + 1
        if len(notes) < 20:
            notes.append(f"too_large: {sample.name} {'/'.join(sample.items[i][0])} ({longest} chars)")
    originals = [sample.texts(i) for i in keep]
    labels = sample.labels()[keep]
    found = transform_followups(originals, language, config, progress, skipped, notes)
    pool_texts = attack_pool_texts(split, config)
    found.update(
        attack_followups(originals, labels.tolist(), language, config, teacher, pool_texts, progress)
    )
    probe = ProbeSet(task, language, originals, labels, torch.empty(0), {}, key, skipped=skipped)
    probe.skipped_examples = notes
    followups = [
        FollowUpSet(name, kind, src, exs, torch.empty(0), stats)
        for name, (kind, src, exs, stats) in found.items()
    ]
    probe.followups = {fu.name: fu for fu in followups}
    teacher_probs = torch.softmax(teacher.predict(probe.all_examples()).float(), dim=-1)
    probe.teacher_probs, per_followup = probe.split_scores(teacher_probs)
    for name, probs in per_followup.items():
        probe.followups[name].teacher_probs = probs
    probe.build_seconds = time.perf_counter() - start
    if use_cache:
        probe.save(path)
    log.info(
        "fidelity probe: %d originals, %d follow-ups in %.1fs",
        len(originals),
        sum(len(fu.examples) for fu in followups),
        probe.build_seconds,
    )
    if skipped:
        log.warning(
            "fidelity probe: per-function budget (max_chars %d, max_seconds %g) skipped %s; first: %s",
            config.max_chars,
            config.max_seconds,
            ", ".join(f"{n} × {r}" for r, n in skipped.items()),
            "; ".join(notes[:3]),
        )
    return probe


def probe_summary(probe: ProbeSet) -> dict[str, Any]:
    """Counts for logging: originals and follow-ups per name."""
    return {
        "n_probe": len(probe.originals),
        "build_seconds": probe.build_seconds,
        **{f"n_{name}": len(fu.examples) for name, fu in probe.followups.items()},
    }


def probe_skip_metrics(probe: ProbeSet) -> dict[str, float]:
    """``fidelity/probe/skipped/total`` and ``…/<reason>``: functions the per-function budget left out."""
    return {
        "fidelity/probe/skipped/total": float(sum(probe.skipped.values())),
        **{f"fidelity/probe/skipped/{reason}": float(n) for reason, n in probe.skipped.items()},
    }


def probe_skips_json(probe: ProbeSet, config: ProbeConfig) -> str:
    """The ``fidelity/probe_skips.json`` artifact: the budget, counts per reason and the first offenders."""
    budget = {"max_chars": config.max_chars, "max_seconds": config.max_seconds}
    return json.dumps({"budget": budget, "counts": probe.skipped, "first": probe.skipped_examples}, indent=2)


def attack_pool_texts(split: CodeSplit, config: ProbeConfig) -> list[str]:
    """Functions whose identifiers are the attacks' substitute names: the same for the teacher (probe
    building) and the student (:func:`fidelity.evaluate.compare_attacks`), so their attacks compare."""
    small = (code for code in split.functions.values() if len(code) <= config.max_chars)
    return list(itertools.islice(small, config.pool_functions))


def teacher_attack_stats(probe: ProbeSet) -> dict[str, dict[str, float]]:
    """``{attack: summarize(results)}`` of the attacks run against the teacher when the probe was built
    (kept in each attack follow-up set's ``stats``, also in cached probes)."""
    return {name: dict(fu.stats) for name, fu in probe.followups.items() if fu.kind == "attack"}
