"""DistillationModule: a frozen teacher whose outputs are computed once and cached; a student trains.

The teacher never enters the module's ``state_dict`` (checkpoints hold the student only). Its logits
on the distillation split are computed once per (teacher, data, preprocessing) and stored under
``$METACOMPRESS_CACHE/teacher_outputs`` — later fits, resumed fits and other students reuse them.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import torch

from kd import signals
from kd.data.encoding import CodeEncoder
from kd.distributed import local_zero_first
from kd.models.classifier import CodeClassifier
from kd.models.inference import predict_logits
from kd.models.io import load_classifier
from kd.models.ref import FreshModel, ModelRef
from kd.modules import ClassifierModule, cache_dir

log = logging.getLogger(__name__)


def model_fingerprint(ref: ModelRef) -> str:
    """Content hash of a local model's files (size + sha256 of weights), or the hub name."""
    path = Path(ref.source)
    h = hashlib.sha256(f"{ref.format}|{ref.tokenizer}".encode())
    if path.is_dir():
        for f in sorted(path.iterdir()):
            if f.is_file() and f.suffix in (".bin", ".pt", ".safetensors", ".json"):
                h.update(f.name.encode())
                with f.open("rb") as fh:
                    while block := fh.read(1 << 20):
                        h.update(block)
    else:
        h.update(ref.source.encode())
    return h.hexdigest()[:20]


def check_kd_options(temperature: float | None, alpha: float | None = None) -> None:
    """Validate the options every logit-KD method shares (None = "the method's default", not checked)."""
    if temperature is not None and temperature <= 0:
        raise ValueError(f"Expected `temperature` > 0, got {temperature}")
    if alpha is not None and not 0.0 <= alpha <= 1.0:
        raise ValueError(f"Expected `alpha` in [0, 1], got {alpha}")


class DistillationModule(ClassifierModule):
    """Base for KD methods: subclasses implement :meth:`distill_loss`.

    ``student`` may be None only for methods that choose the student themselves when the model is
    configured (CompressorKD's architecture search); they override :meth:`resolved_student`.
    """

    method = "distill"
    train_split = "distill"

    def __init__(
        self,
        teacher: ModelRef,
        student: FreshModel | ModelRef | None,
        task: str = "clone",
        lr: float = 1e-4,
        weight_decay: float = 0.0,
        warmup_ratio: float = 0.1,
        teacher_batch_size: int = 64,
        export_dir: str | None = None,
    ) -> None:
        super().__init__(task, lr, weight_decay, warmup_ratio, export_dir)
        self.teacher_ref = teacher
        self.student_ref = student
        self.teacher_batch_size = teacher_batch_size
        self._teacher: list[CodeClassifier] = []  # a list keeps it out of state_dict / parameters
        self._teacher_tokenizer: Any = None
        self.teacher_logits: torch.Tensor | None = None
        self.teacher_forward_passes = 0  # examples the teacher encoded in this process (tests, benchmarks)

    # -- teacher -----------------------------------------------------------------------------------
    def teacher(self) -> tuple[CodeClassifier, Any]:
        if not self._teacher:
            loaded = load_classifier(
                self.teacher_ref.source, self.n_inputs, self.teacher_ref.format, self.teacher_ref.tokenizer
            )
            loaded.model.eval().requires_grad_(False)
            self._teacher.append(loaded.model)
            self._teacher_tokenizer = loaded.tokenizer
        return self._teacher[0], self._teacher_tokenizer

    def teacher_predict(
        self,
        examples: list[tuple[str, ...]],
        max_length: int,
        desc: str = "teacher",
        encoder: CodeEncoder | None = None,
    ) -> torch.Tensor:
        """Teacher logits of ``examples``; ``encoder`` (the teacher's tokenizer at ``max_length``) may come
        with its token cache already filled."""
        model, tok = self.teacher()
        self.teacher_forward_passes += len({t for ex in examples for t in ex})
        enc = encoder if encoder is not None else CodeEncoder(tok, max_length)
        return predict_logits(model, enc, examples, self.teacher_batch_size, progress=True, desc=desc)

    def cached_teacher_logits(self, split_name: str) -> torch.Tensor:
        dm = self._datamodule()
        split = dm.split(split_name)
        signals.phase("teacher-cache")
        _, tok = self.teacher()
        # the datamodule's encoder for this tokenizer: a student sharing the teacher's vocabulary reuses its ids
        enc = dm.encoder_for(tok) if hasattr(dm, "encoder_for") else CodeEncoder(tok, dm.max_length)
        key = f"{model_fingerprint(self.teacher_ref)}-{split.fingerprint()}-{enc.fingerprint()}"
        path = cache_dir("teacher_outputs") / f"{hashlib.sha256(key.encode()).hexdigest()[:24]}.pt"
        if path.is_file():
            logits = torch.load(path, map_location="cpu", weights_only=True)
            if logits.shape[0] == len(split):
                log.info("teacher outputs: cache hit %s", path)
                return logits
        if hasattr(dm, "pretokenize"):
            dm.pretokenize(enc, split)  # through the on-disk token cache
        examples = [split.texts(i) for i in range(len(split))]
        logits = self.teacher_predict(examples, dm.max_length, desc=f"teacher on {split_name}", encoder=enc)
        # per-process temp name: parallel search trials compute the same teacher outputs and must not rename
        # each other's file (a shared ".tmp" made one trial fail with FileNotFoundError)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        torch.save(logits, tmp)
        tmp.replace(path)  # atomic: an interrupted run never leaves a truncated cache file
        log.info("teacher outputs: computed for %d examples, cached at %s", len(examples), path)
        return logits

    # -- lifecycle ---------------------------------------------------------------------------------
    def resolved_student(self) -> FreshModel | ModelRef:
        """The student :meth:`configure_model` builds; a None ``student`` is an error unless overridden."""
        if self.student_ref is None:
            raise ValueError(
                f"{type(self).__name__} has no student to build (`student` is None): pass `student` as a "
                "FreshModel (a new architecture) or a ModelRef (an existing model), or use a method that "
                "chooses its own student, such as kd.methods.compressor.CompressorKD"
            )
        return self.student_ref

    def configure_model(self) -> None:
        if self.model is None:
            self.model, self.tokenizer = self.build(self.resolved_student())

    def shared_teacher_logits(self, split_name: str) -> torch.Tensor:
        """`cached_teacher_logits` from a hook every rank runs: under DDP the first rank of each node computes
        (and caches) the teacher's outputs while the others wait, then they read the same cache file
        (:func:`kd.distributed.local_zero_first`). With METACOMPRESS_CACHE on a shared filesystem the teacher runs
        once per fit, on node-local caches once per node — never once per rank."""
        trainer = self._trainer
        return local_zero_first(
            trainer, f"teacher-cache-{split_name}", lambda: self.cached_teacher_logits(split_name)
        )

    def on_fit_start(self) -> None:
        self.teacher_logits = self.shared_teacher_logits(self.train_split)

    def batch_teacher_logits(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The cached teacher logits of the batch's examples (moved to the batch's device once per fit)."""
        if self.teacher_logits is None:
            raise RuntimeError("teacher logits are computed in on_fit_start; training_step ran before it")
        if self.teacher_logits.device != batch["index"].device:  # once per fit: no per-step host round trip
            self.teacher_logits = self.teacher_logits.to(batch["index"].device)
        return self.teacher_logits[batch["index"]]

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> torch.Tensor:
        t_logits = self.batch_teacher_logits(batch)
        s_logits = self(batch["input_ids"], batch["attention_mask"])
        loss = self.distill_loss(s_logits, t_logits, batch["labels"])
        n = len(batch["labels"])
        self.log("train/loss", loss, prog_bar=True, batch_size=n)
        agree = (s_logits.argmax(-1) == t_logits.argmax(-1)).float().mean()
        self.log("train/teacher_agreement", agree, batch_size=n)
        return loss

    def distill_loss(
        self, student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        raise NotImplementedError

    def mlflow_tags(self) -> dict[str, str]:
        return {**super().mlflow_tags(), "kd.teacher": self.teacher_ref.source}
