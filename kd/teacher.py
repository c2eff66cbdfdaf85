"""Teacher fine-tuning: cross-entropy on the labelled training split."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from kd.models.ref import FreshModel, ModelRef
from kd.modules import ClassifierModule, plain_hparams


class TeacherFineTune(ClassifierModule):
    """Fine-tune a pre-trained encoder (``ModelRef``: ``microsoft/codebert-base``, a local dir …) or
    train one from scratch (``FreshModel``) on the task's labelled ``train`` split.

    CodeXGLUE/Compressor defaults: lr 5e-5 (clone) / 2e-5 (vulnerability), 10% warm-up.
    """

    method = "teacher"
    train_split = "train"

    def __init__(
        self,
        model: ModelRef | FreshModel,
        task: str = "clone",
        lr: float = 5e-5,
        weight_decay: float = 0.0,
        warmup_ratio: float = 0.1,
        class_weights: list[float] | None = None,
        export_dir: str | None = None,
    ) -> None:
        super().__init__(task, lr, weight_decay, warmup_ratio, export_dir)
        self.model_ref = model
        self.class_weights = class_weights
        self.save_hyperparameters(plain_hparams(locals()))

    def configure_model(self) -> None:
        if self.model is None:
            self.model, self.tokenizer = self.build(self.model_ref)

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        logits = self(batch["input_ids"], batch["attention_mask"])
        weight = torch.tensor(self.class_weights, device=logits.device) if self.class_weights else None
        loss = F.cross_entropy(logits, batch["labels"], weight=weight)
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch["labels"]))
        return loss

    def mlflow_tags(self) -> dict[str, str]:
        src = (
            self.model_ref.source
            if isinstance(self.model_ref, ModelRef)
            else f"fresh:{self.model_ref.spec.name}"
        )
        return {**super().mlflow_tags(), "kd.teacher": src}
