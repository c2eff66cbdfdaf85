"""Adversarial identifier-substitution attacks (MHM, ALERT-style, WIR-Random) and their report.

Every attack is black-box (a :class:`Predictor` returning probabilities), counts one query per model
input, and only renames identifiers consistently, so its outputs are semantic-preserving follow-ups.
Typical use::

    pool = CandidatePool(names, embed=char_ngram_embedder(), is_valid=lambda n: renamer.is_valid(n, "java"))
    results = MHM(model, AttackConfig(max_queries=500), pool=pool).attack_many(pairs, labels)
    summarize(results)  # {"asr": ..., "avg_queries": ..., ...}
"""

from __future__ import annotations

from collections.abc import Sequence

from fidelity.attacks.alert import ALERT
from fidelity.attacks.base import (
    AttackConfig,
    AttackResult,
    CodeInput,
    IdentifierAttack,
    Predictor,
    Renamer,
    TransformsRenamer,
    word_tokens,
)
from fidelity.attacks.candidates import CandidatePool, char_ngram_embedder, harvest_names, subtoken_embedder
from fidelity.attacks.mhm import MHM
from fidelity.attacks.predictor import EncoderPredictor
from fidelity.attacks.wir_random import WIRRandom

__all__ = [
    "ALERT",
    "MHM",
    "AttackConfig",
    "AttackResult",
    "CandidatePool",
    "CodeInput",
    "EncoderPredictor",
    "IdentifierAttack",
    "Predictor",
    "Renamer",
    "TransformsRenamer",
    "WIRRandom",
    "char_ngram_embedder",
    "harvest_names",
    "subtoken_embedder",
    "summarize",
    "word_tokens",
]


def _mean(values: Sequence[float]) -> float:
    return float(sum(values) / len(values)) if values else 0.0


def summarize(results: Sequence[AttackResult]) -> dict[str, float]:
    """The usual attack metrics (ALERT / Zeng et al. conventions), all finite:

    - ``asr``: successes / examples the model classified correctly before the attack (attacked);
    - ``avg_queries``: mean queries per attacked example (``avg_queries_success``: successes only);
    - ``icr`` / ``tcr``: identifier / word-token change rate, mean over successful examples;
    - ``seconds``: total wall time, ``queries_per_second`` over all examples.
    Rates with an empty denominator are 0.
    """
    attacked = [r for r in results if r.status not in ("misclassified",)]
    won = [r for r in attacked if r.success]
    total_seconds = float(sum(r.seconds for r in results))
    total_queries = sum(r.queries for r in results)
    return {
        "n": float(len(results)),
        "n_attacked": float(len(attacked)),
        "n_success": float(len(won)),
        "n_no_identifiers": float(sum(r.status == "no_identifiers" for r in results)),
        "asr": len(won) / len(attacked) if attacked else 0.0,
        "avg_queries": _mean([r.queries for r in attacked]),
        "avg_queries_success": _mean([r.queries for r in won]),
        "icr": _mean([r.identifiers_changed / r.identifiers_total for r in won if r.identifiers_total]),
        "tcr": _mean([r.tokens_changed / r.tokens_total for r in won if r.tokens_total]),
        "seconds": total_seconds,
        "seconds_per_example": total_seconds / len(results) if results else 0.0,
        "queries_per_second": total_queries / total_seconds if total_seconds > 0 else 0.0,
    }
