"""The study's figures (matplotlib ``Figure`` + Agg canvas, no pyplot state), as PNG bytes for embedding.

- :func:`heatmap_png` — agreement violation per follow-up × student;
- :func:`forest_png` — robustness drop under each direct attack, per model, with 95 % intervals;
- :func:`scatter_png` — accuracy on the originals vs size, coloured by overall agreement violation.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def _png(fig: Figure) -> bytes:
    FigureCanvasAgg(fig)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return buffer.getvalue()


def heatmap_png(violation: pd.DataFrame) -> bytes:
    """``violation``: index = follow-ups, columns = students, values = agreement violation rates."""
    values = violation.to_numpy(dtype=float)
    fig = Figure(figsize=(max(6.5, 1.3 * violation.shape[1] + 3), max(3.0, 0.32 * violation.shape[0] + 1.5)))
    ax = fig.add_subplot()
    image = ax.imshow(values, cmap="Reds", aspect="auto", vmin=0.0, vmax=max(float(np.nanmax(values)), 0.05))
    ax.set_xticks(range(violation.shape[1]), list(violation.columns), rotation=30, ha="right", fontsize=8)
    ax.set_yticks(range(violation.shape[0]), list(violation.index), fontsize=8)
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.3f}", ha="center", va="center", fontsize=7)
    fig.colorbar(image, ax=ax, label="agreement violation")
    ax.set_title("Teacher–student agreement violation per follow-up")
    return _png(fig)


def forest_png(rows: pd.DataFrame, value: str = "robustness_drop", label: str = "robustness drop") -> bytes:
    """``rows``: columns ``attack``, ``model``, ``value``, ``value_lo``, ``value_hi``; one line each."""
    fig = Figure(figsize=(6.5, max(2.5, 0.35 * len(rows) + 1.2)))
    ax = fig.add_subplot()
    y = np.arange(len(rows))[::-1]
    est = rows[value].to_numpy(float)
    lo, hi = rows[f"{value}_lo"].to_numpy(float), rows[f"{value}_hi"].to_numpy(float)
    ax.errorbar(est, y, xerr=[np.clip(est - lo, 0, None), np.clip(hi - est, 0, None)], fmt="o", capsize=3)
    ax.set_yticks(y, [f"{a} · {m}" for a, m in zip(rows["attack"], rows["model"], strict=True)], fontsize=8)
    ax.axvline(0.0, color="grey", linewidth=0.8)
    ax.set_xlabel(f"{label} (95 % interval)")
    ax.set_title("Per attack and model", fontsize=10)
    return _png(fig)


def scatter_png(models: pd.DataFrame) -> bytes:
    """``models``: columns ``model``, ``size_mb``, ``accuracy``, ``agreement_violation``."""
    fig = Figure(figsize=(6.0, 4.2))
    ax = fig.add_subplot()
    points = ax.scatter(
        models["size_mb"],
        models["accuracy"],
        c=models["agreement_violation"],
        cmap="viridis",
        s=80,
        edgecolors="black",
    )
    for _, r in models.iterrows():
        ax.annotate(
            str(r["model"]),
            (r["size_mb"], r["accuracy"]),
            fontsize=8,
            xytext=(4, 4),
            textcoords="offset points",
        )
    if (models["size_mb"] > 0).all() and models["size_mb"].max() / max(models["size_mb"].min(), 1e-9) > 10:
        ax.set_xscale("log")
    ax.set_xlabel("size (MB, serialized weights)")
    ax.set_ylabel("accuracy on the probe originals")
    fig.colorbar(points, ax=ax, label="agreement violation (all follow-ups)")
    ax.set_title("Accuracy vs size vs fidelity")
    return _png(fig)
