from __future__ import annotations

import math

import pytest
import torch

from kd.losses import hinton_loss, kd_kl_loss


def test_kd_kl_loss_matches_hand_computed_reference() -> None:
    s = torch.tensor([[0.0, math.log(3.0)]])  # softmax → [0.25, 0.75]
    t = torch.tensor([[0.0, 0.0]])  # softmax → [0.5, 0.5]
    expected = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75)
    assert kd_kl_loss(s, t, 1.0).item() == pytest.approx(expected, rel=1e-6)
    # T² scaling with temperature 2: probabilities at s/2, t/2.
    p_s = torch.softmax(s / 2, -1)[0]
    exp2 = 4 * sum(0.5 * math.log(0.5 / p) for p in p_s.tolist())
    assert kd_kl_loss(s, t, 2.0).item() == pytest.approx(exp2, rel=1e-5)


def test_hinton_hard_label_mix_and_argument_checks() -> None:
    s, t, y = torch.randn(4, 2), torch.randn(4, 2), torch.tensor([0, 1, 1, 0])
    mixed = hinton_loss(s, t, y, temperature=3.0, alpha=0.25)
    ref = 0.75 * kd_kl_loss(s, t, 3.0) + 0.25 * torch.nn.functional.cross_entropy(s, y)
    assert mixed.item() == pytest.approx(ref.item(), rel=1e-6)
    assert kd_kl_loss(t, t).item() == pytest.approx(0.0, abs=1e-7)
    with pytest.raises(ValueError, match="temperature"):
        kd_kl_loss(s, t, 0.0)
    with pytest.raises(ValueError, match="alpha"):
        hinton_loss(s, t, y, alpha=1.5)
