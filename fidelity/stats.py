"""Statistics for fidelity reports: intervals, paired tests, multiple-comparison correction, sample sizes.

- :func:`wilson` — Wilson score interval of a rate (agreement violation, flip rate, attack success rate).
- :func:`paired_bootstrap` — percentile bootstrap of any statistic of per-pair *sums*, resampling probe
  examples (clusters): every follow-up of a resampled original comes along, so a pooled row with several
  follow-ups per original is not treated as independent pairs. Differences of rates and the relative
  robustness drop use it (:func:`difference_interval`, :func:`relative_drop_interval`).
- :func:`mcnemar_exact` — exact McNemar test of paired correctness (teacher vs student on the same inputs).
- :func:`holm` — Holm's step-down adjusted p-values across a family (the transforms of one student).
- :func:`n_for_half_width` / :func:`power_note` — probe examples a given interval half-width needs.

Pure numpy / stdlib; the tests compare against ``statsmodels`` and ``scipy.stats``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

Sums = Mapping[str, np.ndarray]


@dataclass(frozen=True)
class Interval:
    """A point estimate with a two-sided ``confidence`` interval [low, high] computed by ``method``."""

    estimate: float
    low: float
    high: float
    confidence: float = 0.95
    method: str = ""
    n: int = 0

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    @property
    def half_width(self) -> float:
        return (self.high - self.low) / 2

    def format(self, digits: int = 3, null: float | None = None) -> str:
        """``0.077 [0.052, 0.104]``, with ``, no diff.`` appended when the interval contains ``null``."""
        text = f"{self.estimate:.{digits}f} [{self.low:.{digits}f}, {self.high:.{digits}f}]"
        if null is not None and self.contains(null):
            text += " no diff."
        return text


def z_value(confidence: float) -> float:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"Expected `confidence` in (0, 1), got {confidence}")
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def wilson(successes: int, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval for ``successes`` out of ``n`` (n = 0 gives the uninformative [0, 1])."""
    if n < 0 or not 0 <= successes <= max(n, 0):
        raise ValueError(f"Expected 0 <= successes <= n, got successes={successes}, n={n}")
    z = z_value(confidence)
    if n == 0:
        return Interval(0.0, 0.0, 1.0, confidence, "wilson", 0)
    p = successes / n
    denom = 1 + z * z / n
    center = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # min/max: at k = 0 or k = n rounding can put the bound a hair past the estimate
    low, high = max(0.0, min(p, center - half)), min(1.0, max(p, center + half))
    return Interval(p, low, high, confidence, "wilson", n)


def _resample_counts(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot, n) multiplicities: how often each of n clusters is drawn in each bootstrap resample."""
    draws = rng.integers(0, n, size=(n_boot, n))
    offsets = np.arange(n_boot)[:, None] * n
    return np.bincount((draws + offsets).ravel(), minlength=n_boot * n).reshape(n_boot, n)


def paired_bootstrap(
    columns: Mapping[str, Sequence[float] | np.ndarray],
    statistic: Callable[[Sums], np.ndarray | float],
    clusters: Sequence[int] | np.ndarray | None = None,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap interval of ``statistic(sums)`` over resampled clusters.

    ``columns`` are per-pair values of equal length (teacher and student measured on the same pair, so
    the resampling keeps them paired); ``statistic`` maps column *sums* (arrays over resamples, plus
    ``"n"``, the number of pairs) to the statistic, e.g. ``lambda s: (s["a"] - s["b"]) / s["n"]``.
    ``clusters`` (default: each pair its own) names the probe example each pair came from.
    """
    if n_boot < 1:
        raise ValueError(f"Expected `n_boot` >= 1, got {n_boot}")
    data = {k: np.asarray(v, dtype=float) for k, v in columns.items()}
    lengths = {len(v) for v in data.values()}
    if len(lengths) > 1:
        raise ValueError(f"Expected columns of one length, got lengths {sorted(lengths)}")
    size = lengths.pop() if lengths else 0
    data["n"] = np.ones(size)
    ids = np.arange(size) if clusters is None else np.asarray(clusters)
    if len(ids) != size:
        raise ValueError(f"Expected {size} cluster ids, got {len(ids)}")
    point = float(np.asarray(statistic({k: np.array([v.sum()]) for k, v in data.items()}))[0])
    if size == 0:
        return Interval(0.0, 0.0, 0.0, confidence, "bootstrap", 0)
    _, inverse = np.unique(ids, return_inverse=True)
    n_clusters = int(inverse.max()) + 1
    per_cluster = {k: np.bincount(inverse, weights=v, minlength=n_clusters) for k, v in data.items()}
    counts = _resample_counts(n_clusters, n_boot, np.random.default_rng(seed)).astype(float)
    sums = {k: counts @ v for k, v in per_cluster.items()}  # (n_boot,) each
    with np.errstate(divide="ignore", invalid="ignore"):
        values = np.asarray(statistic(sums), dtype=float)
    values = values[np.isfinite(values)]
    alpha = 1 - confidence
    low, high = np.quantile(values, [alpha / 2, 1 - alpha / 2]) if len(values) else (point, point)
    return Interval(point, float(low), float(high), confidence, "bootstrap", n_clusters)


def difference_interval(
    a: Sequence[float] | np.ndarray,
    b: Sequence[float] | np.ndarray,
    clusters: Sequence[int] | np.ndarray | None = None,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """mean(a) − mean(b) over paired observations (e.g. student vs teacher flips on the same pairs)."""
    return paired_bootstrap(
        {"a": a, "b": b},
        lambda s: (s["a"] - s["b"]) / s["n"],
        clusters,
        n_boot,
        confidence,
        seed,
    )


def relative_drop(sums: Sums, floor: float = 0.01) -> np.ndarray:
    """(drop_S − drop_T) / max(drop_T, floor) from hit sums (same formula as
    :func:`fidelity.relations.robustness_drop_relative`); drop = acc on sources − acc on follow-ups."""
    drop_t = (sums["t_src"] - sums["t_fu"]) / sums["n"]
    drop_s = (sums["s_src"] - sums["s_fu"]) / sums["n"]
    return (drop_s - drop_t) / np.maximum(drop_t, floor)


def relative_drop_interval(
    hits: Mapping[str, Sequence[float] | np.ndarray],
    clusters: Sequence[int] | np.ndarray | None = None,
    floor: float = 0.01,
    n_boot: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Bootstrap interval of the relative robustness drop; ``hits`` has per-pair 0/1 columns
    ``t_src``, ``t_fu``, ``s_src``, ``s_fu`` (teacher/student correct on source/follow-up)."""
    return paired_bootstrap(hits, lambda s: relative_drop(s, floor), clusters, n_boot, confidence, seed)


def mcnemar_exact(only_first: int, only_second: int) -> float:
    """Exact two-sided McNemar p-value from the discordant counts (first right and second wrong, and the
    reverse): 2 · P[Binomial(b + c, ½) ≤ min(b, c)], capped at 1; 1 when there are no discordant pairs."""
    if only_first < 0 or only_second < 0:
        raise ValueError(f"Expected non-negative counts, got {only_first}, {only_second}")
    total = only_first + only_second
    if total == 0:
        return 1.0
    k = min(only_first, only_second)
    tail = sum(math.comb(total, i) for i in range(k + 1))
    return min(1.0, 2 * tail / 2**total)


def mcnemar_paired(
    first_correct: Sequence[bool] | np.ndarray, second_correct: Sequence[bool] | np.ndarray
) -> float:
    """Exact McNemar p-value of two models' correctness on the same examples."""
    a, b = np.asarray(first_correct, dtype=bool), np.asarray(second_correct, dtype=bool)
    if a.shape != b.shape:
        raise ValueError(f"Expected paired arrays of one shape, got {a.shape} and {b.shape}")
    return mcnemar_exact(int((a & ~b).sum()), int((~a & b).sum()))


def holm(pvalues: Sequence[float]) -> list[float]:
    """Holm step-down adjusted p-values (same order as given): the k-th smallest p is multiplied by
    (m − k + 1), then made monotone and capped at 1. Reject where the adjusted value is < alpha."""
    m = len(pvalues)
    order = sorted(range(m), key=lambda i: pvalues[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * float(pvalues[i])))
        adjusted[i] = running
    return adjusted


def n_for_half_width(half_width: float, rate: float = 0.5, confidence: float = 0.95) -> int:
    """Examples a normal-approximation interval of a rate near ``rate`` needs for ± ``half_width``
    (n = z² p (1 − p) / h²; p = 0.5 is the worst case)."""
    if not 0.0 < half_width < 1.0:
        raise ValueError(f"Expected `half_width` in (0, 1), got {half_width}")
    p = min(max(rate, 0.0), 1.0)
    z = z_value(confidence)
    return max(1, math.ceil(z * z * max(p * (1 - p), 1e-12) / half_width**2))


def n_for_wilson_half_width(half_width: float, rate: float, confidence: float = 0.95) -> int:
    """Smallest n whose Wilson interval at an observed ``rate`` has half-width <= ``half_width`` (unlike
    the normal formula this stays sensible at rates near 0 or 1)."""
    if not 0.0 < half_width < 1.0:
        raise ValueError(f"Expected `half_width` in (0, 1), got {half_width}")
    p = min(max(rate, 0.0), 1.0)

    def width(n: int) -> float:
        iv = wilson(round(p * n), n, confidence)
        return (iv.high - iv.low) / 2

    low, high = 1, 1
    while width(high) > half_width:
        low, high = high, high * 2
    while low < high:  # width shrinks with n (up to rounding of p·n; good enough for a planning figure)
        mid = (low + high) // 2
        low, high = (mid + 1, high) if width(mid) > half_width else (low, mid)
    return high


def power_note(observed: Interval, target_half_width: float, rate: float | None = None) -> str:
    """One sentence: the achieved half-width, and how many probe examples the target needs."""
    p = observed.estimate if rate is None else rate
    need = n_for_half_width(target_half_width, p, observed.confidence)
    worst = n_for_half_width(target_half_width, 0.5, observed.confidence)
    pct = round(observed.confidence * 100)
    return (
        f"n = {observed.n}: ±{observed.half_width * 100:.1f} points ({pct} % interval). "
        f"±{target_half_width * 100:.1f} points needs n ≈ {need} at a rate of {p:.3f} "
        f"({worst} at the worst case 0.5)."
    )


__all__ = [
    "Interval",
    "difference_interval",
    "holm",
    "mcnemar_exact",
    "mcnemar_paired",
    "n_for_half_width",
    "n_for_wilson_half_width",
    "paired_bootstrap",
    "power_note",
    "relative_drop",
    "relative_drop_interval",
    "wilson",
    "z_value",
]
