"""Base LightningModule for code classifiers: model building, metrics, optimiser, export, MLflow tags."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import lightning as L
import torch
import torch.nn.functional as F
from tokenizers import Tokenizer
from torchmetrics import MetricCollection
from torchmetrics.classification import BinaryAccuracy, BinaryF1Score, BinaryPrecision, BinaryRecall
from transformers import get_linear_schedule_with_warmup

from kd import cost
from kd.data.cache import cache_dir
from kd.data.encoding import CodeEncoder, load_backend_tokenizer
from kd.distributed import local_zero_first
from kd.models.classifier import CodeClassifier
from kd.models.io import from_config, load_classifier, save_model_dir, spec_for_tokenizer
from kd.models.ref import FreshModel, ModelRef
from kd.spec import StudentSpec

log = logging.getLogger(__name__)
TASK_INPUTS = {"clone": 2, "vulnerability": 1}


def n_inputs_for(task: str) -> int:
    if task not in TASK_INPUTS:
        raise ValueError(f"Unknown task {task!r}; expected one of {', '.join(TASK_INPUTS)}")
    return TASK_INPUTS[task]


def _metrics(prefix: str) -> MetricCollection:
    return MetricCollection(
        {
            "acc": BinaryAccuracy(),
            "f1": BinaryF1Score(),
            "precision": BinaryPrecision(),
            "recall": BinaryRecall(),
        },
        prefix=prefix,
    )


class ClassifierModule(L.LightningModule):
    """Holds ``self.model`` (a :class:`CodeClassifier`) and ``self.tokenizer``; subclasses define the loss.

    The model is built in :meth:`configure_model` — after the datamodule is known (a fresh student
    may train its vocabulary on the training code) and before a checkpoint is restored.
    """

    method: str = "classifier"
    train_split: str = "train"
    #: encode each batch's rows in groups of similar length (:meth:`CodeClassifier.forward_grouped`): the same
    #: logits up to float rounding with ~7 % instead of ~23 % padding on clone pairs; False = one (2B, L) call
    grouped_forward: bool = True

    def __init__(
        self, task: str, lr: float, weight_decay: float, warmup_ratio: float, export_dir: str | None
    ) -> None:
        super().__init__()
        self.task = task
        self.n_inputs = n_inputs_for(task)
        self.lr = lr
        self.weight_decay = weight_decay
        self.warmup_ratio = warmup_ratio
        self.export_dir = export_dir
        self.model: CodeClassifier | None = None
        self.tokenizer: Tokenizer | None = None
        self.val_metrics = _metrics("val/")
        self.test_metrics = _metrics("test/")

    # -- building --------------------------------------------------------------------------------
    def build(self, ref: ModelRef | FreshModel) -> tuple[CodeClassifier, Tokenizer]:
        if isinstance(ref, ModelRef):
            loaded = load_classifier(
                ref.source, self.n_inputs, ref.format, ref.tokenizer, ref.pooling, ref.pair_features
            )
            return loaded.model, loaded.tokenizer
        tok = self._fresh_tokenizer(ref)
        spec = ref.spec
        if tok.get_vocab_size() != spec.vocab_size:
            log.info("vocab_size %d → %d (the tokenizer's size)", spec.vocab_size, tok.get_vocab_size())
            spec = spec.replace(vocab_size=tok.get_vocab_size())
        spec = spec_for_tokenizer(spec, tok)  # pad/bos/eos ids of a non-RoBERTa vocabulary
        model = from_config(
            spec.to_roberta_config(), self.n_inputs, tok, pooling=ref.pooling, pair_features=ref.pair_features
        )
        return model, tok

    def _fresh_tokenizer(self, ref: FreshModel) -> Tokenizer:
        if ref.tokenizer != "train":
            return load_backend_tokenizer(ref.tokenizer)
        from kd.tokenization import train_tokenizer

        dm = self._datamodule()
        split = dm.split(self.train_split)  # type: ignore[arg-type]
        texts = [split.functions[f] for f in split.function_ids()]
        key = hashlib.sha256(f"{split.fingerprint()}-{ref.spec.vocab_size}-{ref.spec.tokenizer}".encode())
        cache = cache_dir("tokenizers") / f"{key.hexdigest()[:20]}.json"

        def trained() -> Tokenizer:
            if cache.is_file():
                return Tokenizer.from_file(str(cache))
            tok = train_tokenizer(texts, ref.spec.vocab_size, kind=ref.spec.tokenizer)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp")
            tok.save(str(tmp))
            tmp.replace(cache)  # atomic: concurrent ranks / trials never read a half-written tokenizer
            log.info("tokenizer: trained on %s (%d functions), cached at %s", split.name, len(texts), cache)
            return tok

        # under DDP every rank builds the model: the node's first rank trains the vocabulary, the others read it
        return local_zero_first(self._trainer, "tokenizer", trained)

    def _datamodule(self) -> Any:
        dm = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        if dm is None:
            raise RuntimeError("this module needs a datamodule (pass `data:` in the config)")
        if getattr(dm, "task", self.task) != self.task:
            raise ValueError(f"model task {self.task!r} does not match datamodule task {dm.task!r}")
        return dm

    def built_model(self) -> CodeClassifier:
        """The model; a clear error (not an assert, which ``python -O`` strips) before ``configure_model()``."""
        if self.model is None:
            raise RuntimeError(
                f"{type(self).__name__}: the model is not built yet; configure_model() builds it "
                "(Trainer.fit/validate/test call it)"
            )
        return self.model

    def built(self) -> tuple[CodeClassifier, Tokenizer]:
        """The model and its tokenizer (export and encoders need both)."""
        model = self.built_model()
        if self.tokenizer is None:
            raise RuntimeError(
                f"{type(self).__name__}: the model has no tokenizer; configure_model() sets it"
            )
        return model, self.tokenizer

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        model = self.built_model()
        if self.grouped_forward:
            return model.forward_grouped(input_ids, attention_mask)
        return model(input_ids, attention_mask)

    # -- evaluation ------------------------------------------------------------------------------
    def _eval_step(self, batch: dict[str, torch.Tensor], metrics: MetricCollection, prefix: str) -> None:
        logits = self(batch["input_ids"], batch["attention_mask"])
        loss = F.cross_entropy(logits, batch["labels"])
        # sync_dist: under DDP the epoch's loss is averaged over every rank's batches (a no-op on one process)
        self.log(f"{prefix}loss", loss, batch_size=len(batch["labels"]), sync_dist=True)
        metrics.update(logits.softmax(-1)[:, 1], batch["labels"])
        self.log_dict(metrics, batch_size=len(batch["labels"]))
        # share of examples predicted positive (epoch mean weighted by batch size): 0 or 1 = a student that
        # predicts one class, which accuracy alone hides (AVATAR's collapsed-trial rule reads it)
        self.log(
            f"{prefix}positive_rate",
            logits.argmax(-1).float().mean(),
            batch_size=len(batch["labels"]),
            sync_dist=True,
        )

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._eval_step(batch, self.val_metrics, "val/")

    def test_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        self._eval_step(batch, self.test_metrics, "test/")

    def predict_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        return self(batch["input_ids"], batch["attention_mask"]).softmax(-1)

    # -- optimisation ----------------------------------------------------------------------------
    def extra_named_parameters(self) -> list[tuple[str, torch.nn.Parameter]]:
        """Trainable parameters outside ``self.model`` that the optimiser must also update (a feature-KD
        projection); none by default. They are not exported with the model."""
        return []

    def configure_optimizers(self) -> Any:
        model = self.built_model()
        decay: list[torch.nn.Parameter] = []
        no_decay: list[torch.nn.Parameter] = []
        for name, p in [*model.named_parameters(), *self.extra_named_parameters()]:
            (no_decay if p.ndim < 2 or "LayerNorm" in name else decay).append(p)
        opt = torch.optim.AdamW(
            [{"params": decay, "weight_decay": self.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
            lr=self.lr,
            fused=fused_supported(decay + no_decay) or None,  # one kernel, not a Python loop over tensors
        )
        total = max(1, int(self.trainer.estimated_stepping_batches))
        sched = get_linear_schedule_with_warmup(opt, int(self.warmup_ratio * total), total)
        return {"optimizer": opt, "lr_scheduler": {"scheduler": sched, "interval": "step"}}

    # -- tracking & export -----------------------------------------------------------------------
    def trained_model_tags(self) -> dict[str, str]:
        model = self.built_model()
        params = cost.actual_param_count(model)
        try:
            spec = StudentSpec.from_roberta_config(model.encoder.config)
            gfl = f"{cost.gflops(spec):.4f}"
        except (ValueError, TypeError) as exc:
            log.info("GFLOPs not computed for this encoder: %s", exc)
            gfl = "n/a"
        return {
            "kd.student_params": str(params),
            "kd.student_size_mb": f"{params * 4 / 1e6:.6g}",
            "kd.student_gflops": gfl,
        }

    def mlflow_tags(self) -> dict[str, str]:
        return {"kd.method": self.method, "kd.task": self.task, **self.trained_model_tags()}

    def encoder_for_model(self, max_length: int = 400) -> CodeEncoder:
        return CodeEncoder(self.built()[1], max_length)

    def export(self, directory: Path, state_dict_path: str | None = None) -> Path:
        """Write the trained model (best checkpoint's weights when given) as a metacompress model dir."""
        model, tokenizer = self.built()
        if state_dict_path:
            ckpt = torch.load(state_dict_path, map_location="cpu", weights_only=True)
            state = {
                k.removeprefix("model."): v for k, v in ckpt["state_dict"].items() if k.startswith("model.")
            }
            model.load_state_dict(state)
        return save_model_dir(model, tokenizer, directory, {"method": self.method, "task": self.task})

    def best_checkpoint(self) -> str | None:
        """The fit's best checkpoint so far (its ModelCheckpoint's), or None before the first one."""
        return getattr(self.trainer.checkpoint_callback, "best_model_path", None) or None

    def on_fit_end(self) -> None:
        if self.export_dir and self.trainer.is_global_zero:
            path = self.export(Path(self.export_dir), self.best_checkpoint())
            log.info("exported %s model to %s", self.method, path)


class ExportOnInterrupt(L.Callback):
    """A fit stopped early (Ctrl-C, SIGTERM, an error) still exports its best checkpoint so far.

    ``on_fit_end`` only runs when a fit finishes; Lightning calls ``on_exception`` instead when it is
    interrupted. The export is the same (the best checkpoint's weights into ``export_dir``); a fit stopped before
    its first checkpoint exports nothing and says so. ``train.py`` adds this callback to every run.
    """

    def on_exception(
        self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException
    ) -> None:
        if (
            trainer.state.fn != "fit"
            or not trainer.is_global_zero
            or not isinstance(pl_module, ClassifierModule)
        ):
            return
        export_dir = pl_module.export_dir
        if not export_dir or pl_module.model is None:
            return
        best = pl_module.best_checkpoint()
        if best is None:
            log.warning("fit interrupted before its first checkpoint: nothing exported to %s", export_dir)
            return
        try:
            path = pl_module.export(Path(export_dir), best)
        except Exception as exc:  # never mask the interruption itself
            log.warning("fit interrupted; exporting %s failed: %s", best, exc)
            return
        log.warning(
            "fit interrupted (%s): exported its best checkpoint so far, %s, to %s",
            type(exception).__name__,
            best,
            path,
        )


def plain_hparams(values: dict[str, Any]) -> dict[str, Any]:
    """Dataclasses → dicts, so checkpoints hold only primitives (loadable with ``weights_only=True``)."""
    import dataclasses

    def conv(v: Any) -> Any:
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return {"class": type(v).__name__, **{k: conv(x) for k, x in dataclasses.asdict(v).items()}}
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [conv(x) for x in v]
        return v

    return {k: conv(v) for k, v in values.items() if k not in ("self", "__class__")}


def fused_supported(params: list[torch.nn.Parameter]) -> bool:
    """Whether ``torch.optim.AdamW(fused=True)`` takes these parameters: floating point, on CPU or CUDA.

    On CPU, PyTorch's default AdamW loops over the tensors in Python; the fused step was faster in
    ``bench/ab_distill_step.py`` (bench/results/distill_throughput.md), though the optimiser is a small share of a
    distillation step. Other devices keep PyTorch's default (foreach where it has one)."""
    return bool(params) and all(
        p.device.type in ("cpu", "cuda") and p.dtype in (torch.float32, torch.float16, torch.bfloat16)
        for p in params
    )
