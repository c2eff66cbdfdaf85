"""Independent checks of identifier attacks run through the probe, callback and CLI code.

Nothing here drives the attacks: :class:`AttackSpy` only watches them (each :class:`AttackResult`, and
the inputs its predictor was really asked about), and :func:`check_attacked` re-derives each outcome
from first principles instead of trusting the result:

- the adversarial example is a pure identifier rename of its source: the same tree-sitter leaves
  (kinds and text) except identifier leaves, renamed consistently and injectively to fresh names;
- the query count is the number of inputs the predictor was called on, and within ``max_queries``;
- success means the label changed: the model, re-run here with a plain forward pass on one example
  at a time (no batching, no vector cache), was right on the original and is wrong on the adversarial.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
import torch
from tokenizers import Tokenizer
from tree_sitter import Node

from fidelity.attacks import AttackConfig, AttackResult, CodeInput, EncoderPredictor, IdentifierAttack
from fidelity.parsing import count_errors, parse
from fidelity.transforms import identifiers
from kd.data.encoding import CodeEncoder
from kd.models.classifier import CodeClassifier

#: summarize() keys that are wall-clock measurements, not attack outcomes.
TIMING = ("seconds", "seconds_per_example", "queries_per_second")
#: Probability margin below which the top label is too close to call between two forward passes that
#: batch and pad differently (float rounding); such a label is not used to judge a result.
MARGIN = 1e-5


@dataclass(frozen=True)
class Attacked:
    """One attack on one example as the spy saw it."""

    model: CodeClassifier
    tokenizer: Tokenizer
    max_length: int
    config: AttackConfig
    result: AttackResult
    counted: int  # inputs passed to the predictor during this attack


class AttackSpy:
    """Records every ``IdentifierAttack.attack`` call and counts the inputs its predictor receives."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.records: list[Attacked] = []
        self._counted = 0
        predict, attack = EncoderPredictor.predict, IdentifierAttack.attack

        def counting_predict(predictor: EncoderPredictor, inputs: Sequence[CodeInput]) -> torch.Tensor:
            self._counted += len(inputs)
            return predict(predictor, inputs)

        def recording_attack(made: IdentifierAttack, example: CodeInput, label: int) -> AttackResult:
            self._counted = 0
            result = attack(made, example, label)
            predictor = made.predictor
            assert isinstance(predictor, EncoderPredictor)
            encoder = predictor.encoder
            self.records.append(
                Attacked(
                    predictor.model, encoder.tokenizer, encoder.max_length, made.config, result, self._counted
                )
            )
            return result

        monkeypatch.setattr(EncoderPredictor, "predict", counting_predict)
        monkeypatch.setattr(IdentifierAttack, "attack", recording_attack)

    def of(self, model: CodeClassifier, attack: str) -> list[Attacked]:
        """The records of ``attack`` against ``model``, in the order they ran."""
        return [r for r in self.records if r.model is model and r.result.attack == attack]


def leaves(code: str, language: str) -> list[tuple[str, str]]:
    """(kind, text) of every leaf of the tree-sitter parse, in source order."""
    out: list[tuple[str, str]] = []
    stack: list[Node] = [parse(code, language).root_node]
    while stack:
        node = stack.pop()
        if node.child_count == 0:
            out.append((node.type, (node.text or b"").decode("utf-8", "replace")))
        else:
            stack.extend(reversed(node.children))
    return out


def rename_of(before: str, after: str, language: str) -> dict[str, str]:
    """The renaming that turns ``before`` into ``after``; fails unless that is all that changed."""
    a, b = leaves(before, language), leaves(after, language)
    assert [kind for kind, _ in a] == [kind for kind, _ in b], "the token kinds changed, not only names"
    assert count_errors(parse(after, language).root_node) == count_errors(parse(before, language).root_node)
    old_ids, new_ids = set(identifiers(before, language)), set(identifiers(after, language))
    words = {text for _, text in a}
    mapping: dict[str, str] = {}
    for (kind, x), (_, y) in zip(a, b, strict=True):
        if x != y:
            assert x in old_ids and y in new_ids, f"{kind} {x!r} -> {y!r} is not an identifier rename"
            assert y not in words, f"{x!r} renamed to {y!r}, a name the source already uses"
            assert mapping.setdefault(x, y) == y, f"{x!r} renamed inconsistently"
    assert len(set(mapping.values())) == len(mapping), f"two names merged: {mapping}"
    return mapping


@torch.no_grad()
def label_of(record: Attacked, example: CodeInput) -> int | None:
    """The model's label for one example from a plain forward pass; None when too close to call."""
    model = record.model
    texts = [example] if isinstance(example, str) else list(example)
    was_training = model.training
    model.eval()
    try:
        probs = model(**CodeEncoder(record.tokenizer, record.max_length).batch(texts)).softmax(-1)[0]
    finally:
        model.train(was_training)
    top = probs.topk(2)
    return None if float(top.values[0] - top.values[1]) < MARGIN else int(top.indices[0])


@dataclass(frozen=True)
class Outcome:
    """What an attack achieved, as re-derived here (not as the result claims)."""

    attacked: bool  # the model was right on the original
    success: bool  # ... and is wrong on the adversarial example
    queries: int  # inputs counted at the predictor


def check_attacked(record: Attacked, language: str) -> Outcome:
    """Check one attack result against the model and the spy's count; return the re-derived outcome."""
    r, side = record.result, record.config.side
    assert r.queries == record.counted <= record.config.max_queries
    before = label_of(record, r.original)
    if before is not None:
        assert r.orig_label == before
    attacked = r.orig_label == r.label
    assert (r.status == "misclassified") == (not attacked)
    if not attacked:
        assert r.adversarial is None and not r.success and r.queries == 1  # the original only
        return Outcome(False, False, record.counted)
    if r.adversarial is None:  # no variant tried: no identifiers, or a budget of one query
        assert not r.success and r.status in ("no_identifiers", "failed")
        return Outcome(True, False, record.counted)
    originals = (r.original,) if isinstance(r.original, str) else r.original
    adversarials = (r.adversarial,) if isinstance(r.adversarial, str) else r.adversarial
    assert len(adversarials) == len(originals)
    for k, (source, changed) in enumerate(zip(originals, adversarials, strict=True)):
        if k != side:
            assert changed == source  # the other function of a pair is left alone
    mapping = rename_of(originals[side], adversarials[side], language)
    assert mapping == dict(r.mapping) and len(mapping) == r.identifiers_changed
    after = label_of(record, r.adversarial)
    if after is not None:
        assert r.adv_label == after and r.success == (after != r.label)
    return Outcome(True, r.success, record.counted)


def expected_summary(outcomes: Sequence[Outcome]) -> dict[str, float]:
    """Counts, success rate and mean queries over attacked examples, from re-derived outcomes."""
    attacked = [o for o in outcomes if o.attacked]
    won = [o for o in attacked if o.success]
    return {
        "n": float(len(outcomes)),
        "n_attacked": float(len(attacked)),
        "n_success": float(len(won)),
        "asr": len(won) / len(attacked) if attacked else 0.0,
        "avg_queries": sum(o.queries for o in attacked) / len(attacked) if attacked else 0.0,
    }


def assert_summary(logged: dict[str, float], outcomes: Sequence[Outcome]) -> None:
    """The logged/stored summary agrees with the re-derived outcomes on every counted key."""
    for key, value in expected_summary(outcomes).items():
        assert math.isclose(logged[key], value, rel_tol=1e-9, abs_tol=1e-12), (key, logged[key], value)


def without_timing(summary: dict[str, float]) -> dict[str, float]:
    """A summary without its wall-clock entries (those differ between any two runs)."""
    return {k: v for k, v in summary.items() if k not in TIMING}
