"""Search spaces over `StudentSpec`: genes as data, genomes as integer index vectors.

A genome holds, per gene, the *index* of the chosen value. Index genomes make every gene an integer variable
in [0, n_values - 1] for pymoo, whatever the values are (ints with a step, floats, names), so Compressor's
5 genes, AVATAR/MORPH's 13 genes (tokenizer kind, activation, dropouts, learning rate, ...) and their
operators all share one encoding. Genes whose `field` is not a `StudentSpec` field (learning rate, batch size)
are returned by `decode_hparams` instead of going into the spec.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from kd.spec import StudentSpec

_SPEC_FIELDS = frozenset(f.name for f in dataclasses.fields(StudentSpec))


@dataclass(frozen=True)
class Gene:
    """One searchable variable: a name, its ordered candidate values, and the spec field it sets.

    `offset` is added to numeric values before they are written to `field` (AVATAR's gene max_seq_len maps to
    max_position_embeddings = max_seq_len + 2).
    """

    name: str
    values: tuple[Any, ...]
    field: str = ""
    offset: int = 0

    def __post_init__(self) -> None:
        if not self.values:
            raise ValueError(f"Gene {self.name!r} has no values")
        if len(set(self.values)) != len(self.values):
            raise ValueError(f"Gene {self.name!r} has duplicate values")
        if not self.field:
            object.__setattr__(self, "field", self.name)

    @classmethod
    def int_range(cls, name: str, low: int, high: int, step: int = 1, **kwargs: Any) -> Gene:
        """Integers low, low+step, ..., up to and including high."""
        if step < 1 or high < low:
            raise ValueError(f"Gene {name!r}: bad range low={low} high={high} step={step}")
        return cls(name, tuple(range(low, high + 1, step)), **kwargs)

    @property
    def is_spec_field(self) -> bool:
        return self.field in _SPEC_FIELDS

    def value_for_field(self, index: int) -> Any:
        value = self.values[index]
        return value + self.offset if self.offset else value

    def index_of(self, field_value: Any) -> int:
        value = field_value - self.offset if self.offset else field_value
        try:
            return self.values.index(value)
        except ValueError:
            raise ValueError(f"{self.field} {field_value!r} is not a value of gene {self.name!r}") from None


DEFAULT_BASE = StudentSpec(
    vocab_size=1000, num_hidden_layers=12, hidden_size=96, num_attention_heads=8, intermediate_size=64
)


@dataclass(frozen=True)
class SearchSpace:
    """An ordered list of genes; the order is the genome layout (it matters for one-point crossover)."""

    genes: tuple[Gene, ...]
    hidden_gene: str = "hidden_size"
    heads_gene: str = "num_attention_heads"
    _index: dict[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [g.name for g in self.genes]
        if len(set(names)) != len(names):
            raise ValueError(f"Duplicate gene names in {names}")
        object.__setattr__(self, "_index", {n: i for i, n in enumerate(names)})

    @property
    def names(self) -> list[str]:
        return [g.name for g in self.genes]

    @property
    def n_var(self) -> int:
        return len(self.genes)

    @property
    def upper(self) -> np.ndarray:
        """Largest index per gene (pymoo's xu; xl is all zeros)."""
        return np.array([len(g.values) - 1 for g in self.genes], dtype=int)

    def gene(self, name: str) -> Gene:
        if name not in self._index:
            raise KeyError(f"No gene {name!r}; genes are {self.names}")
        return self.genes[self._index[name]]

    def _check(self, genome: Sequence[int] | np.ndarray) -> list[int]:
        idx = [int(round(float(x))) for x in genome]
        if len(idx) != self.n_var:
            raise ValueError(f"Genome has {len(idx)} genes, space {self.names} has {self.n_var}")
        for g, i in zip(self.genes, idx, strict=True):
            if not 0 <= i < len(g.values):
                raise ValueError(f"Gene {g.name!r} index {i} outside [0, {len(g.values) - 1}]")
        return idx

    def values(self, genome: Sequence[int] | np.ndarray) -> dict[str, Any]:
        """Gene name → chosen value (the raw gene value, before `offset`)."""
        return {g.name: g.values[i] for g, i in zip(self.genes, self._check(genome), strict=True)}

    def decode(self, genome: Sequence[int] | np.ndarray, base: StudentSpec | None = None) -> StudentSpec:
        """The spec a genome describes; fields without a gene come from `base` (default `DEFAULT_BASE`)."""
        idx = self._check(genome)
        values = (base or DEFAULT_BASE).to_dict()
        for g, i in zip(self.genes, idx, strict=True):
            if g.is_spec_field:
                values[g.field] = g.value_for_field(i)
        return StudentSpec(**values)

    def decode_hparams(self, genome: Sequence[int] | np.ndarray) -> dict[str, Any]:
        """Values of genes that are not spec fields (e.g. learning_rate, batch_size)."""
        idx = self._check(genome)
        return {
            g.field: g.value_for_field(i) for g, i in zip(self.genes, idx, strict=True) if not g.is_spec_field
        }

    def encode(self, spec: StudentSpec, hparams: dict[str, Any] | None = None) -> np.ndarray:
        """Index genome of `spec` (and `hparams` for non-spec genes); errors name a value outside a gene."""
        extra = hparams or {}
        out = []
        for g in self.genes:
            if g.is_spec_field:
                out.append(g.index_of(getattr(spec, g.field)))
            elif g.field in extra:
                out.append(g.index_of(extra[g.field]))
            else:
                raise ValueError(f"Gene {g.name!r} sets {g.field!r}, which is not in hparams {sorted(extra)}")
        return np.array(out, dtype=int)

    def repair(self, genome: Sequence[int] | np.ndarray) -> np.ndarray:
        """Make hidden divisible by heads: move hidden to the nearest valid value (ties go lower, as MORPH).

        If no hidden value is divisible by the chosen heads, heads moves to the nearest value dividing hidden.
        Spaces without both genes are returned unchanged.
        """
        idx = np.array(self._check(genome), dtype=int)
        if self.hidden_gene not in self._index or self.heads_gene not in self._index:
            return idx
        hi, ai = self._index[self.hidden_gene], self._index[self.heads_gene]
        hidden_g, heads_g = self.genes[hi], self.genes[ai]
        hidden, heads = hidden_g.value_for_field(idx[hi]), heads_g.value_for_field(idx[ai])
        if hidden % heads == 0:
            return idx
        ok = [j for j in range(len(hidden_g.values)) if hidden_g.value_for_field(j) % heads == 0]
        if ok:
            idx[hi] = min(
                ok, key=lambda j: (abs(hidden_g.value_for_field(j) - hidden), hidden_g.value_for_field(j))
            )
            return idx
        ok = [j for j in range(len(heads_g.values)) if hidden % heads_g.value_for_field(j) == 0]
        if not ok:
            raise ValueError(f"No {heads_g.name} value divides {hidden_g.name} {hidden}")
        idx[ai] = min(ok, key=lambda j: (abs(heads_g.value_for_field(j) - heads), heads_g.value_for_field(j)))
        return idx

    def restrict(self, bounds: Mapping[str, Sequence[Any]]) -> SearchSpace:
        """The space with each named gene cut to the values in ``[low, high]`` (inclusive).

        How a search gets constraints its fitness does not express: ``{"num_hidden_layers": [1, 4]}`` bounds
        depth, hence CPU latency, which Compressor's GFLOPs-maximising fitness would otherwise push to 12.
        Errors name the unknown gene or the bound that leaves no value.
        """
        genes = {g.name: g for g in self.genes}
        for name, bound in bounds.items():
            if name not in genes:
                raise ValueError(f"search bounds: no gene {name!r}; genes are {self.names}")
            if len(bound) != 2:
                raise ValueError(f"search bounds for {name!r}: expected [low, high], got {list(bound)}")
            low, high = bound
            kept = tuple(v for v in genes[name].values if low <= v <= high)
            if not kept:
                raise ValueError(
                    f"search bounds for {name!r}: [{low}, {high}] keeps none of {genes[name].values}"
                )
            genes[name] = dataclasses.replace(genes[name], values=kept)
        return dataclasses.replace(self, genes=tuple(genes[g.name] for g in self.genes))

    def size(self) -> int:
        """Number of genomes (valid or not): the product of the gene cardinalities."""
        return int(np.prod([len(g.values) for g in self.genes], dtype=object))


# Compressor's searcher.py space (research notes 1.2). Genes are in the alphabetical order of Compressor's keys
# (attention_heads, hidden_dim, intermediate_size, n_layers, vocab_size): that order defines its crossover.
COMPRESSOR_SPACE = SearchSpace(
    genes=(
        Gene("num_attention_heads", (1, 2, 4, 8)),
        Gene.int_range("hidden_size", 16, 768, 16),
        Gene.int_range("intermediate_size", 32, 3040, 32),
        Gene.int_range("num_hidden_layers", 1, 12),
        Gene.int_range("vocab_size", 1000, 50000, 1000),
    )
)
