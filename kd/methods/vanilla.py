"""Hinton KD baseline (Hinton, Vinyals, Dean 2015): soft targets at temperature T, optional hard labels."""

from __future__ import annotations

import torch

from kd.distill import DistillationModule, check_kd_options
from kd.losses import hinton_loss
from kd.models.ref import FreshModel, ModelRef
from kd.modules import plain_hparams


class HintonKD(DistillationModule):
    """``(1 − α)·T²·KL(teacher ‖ student) + α·CE(student, y)`` on the distillation split.

    ``alpha = 0`` (default) uses teacher outputs only, so the unlabeled half needs no labels.
    """

    method = "hinton"

    def __init__(
        self,
        teacher: ModelRef,
        student: FreshModel | ModelRef,
        task: str = "clone",
        temperature: float = 2.0,
        alpha: float = 0.0,
        lr: float = 1e-4,
        weight_decay: float = 0.0,
        warmup_ratio: float = 0.1,
        teacher_batch_size: int = 64,
        export_dir: str | None = None,
    ) -> None:
        super().__init__(
            teacher, student, task, lr, weight_decay, warmup_ratio, teacher_batch_size, export_dir
        )
        check_kd_options(temperature, alpha)
        self.temperature = temperature
        self.alpha = alpha
        self.save_hyperparameters(plain_hparams(locals()))

    def distill_loss(
        self, student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        return hinton_loss(student_logits, teacher_logits, labels, self.temperature, self.alpha)
