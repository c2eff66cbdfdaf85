"""The study YAML (``python -m fidelity study --config studies/<task>.yaml``), parsed strictly.

Every mapping is checked against its dataclass: an unknown key, a missing required key or a value of
the wrong type raises :class:`StudyConfigError` naming the file and the key path
(``students[1].sorce``) and listing the valid keys. A student is a model dir / Compressor release dir /
hub name (``source``) or an MLflow run id whose exported model to use (``mlflow_run``), optionally
quantized on load (``quantize: int8 | fp16``). Adding a student = appending one line to ``students``.
"""

from __future__ import annotations

import types
import typing
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

TASKS = ("clone", "vulnerability")
SPLITS = ("train", "distill", "val", "test")
QUANTIZE = ("int8", "fp16")


class StudyConfigError(ValueError):
    """A malformed study file; the message names the file and the offending key."""


@dataclass(frozen=True)
class ModelEntry:
    """One model of the study. Exactly one of ``source`` / ``mlflow_run``."""

    name: str
    source: str | None = None
    mlflow_run: str | None = None
    max_length: int | None = None  # tokens per function; default: the study's max_length
    quantize: str | None = None  # int8 (dynamic, Linear layers) | fp16 (weights rounded to half)
    tokenizer: str | None = None
    method: str | None = None  # label in tables; default: metacompress.json's method / "quantized"


@dataclass(frozen=True)
class ProbeSettings:
    n: int = 200
    transforms: tuple[str, ...] | None = None  # None: every transform of the task's language
    seed: int = 0


@dataclass(frozen=True)
class AttackSettings:
    """Attacks run directly against the teacher and every student on the first ``n_attack`` probe
    examples (same originals, candidate pool, budget and seed); the teacher's adversarial examples are
    also transferred to every student as follow-ups."""

    names: tuple[str, ...] = ("mhm", "alert", "wir_random")
    n_attack: int = 200
    max_queries: int = 40
    candidates: int = 10
    pool_functions: int = 500
    direct: bool = True  # also attack each student directly (costs student queries)


@dataclass(frozen=True)
class ThresholdSettings:
    tau_d: float = 0.1
    tau_c: float = 0.9
    tau_g: float = 0.1


@dataclass(frozen=True)
class StatsSettings:
    confidence: float = 0.95
    n_boot: int = 2000
    seed: int = 0
    target_half_width: float = 0.03  # the power note: probe examples this ± width needs
    drop_floor: float = 0.01  # denominator floor of the relative robustness drop


@dataclass(frozen=True)
class MlflowSettings:
    enabled: bool = True
    experiment: str = "fidelity-study"
    tracking_uri: str | None = None


@dataclass(frozen=True)
class StudyConfig:
    name: str
    task: str
    data: str
    teacher: ModelEntry
    students: tuple[ModelEntry, ...]
    output: str
    split: str = "test"
    max_length: int = 400
    batch_size: int = 64
    probe: ProbeSettings = field(default_factory=ProbeSettings)
    attacks: AttackSettings = field(default_factory=AttackSettings)
    thresholds: ThresholdSettings = field(default_factory=ThresholdSettings)
    statistics: StatsSettings = field(default_factory=StatsSettings)
    mlflow: MlflowSettings = field(default_factory=MlflowSettings)
    # pairs of student names compared head to head (paired flips, violation, attack success), e.g. [morph, avatar];
    # `-<transform>` entries after the names leave those follow-up sets out: [morph, morph-source, -natural_rename]
    comparisons: tuple[tuple[str, ...], ...] = ()

    def models(self) -> tuple[ModelEntry, ...]:
        return (self.teacher, *self.students)


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", str(tp).replace("typing.", ""))


def _convert(value: Any, tp: Any, where: str) -> Any:
    """``value`` as type ``tp`` (a dataclass, tuple[X, ...], X | None, str/int/float/bool, Literal)."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = typing.get_args(tp)
        if value is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _convert(value, inner, where)
    if origin is tuple:
        inner = typing.get_args(tp)[0]
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise StudyConfigError(f"`{where}` must be a list, got {value!r}")
        return tuple(_convert(v, inner, f"{where}[{i}]") for i, v in enumerate(value))
    if origin is Literal:
        if value not in typing.get_args(tp):
            raise StudyConfigError(f"`{where}` must be one of {typing.get_args(tp)}, got {value!r}")
        return value
    if is_dataclass(tp):
        return _build(tp, value, where)
    if tp is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if tp is int and isinstance(value, bool):
        raise StudyConfigError(f"`{where}` must be an integer, got {value!r}")
    if not isinstance(value, tp):
        raise StudyConfigError(f"`{where}` must be {_type_name(tp)}, got {value!r}")
    return value


def _build(cls: Any, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise StudyConfigError(f"`{where or 'the file'}` must be a mapping of keys to values, got {data!r}")
    hints = typing.get_type_hints(cls)
    known = {f.name: f for f in fields(cls)}
    prefix = f"{where}." if where else ""
    for key in data:
        if key not in known:
            raise StudyConfigError(f"unknown key `{prefix}{key}`; expected one of: {', '.join(known)}")
    kwargs = {}
    for name, f in known.items():
        if name in data:
            kwargs[name] = _convert(data[name], hints[name], f"{prefix}{name}")
        elif f.default is MISSING and f.default_factory is MISSING:
            raise StudyConfigError(f"missing required key `{prefix}{name}`")
    return cls(**kwargs)


def _check(config: StudyConfig) -> None:
    if config.task not in TASKS:
        raise StudyConfigError(f"`task` must be one of {', '.join(TASKS)}, got {config.task!r}")
    if config.split not in SPLITS:
        raise StudyConfigError(f"`split` must be one of {', '.join(SPLITS)}, got {config.split!r}")
    if not config.students:
        raise StudyConfigError("`students` is empty; list at least one student")
    names = [m.name for m in config.models()]
    duplicate = sorted({n for n in names if names.count(n) > 1})
    if duplicate:
        raise StudyConfigError(f"model names must be unique; repeated: {', '.join(duplicate)}")
    entries = [("teacher", config.teacher)] + [(f"students[{i}]", s) for i, s in enumerate(config.students)]
    for where, entry in entries:
        if (entry.source is None) == (entry.mlflow_run is None):
            raise StudyConfigError(f"`{where}` needs exactly one of `source` or `mlflow_run` ({entry.name})")
        if entry.quantize is not None and entry.quantize not in QUANTIZE:
            raise StudyConfigError(
                f"`{where}.quantize` must be one of {', '.join(QUANTIZE)}, got {entry.quantize!r}"
            )
    students = [s.name for s in config.students]
    for i, pair in enumerate(config.comparisons):
        if len(pair) < 2 or pair[0] == pair[1]:
            raise StudyConfigError(f"`comparisons[{i}]` must name two different students, got {list(pair)}")
        for extra in pair[2:]:
            if not extra.startswith("-") or len(extra) < 2:
                raise StudyConfigError(
                    f"`comparisons[{i}]`: after the two students only `-<transform>` entries may follow (follow-up "
                    f"sets left out of this pair, e.g. -natural_rename), got {extra!r}"
                )
        for name in pair[:2]:
            if name not in students:
                raise StudyConfigError(
                    f"`comparisons[{i}]` names {name!r}, which is not a student; students: {', '.join(students)}"
                )
    for key, value in (
        ("probe.n", config.probe.n),
        ("attacks.n_attack", config.attacks.n_attack),
        ("attacks.max_queries", config.attacks.max_queries),
        ("attacks.candidates", config.attacks.candidates),
        ("statistics.n_boot", config.statistics.n_boot),
        ("max_length", config.max_length),
    ):
        if value < 1:
            raise StudyConfigError(f"`{key}` must be a positive integer, got {value}")
    if not 0 < config.statistics.confidence < 1:
        raise StudyConfigError(
            f"`statistics.confidence` must be in (0, 1), got {config.statistics.confidence}"
        )


def parse_study(data: Any, source: str = "<study>") -> StudyConfig:
    """A :class:`StudyConfig` from parsed YAML; errors are prefixed with ``source``."""
    try:
        config = _build(StudyConfig, data, "")
        _check(config)
    except StudyConfigError as exc:
        raise StudyConfigError(f"{source}: {exc}") from None
    return config


def load_study(path: str | Path) -> StudyConfig:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"study config {path} does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise StudyConfigError(f"{path}: not valid YAML: {exc}") from None
    return parse_study(data, str(path))
