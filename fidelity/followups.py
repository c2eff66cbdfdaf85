"""Building a probe's follow-ups: transform rewrites, and identifier attacks against a model.

Transforms rewrite the *first* function of each example (a clone pair stays a pair of the same two
behaviours). Attacks run against a local model through :class:`~fidelity.attacks.EncoderPredictor`
(cached encoder outputs: the unchanged side of a pair, and renamings that only touch the truncated
tail, cost no encoder pass); the same routine attacks the teacher when the probe is built and the
student at the end of a fit (:func:`attack_summaries`), on the same originals, pool and seed.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from tokenizers import Tokenizer
from tqdm.auto import tqdm

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
from fidelity.transforms import apply_transform, identifiers
from kd.data.encoding import CodeEncoder

if TYPE_CHECKING:  # probe imports this module; the types are only needed for annotations
    from fidelity.probe import ProbeConfig, Teacher
    from kd.models.classifier import CodeClassifier

log = logging.getLogger(__name__)
Example = tuple[str, ...]
ATTACKS: dict[str, type[IdentifierAttack]] = {"mhm": MHM, "alert": ALERT, "wir_random": WIRRandom}
#: name -> (kind, source indices, follow-up examples, stats)
Found = dict[str, tuple[str, list[int], list[Example], dict[str, float]]]


def as_example(code: Any) -> Example:
    """An attack's input or output (one function, or a pair as a tuple or list) as an ``Example`` tuple."""
    return (code,) if isinstance(code, str) else tuple(code)


def transform_followups(
    originals: list[Example],
    language: str,
    config: ProbeConfig,
    progress: bool = True,
    skipped: dict[str, int] | None = None,
    notes: list[str] | None = None,
) -> Found:
    """One follow-up per (original, transform) where the transform applies to the first function.

    A function whose transforms have taken ``config.max_seconds`` in all gets no further ones; each such
    function is counted once in ``skipped["time_budget"]`` (and described in ``notes``)."""
    out: Found = {}
    spent = [0.0] * len(originals)
    over: set[int] = set()
    for name in tqdm(config.transform_names(language), desc="probe transforms", disable=not progress):
        source, examples = [], []
        for i, ex in enumerate(originals):
            if i in over:
                continue
            start = time.perf_counter()
            result = apply_transform(ex[0], language, name, seed=config.seed)
            spent[i] += time.perf_counter() - start
            if spent[i] > config.max_seconds:
                over.add(i)
                if skipped is not None:
                    skipped["time_budget"] = skipped.get("time_budget", 0) + 1
                if notes is not None and len(notes) < 20:
                    notes.append(
                        f"time_budget: probe example {i} ({len(ex[0])} chars, {spent[i]:.1f}s at {name})"
                    )
            if result.status == "ok" and result.code is not None:
                source.append(i)
                examples.append((result.code, *ex[1:]))
        out[name] = ("transform", source, examples, {"applicable": len(source) / max(len(originals), 1)})
    return out


def candidate_pool(pool_texts: list[str], language: str) -> CandidatePool | None:
    """Substitute names harvested from ``pool_texts``; None when the data has no identifiers at all."""
    renamer = TransformsRenamer()
    names = harvest_names(pool_texts, lambda code: identifiers(code, language))
    try:
        return CandidatePool(
            names, embed=char_ngram_embedder(), is_valid=lambda n: renamer.is_valid(n, language)
        )
    except ValueError as exc:
        log.warning("fidelity probe: no identifier attacks (%s)", exc)
        return None


def run_attacks(
    model: CodeClassifier,
    tokenizer: Tokenizer,
    max_length: int,
    originals: list[Example],
    labels: list[int],
    language: str,
    config: ProbeConfig,
    pool: CandidatePool,
    progress: bool = True,
    target: str = "teacher",
) -> dict[str, list[AttackResult]]:
    """Every configured attack on the first ``config.n_attack`` originals, against ``model``.

    One :class:`EncoderPredictor` serves all attacks, so vectors of functions an earlier attack
    already encoded (the originals, the second function of each pair) are reused."""
    predictor = EncoderPredictor(model, CodeEncoder(tokenizer, max_length))
    attack_config = AttackConfig(
        language=language,
        max_queries=config.max_queries,
        n_candidates=config.n_candidates,
        seed=config.seed,
        side=0,
    )
    chosen = originals[: config.n_attack]
    inputs: list[CodeInput] = [ex[0] if len(ex) == 1 else (ex[0], ex[1]) for ex in chosen]
    todo = list(zip(inputs, labels[: len(chosen)], strict=True))
    out: dict[str, list[AttackResult]] = {}
    for name in config.attacks:
        attack = ATTACKS[name](predictor, attack_config, TransformsRenamer(), pool=pool)  # type: ignore[call-arg]
        desc = f"attack {name} on {target}"
        out[name] = [attack.attack(x, y) for x, y in tqdm(todo, desc=desc, disable=not progress)]
    return out


def attack_followups(
    originals: list[Example],
    labels: list[int],
    language: str,
    config: ProbeConfig,
    teacher: Teacher,
    pool_texts: list[str],
    progress: bool = True,
) -> Found:
    """Attack the teacher once per original; the most damaging variant found becomes the follow-up
    (also when it did not flip the teacher: it is still a semantic-preserving rewrite)."""
    if not config.attacks:
        return {}
    pool = candidate_pool(pool_texts, language)
    if pool is None:
        return {}
    found = run_attacks(
        teacher.model,
        teacher.tokenizer,
        teacher.max_length,
        originals,
        labels,
        language,
        config,
        pool,
        progress,
        "teacher",
    )
    out: Found = {}
    for name, results in found.items():
        source, examples = [], []
        for i, r in enumerate(results):
            if r.adversarial is not None and r.adversarial != r.original:
                source.append(i)
                examples.append(as_example(r.adversarial))
        out[name] = ("attack", source, examples, summarize(results))
    return out


def attack_summaries(
    model: CodeClassifier,
    tokenizer: Tokenizer,
    max_length: int,
    originals: list[Example],
    labels: list[int],
    language: str,
    config: ProbeConfig,
    pool_texts: list[str],
    progress: bool = True,
) -> dict[str, dict[str, float]]:
    """``{attack: summarize(results)}`` of the configured attacks run directly against ``model``
    (a student) on the probe's attacked originals; ``{}`` when there is nothing to attack with."""
    pool = candidate_pool(pool_texts, language) if config.attacks else None
    if pool is None:
        return {}
    was_training = model.training
    try:
        found = run_attacks(
            model, tokenizer, max_length, originals, labels, language, config, pool, progress, "student"
        )
    finally:
        model.train(was_training)  # EncoderPredictor puts the model in eval mode
    return {name: summarize(results) for name, results in found.items()}
