"""Knowledge-distillation losses as small pure functions (formula and paper in each docstring)."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def kd_kl_loss(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float = 1.0
) -> torch.Tensor:
    """Hinton et al. 2015 / Compressor (Shi et al., ASE 2022):

    ``T² · KL(softmax(t/T) ‖ softmax(s/T))`` averaged over the batch (``batchmean``). The T² factor
    keeps gradient magnitudes comparable across temperatures.
    """
    if temperature <= 0:
        raise ValueError(f"Expected `temperature` > 0, got {temperature}")
    log_p_s = F.log_softmax(student_logits / temperature, dim=-1)
    p_t = F.softmax(teacher_logits / temperature, dim=-1)
    return F.kl_div(log_p_s, p_t, reduction="batchmean") * temperature**2


def hinton_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor | None,
    temperature: float = 2.0,
    alpha: float = 0.0,
) -> torch.Tensor:
    """Hinton KD with an optional hard-label term: ``(1 − α)·T²·KL + α·CE(s, y)``."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"Expected `alpha` in [0, 1], got {alpha}")
    loss = kd_kl_loss(student_logits, teacher_logits, temperature)
    if alpha > 0:
        if labels is None:
            raise ValueError("alpha > 0 needs hard labels")
        loss = (1 - alpha) * loss + alpha * F.cross_entropy(student_logits, labels)
    return loss
