"""Benchmark: MHM vs ALERT-style vs WIR-Random against the released Compressor 3 MB clone student.

    python bench/bench_attacks.py --n 100 --max-queries 500      # all three attacks, same pairs, same budget

Prints, side by side: attack success rate over originally-correct pairs, queries per attacked pair,
identifier/token change rates, wall time and model queries per second. Needs ../shared (BigCloneBench
test pairs and ``models/compressor-3mb/clone``). Pairs are the first ``--n`` lines of ``test.txt``; the
first function of each pair is perturbed. The candidate pool is every renamable identifier of
``--pool-functions`` BigCloneBench functions outside the test set.
"""

from __future__ import annotations

import argparse
import json
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


class ClonePredictor:
    """Predictor protocol over the pair model (official importer ``kd.models.io.import_compressor``).

    Each distinct function is encoded once (pairs are two independent encodes plus the head), so a
    query costs one new encode of the perturbed function."""

    def __init__(self, loaded: LoadedModel, cache_size: int = 4096) -> None:
        self.model, self.encoder = loaded.model.eval(), CodeEncoder(loaded.tokenizer, max_length=BLOCK)
        self.cache_size = cache_size
        self.cache: dict[str, torch.Tensor] = {}
        self.encoded = 0

    @torch.inference_mode()
    def predict(self, inputs: Sequence[CodeInput]) -> torch.Tensor:
        pairs = [x if isinstance(x, tuple) else (x, x) for x in inputs]
        todo = list(dict.fromkeys(c for pair in pairs for c in pair if c not in self.cache))
        if todo:
            if len(self.cache) + len(todo) > self.cache_size:
                self.cache.clear()
                self.encoder = CodeEncoder(self.encoder.tokenizer, max_length=BLOCK)  # its id cache too
            self.encoded += len(todo)
            self.cache.update(embed_texts(self.model, self.encoder, todo, batch_size=64))
        vectors = torch.stack(
            [self.cache[c] for pair in pairs for c in pair]
        )  # (2B, h), rows 2i, 2i+1 = pair i
        return torch.softmax(self.model.classify(vectors), dim=1)


class GoldPredictor:
    """A model that is never fooled (one-hot gold label, looked up by the unperturbed second function):
    with it every attack spends its whole budget, so queries/s measures the attack machinery alone."""

    def __init__(self, pairs: Sequence[tuple[str, str]], labels: Sequence[int]) -> None:
        self.gold = {b: y for (_, b), y in zip(pairs, labels, strict=True)}
        self.encoded = 0
        self.cache: dict[str, torch.Tensor] = {}

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
    predictor: ClonePredictor | GoldPredictor, loaded: LoadedModel, corpus: list[str], config: AttackConfig
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


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=100, help="BigCloneBench test pairs (first n of test.txt)")
    parser.add_argument("--max-queries", type=int, default=500)
    parser.add_argument("--n-candidates", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--pool-functions", type=int, default=2000)
    parser.add_argument("--attacks", default="mhm,alert,wir_random")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--null-model", action="store_true", help="unfoolable stand-in: attack overhead only")
    parser.add_argument("--out", type=Path, default=None, help="write the per-attack summaries as JSON")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    loaded = import_compressor(SHARED / "models" / "compressor-3mb" / "clone")
    pairs, labels, corpus = load_data(args.n, args.pool_functions)
    predictor: ClonePredictor | GoldPredictor = (
        GoldPredictor(pairs, labels) if args.null_model else ClonePredictor(loaded)
    )
    config = AttackConfig("java", args.max_queries, args.n_candidates, args.batch_size, args.seed, side=0)
    attacks = make_attacks(predictor, loaded, corpus, config)
    summaries: dict[str, dict[str, float]] = {}
    for name in args.attacks.split(","):
        predictor.cache.clear()
        start, encoded = time.perf_counter(), predictor.encoded
        results = attacks[name].attack_many(pairs, labels)
        summary = summarize(results)
        summary["functions_encoded"] = float(predictor.encoded - encoded)
        summary["wall_seconds"] = time.perf_counter() - start
        summaries[name] = summary
        print(f"{name}: " + ", ".join(f"{k}={v:.4g}" for k, v in summary.items()), flush=True)
    keys: tuple[str, ...] = (
        "n",
        "n_attacked",
        "n_success",
        "asr",
        "avg_queries",
        "avg_queries_success",
        "icr",
        "tcr",
    )
    keys += ("wall_seconds", "queries_per_second", "functions_encoded")
    victim = (
        "unfoolable null model (attack overhead only)" if args.null_model else "Compressor 3 MB clone student"
    )
    print(
        f"\n{victim}, {args.n} BCB test pairs, budget {args.max_queries} queries, "
        f"{args.n_candidates} candidates, {torch.get_num_threads()} CPU threads"
    )
    print("| attack | " + " | ".join(keys) + " |")
    print("|---" * (len(keys) + 1) + "|")
    for name, summary in summaries.items():
        print(f"| {name} | " + " | ".join(f"{summary[k]:.4g}" for k in keys) + " |")
    if args.out:
        args.out.write_text(
            json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, **summaries}, indent=2)
        )


if __name__ == "__main__":
    main()
