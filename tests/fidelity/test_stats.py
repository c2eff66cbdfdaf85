"""fidelity.stats against statsmodels / scipy.stats on fixed inputs, and Holm against a hand-worked case."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as sps
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint, samplesize_confint_proportion

from fidelity.stats import (
    difference_interval,
    holm,
    mcnemar_exact,
    mcnemar_paired,
    n_for_half_width,
    paired_bootstrap,
    power_note,
    relative_drop_interval,
    wilson,
)


@pytest.mark.parametrize(("k", "n"), [(0, 10), (3, 10), (10, 10), (17, 200), (123, 1000), (1, 1)])
@pytest.mark.parametrize("confidence", [0.9, 0.95, 0.99])
def test_wilson_matches_statsmodels(k: int, n: int, confidence: float) -> None:
    low, high = proportion_confint(k, n, alpha=1 - confidence, method="wilson")
    got = wilson(k, n, confidence)
    assert got.estimate == pytest.approx(k / n)
    assert got.low == pytest.approx(low, abs=1e-12)
    assert got.high == pytest.approx(high, abs=1e-12)


def test_wilson_rejects_bad_counts_and_handles_empty() -> None:
    with pytest.raises(ValueError, match="successes"):
        wilson(5, 3)
    assert (wilson(0, 0).low, wilson(0, 0).high) == (0.0, 1.0)


@pytest.mark.parametrize(("b", "c"), [(0, 0), (1, 0), (3, 9), (10, 10), (2, 25), (40, 17)])
def test_mcnemar_exact_matches_statsmodels(b: int, c: int) -> None:
    table = np.array([[50, b], [c, 30]])
    assert mcnemar_exact(b, c) == pytest.approx(mcnemar(table, exact=True).pvalue, abs=1e-12)


def test_mcnemar_paired_counts_discordant_pairs() -> None:
    rng = np.random.default_rng(3)
    first, second = rng.random(300) < 0.8, rng.random(300) < 0.7
    table = np.array(
        [
            [np.sum(first & second), np.sum(first & ~second)],
            [np.sum(~first & second), np.sum(~first & ~second)],
        ]
    )
    assert mcnemar_paired(first, second) == pytest.approx(mcnemar(table, exact=True).pvalue, abs=1e-12)


def test_holm_hand_worked() -> None:
    # sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 -> monotone 0.06
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


def test_holm_agrees_with_statsmodels_on_random_pvalues() -> None:
    p = np.random.default_rng(0).random(12) ** 3
    assert holm(list(p)) == pytest.approx(list(multipletests(p, method="holm")[1]))


def test_paired_bootstrap_mean_difference_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    a = (rng.random(200) < 0.3).astype(float)
    b = (rng.random(200) < 0.2).astype(float)
    ref = sps.bootstrap(
        (a, b),
        lambda x, y, axis=-1: x.mean(axis=axis) - y.mean(axis=axis),
        paired=True,
        vectorized=True,
        n_resamples=20000,
        method="percentile",
        random_state=np.random.default_rng(7),
    ).confidence_interval
    got = difference_interval(a, b, n_boot=20000, seed=11)
    assert got.estimate == pytest.approx(a.mean() - b.mean())
    assert got.low == pytest.approx(ref.low, abs=0.01)
    assert got.high == pytest.approx(ref.high, abs=0.01)


def test_cluster_bootstrap_resamples_probe_examples_not_pairs() -> None:
    """Every pair duplicated inside its own cluster: the mean and its cluster interval are unchanged;
    treating the duplicates as independent pairs would narrow the interval by about √2."""
    rng = np.random.default_rng(2)
    a = (rng.random(150) < 0.4).astype(float)
    b = np.zeros(150)
    single = difference_interval(a, b, n_boot=4000, seed=5)
    doubled = np.repeat(a, 2)
    clustered = difference_interval(
        doubled, np.zeros(300), clusters=np.repeat(np.arange(150), 2), n_boot=4000, seed=5
    )
    assert (clustered.low, clustered.high) == pytest.approx((single.low, single.high))
    naive = difference_interval(doubled, np.zeros(300), n_boot=4000, seed=5)
    assert naive.half_width < 0.8 * clustered.half_width


def test_relative_drop_interval_point_matches_formula_and_covers_it() -> None:
    rng = np.random.default_rng(4)
    n = 300
    t_src = np.ones(n)
    t_fu = (rng.random(n) > 0.05).astype(float)  # teacher drops ~5 points
    s_src = np.ones(n)
    s_fu = (rng.random(n) > 0.15).astype(float)  # student drops ~15 points
    hits = {"t_src": t_src, "t_fu": t_fu, "s_src": s_src, "s_fu": s_fu}
    got = relative_drop_interval(hits, n_boot=3000)
    drop_t, drop_s = 1 - t_fu.mean(), 1 - s_fu.mean()
    assert got.estimate == pytest.approx((drop_s - drop_t) / max(drop_t, 0.01))
    assert got.low < got.estimate < got.high


def test_paired_bootstrap_checks_lengths() -> None:
    with pytest.raises(ValueError, match="one length"):
        paired_bootstrap({"a": [1, 0], "b": [1]}, lambda s: s["a"])


@pytest.mark.parametrize(("p", "h"), [(0.5, 0.03), (0.1, 0.03), (0.05, 0.01), (0.3, 0.05)])
def test_sample_size_matches_statsmodels(p: float, h: float) -> None:
    assert n_for_half_width(h, p) == int(np.ceil(samplesize_confint_proportion(p, h)))


def test_power_note_names_the_target_sample_size() -> None:
    note = power_note(wilson(20, 200), 0.03)
    assert "n = 200" in note and f"n ≈ {n_for_half_width(0.03, 0.1)}" in note and "1068" in note


@pytest.mark.parametrize(("p", "h"), [(0.5, 0.03), (0.1, 0.03), (0.0, 0.03), (0.02, 0.01)])
def test_wilson_sample_size_is_the_smallest_n_reaching_the_width(p: float, h: float) -> None:
    from fidelity.stats import n_for_wilson_half_width

    n = n_for_wilson_half_width(h, p)
    low, high = proportion_confint(round(p * n), n, alpha=0.05, method="wilson")
    assert (high - low) / 2 <= h
    low, high = proportion_confint(round(p * (n - 1)), n - 1, alpha=0.05, method="wilson")
    assert (high - low) / 2 > h
