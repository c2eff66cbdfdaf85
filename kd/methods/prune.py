"""Pruning with recovery fine-tuning: the pruned model is distilled from the unpruned one.

``configure_model`` loads the teacher's weights, prunes them (structured: heads / FFN neurons / layers / hidden
channels to ``target_ratio`` or ``target_mb`` by ``magnitude`` or ``taylor`` importance on a calibration slice of
the labelled train split; unstructured: global magnitude masks at ``sparsity``, kept through fine-tuning), and
the fit trains the pruned model on the teacher's cached logits (Hinton KD, ``kd.losses.hinton_loss``). Pruning
is deterministic for the same teacher, data and settings, so a resumed fit rebuilds the same shapes before the
checkpoint is restored. The export is a compressed model dir (``compression`` recipe, ``fine_tuned: true``).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal, cast

import torch
from tokenizers import Tokenizer

from kd.compress.api import StructuredSettings, prune_structured_model, split_batches
from kd.compress.recipe import mlflow_tags, save_compressed, source_fingerprint
from kd.compress.structured import GROUPS, KeepPlan, apply_plan
from kd.compress.unstructured import (
    add_masks,
    check_sparsity,
    dense_copy,
    linear_sparsity,
    nonzero_parameters,
)
from kd.cost import actual_param_count
from kd.distill import DistillationModule, check_kd_options
from kd.losses import hinton_loss
from kd.models.classifier import CodeClassifier
from kd.models.ref import ModelRef
from kd.modules import plain_hparams

log = logging.getLogger(__name__)


class PruneKD(DistillationModule):
    """Prune ``teacher`` and recover by KD: ``(1 − α)·T²·KL(teacher ‖ pruned) + α·CE``."""

    method = "prune"

    def __init__(
        self,
        teacher: ModelRef,
        task: str = "clone",
        pruning: Literal["structured", "unstructured"] = "structured",
        target_ratio: float | None = 0.5,
        target_mb: float | None = None,
        sparsity: float = 0.5,
        groups: list[Literal["layers", "heads", "ffn", "hidden"]] | None = None,
        importance: Literal["magnitude", "taylor"] = "taylor",
        calibration_examples: int = 128,
        temperature: float = 1.0,
        alpha: float = 0.0,
        lr: float = 1e-4,
        weight_decay: float = 0.0,
        warmup_ratio: float = 0.1,
        teacher_batch_size: int = 64,
        export_dir: str | None = None,
    ) -> None:
        super().__init__(
            teacher, teacher, task, lr, weight_decay, warmup_ratio, teacher_batch_size, export_dir
        )
        if pruning not in ("structured", "unstructured"):
            raise ValueError(f"Expected `pruning` in ('structured', 'unstructured'), got {pruning!r}")
        check_kd_options(temperature)
        if calibration_examples < 1:
            raise ValueError(f"Expected `calibration_examples` >= 1, got {calibration_examples}")
        self.pruning = pruning
        self.settings = StructuredSettings(
            None if target_mb is not None else target_ratio, target_mb, tuple(groups or GROUPS), importance
        )
        if pruning == "structured":
            self.settings.target_params(1)  # validates the target now, at config-parse time
        self.sparsity = check_sparsity(sparsity) if pruning == "unstructured" else sparsity
        self.calibration_examples = calibration_examples
        self.temperature = temperature
        self.alpha = alpha
        self.source_params = 0
        self.plan_json: dict | None = None
        self.save_hyperparameters(plain_hparams(locals()))

    def configure_model(self) -> None:
        if self.model is not None:
            return
        model, tok = self.build(self.teacher_ref)
        self.source_params = actual_param_count(model)
        if self.pruning == "unstructured":
            add_masks(model, self.sparsity)
        else:
            trainer = self._trainer
            if trainer is not None and trainer.world_size > 1:
                # Under DDP one rank ranks the units (its calibration gradients) and every rank applies that plan:
                # ranks pruning on their own could keep different units after a floating-point tie, and DDP needs
                # the same model on every rank.
                computed = self._prune(model, tok)[1] if trainer.is_global_zero else None
                plan = cast(KeepPlan, trainer.strategy.broadcast(computed, src=0))
                if not trainer.is_global_zero:
                    model = apply_plan(model.eval(), plan)
            else:
                model, plan = self._prune(model, tok)
            self.plan_json = plan.to_json()
            log.info(
                "pruned %s → %s parameters: %s", self.source_params, actual_param_count(model), plan.to_json()
            )
        self.model, self.tokenizer = model.train(), tok

    def _prune(self, model: CodeClassifier, tok: Tokenizer) -> tuple[CodeClassifier, KeepPlan]:
        """Structured pruning of ``model`` in place (Taylor importance on the first calibration examples)."""
        batches = None
        if self.settings.importance == "taylor":
            dm = self._datamodule()
            batches = split_batches(dm.split("train"), tok, self.calibration_examples, dm.max_length)
        return prune_structured_model(model.eval(), self.settings, batches)

    def distill_loss(
        self, student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        return hinton_loss(student_logits, teacher_logits, labels, self.temperature, self.alpha)

    # -- description, tags and export ---------------------------------------------------------------
    def kind(self) -> str:
        return f"prune-{self.pruning}"

    def recipe(self, model: CodeClassifier) -> dict:
        base = {
            "kind": self.kind(),
            "method": "prune",
            "source": self.teacher_ref.source,
            "source_fingerprint": source_fingerprint(self.teacher_ref.source),
            "source_params": self.source_params,
            "previous": None,
            "fine_tuned": True,
        }
        if self.pruning == "unstructured":
            return {**base, "sparsity": self.sparsity, "linear_sparsity": linear_sparsity(model)}
        return {
            **base,
            **self.settings.to_json(),
            "plan": self.plan_json,
            "calibration_examples": self.calibration_examples if self.settings.importance == "taylor" else 0,
            "ratio": actual_param_count(model) / max(1, self.source_params),
        }

    def _dense_copy(self) -> CodeClassifier:
        return dense_copy(self.built_model())  # type: ignore[return-value]

    def mlflow_tags(self) -> dict[str, str]:
        model = self._dense_copy()
        ratio = actual_param_count(model) / max(1, self.source_params)
        return {
            **super().mlflow_tags(),
            **mlflow_tags({**self.recipe(model), "sizes": {}}),
            "kd.compression_ratio": f"{ratio:.4f}",
            "kd.student_nonzero_params": str(nonzero_parameters(model)),
        }

    def export(self, directory: Path, state_dict_path: str | None = None) -> Path:
        model = self.built_model()
        if state_dict_path:
            ckpt = torch.load(state_dict_path, map_location="cpu", weights_only=True)
            state = {
                k.removeprefix("model."): v for k, v in ckpt["state_dict"].items() if k.startswith("model.")
            }
            model.load_state_dict(state)
        dense = self._dense_copy().eval()
        _, tok = self.built()
        return save_compressed(dense, tok, directory, self.recipe(dense), task=self.task)
