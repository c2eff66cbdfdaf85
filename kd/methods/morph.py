"""MORPH (A. Panichella, ICSE 2025, "Metamorphic-Based Many-Objective Distillation of LLMs for Code").

A thin layer over AVATAR (`kd.methods.avatar`): the same 13-gene space, trials, search stage and efficiency
report, with MORPH's four changes (research notes §3):

1. **Metamorphic data** (`kd.methods.morph_data`): a semantically equivalent copy of the distillation,
   validation and test splits made with `fidelity.transforms` (default ``natural_rename``), cached per split.
   Training uses the distillation split plus its copy. ``augment_targets``: ``teacher`` (default) runs the
   frozen teacher once on each variant (cached like every teacher output), so the student learns the teacher's
   own behaviour on x'; ``source`` reuses the original's teacher logits, as MORPH's code does.
2. **Search** (`kd.search.morph_search`): LHS trials, gradient-boosting surrogates for accuracy (logit space)
   and flips (CV grid search), AGE-MOEA over (size, flips, GFLOPs, accuracy) with MORPH's repair operator, the
   collapsed-student guard, and the front member closest to the budget **by size**.
3. **Loss** (`morph_loss`): ``T²·soft-CE(teacher, student at T) + (1 − cos(p_t, p_s))``, both distributions at
   temperature T (default 3, the paper's; the reference code uses 10 for clone, 2 for vulnerability and omits
   the T² factor).
4. **Checkpoint choice** (`MorphSelection`, a callback): the mean of original and metamorphic validation
   accuracy; an epoch within 0.5 % of the best accuracy so far replaces the current choice when it flips fewer
   predictions. The callback exposes a monotone ``val/morph_selection`` that a ``ModelCheckpoint(monitor=
   val/morph_selection, mode=max)`` saves on.

Validation logs ``val/meta_acc``, ``val/morph_acc`` (mean of original and metamorphic accuracy), ``val/flips``,
``val/flip_rate``, ``val/collapsed`` and ``val/flips_guarded`` (the collapsed-student guard of
`kd.search.morph_search.guard_flips`); the test adds the same on the test set and the teacher's flips on it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

import lightning as L
import numpy as np
import torch
import torch.nn.functional as F

from kd.collapse import DEFAULT_COLLAPSE_MIN_FRACTION
from kd.data.encoding import CodeEncoder
from kd.data.splits import CodeSplit
from kd.distributed import local_zero_first
from kd.methods.avatar import AvatarKD, AvatarSearch
from kd.methods.morph_data import (
    TASK_LANGUAGE,
    MetamorphicStats,
    check_transforms,
    combined_split,
    metamorphic_split,
    register_split,
)
from kd.models.inference import predict_logits
from kd.models.ref import FreshModel, ModelRef
from kd.modules import plain_hparams
from kd.search.morph_search import guard_flips, is_collapsed, plan_morph, run_morph_search
from kd.search.result import SearchOutcome
from kd.search.trials import Trial, TrialRunner

log = logging.getLogger(__name__)

MORPH_TEMPERATURE = 3.0  # the paper's T for MORPH and AVATAR (research notes §3.7)
TRAIN_SPLIT = "distill_morph"  # the distillation split followed by its metamorphic copy
SELECTION_MONITOR = "val/morph_selection"


def morph_loss(
    student_logits: torch.Tensor, teacher_logits: torch.Tensor, temperature: float
) -> torch.Tensor:
    """MORPH's Eq. 2–3: ``T²·(−mean Σ p_t log p_s) + 1 − mean cos(p_t, p_s)``, ``p = softmax(logits / T)``.

    The soft cross-entropy keeps the paper's T² factor (the reference code omits it); no hard-label term.
    """
    if temperature <= 0:
        raise ValueError(f"Expected `temperature` > 0, got {temperature}")
    log_p_s = F.log_softmax(student_logits / temperature, dim=-1)
    p_t = F.softmax(teacher_logits / temperature, dim=-1)
    soft_ce = -(p_t * log_p_s).sum(-1).mean() * temperature**2
    cosine = F.cosine_similarity(p_t, log_p_s.exp(), dim=-1).mean()
    return soft_ce + (1 - cosine)


# -- checkpoint choice --------------------------------------------------------------------------------------------


@dataclass
class SelectionRule:
    """MORPH's per-epoch model choice on (accuracy, flips), the accuracy being the original/metamorphic mean.

    An epoch replaces the current choice when its accuracy exceeds the best accuracy seen so far, or when it is
    within ``tolerance`` of that best and flips fewer predictions than the current choice. The window is anchored
    at the best accuracy, not at the current choice (the reference code moves it to every accepted epoch, so a
    run of tie-breaks can drift below the best by more than the tolerance).
    """

    tolerance: float = 0.005
    top: float | None = None  # the best accuracy seen so far
    accuracy: float | None = None  # the current choice's
    flips: float | None = None
    accepted: int = 0  # how many epochs were chosen so far (a monotone score for ModelCheckpoint)

    def update(self, accuracy: float, flips: float) -> bool:
        """Offer one epoch; True when it becomes the choice."""
        take = (
            self.top is None
            or accuracy > self.top
            or (self.top - accuracy <= self.tolerance and self.flips is not None and flips < self.flips)
        )
        if take:
            self.top = accuracy if self.top is None else max(self.top, accuracy)
            self.accuracy, self.flips = accuracy, flips
            self.accepted += 1
        return take


class MorphSelection(L.Callback):
    """Applies `SelectionRule` at every validation and exposes ``val/morph_selection`` for a ModelCheckpoint.

    The score is the number of epochs chosen so far: it rises exactly when an epoch becomes the choice, so
    ``ModelCheckpoint(monitor="val/morph_selection", mode="max")`` keeps the chosen epoch (Lightning runs
    checkpoint callbacks after the others). ``selected`` holds that epoch's ``val/*`` metrics (what a MORPH
    search trial reports). The rule's state is saved in checkpoints, so a resumed fit continues it.
    """

    def __init__(
        self,
        tolerance: float = 0.005,
        accuracy: str = "val/morph_acc",
        flips: str = "val/flips_guarded",
        monitor: str = SELECTION_MONITOR,
    ) -> None:
        if not 0 <= tolerance < 1:
            raise ValueError(f"Expected MorphSelection tolerance in [0, 1), got {tolerance}")
        self.rule = SelectionRule(tolerance)
        self.accuracy_key, self.flips_key, self.monitor = accuracy, flips, monitor
        self.selected: dict[str, float] = {}
        self.validations = 0

    def on_validation_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.sanity_checking:
            return
        metrics = trainer.callback_metrics
        missing = [k for k in (self.accuracy_key, self.flips_key) if k not in metrics]
        if missing:
            raise RuntimeError(
                f"MorphSelection: {missing} not logged at this validation (kd.methods.morph.MorphKD logs them)"
            )
        self.validations += 1
        if self.rule.update(float(metrics[self.accuracy_key]), float(metrics[self.flips_key])):
            self.selected = {k: float(v) for k, v in metrics.items() if k.startswith("val/")}
            self.selected["val/selected_validation"] = float(self.validations)
            for logger in trainer.loggers:
                logger.log_metrics(
                    {
                        "morph/chosen_accuracy": self.rule.accuracy or 0.0,
                        "morph/chosen_flips": self.rule.flips or 0.0,
                    },
                    step=trainer.global_step,
                )
        metrics[self.monitor] = torch.tensor(float(self.rule.accepted))

    def state_dict(self) -> dict[str, Any]:
        return {"rule": asdict(self.rule), "selected": dict(self.selected), "validations": self.validations}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.rule = SelectionRule(**state_dict["rule"])
        self.selected = dict(state_dict.get("selected", {}))
        self.validations = int(state_dict.get("validations", 0))


# -- the method -----------------------------------------------------------------------------------------------------


@dataclass
class MorphSearch(AvatarSearch):
    """MORPH's search settings: AVATAR's (`AvatarSearch`) with MORPH's defaults and its surrogate/operator knobs.

    Paper defaults: 20 LHS trials, AGE-MOEA with population 50 for 100 generations, SBX η 15 (the code's; the
    paper says 30), polynomial mutation η 30. ``metric`` is what the accuracy surrogate learns (default the mean
    of original and metamorphic validation accuracy, as MORPH's code records). ``flip_grid`` overrides the flip
    model's grid (`kd.search.morph_search.FLIP_GRID`); ``size_constraint`` adds AVATAR's hard size ≤ budget.
    """

    algorithm: Literal["agemoea", "nsga2"] = "agemoea"  # type: ignore[assignment]
    population: int = 50
    generations: int = 100
    metric: str | None = "val/morph_acc"
    flip_grid: dict[str, list[Any]] | None = None
    size_constraint: bool = False
    sbx_eta: float = 15.0
    pm_eta: float = 30.0
    # None: MORPH's unfiltered LHS trials; e.g. 2.0: trials only over configurations <= 2 x the budget
    # (kd.search.morph_search.plan_morph; keeps a CPU search from distilling 6x-budget students for 27 minutes)
    trial_max_size_ratio: float | None = None


class MorphKD(AvatarKD):
    """MORPH: searched student (``student: null``) or a given one, distilled on original + metamorphic data."""

    method = "morph"
    train_split = TRAIN_SPLIT

    def __init__(
        self,
        teacher: ModelRef,
        task: str = "clone",
        target_mb: float = 3.0,
        search: MorphSearch | None = None,
        student: FreshModel | ModelRef | None = None,
        search_result: str | None = None,
        temperature: float = MORPH_TEMPERATURE,
        lr: float = 1e-4,
        weight_decay: float = 0.0,
        warmup_ratio: float = 0.1,
        teacher_batch_size: int = 64,
        export_dir: str | None = None,
        pooling: Literal["cls", "mean"] = "cls",
        pair_features: Literal["concat", "siamese"] = "concat",
        efficiency_examples: int = 200,
        transforms: list[str] | None = None,
        metamorphic_seed: int = 0,
        augment_targets: Literal["teacher", "source"] = "teacher",
        collapse_min_fraction: float = DEFAULT_COLLAPSE_MIN_FRACTION,
    ) -> None:
        if isinstance(search, dict):  # a trial process passes plain JSON
            search = MorphSearch(**search)
        super().__init__(
            teacher,
            task=task,
            target_mb=target_mb,
            search=search or MorphSearch(),
            student=student,
            search_result=search_result,
            temperature=temperature,
            lr=lr,
            weight_decay=weight_decay,
            warmup_ratio=warmup_ratio,
            teacher_batch_size=teacher_batch_size,
            export_dir=export_dir,
            pooling=pooling,
            pair_features=pair_features,
            efficiency_examples=efficiency_examples,
        )
        if augment_targets not in ("teacher", "source"):
            raise ValueError(f"Expected augment_targets 'teacher' or 'source', got {augment_targets!r}")
        if not 0 <= collapse_min_fraction < 0.5:
            raise ValueError(f"Expected collapse_min_fraction in [0, 0.5), got {collapse_min_fraction}")
        self.transforms = list(transforms or ["natural_rename"])
        check_transforms(TASK_LANGUAGE[task], self.transforms)
        self.metamorphic_seed = metamorphic_seed
        self.augment_targets = augment_targets
        self.collapse_min_fraction = collapse_min_fraction
        self.metamorphic_stats: dict[str, MetamorphicStats] = {}
        self.save_hyperparameters(plain_hparams(locals()))

    # -- search ---------------------------------------------------------------------------------------
    def morph_settings(self) -> dict[str, Any]:
        return {
            "transforms": self.transforms,
            "metamorphic_seed": self.metamorphic_seed,
            "augment_targets": self.augment_targets,
            "collapse_min_fraction": self.collapse_min_fraction,
        }

    def settings_hash(self, dm: Any) -> str:
        blob = json.dumps([super().settings_hash(dm), self.morph_settings()], sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def make_trial(self, genome: np.ndarray, space: Any, dm: Any) -> Trial:
        trial = super().make_trial(genome, space, dm)
        init_args = {**trial.module["init_args"], **self.morph_settings()}
        return dataclasses.replace(trial, module={**trial.module, "init_args": init_args})

    def execute_search(self, dm: Any, runner: TrialRunner) -> SearchOutcome:
        s = self.search
        assert isinstance(s, MorphSearch)
        cost_model = self.cost_model()
        plan = plan_morph(
            self.task,
            self.target_mb,
            cost_model,
            s.n_trials,
            s.population,
            s.seed,
            s.genes,
            s.prune,
            s.trial_max_size_ratio,
        )
        outcome, _ = run_morph_search(
            plan,
            lambda g: self.make_trial(g, plan.space, dm),
            runner,
            self.target_mb,
            cost_model,
            s.algorithm,
            s.population,
            s.generations,
            s.seed,
            flip_grid=s.flip_grid,
            size_constraint=s.size_constraint,
            sbx_eta=s.sbx_eta,
            pm_eta=s.pm_eta,
        )
        return outcome

    def log_search(self, client: Any, run_id: str, outcome: SearchOutcome, out: Path) -> None:
        """AVATAR's logging (collapsed trials included), plus both surrogates' CV R² / MAE and the hypervolume."""
        super().log_search(client, run_id, outcome, out)
        for target, scores in outcome.meta["surrogates"].items():
            if not isinstance(scores, dict):
                continue
            for name in ("cv_r2", "cv_mae"):
                value = scores.get(name)
                if isinstance(value, float) and np.isfinite(value):
                    client.log_metric(run_id, f"search/surrogate_{target}_{name}", value)
        if np.isfinite(outcome.meta["hypervolume"]):
            client.log_metric(run_id, "search/hypervolume", outcome.meta["hypervolume"])

    # -- metamorphic data -----------------------------------------------------------------------------
    def prepare_metamorphic(self) -> None:
        """Variant copies of distill/val/test (cached) and the training split ``distill_morph`` on the datamodule."""
        dm = self._datamodule()
        language = TASK_LANGUAGE[self.task]
        metas: dict[str, CodeSplit] = {}
        for name in ("distill", "val", "test"):
            split = dm.split(name)
            # under DDP the node's first rank builds (and caches) the variants, the others read its cache file
            meta, stats = local_zero_first(
                self._trainer,
                f"metamorphic-{name}",
                partial(metamorphic_split, split, language, self.transforms, self.metamorphic_seed),
            )
            register_split(dm, f"{name}_meta", meta)
            metas[name] = meta
            self.metamorphic_stats[name] = stats
            log.info(
                "metamorphic %s: %d/%d functions changed (%s)",
                name,
                stats.changed,
                stats.functions,
                "cache hit" if stats.cache_hit else "built",
            )
        register_split(dm, TRAIN_SPLIT, combined_split(dm.split("distill"), metas["distill"], TRAIN_SPLIT))

    def configure_model(self) -> None:
        if self.model is None:
            self.prepare_metamorphic()
        super().configure_model()

    def cached_teacher_logits(self, split_name: str) -> torch.Tensor:
        """``distill_morph``: the original logits followed by the variants' (``teacher``) or the same (``source``)."""
        if split_name != TRAIN_SPLIT:
            return super().cached_teacher_logits(split_name)
        original = super().cached_teacher_logits("distill")
        if self.augment_targets == "source":
            return torch.cat([original, original])
        return torch.cat([original, super().cached_teacher_logits("distill_meta")])

    # -- training -------------------------------------------------------------------------------------
    def distill_loss(
        self, student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        return morph_loss(student_logits, teacher_logits, self.temperature)

    def configure_callbacks(self) -> list[L.Callback]:
        """A `MorphSelection` when the trainer has none (search trials; configs list their own)."""
        return [] if self.selection() is not None else [MorphSelection()]

    def selection(self) -> MorphSelection | None:
        callbacks = getattr(self.trainer, "callbacks", [])  # set on the Trainer at run time
        return next((c for c in callbacks if isinstance(c, MorphSelection)), None)

    def trial_metrics(self) -> dict[str, float]:
        """The chosen epoch's ``val/*`` metrics (`kd.search.trials.run_trial` reports these)."""
        selection = self.selection()
        return dict(selection.selected) if selection is not None else {}

    # -- evaluation -----------------------------------------------------------------------------------
    def _predictions(self, split: CodeSplit) -> torch.Tensor:
        model, tok = self.built()
        dm = self._datamodule()
        examples = [split.texts(i) for i in range(len(split))]
        return predict_logits(model, CodeEncoder(tok, dm.max_length), examples, dm.eval_batch_size).argmax(-1)

    def metamorphic_metrics(self, split_name: str) -> dict[str, float]:
        """The student on a split and its metamorphic copy: accuracies, flips, the collapse flag and guard."""
        dm = self._datamodule()
        original, meta = dm.split(split_name), dm.split(f"{split_name}_meta")
        p, q = self._predictions(original), self._predictions(meta)
        return flip_metrics(p, q, original.labels(), self.collapse_min_fraction)

    def teacher_flip_metrics(self, split_name: str) -> dict[str, float]:
        """The frozen teacher on a split and its copy (cached logits): its accuracies and flips."""
        p = self.shared_teacher_logits(split_name).argmax(-1)
        q = self.shared_teacher_logits(f"{split_name}_meta").argmax(-1)
        return flip_metrics(p, q, self._datamodule().split(split_name).labels(), self.collapse_min_fraction)

    def on_validation_epoch_end(self) -> None:
        if self.trainer.sanity_checking:
            return
        for key, value in self.metamorphic_metrics("val").items():
            if key != "acc":  # val/acc is the module's torchmetrics value (the same predictions)
                self.log(f"val/{key}", value)

    def on_test_epoch_end(self) -> None:
        for key, value in self.metamorphic_metrics("test").items():
            if key not in ("acc", "n"):
                self.log(f"test/{key}", value)
        teacher = self.teacher_flip_metrics("test")
        for key in ("acc", "meta_acc", "flips", "flip_rate"):
            self.log(f"test/teacher_{key}", teacher[key])

    # -- tracking -------------------------------------------------------------------------------------
    def on_fit_start(self) -> None:
        super().on_fit_start()
        uri, run_id = self.mlflow_target()
        if uri and run_id and self.metamorphic_stats:
            import mlflow

            client = mlflow.MlflowClient(uri)
            for name, stats in self.metamorphic_stats.items():
                client.log_metric(run_id, f"metamorphic/{name}_changed_fraction", stats.changed_fraction)
                client.log_metric(run_id, f"metamorphic/{name}_functions", stats.functions)

    def mlflow_tags(self) -> dict[str, str]:
        return {
            **super().mlflow_tags(),
            "kd.augment_targets": self.augment_targets,
            "kd.metamorphic_transforms": ",".join(self.transforms),
        }


def flip_metrics(
    original: torch.Tensor, variant: torch.Tensor, labels: torch.Tensor, collapse_min_fraction: float = 0.0
) -> dict[str, float]:
    """Predictions on originals and their variants → accuracies, flips, flip rate, collapse flag, guarded flips."""
    if not len(original) == len(variant) == len(labels):
        raise ValueError(f"flip_metrics: lengths differ: {len(original)}, {len(variant)}, {len(labels)}")
    n = len(labels)
    flips = int((original != variant).sum())
    collapsed = is_collapsed(torch.cat([original, variant]).numpy(), collapse_min_fraction)
    acc = float((original == labels).float().mean()) if n else 0.0
    meta_acc = float((variant == labels).float().mean()) if n else 0.0
    return {
        "acc": acc,
        "meta_acc": meta_acc,
        "morph_acc": (acc + meta_acc) / 2,
        "flips": float(flips),
        "flip_rate": flips / n if n else 0.0,
        "collapsed": float(collapsed),
        "flips_guarded": guard_flips(flips, collapsed, n),
        "n": float(n),
    }
