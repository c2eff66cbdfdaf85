"""Student search: spaces over `StudentSpec`, objectives as data, one pymoo engine, the methods' searches.

Public API (the engine that Compressor, AVATAR and MORPH share):

- `kd.search.space`: `Gene`, `SearchSpace` (encode/decode/repair/restrict), `COMPRESSOR_SPACE`;
- `kd.search.objectives`: `Candidate`, `Objective`, `Constraint`, `CostModel` and factories
  (`size_objective`, `budget_gap_objective`, `gflops_objective`, `compressor_objective`, `latency_objective`,
  `predicted_objective`, `max_size_constraint`);
- `kd.search.engine`: `search(space, objectives, algorithm="ga"|"nsga2"|"agemoea"|pymoo algorithm, ...)`,
  `make_algorithm`, `SpaceRepair`;
- `kd.search.result`: `SearchOutcome` (front, chosen, save/plot/log_to_mlflow), `Solution`,
  `select_solution`, `load_search_result`;
- `kd.search.compressor_ga`: Compressor's GA on the engine (`search_compressor`).
"""

from kd.search.compressor_ga import (
    OnePointOrResample,
    SearchResult,
    TailResampleMutation,
    compressor_fitness,
    exhaustive_compressor,
    search_compressor,
)
from kd.search.engine import SpaceRepair, make_algorithm, search
from kd.search.objectives import Candidate, Constraint, CostModel, Objective
from kd.search.result import SavedSearch, SearchOutcome, Solution, load_search_result, select_solution
from kd.search.space import COMPRESSOR_SPACE, DEFAULT_BASE, Gene, SearchSpace

__all__ = [
    "COMPRESSOR_SPACE",
    "DEFAULT_BASE",
    "Candidate",
    "Constraint",
    "CostModel",
    "Gene",
    "Objective",
    "OnePointOrResample",
    "SavedSearch",
    "SearchOutcome",
    "SearchResult",
    "SearchSpace",
    "Solution",
    "SpaceRepair",
    "TailResampleMutation",
    "compressor_fitness",
    "exhaustive_compressor",
    "load_search_result",
    "make_algorithm",
    "search",
    "search_compressor",
    "select_solution",
]
