"""Feature-based and correlation KD (PKD, CKD, DIST), the families Wang et al. (ICSE 2026, "An Empirical Study of
Knowledge Distillation for Code Understanding Tasks") compare with logit KD on code tasks.

- :class:`PatientKD` (PKD, Sun et al., EMNLP 2019): Hinton's logit term + β · normalised ``<s>`` vectors of
  mapped intermediate layers (PKD-Skip or PKD-Last), through a learned projection when widths differ.
- :class:`ContextualKD` (CKD, Park et al., EMNLP 2021): Hinton's logit term + β · word relations + γ · layer
  transforming relations (relations, not raw features: no projection, any hidden size).
- :class:`DistKD` (DIST, Huang et al., NeurIPS 2022): inter- and intra-class Pearson correlations of the
  probabilities; logits only.

Teacher hidden states are **not cached**: PKD and CKD run the frozen teacher live on every training batch, in
eval mode under ``torch.no_grad`` (deterministic, and cheap for the 3 MB teacher: 12 layers × 96 wide). Caching
them would take every layer's token states of every function (12 × 400 × 96 floats ≈ 1.8 MB per function for
that teacher). The teacher's *logits* still come from the per-split cache of :class:`DistillationModule`, as
for HintonKD, and DIST uses only those. The formulas are in :mod:`kd.losses`.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from kd.data.encoding import CodeEncoder
from kd.distill import DistillationModule, check_kd_options
from kd.losses import (
    ckd_layer_relation_loss,
    ckd_word_relation_loss,
    dist_loss,
    hinton_loss,
    pkd_layer_map,
    pkd_loss,
    uniform_layer_map,
)
from kd.models.ref import FreshModel, ModelRef
from kd.modules import plain_hparams


def _num_layers(model: Any) -> int:
    return int(model.encoder.config.num_hidden_layers)


class FeatureKD(DistillationModule):
    """Base of the hidden-state methods: ``(1 − α)·T²·KL(t ‖ s) + α·CE(s, y) + feature_loss``.

    The options are HintonKD's (``alpha = 0``: teacher outputs only). Subclasses implement
    :meth:`feature_loss` and may build trainable modules in :meth:`configure_feature_modules` (listed by
    :meth:`extra_named_parameters` so the optimiser updates them; they are saved in checkpoints, not exported).
    When the student's tokenization differs from the teacher's, the batch is re-encoded for the teacher.
    """

    method = "feature"

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
        self._teacher_encoder: CodeEncoder | None = None  # set when the teacher needs its own tokenization

    # -- building ----------------------------------------------------------------------------------
    def configure_model(self) -> None:
        if self.model is None:
            super().configure_model()
            self.configure_feature_modules()

    def configure_feature_modules(self) -> None:
        """Build trainable modules that depend on both models' shapes (the student is built)."""

    def feature_layers(self) -> tuple[int, int]:
        """(student layers, teacher layers)."""
        return _num_layers(self.built_model()), _num_layers(self.teacher()[0])

    # -- teacher -----------------------------------------------------------------------------------
    def on_fit_start(self) -> None:
        self.teacher()[0].to(self.device)
        super().on_fit_start()
        dm = self._datamodule()
        _, tok = self.teacher()
        teacher_enc = CodeEncoder(tok, dm.max_length)
        same = teacher_enc.fingerprint() == dm.encoder_for(self.built()[1]).fingerprint()
        self._teacher_encoder = None if same else teacher_enc
        self.check_tokenization(same)

    def check_tokenization(self, same: bool) -> None:
        """Methods that relate tokens one to one raise here when the tokenizations differ."""

    def teacher_inputs(self, batch: dict[str, torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
        """The batch as the teacher's input ids and mask (the batch's own tensors when tokenizers match)."""
        if self._teacher_encoder is None:
            return batch["input_ids"], batch["attention_mask"]
        split = self._datamodule().split(self.train_split)
        texts = [t for i in batch["index"].tolist() for t in split.texts(i)]
        ids, mask = self._teacher_encoder.pad(self._teacher_encoder.encode_many(texts))
        return ids.to(self.device), mask.to(self.device)

    # -- training ----------------------------------------------------------------------------------
    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        t_logits = self.batch_teacher_logits(batch)
        s_logits, s_hidden = self.built_model().forward_with_hidden(
            batch["input_ids"], batch["attention_mask"]
        )
        t_ids, t_mask = self.teacher_inputs(batch)
        with torch.no_grad():
            _, t_hidden = self.teacher()[0].forward_with_hidden(t_ids, t_mask)
        self.teacher_forward_passes += len(t_ids)
        logit_term = hinton_loss(s_logits, t_logits, batch["labels"], self.temperature, self.alpha)
        feature_term = self.feature_loss(s_hidden, batch["attention_mask"], t_hidden, t_mask)
        loss = logit_term + feature_term
        n = len(batch["labels"])
        self.log("train/loss", loss, prog_bar=True, batch_size=n)
        self.log("train/logit_loss", logit_term.detach(), batch_size=n)
        self.log("train/feature_loss", feature_term.detach(), batch_size=n)
        agree = (s_logits.argmax(-1) == t_logits.argmax(-1)).float().mean()
        self.log("train/teacher_agreement", agree, batch_size=n)
        return loss

    def feature_loss(
        self,
        student_hidden: tuple[torch.Tensor, ...],
        student_mask: torch.Tensor,
        teacher_hidden: tuple[torch.Tensor, ...],
        teacher_mask: torch.Tensor,
    ) -> torch.Tensor:
        """The weighted feature term from both models' ``hidden_states`` (index 0 = embeddings)."""
        raise NotImplementedError

    def distill_loss(
        self, student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        return hinton_loss(student_logits, teacher_logits, labels, self.temperature, self.alpha)


class PatientKD(FeatureKD):
    """PKD (Sun et al., EMNLP 2019): ``(1 − α)·T²·KL + α·CE + β·L_PT`` (:func:`kd.losses.pkd_loss`).

    ``strategy``: ``skip`` (PKD-Skip, every N/M-th teacher layer) or ``last`` (PKD-Last, the teacher's last
    layers); see :func:`kd.losses.pkd_layer_map`. The student needs >= 2 layers. Each mapped student layer has
    its own linear projection to the teacher's width when the widths differ (trained with the student, kept in
    checkpoints, not exported). Vectors are each model's pooled ones (``<s>`` for ``cls`` pooling).
    """

    method = "pkd"

    def __init__(
        self,
        teacher: ModelRef,
        student: FreshModel | ModelRef,
        task: str = "clone",
        temperature: float = 2.0,
        alpha: float = 0.0,
        beta: float = 1.0,
        strategy: Literal["skip", "last"] = "skip",
        lr: float = 1e-4,
        weight_decay: float = 0.0,
        warmup_ratio: float = 0.1,
        teacher_batch_size: int = 64,
        export_dir: str | None = None,
    ) -> None:
        super().__init__(
            teacher,
            student,
            task,
            temperature,
            alpha,
            lr,
            weight_decay,
            warmup_ratio,
            teacher_batch_size,
            export_dir,
        )
        if beta < 0:
            raise ValueError(f"Expected `beta` >= 0, got {beta}")
        if strategy not in ("skip", "last"):
            raise ValueError(f"Expected `strategy` in ('skip', 'last'), got {strategy!r}")
        self.beta = beta
        self.strategy = strategy
        self.layer_map: list[tuple[int, int]] = []
        self.projection: nn.ModuleList | None = None
        self.save_hyperparameters(plain_hparams(locals()))

    def configure_feature_modules(self) -> None:
        self.layer_map = pkd_layer_map(*self.feature_layers(), self.strategy)
        h_s, h_t = self.built_model().hidden_size, self.teacher()[0].hidden_size
        if h_s != h_t:
            self.projection = nn.ModuleList(nn.Linear(h_s, h_t) for _ in self.layer_map)

    def extra_named_parameters(self) -> list[tuple[str, nn.Parameter]]:
        if self.projection is None:
            return []
        return [(f"projection.{name}", p) for name, p in self.projection.named_parameters()]

    def feature_loss(
        self,
        student_hidden: tuple[torch.Tensor, ...],
        student_mask: torch.Tensor,
        teacher_hidden: tuple[torch.Tensor, ...],
        teacher_mask: torch.Tensor,
    ) -> torch.Tensor:
        student, teacher = self.built_model(), self.teacher()[0]
        s_vecs, t_vecs = [], []
        for k, (j_s, j_t) in enumerate(self.layer_map):
            s = student.pool(student_hidden[j_s], student_mask)
            s_vecs.append(self.projection[k](s) if self.projection is not None else s)
            t_vecs.append(teacher.pool(teacher_hidden[j_t], teacher_mask).to(s.dtype))
        return self.beta * pkd_loss(s_vecs, t_vecs)


class ContextualKD(FeatureKD):
    """CKD (Park et al., EMNLP 2021): ``(1 − α)·T²·KL + α·CE + β·L_WR + γ·L_LTR``.

    Student layer j ↔ teacher layer round(j·N/M) (:func:`kd.losses.uniform_layer_map`): word relations
    (:func:`kd.losses.ckd_word_relation_loss`, triplets within ``window`` tokens) in each mapped layer pair, layer
    transforming relations (:func:`kd.losses.ckd_layer_relation_loss`) across the mapped layers. Relations
    compare tokens one to one, so student and teacher must share the tokenization (checked at fit start).
    """

    method = "ckd"

    def __init__(
        self,
        teacher: ModelRef,
        student: FreshModel | ModelRef,
        task: str = "clone",
        temperature: float = 2.0,
        alpha: float = 0.0,
        beta: float = 1.0,
        gamma: float = 1.0,
        window: int = 5,
        lr: float = 1e-4,
        weight_decay: float = 0.0,
        warmup_ratio: float = 0.1,
        teacher_batch_size: int = 64,
        export_dir: str | None = None,
    ) -> None:
        super().__init__(
            teacher,
            student,
            task,
            temperature,
            alpha,
            lr,
            weight_decay,
            warmup_ratio,
            teacher_batch_size,
            export_dir,
        )
        if beta < 0 or gamma < 0:
            raise ValueError(f"Expected `beta` and `gamma` >= 0, got {beta} and {gamma}")
        if window < 3 or window % 2 == 0:
            raise ValueError(f"Expected an odd `window` >= 3, got {window}")
        self.beta = beta
        self.gamma = gamma
        self.window = window
        self.layer_map: list[tuple[int, int]] = []
        self.save_hyperparameters(plain_hparams(locals()))

    def configure_feature_modules(self) -> None:
        self.layer_map = uniform_layer_map(*self.feature_layers())

    def check_tokenization(self, same: bool) -> None:
        if not same:
            raise ValueError(
                "ContextualKD relates the student's and the teacher's states token by token, so both need the "
                f"same tokenization: give the student the teacher's tokenizer (student.tokenizer: "
                f"{self.teacher_ref.tokenizer or self.teacher_ref.source + '/tokenizer.json'})"
            )

    def feature_loss(
        self,
        student_hidden: tuple[torch.Tensor, ...],
        student_mask: torch.Tensor,
        teacher_hidden: tuple[torch.Tensor, ...],
        teacher_mask: torch.Tensor,
    ) -> torch.Tensor:
        s_layers = [student_hidden[j] for j, _ in self.layer_map]
        t_layers = [teacher_hidden[j].to(s_layers[0].dtype) for _, j in self.layer_map]
        loss = student_hidden[0].new_zeros(())
        if self.beta > 0:
            loss = loss + self.beta * ckd_word_relation_loss(s_layers, t_layers, student_mask, self.window)
        if self.gamma > 0 and len(self.layer_map) >= 2:
            loss = loss + self.gamma * ckd_layer_relation_loss(s_layers, t_layers, student_mask)
        return loss


class DistKD(DistillationModule):
    """DIST (Huang et al., NeurIPS 2022): ``α·CE(s, y) + (1 − α)·CE(s, argmax t) + T²·(β·L_inter + γ·L_intra)``.

    The paper's ``α·CE`` uses ground truth; the distillation split here is treated as unlabelled, so with the
    default ``alpha = 0`` the hard term targets the teacher's predictions (teacher outputs only, like HintonKD's
    default); ``alpha = 1`` is the paper's loss. Uses the cached teacher logits only. For two classes the
    inter-class term has no gradient (see :func:`kd.losses.dist_loss`).
    """

    method = "dist"

    def __init__(
        self,
        teacher: ModelRef,
        student: FreshModel | ModelRef,
        task: str = "clone",
        temperature: float = 1.0,
        alpha: float = 0.0,
        beta: float = 1.0,
        gamma: float = 1.0,
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
        if beta < 0 or gamma < 0:
            raise ValueError(f"Expected `beta` and `gamma` >= 0, got {beta} and {gamma}")
        self.temperature = temperature
        self.alpha = alpha
        self.beta = beta
        self.gamma = gamma
        self.save_hyperparameters(plain_hparams(locals()))

    def distill_loss(
        self, student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        loss = dist_loss(student_logits, teacher_logits, self.temperature, self.beta, self.gamma)
        if self.alpha < 1:
            loss = loss + (1 - self.alpha) * F.cross_entropy(student_logits, teacher_logits.argmax(-1))
        if self.alpha > 0:
            loss = loss + self.alpha * F.cross_entropy(student_logits, labels)
        return loss
