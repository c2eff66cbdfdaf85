"""Architecture search for students: search spaces over `StudentSpec` and the methods' optimisers."""

from kd.search.compressor_ga import (
    OnePointOrResample,
    SearchResult,
    SpaceRepair,
    TailResampleMutation,
    compressor_fitness,
    exhaustive_compressor,
    search_compressor,
)
from kd.search.space import COMPRESSOR_SPACE, DEFAULT_BASE, Gene, SearchSpace

__all__ = [
    "COMPRESSOR_SPACE",
    "DEFAULT_BASE",
    "Gene",
    "OnePointOrResample",
    "SearchResult",
    "SearchSpace",
    "SpaceRepair",
    "TailResampleMutation",
    "compressor_fitness",
    "exhaustive_compressor",
    "search_compressor",
]
