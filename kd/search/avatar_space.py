"""AVATAR's 13-gene space (Shi et al., ICSE-SEIS 2024; research notes §2.2), overridable gene by gene.

| gene | values (default) |
|---|---|
| tokenizer | bpe, wordpiece, unigram, wordlevel |
| vocab_size | 1000 … 46000, step 1000 |
| num_hidden_layers | 1 … 12 |
| hidden_size | 16 … 256 |
| hidden_act | gelu, relu, silu, gelu_new |
| hidden_dropout_prob | 0.2 … 0.5, step 0.1 |
| intermediate_size | 32 … 3072, step 16 |
| num_attention_heads | 1 … 12 |
| attention_probs_dropout_prob | 0.2 … 0.5, step 0.1 |
| max_seq_len | 256 … 512, step 16 (sets max_position_embeddings = max_seq_len + 2) |
| position_embedding_type | absolute (relative_key / relative_key_query: see below) |
| learning_rate | 1e-3, 1e-4, 5e-5 |
| batch_size | clone 8, 16; vulnerability 16, 32, 64 |

The paper's integer genes are searched with the steps above (the paper's z3 script used the same kind of grid:
vocab in 1000s, intermediate in 32s, sequence length in 16s). ``position_embedding_type`` keeps only
``absolute`` by default: transformers ≥ 5 no longer builds RoBERTa's relative-key attention, so a student with it
could not be trained here; overriding the gene to include them is refused with that reason.

Overrides (``genes`` in the config): a gene name → a list of values, or ``{low, high, step}`` for numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kd.search.space import Gene, SearchSpace
from kd.spec import POSITION_EMBEDDING_TYPES

AVATAR_BATCH_SIZES = {"clone": (8, 16), "vulnerability": (16, 32, 64)}
BUILDABLE_POSITIONS = ("absolute",)


def _steps(low: float, high: float, step: float, digits: int = 6) -> tuple[float, ...]:
    n = int(round((high - low) / step))
    return tuple(round(low + k * step, digits) for k in range(n + 1))


def avatar_genes(task: str) -> list[Gene]:
    """The default genes, in AVATAR's genome order."""
    if task not in AVATAR_BATCH_SIZES:
        raise ValueError(f"Unknown task {task!r}; expected one of {list(AVATAR_BATCH_SIZES)}")
    return [
        Gene("tokenizer", ("bpe", "wordpiece", "unigram", "wordlevel")),
        Gene.int_range("vocab_size", 1000, 46000, 1000),
        Gene.int_range("num_hidden_layers", 1, 12),
        Gene.int_range("hidden_size", 16, 256),
        Gene("hidden_act", ("gelu", "relu", "silu", "gelu_new")),
        Gene("hidden_dropout_prob", _steps(0.2, 0.5, 0.1)),
        Gene.int_range("intermediate_size", 32, 3072, 16),
        Gene.int_range("num_attention_heads", 1, 12),
        Gene("attention_probs_dropout_prob", _steps(0.2, 0.5, 0.1)),
        Gene.int_range("max_seq_len", 256, 512, 16, field="max_position_embeddings", offset=2),
        Gene("position_embedding_type", BUILDABLE_POSITIONS),
        Gene("learning_rate", (1e-3, 1e-4, 5e-5)),
        Gene("batch_size", AVATAR_BATCH_SIZES[task]),
    ]


def _override(gene: Gene, value: Any) -> Gene:
    if isinstance(value, Mapping):
        missing = {"low", "high"} - set(value)
        if missing or set(value) - {"low", "high", "step"}:
            raise ValueError(
                f"search genes.{gene.name}: expected a list of values or {{low, high, step}}, got {dict(value)}"
            )
        low, high, step = value["low"], value["high"], value.get("step", 1)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (low, high, step)):
            values: tuple[Any, ...] = tuple(range(low, high + 1, step))
        else:
            values = _steps(float(low), float(high), float(step))
    elif isinstance(value, list | tuple):
        values = tuple(value)
    else:
        raise ValueError(f"search genes.{gene.name}: expected a list or {{low, high, step}}, got {value!r}")
    if not values:
        raise ValueError(f"search genes.{gene.name}: {value!r} gives no values")
    if gene.name == "position_embedding_type":
        bad = [v for v in values if v not in BUILDABLE_POSITIONS]
        if bad:
            known = [v for v in bad if v in POSITION_EMBEDDING_TYPES]
            why = (
                "transformers >= 5 no longer implements relative-key attention for RoBERTa"
                if known
                else f"expected values of {list(POSITION_EMBEDDING_TYPES)}"
            )
            raise ValueError(f"search genes.position_embedding_type: {bad} cannot be built ({why})")
    return Gene(gene.name, values, gene.field, gene.offset)


def avatar_space(task: str, overrides: Mapping[str, Any] | None = None) -> SearchSpace:
    """AVATAR's space for ``task`` with ``overrides`` applied; unknown gene names are an error."""
    genes = {g.name: g for g in avatar_genes(task)}
    for name, value in (overrides or {}).items():
        if name not in genes:
            raise ValueError(f"search genes: no gene {name!r}; genes are {list(genes)}")
        genes[name] = _override(genes[name], value)
    return SearchSpace(genes=tuple(genes.values()))
