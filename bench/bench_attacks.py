"""Benchmark: MHM vs ALERT-style vs WIR-Random against the released Compressor 3 MB clone student.

    python bench/bench_attacks.py --n 100 --max-queries 100 --n-candidates 20 --markdown bench/results/attacks.md

Prints, side by side: attack success rate over originally-correct pairs, queries per attacked pair,
identifier/token change rates, wall time, model queries per second, encoder passes actually run (the
:class:`~fidelity.attacks.EncoderPredictor` cache skips the rest) and the load average, plus the rate of
plain batched inference of the same model on the same functions (one query = one fresh encode, so that
rate is what an uncached attack can reach). Needs ../shared (BigCloneBench test pairs and
``models/compressor-3mb/clone``). Pairs are the first ``--n`` lines of ``test.txt``; the first function of
each pair is perturbed. The candidate pool is every renamable identifier of ``--pool-functions``
BigCloneBench functions outside the test set. One torch thread by default (the machine is shared).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fidelity.attacks import (  # noqa: E402
    ALERT,
    MHM,
    AttackConfig,
    CandidatePool,
    CodeInput,
    EncoderPredictor,
    IdentifierAttack,
    TransformsRenamer,
    WIRRandom,
    harvest_names,
    subtoken_embedder,
    summarize,
)
from fidelity.transforms import identifiers  # noqa: E402
from kd.data.encoding import CodeEncoder  # noqa: E402
from kd.models.inference import embed_texts  # noqa: E402
from kd.models.io import LoadedModel, import_compressor  # noqa: E402

SHARED = ROOT.parent / "shared"
BLOCK = 400
Summary = dict[str, float]


def clone_predictor(loaded: LoadedModel, batch_size: int) -> EncoderPredictor:
    """The attacked model as a black box: ``<s>`` vectors cached by token ids, so a query costs one
    encoder pass over the perturbed function (none when the change is past the 400-token cut)."""
    return EncoderPredictor(loaded.model, CodeEncoder(loaded.tokenizer, max_length=BLOCK), batch_size)


class GoldPredictor:
    """A model that is never fooled (one-hot gold label, looked up by the unperturbed second function):
    with it every attack spends its whole budget, so queries/s measures the attack machinery alone."""

    def __init__(self, pairs: Sequence[tuple[str, str]], labels: Sequence[int]) -> None:
        self.gold = {b: y for (_, b), y in zip(pairs, labels, strict=True)}
        self.encoded = 0

    def clear(self) -> None:
        """Nothing cached (same interface as :class:`EncoderPredictor`)."""

    def predict(self, inputs: Sequence[CodeInput]) -> torch.Tensor:
        return torch.eye(2)[[self.gold[x[1]] if isinstance(x, tuple) else 0 for x in inputs]]


def load_data(n: int, pool_functions: int) -> tuple[list[tuple[str, str]], list[int], list[str]]:
    data = SHARED / "data" / "bigclonebench"
    rows = [line.split("\t") for line in (data / "test.txt").read_text().splitlines()[:n]]
    needed = {i for a, b, _ in rows for i in (a, b)}
    funcs: dict[str, str] = {}
    corpus: list[str] = []
    all_test = {i for line in (data / "test.txt").read_text().splitlines() for i in line.split("\t")[:2]}
    with (data / "functions.jsonl").open() as fh:
        for line in fh:
            item = json.loads(line)
            if item["idx"] in needed:
                funcs[item["idx"]] = item["func"]
            elif item["idx"] not in all_test and len(corpus) < pool_functions:
                corpus.append(item["func"])
            if len(funcs) == len(needed) and len(corpus) >= pool_functions:
                break
    pairs = [(funcs[a], funcs[b]) for a, b, _ in rows]
    return pairs, [int(y) for _, _, y in rows], corpus


def make_attacks(
    predictor: EncoderPredictor | GoldPredictor, loaded: LoadedModel, corpus: list[str], config: AttackConfig
) -> dict[str, IdentifierAttack]:
    renamer = TransformsRenamer()
    names = harvest_names(corpus, lambda code: identifiers(code, "java"))
    encoder: Any = loaded.model.encoder  # a transformers RobertaModel
    matrix = encoder.get_input_embeddings().weight.detach().numpy()
    embed = subtoken_embedder(lambda s: loaded.tokenizer.encode(s).ids, matrix)
    pool = CandidatePool(names, embed=embed, is_valid=lambda n: renamer.is_valid(n, "java"))
    print(f"candidate pool: {len(pool)} names from {len(corpus)} functions", flush=True)
    return {
        "mhm": MHM(predictor, config, renamer, pool=pool),
        "alert": ALERT(predictor, config, renamer, pool=pool),
        "wir_random": WIRRandom(predictor, config, renamer, pool=pool),
    }


def reference_rate(loaded: LoadedModel, pairs: Sequence[tuple[str, str]], batch_size: int) -> float:
    """Plain batched inference on the same model: distinct functions of the pairs encoded per second.
    A query needs one fresh encode of the perturbed function, so this is the uncached q/s ceiling."""
    texts = list(dict.fromkeys(t for pair in pairs for t in pair))
    encoder = CodeEncoder(loaded.tokenizer, max_length=BLOCK)
    embed_texts(loaded.model.eval(), encoder, texts[: min(len(texts), 2 * batch_size)], batch_size)  # warm-up
    start = time.perf_counter()
    embed_texts(loaded.model, CodeEncoder(loaded.tokenizer, max_length=BLOCK), texts, batch_size)
    return len(texts) / (time.perf_counter() - start)


def run_attack(
    attack: IdentifierAttack,
    predictor: EncoderPredictor | GoldPredictor,
    pairs: Sequence[tuple[str, str]],
    labels: Sequence[int],
) -> Summary:
    """One attack over all pairs, with the encoder passes it cost and the load average around it."""
    predictor.clear()
    start, encoded, load = time.perf_counter(), predictor.encoded, os.getloadavg()[0]
    results = attack.attack_many(pairs, labels)
    summary = summarize(results)
    summary["encoder_passes"] = float(predictor.encoded - encoded)
    summary["wall_seconds"] = time.perf_counter() - start
    summary["load_avg"] = (load + os.getloadavg()[0]) / 2
    print(f"{attack.name}: " + ", ".join(f"{k}={v:.4g}" for k, v in summary.items()), flush=True)
    return summary


KEYS: tuple[str, ...] = ("n", "n_attacked", "n_success", "asr", "avg_queries", "avg_queries_success")
KEYS += ("icr", "tcr", "wall_seconds", "queries_per_second", "encoder_passes", "load_avg")


def report(
    args: argparse.Namespace, summaries: dict[str, Summary], reference: float | None, total: float
) -> str:
    victim = "unfoolable null model (overhead only)" if args.null_model else "Compressor 3 MB clone model"
    lines = [
        f"{victim}, first {args.n} BigCloneBench test pairs (side 0 perturbed), budget {args.max_queries}"
        f" queries, {args.n_candidates} candidates, batch {args.batch_size}, seed {args.seed},"
        f" {torch.get_num_threads()} CPU thread(s), {os.cpu_count()} cores",
        "",
        "| attack | " + " | ".join(KEYS) + " |",
        "|---" * (len(KEYS) + 1) + "|",
    ]
    lines += [f"| {k} | " + " | ".join(f"{s[key]:.4g}" for key in KEYS) + " |" for k, s in summaries.items()]
    lines += ["", f"Whole run (model load, candidate pool, reference, attacks): {total:.0f} s wall."]
    if reference is not None:
        ratios = ", ".join(f"{k} {s['queries_per_second'] / reference:.2f}×" for k, s in summaries.items())
        lines += [
            f"Plain batched inference, same model, the pairs' distinct functions (batch {args.batch_size}):"
            f" {reference:.1f} functions/s. Attack queries/s relative to it: {ratios}."
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100, help="BigCloneBench test pairs (first n of test.txt)")
    parser.add_argument("--max-queries", type=int, default=100)
    parser.add_argument("--n-candidates", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--pool-functions", type=int, default=1000)
    parser.add_argument("--attacks", default="mhm,alert,wir_random")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--null-model", action="store_true", help="unfoolable stand-in: attack overhead only")
    parser.add_argument("--out", type=Path, default=None, help="write the per-attack summaries as JSON")
    parser.add_argument("--markdown", type=Path, default=None, help="write the report table as Markdown")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    began = time.perf_counter()
    loaded = import_compressor(SHARED / "models" / "compressor-3mb" / "clone")
    pairs, labels, corpus = load_data(args.n, args.pool_functions)
    predictor: EncoderPredictor | GoldPredictor = (
        GoldPredictor(pairs, labels) if args.null_model else clone_predictor(loaded, args.batch_size)
    )
    config = AttackConfig("java", args.max_queries, args.n_candidates, args.batch_size, args.seed, side=0)
    attacks = make_attacks(predictor, loaded, corpus, config)
    reference = None if args.null_model else reference_rate(loaded, pairs, args.batch_size)
    summaries = {
        name: run_attack(attacks[name], predictor, pairs, labels) for name in args.attacks.split(",")
    }
    text = report(args, summaries, reference, time.perf_counter() - began)
    print("\n" + text)
    if args.markdown:
        command = "python bench/bench_attacks.py " + " ".join(sys.argv[1:] if argv is None else argv)
        args.markdown.write_text(f"# Attack benchmark\n\n```\n{command}\n```\n\n{text}\n")
    if args.out:
        args.out.write_text(
            json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, **summaries}, indent=2)
        )


if __name__ == "__main__":
    main()
