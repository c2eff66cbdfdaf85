"""MetaCompress output relations between a teacher T and a student S, as pure tensor functions.

Inputs are probabilities ``(N, C)`` (rows sum to 1) and gold labels ``(N,)``. For every pair
(x, x') the follow-up x' is a behaviour-preserving rewrite of x, so any relation that held on x
should still hold on x'. The paper's exact thresholds are not published; every threshold here is a
parameter (see ``shared/research/papers.md`` §1.3–1.4 for the reconstruction).

The per-example functions return boolean or float masks of shape ``(N,)``; the torchmetrics
classes in :mod:`fidelity.metrics` sum them, so batches accumulate exactly.
"""

from __future__ import annotations

import torch
from torch import Tensor

#: Tolerance on row sums when checking that an input holds probabilities, not logits.
_ROW_SUM_TOL = 1e-3


def check_probs(probs: Tensor, name: str) -> Tensor:
    """Validate a ``(N, C)`` probability matrix; raise naming the bad argument, never guess."""
    if not isinstance(probs, Tensor):
        raise TypeError(f"Expected `{name}` to be a torch.Tensor, got {type(probs).__name__}")
    if probs.ndim != 2 or probs.shape[1] < 2:
        raise ValueError(f"Expected `{name}` of shape (N, C) with C >= 2, got {tuple(probs.shape)}")
    if probs.numel() and (probs.min() < -_ROW_SUM_TOL or (probs.sum(dim=1) - 1).abs().max() > _ROW_SUM_TOL):
        raise ValueError(
            f"Expected `{name}` to hold probabilities (rows summing to 1); apply softmax to logits"
        )
    return probs.double()


def check_labels(labels: Tensor, n: int, n_classes: int) -> Tensor:
    if labels.ndim != 1 or labels.shape[0] != n:
        raise ValueError(f"Expected `labels` of shape ({n},), got {tuple(labels.shape)}")
    if labels.numel() and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"Expected `labels` in [0, {n_classes - 1}], got values in [{labels.min()}, {labels.max()}]"
        )
    return labels.long()


def js_distance(p: Tensor, q: Tensor) -> Tensor:
    """Jensen–Shannon distance with log base 2, per row: sqrt(JSD) in [0, 1].

    JSD(p, q) = ½ KL(p‖m) + ½ KL(q‖m), m = ½ (p + q). Same definition as
    ``scipy.spatial.distance.jensenshannon(p, q, base=2)`` (Xu et al.'s "probability loyalty").
    """
    m = 0.5 * (p + q)
    # xlogy gives 0·log 0 = 0, so one-hot rows are fine.
    kl_pm = (torch.xlogy(p, p) - torch.xlogy(p, m)).sum(dim=1)
    kl_qm = (torch.xlogy(q, q) - torch.xlogy(q, m)).sum(dim=1)
    jsd = (0.5 * (kl_pm + kl_qm)) / torch.log(torch.tensor(2.0, dtype=p.dtype))
    return jsd.clamp(0.0, 1.0).sqrt()


def disagreement(t_probs: Tensor, s_probs: Tensor) -> Tensor:
    """MR1 Prediction Agreement is violated where argmax labels differ."""
    return t_probs.argmax(dim=1) != s_probs.argmax(dim=1)


def distribution_violation(t_probs: Tensor, s_probs: Tensor, tau_d: float) -> Tensor:
    """MR2 Probability Distribution Similarity is violated where JS distance exceeds ``tau_d``."""
    return js_distance(t_probs, s_probs) > tau_d


def teacher_confident(t_probs: Tensor, tau_c: float) -> Tensor:
    return t_probs.max(dim=1).values >= tau_c


def confidence_violation(t_probs: Tensor, s_probs: Tensor, tau_c: float) -> Tensor:
    """MR3 High Confidence Preservation: T is confident (max p ≥ τ_c) but S does not give T's
    label with probability ≥ τ_c. Pairs where T is not confident never violate."""
    t_label = t_probs.argmax(dim=1)
    s_on_t_label = s_probs.gather(1, t_label[:, None]).squeeze(1)
    return teacher_confident(t_probs, tau_c) & (s_on_t_label < tau_c)


def confidence_gap_violation(t_probs: Tensor, s_probs: Tensor, tau_g: float) -> Tensor:
    """Per-example MR4: |conf_T − conf_S| > τ_g, conf = max probability."""
    return (t_probs.max(dim=1).values - s_probs.max(dim=1).values).abs() > tau_g


def flips(src_probs: Tensor, fu_probs: Tensor) -> Tensor:
    """MORPH's prediction flip: a model's own label changes between x and x'."""
    return src_probs.argmax(dim=1) != fu_probs.argmax(dim=1)


def correct(probs: Tensor, labels: Tensor) -> Tensor:
    return probs.argmax(dim=1) == labels


def calibration_bins(probs: Tensor, labels: Tensor, n_bins: int) -> tuple[Tensor, Tensor, Tensor]:
    """Per-bin (count, confidence sum, correct sum) with ``n_bins`` equal-width bins on (0, 1].

    Sums, not means, so that bins from several batches add up to the bins of the whole set.
    Bin b holds confidences in (b/n, (b+1)/n]; confidence 0 (impossible for C ≥ 2) goes to bin 0.
    """
    conf = probs.max(dim=1).values
    hit = (probs.argmax(dim=1) == labels).double()
    idx = (torch.ceil(conf * n_bins).long() - 1).clamp(0, n_bins - 1)
    count = torch.zeros(n_bins, dtype=torch.float64).index_add_(0, idx, torch.ones_like(conf))
    conf_sum = torch.zeros(n_bins, dtype=torch.float64).index_add_(0, idx, conf)
    hit_sum = torch.zeros(n_bins, dtype=torch.float64).index_add_(0, idx, hit)
    return count, conf_sum, hit_sum


def ece_from_bins(count: Tensor, conf_sum: Tensor, hit_sum: Tensor) -> Tensor:
    """ECE = Σ_b |Σ_b conf − Σ_b correct| / N (the bin-weighted |acc_b − conf_b|); 0 when N = 0."""
    n = count.sum()
    if n == 0:
        return torch.zeros((), dtype=torch.float64)
    return (conf_sum - hit_sum).abs().sum() / n


def expected_calibration_error(probs: Tensor, labels: Tensor, n_bins: int = 15) -> Tensor:
    return ece_from_bins(*calibration_bins(probs, labels, n_bins))


def safe_rate(numerator: Tensor, denominator: Tensor) -> Tensor:
    """numerator / denominator, defined as 0 when the denominator is 0 (no pairs of that kind)."""
    if denominator == 0:
        return torch.zeros((), dtype=torch.float64)
    return numerator.double() / denominator.double()


def robustness_drop_relative(drop_teacher: Tensor, drop_student: Tensor, drop_floor: float = 0.01) -> Tensor:
    """How much larger the student's accuracy drop is than the teacher's, as a fraction (2.85 = 285 %).

    (drop_S − drop_T) / max(drop_T, drop_floor). With drop_T ≥ drop_floor this is exactly the
    MetaCompress / MORPH "(S − T) / T" figure. The floor keeps the value finite and plottable where
    the paper formula is undefined or misleading: drop_T = 0 (then 0 if drop_S = 0 too, else
    drop_S / floor, e.g. a 5-point student drop over a zero teacher drop = 5.0 with the default
    1-point floor) and drop_T < 0 (the teacher improved under attack; dividing by a negative number
    would flip the sign). Never NaN or inf.
    """
    denom = torch.clamp(drop_teacher.double(), min=drop_floor)
    return (drop_student.double() - drop_teacher.double()) / denom
