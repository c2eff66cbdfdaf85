"""Compressor (Shi, Yang, Xu, Kang, Lo — ASE 2022, "Compressing Pre-trained Models of Code into 3 MB").

1. A genetic search (`kd.search.compressor_ga.search_compressor`) picks the student architecture with the most
   GFLOPs at the target size — in seconds, before training.
2. A byte-level BPE of the chosen vocabulary size is trained on the distillation split's unlabelled code
   (the foundation's ``FreshModel(spec, tokenizer="train")`` path, cached per split and size).
3. The randomly initialised student learns from the frozen teacher's logits only:
   ``T²·KL(softmax(t/T) ‖ softmax(s/T))`` with T = 1 (clone) / 10 (vulnerability), no hard-label term.

The search is deterministic for its seed, so ``--ckpt_path last`` rebuilds the same architecture before the
checkpoint is restored; the chosen spec is also stored in each checkpoint and checked on restore.
"""

from __future__ import annotations

import json
import logging
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import torch
import torch.nn.functional as F
from lightning.pytorch.loggers import MLFlowLogger

from kd.distill import DistillationModule, check_kd_options
from kd.losses import kd_kl_loss
from kd.models.classifier import check_head
from kd.models.ref import FreshModel, ModelRef
from kd.modules import plain_hparams
from kd.search.compressor_ga import SearchResult, search_compressor
from kd.search.result import SavedSearch, load_search_result
from kd.search.space import COMPRESSOR_SPACE
from kd.spec import StudentSpec

log = logging.getLogger(__name__)

# Compressor's per-task training values (research notes §1.7–1.8, CodeBERT scripts).
TASK_TEMPERATURE = {"clone": 1.0, "vulnerability": 10.0}
TASK_HIDDEN_DROPOUT = {"clone": 0.2, "vulnerability": 0.5}
SPEC_CHECKPOINT_KEY = "compressor_student_spec"


@dataclass
class CompressorSearch:
    """Budget and seed of Compressor's GA; the defaults are the paper's (population 50, 100 generations)."""

    population: int = 50
    generations: int = 100
    seed: int = 0
    crossover_prob: float = 0.6
    # Per-gene [low, high] limits on Compressor's space, e.g. {num_hidden_layers: [1, 4]} for a latency bound.
    bounds: dict[str, list[int]] | None = None
    # GA runs with seeds seed, seed+1, …; the fittest result is kept (1 = the paper's single run).
    restarts: int = 1


def compressor_loss(
    student_logits: torch.Tensor,
    teacher_logits: torch.Tensor,
    labels: torch.Tensor | None,
    temperature: float,
    alpha: float = 0.0,
) -> torch.Tensor:
    """``T²·KL(softmax(t/T) ‖ softmax(s/T)) + α·CE(s, y)`` (Compressor: α = 0, teacher outputs only)."""
    loss = kd_kl_loss(student_logits, teacher_logits, temperature)
    if alpha > 0:
        if labels is None:
            raise ValueError("alpha > 0 needs hard labels")
        loss = loss + alpha * F.cross_entropy(student_logits, labels)
    return loss


class CompressorKD(DistillationModule):
    """Compressor: GA-searched student (``student: null``) or a given one, distilled on teacher logits.

    ``temperature`` / ``hidden_dropout_prob`` left at None take Compressor's per-task values. The dropout
    applies to searched students, and to a given ``FreshModel`` only when set explicitly.
    ``attention_probs_dropout_prob`` (None = the spec's 0.1) is a CPU knob: any attention dropout sends
    PyTorch's SDPA to its unfused math path with a Bernoulli mask per batch × head × L × L; at 0.0 a
    searched L3-H32 student's training step at 256 tokens was 2.7× faster on one core (0.0 is what the
    shipped configs use). ``alpha > 0`` adds
    a cross-entropy term on the distillation split's labels (off in Compressor, whose split is unlabelled).
    """

    method = "compressor"

    def __init__(
        self,
        teacher: ModelRef,
        task: str = "clone",
        target_mb: float = 3.0,
        search: CompressorSearch | None = None,
        student: FreshModel | ModelRef | None = None,
        temperature: float | None = None,
        alpha: float = 0.0,
        hidden_dropout_prob: float | None = None,
        attention_probs_dropout_prob: float | None = None,
        lr: float = 1e-4,
        weight_decay: float = 0.0,
        warmup_ratio: float = 0.1,
        teacher_batch_size: int = 64,
        export_dir: str | None = None,
        pooling: Literal["cls", "mean"] = "cls",
        pair_features: Literal["concat", "siamese"] = "concat",
        search_result: str | None = None,
    ) -> None:
        # The student may be unknown until configure_model() has run the search.
        super().__init__(
            teacher,
            student,
            task,
            lr,
            weight_decay,
            warmup_ratio,
            teacher_batch_size,
            export_dir,
        )
        if not target_mb > 0:
            raise ValueError(f"Expected `target_mb` > 0, got {target_mb}")
        self.search = search or CompressorSearch()
        if self.search.population < 2 or self.search.generations < 1 or self.search.restarts < 1:
            raise ValueError(
                f"Expected search population >= 2, generations >= 1 and restarts >= 1, got {self.search}"
            )
        check_head(pooling, pair_features)  # at config time, not when the searched student is built
        # Head of the searched student (a given FreshModel keeps its own): the paper's is <s> + concat.
        self.pooling, self.pair_features = pooling, pair_features
        # Restricted once here, so a bad gene name or bound fails at config time, not after setup.
        bounds = self.search.bounds
        self.search_space = COMPRESSOR_SPACE.restrict(bounds) if bounds else COMPRESSOR_SPACE
        check_kd_options(temperature)
        if alpha < 0:
            raise ValueError(f"Expected `alpha` >= 0, got {alpha}")
        for name, p in (("hidden", hidden_dropout_prob), ("attention_probs", attention_probs_dropout_prob)):
            if p is not None and not 0.0 <= p < 1.0:
                raise ValueError(f"Expected `{name}_dropout_prob` in [0, 1), got {p}")
        self.target_mb = target_mb
        self.temperature = TASK_TEMPERATURE[task] if temperature is None else temperature
        self.alpha = alpha
        self.dropout_explicit = hidden_dropout_prob is not None
        self.attention_dropout = attention_probs_dropout_prob
        self.hidden_dropout_prob = (
            TASK_HIDDEN_DROPOUT[task] if hidden_dropout_prob is None else hidden_dropout_prob
        )
        self.search_result: SearchResult | None = None
        # A saved search (`python -m kd.search.stage`) whose chosen spec is trained instead of searching again.
        self.search_result_path = search_result
        self.saved_search: SavedSearch | None = load_search_result(search_result) if search_result else None
        self.student_spec: StudentSpec | None = None
        self.save_hyperparameters(plain_hparams(locals()))

    # -- building -----------------------------------------------------------------------------------
    def run_search(self) -> SearchResult:
        """Compressor's GA for ``target_mb``; same seed → same architecture (resume relies on it)."""
        s = self.search
        result = search_compressor(
            self.target_mb,
            population=s.population,
            generations=s.generations,
            seed=s.seed,
            crossover_prob=s.crossover_prob,
            space=self.search_space,
            restarts=s.restarts,
        )
        log.info(
            "compressor search: %s, %.3f MB, %.3f GFLOPs (target %.3g MB, %.1f s)",
            result.spec.name,
            result.size_mb,
            result.gflops,
            self.target_mb,
            result.seconds,
        )
        return result

    def resolved_student(self) -> FreshModel | ModelRef:
        """The student to build: the given one, or the searched spec with a tokenizer trained on our split."""
        given = self.student_ref
        if given is None:
            if self.saved_search is not None:
                chosen = self.saved_search.spec
            else:
                self.search_result = self.run_search()
                chosen = self.search_result.spec
            spec = self.with_dropout(chosen, hidden=True)
            return FreshModel(spec, pooling=self.pooling, pair_features=self.pair_features)
        if isinstance(given, FreshModel) and (self.dropout_explicit or self.attention_dropout is not None):
            return replace(given, spec=self.with_dropout(given.spec, hidden=self.dropout_explicit))
        return given

    def search_stage(self, dm: Any = None, output: str | None = None) -> Path:
        """The search alone (`kd.search.stage`): run the GA, save its result; returns the JSON path."""
        result = self.run_search()
        root = self.trainer.default_root_dir if self._trainer is not None else "."
        assert result.outcome is not None
        path = result.outcome.save(Path(output) if output else Path(root) / "search")
        if self._trainer is not None and isinstance(self.trainer.logger, MLFlowLogger):
            logger = self.trainer.logger
            assert logger.run_id is not None
            result.outcome.log_to_mlflow(logger.experiment, logger.run_id, "search")
        return path

    def with_dropout(self, spec: StudentSpec, hidden: bool) -> StudentSpec:
        """`spec` with this method's hidden dropout (if `hidden`) and attention dropout (if set)."""
        if hidden:
            spec = spec.replace(hidden_dropout_prob=self.hidden_dropout_prob)
        if self.attention_dropout is not None:
            spec = spec.replace(attention_probs_dropout_prob=self.attention_dropout)
        return spec

    def configure_model(self) -> None:
        if self.model is not None:
            return
        ref = self.resolved_student()
        self.model, self.tokenizer = self.build(ref)
        try:
            self.student_spec = StudentSpec.from_roberta_config(self.model.encoder.config)
        except (ValueError, TypeError) as exc:  # a non-RoBERTa student given as ModelRef
            log.info("student outside the StudentSpec space: %s", exc)

    # -- checkpoints: the architecture must not change under a resumed fit -------------------------
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if self.student_spec is not None:
            checkpoint[SPEC_CHECKPOINT_KEY] = self.student_spec.to_dict()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        saved = checkpoint.get(SPEC_CHECKPOINT_KEY)
        if saved is None or self.student_spec is None:
            return
        if StudentSpec.from_dict(saved) != self.student_spec:
            raise ValueError(
                f"checkpoint student {StudentSpec.from_dict(saved).name} differs from the rebuilt student "
                f"{self.student_spec.name}: resume with the same target_mb, search settings and data"
            )

    # -- training ------------------------------------------------------------------------------------
    def distill_loss(
        self, student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        return compressor_loss(student_logits, teacher_logits, labels, self.temperature, self.alpha)

    def on_fit_start(self) -> None:
        super().on_fit_start()
        if not self.trainer.is_global_zero:  # under DDP the other ranks' loggers have no run: one rank logs
            return
        for logger in self.loggers:
            if isinstance(logger, MLFlowLogger):
                self.log_search_to_mlflow(logger)

    # -- tracking ------------------------------------------------------------------------------------
    def mlflow_tags(self) -> dict[str, str]:
        name = self.student_spec.name if self.student_spec is not None else "n/a"
        return {**super().mlflow_tags(), "kd.student_spec": name, "kd.target_mb": f"{self.target_mb:g}"}

    def search_summary(self) -> dict[str, Any]:
        """What the spec JSON artifact holds: the built spec, and the search that chose it (if any)."""
        out: dict[str, Any] = {
            "target_mb": self.target_mb,
            "student_spec": self.student_spec.to_dict() if self.student_spec else None,
            "student_spec_name": self.student_spec.name if self.student_spec else None,
            "tokenizer_vocab_size": self.tokenizer.get_vocab_size() if self.tokenizer else None,
        }
        if self.saved_search is not None:
            out["search_result"] = str(self.saved_search.path)
        r = self.search_result
        if r is not None:
            out["search"] = {
                **plain_hparams({"s": self.search})["s"],
                "spec": r.spec.to_dict(),
                "spec_name": r.spec.name,
                "fitness": r.fitness,
                "size_mb": r.size_mb,
                "gflops": r.gflops,
                "seconds": r.seconds,
                "best_seed": r.seed,
                "restarts": list(r.restarts),
            }
        return out

    def log_search_to_mlflow(self, logger: MLFlowLogger) -> None:
        """Trace CSV + PNG, spec JSON and tokenizer under ``search/``; the spec's fields as params."""
        client, run_id = logger.experiment, logger.run_id
        assert run_id is not None
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            files = [root / "student_spec.json"]
            files[0].write_text(json.dumps(self.search_summary(), indent=2))
            if self.search_result is not None and self.search_result.trace:
                self.search_result.trace_dataframe().to_csv(root / "search_trace.csv", index=False)
                files += [root / "search_trace.csv", self.search_result.plot_trace(root / "search_trace.png")]
            if self.search_result is not None and self.search_result.outcome is not None:
                self.search_result.outcome.front_dataframe().to_csv(root / "pareto_front.csv", index=False)
                files.append(root / "pareto_front.csv")
            if self.saved_search is not None:
                files.append(self.saved_search.path)
            if self.tokenizer is not None:
                self.tokenizer.save(str(root / "tokenizer.json"))
                files.append(root / "tokenizer.json")
            for path in files:
                client.log_artifact(run_id, str(path), "search")
        if self.student_spec is not None:
            # Same values on a resumed run; MLflow accepts re-logging an unchanged param.
            for key, value in self.student_spec.to_dict().items():
                client.log_param(run_id, f"student_spec.{key}", value)
