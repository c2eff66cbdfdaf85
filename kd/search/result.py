"""A search's result: the Pareto front, the chosen student, and the files a later fit reuses.

Selection rule (`select_solution`), the same for every method:

1. a single-objective front has one row: it is chosen;
2. otherwise, without a budget, the row best in the first objective;
3. with a budget ``target_mb``: the rows whose size is within ``tolerance`` × target of the closest size to
   the budget are "closest to the budget"; among them the highest predicted accuracy (the objective named
   ``accuracy``) wins, then the fewest GFLOPs, then the front order (deterministic).

Files (`SearchOutcome.save`): ``search_result.json`` (chosen spec + hyper-parameters + front summary),
``pareto_front.csv`` (one row per front member: genes, objectives, size, GFLOPs), ``pareto_front.png``
(size × accuracy — or × the second objective — coloured by GFLOPs) and ``search_trace.csv``.
`load_search_result` reads the JSON back for ``--model.init_args.search_result``.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kd.spec import StudentSpec

RESULT_FILE = "search_result.json"
FRONT_CSV = "pareto_front.csv"
FRONT_PNG = "pareto_front.png"
TRACE_CSV = "search_trace.csv"
ACCURACY = "accuracy"


@dataclass(frozen=True)
class Solution:
    """One member of a front: genome, spec, hyper-parameters, gene values, objective values (natural units)."""

    genome: tuple[int, ...]
    spec: StudentSpec
    hparams: dict[str, Any]
    values: dict[str, Any]
    objectives: dict[str, float]
    size_mb: float
    gflops: float

    def row(self) -> dict[str, Any]:
        """A flat CSV row: spec name, gene values, objectives, size and GFLOPs."""
        return {
            "spec": self.spec.name,
            **{f"gene.{k}": v for k, v in self.values.items()},
            **self.objectives,
            "size_mb": self.size_mb,
            "gflops": self.gflops,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "genome": list(self.genome),
            "spec": self.spec.to_dict(),
            "spec_name": self.spec.name,
            "hparams": self.hparams,
            "values": self.values,
            "objectives": self.objectives,
            "size_mb": self.size_mb,
            "gflops": self.gflops,
        }


def select_solution(front: Sequence[Solution], target_mb: float | None, tolerance: float = 0.02) -> Solution:
    """The module docstring's rule: closest to the budget, then best predicted accuracy, then fewest GFLOPs."""
    if not front:
        raise ValueError("cannot select from an empty front")
    if len(front) == 1 or target_mb is None:
        return front[0]
    gaps = [abs(s.size_mb - target_mb) for s in front]
    near = [s for s, g in zip(front, gaps, strict=True) if g <= min(gaps) + tolerance * target_mb]
    return min(near, key=lambda s: (-s.objectives.get(ACCURACY, 0.0), s.gflops))


@dataclass(frozen=True)
class SearchOutcome:
    """What `kd.search.engine.search` returns."""

    front: tuple[Solution, ...]
    chosen: Solution
    objectives: tuple[tuple[str, str], ...]  # (name, "min" | "max") in search order
    trace: list[dict[str, Any]]
    seconds: float
    seed: int
    algorithm: str
    n_evals: int
    target_mb: float | None = None
    gene_names: tuple[str, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)

    def front_dataframe(self) -> Any:
        import pandas as pd

        rows = [{"chosen": s is self.chosen or s == self.chosen, **s.row()} for s in self.front]
        return pd.DataFrame(rows)

    def summary(self) -> dict[str, Any]:
        """The JSON a fit reuses: chosen spec and hyper-parameters, objectives, front size, timing."""
        return {
            "chosen": self.chosen.to_dict(),
            "objectives": [list(o) for o in self.objectives],
            "algorithm": self.algorithm,
            "seed": self.seed,
            "seconds": self.seconds,
            "n_evals": self.n_evals,
            "n_front": len(self.front),
            "target_mb": self.target_mb,
            "gene_names": list(self.gene_names),
            "selection_rule": "closest to target_mb (2% tolerance), then best predicted accuracy, then fewest GFLOPs",
            **self.meta,
        }

    def plot_front(self, path: str | Path) -> Path:
        """Scatter of the front: size (x) × accuracy or the second objective (y), coloured by GFLOPs."""
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        df = self.front_dataframe()
        names = [n for n, _ in self.objectives]
        y = ACCURACY if ACCURACY in names else (names[1] if len(names) > 1 else names[0])
        fig, ax = plt.subplots(figsize=(6, 4))
        sc = ax.scatter(df["size_mb"], df[y], c=df["gflops"], cmap="viridis")
        fig.colorbar(sc, ax=ax, label="GFLOPs")
        chosen = df[df["chosen"]]
        ax.scatter(chosen["size_mb"], chosen[y], s=160, facecolors="none", edgecolors="red", label="chosen")
        if self.target_mb is not None:
            ax.axvline(self.target_mb, color="grey", linestyle="--", label="budget")
        ax.set(xlabel="size (MB)", ylabel=y, title=f"{self.algorithm}: {len(df)} on the front")
        ax.legend()
        fig.tight_layout()
        out = Path(path)
        fig.savefig(out, dpi=100)
        plt.close(fig)
        return out

    def save(self, directory: str | Path) -> Path:
        """Write the JSON, front CSV + PNG and trace CSV into ``directory``; returns the JSON path."""
        import pandas as pd

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.front_dataframe().to_csv(out / FRONT_CSV, index=False)
        self.plot_front(out / FRONT_PNG)
        pd.DataFrame(self.trace).to_csv(out / TRACE_CSV, index=False)
        tmp = out / f".{RESULT_FILE}.tmp"
        tmp.write_text(json.dumps(self.summary(), indent=2, default=_plain))
        tmp.replace(out / RESULT_FILE)  # the JSON last and atomically: its presence means a complete result
        return out / RESULT_FILE

    def log_to_mlflow(self, client: Any, run_id: str, artifact_path: str = "search") -> None:
        """The saved files as artifacts under ``artifact_path``; chosen objectives as metrics."""
        with tempfile.TemporaryDirectory() as tmp:
            self.save(tmp)
            client.log_artifacts(run_id, tmp, artifact_path)
        # each metric once (a `gflops` or `size_mb` objective is not logged a second time at the same step)
        chosen = {f"search/chosen_{name}": float(value) for name, value in self.chosen.objectives.items()}
        chosen.update(
            {"search/chosen_size_mb": self.chosen.size_mb, "search/chosen_gflops": self.chosen.gflops}
        )
        for key, value in chosen.items():
            client.log_metric(run_id, key, value)
        client.log_metric(run_id, "search/n_front", len(self.front))
        client.log_metric(run_id, "search/seconds", self.seconds)


@dataclass(frozen=True)
class SavedSearch:
    """A search result read back from disk: the chosen spec, its hyper-parameters and the whole summary."""

    spec: StudentSpec
    hparams: dict[str, Any]
    summary: dict[str, Any]
    path: Path


def load_search_result(path: str | Path) -> SavedSearch:
    """Read ``search_result.json`` (the file, or a directory holding it); errors name the file and key."""
    p = Path(path).expanduser()
    if p.is_dir():
        p = p / RESULT_FILE
    if not p.is_file():
        raise FileNotFoundError(f"search_result: no {RESULT_FILE} at {p} (run the search stage first)")
    try:
        data = json.loads(p.read_text())
        chosen = data["chosen"]
        spec = StudentSpec.from_dict(chosen["spec"])
        hparams = dict(chosen.get("hparams", {}))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"search_result {p}: not a search result ({type(exc).__name__}: {exc})") from exc
    return SavedSearch(spec, hparams, data, p)


def _plain(value: Any) -> Any:
    """json.dumps fallback for numpy scalars."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
