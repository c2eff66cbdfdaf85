"""Substitute names for identifier attacks: a corpus pool, random draws and nearest-name ranking.

ALERT ranks substitutes by naturalness with CodeBERT's masked LM. Offline, without a masked LM, the
pool ranks by cosine similarity of name embeddings instead: either subtoken-averaged rows of a model's
input-embedding matrix (:func:`subtoken_embedder`, the victim's own notion of similar names) or hashed
character n-grams (:func:`char_ngram_embedder`, needs nothing). Candidates are always filtered to valid,
non-keyword identifiers that do not occur in the attacked code.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable, Iterable, Sequence

import numpy as np

#: Maps N names to an (N, D) float matrix.
EmbedFn = Callable[[Sequence[str]], np.ndarray]
#: A masked language model as a ranker: (code, identifier, k) -> up to k natural substitutes, best first.
MaskedLM = Callable[[str, str, int], list[str]]

_SUBTOKEN = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def subtokens(name: str) -> list[str]:
    """camelCase / snake_case / digits split, lower-cased: ``getHTTPResponse2`` -> get, http, response, 2."""
    return [part.lower() for part in _SUBTOKEN.findall(name)] or [name.lower()]


def char_ngram_embedder(dim: int = 256, ngrams: tuple[int, ...] = (2, 3, 4)) -> EmbedFn:
    """Hashed character n-gram vectors of each subtoken (with boundary marks); fully offline."""
    if dim < 1:
        raise ValueError(f"Expected `dim` >= 1, got {dim}")

    def embed(names: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(names), dim))
        for row, name in enumerate(names):
            for sub in subtokens(name):
                marked = f"<{sub}>"
                for n in ngrams:
                    for i in range(max(len(marked) - n + 1, 1)):
                        out[row, zlib.crc32(marked[i : i + n].encode()) % dim] += 1.0
        return out

    return embed


def subtoken_embedder(tokenize: Callable[[str], list[int]], matrix: np.ndarray) -> EmbedFn:
    """Mean input-embedding row of a name's model tokens, e.g. ``tokenize=lambda s: tok.encode(s).ids``
    and ``matrix = model.embeddings.word_embeddings.weight`` as numpy ``(V, D)``."""
    matrix = np.asarray(matrix, dtype=float)

    def embed(names: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(names), matrix.shape[1]))
        for row, name in enumerate(names):
            ids = [i for i in tokenize(" ".join(subtokens(name))) if 0 <= i < matrix.shape[0]]
            if ids:
                out[row] = matrix[ids].mean(axis=0)
        return out

    return embed


def _unit_rows(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1.0, norms)


class CandidatePool:
    """A fixed vocabulary of substitute names, optionally embedded for nearest-name queries.

    ``is_valid`` filters the names once (e.g. ``TransformsRenamer().is_valid`` bound to a language);
    per attack, names present in the code are excluded through ``exclude``.
    """

    def __init__(
        self,
        names: Iterable[str],
        embed: EmbedFn | None = None,
        is_valid: Callable[[str], bool] | None = None,
    ) -> None:
        unique = dict.fromkeys(
            n for n in names if isinstance(n, str) and n and (is_valid is None or is_valid(n))
        )
        self.names: list[str] = sorted(unique)
        if not self.names:
            raise ValueError("CandidatePool needs at least one valid name; got none after filtering")
        self.embed = embed
        self._vectors = _unit_rows(embed(self.names)) if embed is not None else None

    def __len__(self) -> int:
        return len(self.names)

    def random(self, k: int, rng: random.Random, exclude: Iterable[str] = ()) -> list[str]:
        """Up to ``k`` distinct names drawn uniformly, none in ``exclude``."""
        banned = set(exclude)
        picks: list[str] = []
        # Rejection sampling is cheap when the pool dwarfs the code; fall back to a full scan otherwise.
        for _ in range(4 * k):
            name = self.names[rng.randrange(len(self.names))]
            if name not in banned and name not in picks:
                picks.append(name)
                if len(picks) == k:
                    return picks
        rest = [n for n in self.names if n not in banned and n not in picks]
        return picks + rng.sample(rest, min(k - len(picks), len(rest)))

    def nearest(self, name: str, k: int, exclude: Iterable[str] = ()) -> list[str]:
        """Up to ``k`` names most similar to ``name`` (cosine), best first; needs an ``embed``."""
        if self._vectors is None or self.embed is None:
            raise ValueError("CandidatePool.nearest needs an `embed` function; build the pool with one")
        banned = set(exclude) | {name}
        query = _unit_rows(self.embed([name]))[0]
        scores = self._vectors @ query
        order = np.argsort(-scores, kind="stable")
        out: list[str] = []
        for i in order:
            if self.names[i] not in banned:
                out.append(self.names[i])
                if len(out) == k:
                    break
        return out


def harvest_names(codes: Iterable[str], identifiers: Callable[[str], list[str]]) -> list[str]:
    """All renamable identifiers of a corpus (first occurrence order), the usual source of a pool."""
    seen: dict[str, None] = {}
    for code in codes:
        try:
            found = identifiers(code)
        except Exception:  # one unparsable corpus entry must not stop pool building
            continue
        seen.update(dict.fromkeys(found))
    return list(seen)
