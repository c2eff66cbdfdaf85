"""Shared machinery of the identifier-substitution attacks: black-box predictor, query budget, results.

Every variant an attack tries is the original code with a consistent, scope-aware renaming
(``renamer.rename``), so it is semantic-preserving by construction; an attack only decides *which*
mapping {old name: new name} to try next. :class:`Search` evaluates batches of mappings, counts one
query per model input, stops at the budget, and remembers the best variant found.
"""

from __future__ import annotations

import contextlib
import random
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Literal, Protocol

import numpy as np
import torch

CodeInput = str | tuple[str, str]
Status = Literal["success", "failed", "misclassified", "no_identifiers"]
_TOKEN = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*|\d+|\S")
_WORD = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")


class Predictor(Protocol):
    """Black-box model: class probabilities ``(N, C)`` for N single functions or clone pairs."""

    def predict(self, inputs: Sequence[CodeInput]) -> torch.Tensor | np.ndarray: ...


class Renamer(Protocol):
    """What the attacks need from :mod:`fidelity.transforms` (injectable for tests)."""

    def identifiers(self, code: str, language: str) -> list[str]: ...

    def rename(self, code: str, language: str, mapping: Mapping[str, str]) -> str | None: ...

    def is_valid(self, name: str, language: str) -> bool: ...


class TransformsRenamer:
    """The real renamer: scope-aware consistent renames from :mod:`fidelity.transforms`."""

    def identifiers(self, code: str, language: str) -> list[str]:
        from fidelity.transforms import identifiers

        return list(identifiers(code, language))

    def rename(self, code: str, language: str, mapping: Mapping[str, str]) -> str | None:
        from fidelity.transforms import rename_identifiers

        return rename_identifiers(code, language, dict(mapping))

    def is_valid(self, name: str, language: str) -> bool:
        from fidelity.transforms.names import is_identifier

        return is_identifier(name, language)


@dataclass(frozen=True)
class AttackConfig:
    """Parameters every attack shares. ``side`` picks the function of a clone pair to perturb."""

    language: str = "java"
    max_queries: int = 1000
    n_candidates: int = 30
    batch_size: int = 64
    seed: int = 0
    side: int = 0

    def __post_init__(self) -> None:
        for name in ("max_queries", "n_candidates", "batch_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Expected `{name}` a positive integer, got {value!r}")
        if self.side not in (0, 1):
            raise ValueError(f"Expected `side` 0 (first function) or 1 (second), got {self.side!r}")


@dataclass(frozen=True)
class AttackResult:
    """One attacked example. ``adversarial`` is the lowest-true-class-probability variant tried
    (whether or not it flipped the label), None when nothing was tried."""

    attack: str
    original: CodeInput
    adversarial: CodeInput | None
    success: bool
    status: Status
    label: int
    orig_label: int
    adv_label: int | None
    queries: int
    identifiers_changed: int
    identifiers_total: int
    tokens_changed: int
    tokens_total: int
    seconds: float
    mapping: tuple[tuple[str, str], ...] = ()


def word_tokens(code: str) -> list[str]:
    """Word-level tokens (identifiers/keywords, numbers, single punctuation) for change rates."""
    return _TOKEN.findall(code)


def tokens_changed(before: str, after: str) -> int:
    a, b = word_tokens(before), word_tokens(after)
    if len(a) != len(b):  # a rename never changes the token count; count the difference defensively
        return max(len(a), len(b))
    return sum(x != y for x, y in zip(a, b, strict=True))


class _Stop(Exception):
    """Raised inside a search when the label flipped or the budget is spent."""


@dataclass
class Variant:
    mapping: dict[str, str]
    code: str
    probs: np.ndarray
    p_true: float
    pred: int


@dataclass
class Search:
    """State of one attack on one input: budget, original identifiers, best variant so far."""

    predictor: Predictor
    config: AttackConfig
    renamer: Renamer
    example: CodeInput
    label: int
    queries: int = 0
    names: list[str] = field(default_factory=list)
    taken: frozenset[str] = frozenset()
    orig_p_true: float = 1.0
    best: Variant | None = None
    success: bool = False

    @property
    def code(self) -> str:
        return self.example if isinstance(self.example, str) else self.example[self.config.side]

    @property
    def remaining(self) -> int:
        return self.config.max_queries - self.queries

    def wrap(self, code: str) -> CodeInput:
        if isinstance(self.example, str):
            return code
        return (code, self.example[1]) if self.config.side == 0 else (self.example[0], code)

    def query(self, inputs: list[CodeInput]) -> np.ndarray:
        """Probabilities for ``inputs`` (at most the remaining budget), one call per batch."""
        inputs = inputs[: self.remaining]
        out: list[np.ndarray] = []
        for start in range(0, len(inputs), self.config.batch_size):
            chunk = inputs[start : start + self.config.batch_size]
            raw = self.predictor.predict(chunk)
            probs = (
                raw.detach().cpu().double().numpy()
                if isinstance(raw, torch.Tensor)
                else np.asarray(raw, float)
            )
            if probs.ndim != 2 or probs.shape[0] != len(chunk):
                raise ValueError(
                    f"Predictor returned shape {probs.shape} for {len(chunk)} inputs; expected (N, C)"
                )
            self.queries += len(chunk)
            out.append(probs)
        return np.concatenate(out) if out else np.zeros((0, 2))

    def usable(self, mapping: Mapping[str, str]) -> bool:
        """New names must be valid, unused in the code and distinct (the renamer re-checks scopes)."""
        new = [v for k, v in mapping.items() if v != k]
        return len(set(new)) == len(new) and all(
            v not in self.taken and self.renamer.is_valid(v, self.config.language) for v in new
        )

    def evaluate(self, mappings: Sequence[Mapping[str, str]]) -> list[Variant]:
        """Rename, query and score each mapping; raise _Stop on a label flip or an empty budget.

        Mappings that the renamer rejects (None) cost no query and are left out of the result.
        """
        todo: list[tuple[dict[str, str], str]] = []
        for mapping in mappings:
            code = (
                self.renamer.rename(self.code, self.config.language, mapping)
                if self.usable(mapping)
                else None
            )
            if code is not None:
                todo.append(({k: v for k, v in mapping.items() if v != k}, code))
        if not todo:
            if self.remaining <= 0:
                raise _Stop
            return []
        probs = self.query([self.wrap(code) for _, code in todo])
        variants = [
            Variant(m, c, p, float(p[self.label]), int(p.argmax()))
            for (m, c), p in zip(todo, probs, strict=False)
        ]
        for v in variants:  # a flipped label beats any probability; then lower p(true class) wins
            if self.best is None or (v.pred == self.label, v.p_true) < (
                self.best.pred == self.label,
                self.best.p_true,
            ):
                self.best = v
        self.success = self.best is not None and self.best.pred != self.label
        if self.success or self.remaining <= 0:
            raise _Stop
        return variants

    def exclude(self, mapping: Mapping[str, str]) -> set[str]:
        return set(self.taken) | set(mapping.values())


class IdentifierAttack(ABC):
    """Base class: queries the original once, then lets :meth:`run` search over renamings."""

    name: ClassVar[str] = "attack"

    def __init__(
        self, predictor: Predictor, config: AttackConfig | None = None, renamer: Renamer | None = None
    ):
        self.predictor = predictor
        self.config = config or AttackConfig()
        self.renamer: Renamer = renamer or TransformsRenamer()

    @abstractmethod
    def run(self, search: Search, rng: random.Random) -> None:
        """Try mappings through ``search.evaluate`` until it raises or the strategy is done."""

    def attack(self, example: CodeInput, label: int) -> AttackResult:
        """Attack one input whose gold label is ``label``; never raises on odd code."""
        start = time.perf_counter()
        search = Search(self.predictor, self.config, self.renamer, example, int(label))
        # Seeded by (seed, input) so a result does not depend on the order of examples.
        rng = random.Random(f"{self.config.seed}:{self.name}:{search.code}")
        orig = search.query([example])[0]
        if not 0 <= search.label < orig.shape[0]:
            raise ValueError(f"Expected `label` in [0, {orig.shape[0] - 1}], got {label}")
        orig_label = int(orig.argmax())
        search.orig_p_true = float(orig[search.label])
        status: Status = "failed"
        if orig_label != search.label:
            status = "misclassified"
        else:
            search.names = self.renamer.identifiers(search.code, self.config.language)
            search.taken = frozenset(_WORD.findall(search.code))
            if not search.names:
                status = "no_identifiers"
            else:
                with contextlib.suppress(_Stop):  # a flip or an empty budget ends the search early
                    self.run(search, rng)
                status = "success" if search.success else "failed"
        return self._result(search, orig_label, status, time.perf_counter() - start)

    def attack_many(self, examples: Sequence[CodeInput], labels: Sequence[int]) -> list[AttackResult]:
        return [self.attack(x, y) for x, y in zip(examples, labels, strict=True)]

    def _result(self, s: Search, orig_label: int, status: Status, seconds: float) -> AttackResult:
        best = s.best if status in ("success", "failed") else None
        return AttackResult(
            attack=self.name,
            original=s.example,
            adversarial=s.wrap(best.code) if best else None,
            success=status == "success",
            status=status,
            label=s.label,
            orig_label=orig_label,
            adv_label=best.pred if best else None,
            queries=s.queries,
            identifiers_changed=len(best.mapping) if best else 0,
            identifiers_total=len(s.names),
            tokens_changed=tokens_changed(s.code, best.code) if best else 0,
            tokens_total=len(word_tokens(s.code)),
            seconds=seconds,
            mapping=tuple(sorted(best.mapping.items())) if best else (),
        )
