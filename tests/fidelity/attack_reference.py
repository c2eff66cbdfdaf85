"""Reference for the student-attack tests: the attack classes driven by hand, not through the probe code."""

from __future__ import annotations

from typing import Any

from tokenizers import Tokenizer

from fidelity.attacks import (
    ALERT,
    MHM,
    AttackConfig,
    AttackResult,
    CandidatePool,
    CodeInput,
    EncoderPredictor,
    IdentifierAttack,
    TransformsRenamer,
    WIRRandom,
    char_ngram_embedder,
    harvest_names,
    summarize,
)
from fidelity.probe import ProbeConfig
from fidelity.transforms import identifiers
from kd.data.encoding import CodeEncoder
from kd.data.splits import CodeSplit
from kd.models.classifier import CodeClassifier

#: summarize() keys that are wall-clock measurements, not attack outcomes.
TIMING = ("seconds", "seconds_per_example", "queries_per_second")


def direct_results(
    model: CodeClassifier,
    tokenizer: Tokenizer,
    max_length: int,
    originals: list[tuple[str, ...]],
    labels: list[int],
    split: CodeSplit,
    language: str,
    config: ProbeConfig,
) -> dict[str, list[AttackResult]]:
    """Each configured attack on the first ``n_attack`` originals, one predictor for all attacks."""
    renamer = TransformsRenamer()
    texts = list(split.functions.values())[: config.pool_functions]
    names = harvest_names(texts, lambda code: identifiers(code, language))
    pool = CandidatePool(names, embed=char_ngram_embedder(), is_valid=lambda n: renamer.is_valid(n, language))
    predictor = EncoderPredictor(model, CodeEncoder(tokenizer, max_length))
    attack_config = AttackConfig(
        language=language, max_queries=config.max_queries, n_candidates=config.n_candidates, seed=config.seed
    )
    chosen = originals[: config.n_attack]
    inputs: list[CodeInput] = [ex[0] if len(ex) == 1 else (ex[0], ex[1]) for ex in chosen]
    classes: dict[str, type[IdentifierAttack]] = {"mhm": MHM, "wir_random": WIRRandom, "alert": ALERT}
    out = {}
    for name in config.attacks:
        attack = classes[name](predictor, attack_config, renamer, pool=pool)  # type: ignore[call-arg]
        out[name] = attack.attack_many(inputs, labels[: len(chosen)])
    return out


def direct_summaries(*args: Any) -> dict[str, dict[str, float]]:
    """``{attack: summarize(results)}`` of :func:`direct_results` (same arguments)."""
    return {name: summarize(results) for name, results in direct_results(*args).items()}


def outcomes(summary: dict[str, float]) -> dict[str, float]:
    """A summary without its timing entries (those differ between any two runs)."""
    return {k: v for k, v in summary.items() if k not in TIMING}
