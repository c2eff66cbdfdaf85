"""PKD, CKD and DIST losses against hand-worked numbers and scipy, zero at equality, layer maps of the papers."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from scipy.stats import pearsonr

from kd.losses import (
    ckd_layer_relation_loss,
    ckd_word_relation_loss,
    dist_loss,
    pkd_layer_map,
    pkd_loss,
    uniform_layer_map,
)

R2 = math.sqrt(0.5)  # cos 45°


def huber(d: float) -> float:
    return 0.5 * d * d if abs(d) < 1 else abs(d) - 0.5


# -- PKD ------------------------------------------------------------------------------------------------


def test_pkd_hand_worked_value() -> None:
    # layer 1: rows (3,4)→(0.6,0.8) vs (1,0): ‖(−0.4, 0.8)‖² = 0.8; (0,2) vs (0,5): same direction, 0 → mean 0.4
    # layer 2: (−1,0) vs (1,0): ‖(−2,0)‖² = 4; (1,0) vs (2,0): 0 → mean 2.  Mean over layers: 1.2
    s = [torch.tensor([[3.0, 4.0], [0.0, 2.0]]), torch.tensor([[-1.0, 0.0], [1.0, 0.0]])]
    t = [torch.tensor([[1.0, 0.0], [0.0, 5.0]]), torch.tensor([[1.0, 0.0], [2.0, 0.0]])]
    assert pkd_loss(s, t).item() == pytest.approx(1.2)
    assert pkd_loss([x * 7 for x in s], t).item() == pytest.approx(1.2)  # scale-free: unit vectors


def test_pkd_is_zero_for_equal_features_and_rejects_mismatches() -> None:
    x = [torch.randn(5, 8), torch.randn(5, 8)]
    assert pkd_loss(x, [v.clone() for v in x]).item() == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="differ"):
        pkd_loss([torch.randn(5, 8)], [torch.randn(5, 6)])
    with pytest.raises(ValueError, match="same, non-zero number"):
        pkd_loss(x, x[:1])


def test_pkd_layer_maps_are_the_papers() -> None:
    # Sun et al. 2019, 6-layer student from a 12-layer teacher
    assert [t for _, t in pkd_layer_map(6, 12, "skip")] == [2, 4, 6, 8, 10]
    assert [t for _, t in pkd_layer_map(6, 12, "last")] == [7, 8, 9, 10, 11]
    assert pkd_layer_map(4, 12, "skip") == [(1, 3), (2, 6), (3, 9)]
    assert uniform_layer_map(4, 12) == [(1, 3), (2, 6), (3, 9), (4, 12)]
    with pytest.raises(ValueError, match=">= 2 layers"):
        pkd_layer_map(1, 12)
    with pytest.raises(ValueError, match="strategy"):
        pkd_layer_map(4, 12, "first")


# -- CKD ------------------------------------------------------------------------------------------------
# Student tokens (1,0), (0,1), (1,1); teacher tokens (1,0,0), (0,1,0), (−1,0,0) (another width).
# Pair cosines: student 0, 1/√2, 1/√2; teacher 0, −1, 0 → Huber of differences 0, 1/√2+1−½, ½·½.
# Triplets in a 3-token window: only the middle token has two neighbours: student cos∠((1,−1),(1,0)) = 1/√2,
# teacher cos∠((1,−1),(−1,−1)) = 0 → Huber ½·½.
PAIR = (huber(0.0) + huber(R2 + 1) + huber(R2)) / 3
STUDENT_TOKENS = [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
TEACHER_TOKENS = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [-1.0, 0.0, 0.0]]


def test_word_relation_hand_worked_value_with_padding_ignored() -> None:
    s = torch.tensor([STUDENT_TOKENS + [[5.0, -3.0]]])  # (1, 4, 2); the 4th token is padding
    t = torch.tensor([TEACHER_TOKENS + [[0.0, 0.0, 9.0]]])
    mask = torch.tensor([[1, 1, 1, 0]])
    expected = PAIR + huber(R2)
    assert ckd_word_relation_loss([s], [t], mask, window=3).item() == pytest.approx(expected, rel=1e-5)
    # two identical mapped layers: the mean over layers is the same
    assert ckd_word_relation_loss([s, s], [t, t], mask, window=3).item() == pytest.approx(expected, rel=1e-5)


def test_layer_relation_hand_worked_value() -> None:
    # One token seen in 3 mapped layers: the same vectors as above, now across layers.
    # Angles at each vertex layer (student / teacher): 1/√2 / 1/√2, 1/√2 / 0, 0 / 1/√2 → Huber 0, ¼, ¼.
    s_layers = [torch.tensor([[v, [2.0, 2.0]]]) for v in STUDENT_TOKENS]  # (1, 2, 2): token 2 is padding
    t_layers = [torch.tensor([[v, [1.0, 1.0, 1.0]]]) for v in TEACHER_TOKENS]
    mask = torch.tensor([[1, 0]])
    expected = PAIR + (0.0 + 0.25 + 0.25) / 3
    assert ckd_layer_relation_loss(s_layers, t_layers, mask).item() == pytest.approx(expected, rel=1e-5)


def test_ckd_losses_are_zero_for_equal_states_of_any_width() -> None:
    torch.manual_seed(0)
    x = [torch.randn(3, 9, 8) for _ in range(4)]
    mask = torch.ones(3, 9, dtype=torch.long)
    mask[1, 6:] = 0
    # an orthogonal map to a wider space keeps every cosine and angle: relations match exactly
    q, _ = torch.linalg.qr(torch.randn(12, 12))
    wide = [v @ q[:8] for v in x]
    assert ckd_word_relation_loss(x, wide, mask).item() == pytest.approx(0.0, abs=1e-5)
    assert ckd_layer_relation_loss(x, wide, mask).item() == pytest.approx(0.0, abs=1e-5)
    y = [torch.randn(3, 9, 8) for _ in range(4)]
    assert ckd_word_relation_loss(x, y, mask).item() > 0.01
    assert ckd_layer_relation_loss(x, y, mask).item() > 0.01


def test_ckd_refuses_different_tokenizations() -> None:
    with pytest.raises(ValueError, match="same tokenization"):
        ckd_word_relation_loss([torch.randn(2, 5, 4)], [torch.randn(2, 6, 4)], torch.ones(2, 5))
    with pytest.raises(ValueError, match="odd `window`"):
        ckd_word_relation_loss([torch.randn(2, 5, 4)], [torch.randn(2, 5, 4)], torch.ones(2, 5), window=4)


# -- DIST -----------------------------------------------------------------------------------------------


def test_dist_matches_scipy_pearson() -> None:
    torch.manual_seed(1)
    s, t = torch.randn(6, 3), torch.randn(6, 3)
    temperature = 2.0
    p_s, p_t = F.softmax(s / temperature, -1).numpy(), F.softmax(t / temperature, -1).numpy()
    inter = sum(1 - pearsonr(p_s[i], p_t[i]).statistic for i in range(6)) / 6
    intra = sum(1 - pearsonr(p_s[:, j], p_t[:, j]).statistic for j in range(3)) / 3
    got = dist_loss(s, t, temperature, beta=0.7, gamma=1.3).item()
    assert got == pytest.approx(temperature**2 * (0.7 * inter + 1.3 * intra), rel=1e-4)


def test_dist_binary_inter_class_term_is_twice_the_disagreement_rate() -> None:
    s = torch.tensor([[2.0, 0.0], [0.0, 1.0], [3.0, 1.0], [0.0, 0.5]])
    t = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 2.0], [0.0, 4.0]])  # rows 1 and 2 disagree
    assert dist_loss(s, t, 1.0, beta=1.0, gamma=0.0).item() == pytest.approx(2 * 2 / 4, abs=1e-5)


def test_dist_is_zero_for_equal_logits() -> None:
    x = torch.randn(8, 4)
    assert dist_loss(x, x.clone(), 3.0).item() == pytest.approx(0.0, abs=1e-4)  # float32 rounding × T²
    # Pearson ignores the scale and shift of the *probabilities*, not of the logits
    assert dist_loss(x * 2, x, 1.0).item() > 1e-3
