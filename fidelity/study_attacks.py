"""Attacking one model on a fixed list of originals, with per-example records a person (or pandas) can read.

Used by ``python -m fidelity attack`` (one model on a data split) and by the study (the teacher and
every student on the probe's first ``n_attack`` originals, same candidate pool, budget and seed). A
record is one JSON line: the original, the adversarial code, the renames, queries, status, and the
model's probabilities on the original and on the adversarial example.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import torch
from tokenizers import Tokenizer

from fidelity.attacks import AttackResult, summarize
from fidelity.followups import Example, as_example, candidate_pool, run_attacks
from fidelity.probe import ProbeConfig
from fidelity.stats import wilson
from kd.data.encoding import CodeEncoder
from kd.models.classifier import CodeClassifier
from kd.models.inference import predict_logits


@dataclass(frozen=True)
class AttackRecord:
    """One attacked original (``index`` into the originals list) and what the attack found."""

    index: int
    result: AttackResult
    p_original: tuple[float, ...]
    p_adversarial: tuple[float, ...] | None

    @property
    def correct_before(self) -> bool:
        return self.result.orig_label == self.result.label

    @property
    def correct_after(self) -> bool:
        """Right on the original and not flipped by the attack (robust accuracy's numerator)."""
        return self.correct_before and not self.result.success

    def to_json(self) -> dict[str, Any]:
        r = asdict(self.result)
        return {
            "index": self.index,
            **r,
            "mapping": [list(m) for m in self.result.mapping],
            "p_original": list(self.p_original),
            "p_adversarial": None if self.p_adversarial is None else list(self.p_adversarial),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AttackRecord:
        data = dict(data)
        index, p_orig, p_adv = data.pop("index"), data.pop("p_original"), data.pop("p_adversarial")

        def code(value: Any) -> Any:
            return tuple(value) if isinstance(value, list) else value

        data["original"], data["adversarial"] = code(data["original"]), code(data["adversarial"])
        data["mapping"] = tuple(tuple(m) for m in data["mapping"])
        return cls(int(index), AttackResult(**data), tuple(p_orig), None if p_adv is None else tuple(p_adv))


def attack_model(
    model: CodeClassifier,
    tokenizer: Tokenizer,
    max_length: int,
    originals: list[Example],
    labels: list[int],
    language: str,
    config: ProbeConfig,
    pool_texts: list[str],
    progress: bool = True,
    target: str = "model",
    batch_size: int = 64,
) -> dict[str, list[AttackRecord]]:
    """``config.attacks`` against ``model`` on the first ``config.n_attack`` originals; ``{}`` when the
    pool has no identifiers. Each record carries the model's probabilities on original and adversarial."""
    pool = candidate_pool(pool_texts, language) if config.attacks else None
    if pool is None:
        return {}
    was_training = model.training
    try:
        found = run_attacks(
            model, tokenizer, max_length, originals, labels, language, config, pool, progress, target
        )
        encoder = CodeEncoder(tokenizer, max_length)
        out: dict[str, list[AttackRecord]] = {}
        for name, results in found.items():
            examples = [as_example(r.original) for r in results]
            adv = [i for i, r in enumerate(results) if r.adversarial is not None]
            examples += [as_example(results[i].adversarial) for i in adv]
            probs = torch.softmax(predict_logits(model, encoder, examples, batch_size).float(), -1).tolist()
            p_adv = dict(zip(adv, probs[len(results) :], strict=True))
            out[name] = [
                AttackRecord(i, r, tuple(probs[i]), tuple(p_adv[i]) if i in p_adv else None)
                for i, r in enumerate(results)
            ]
        return out
    finally:
        model.train(was_training)  # EncoderPredictor puts the model in eval mode


def attack_table(
    records: Mapping[str, Sequence[AttackRecord]], confidence: float = 0.95
) -> list[dict[str, Any]]:
    """One row per attack: :func:`fidelity.attacks.summarize` plus Wilson intervals of the attack success
    rate and of robust accuracy (right on the original and not flipped)."""
    rows = []
    for name, recs in records.items():
        summary = summarize([r.result for r in recs])
        asr = wilson(int(summary["n_success"]), int(summary["n_attacked"]), confidence)
        robust = wilson(sum(r.correct_after for r in recs), len(recs), confidence)
        rows.append(
            {
                "attack": name,
                **{k: int(v) if k == "n" or k.startswith("n_") else v for k, v in summary.items()},
                "asr_ci_low": asr.low,
                "asr_ci_high": asr.high,
                "robust_acc": robust.estimate,
                "robust_acc_ci_low": robust.low,
                "robust_acc_ci_high": robust.high,
            }
        )
    return rows
