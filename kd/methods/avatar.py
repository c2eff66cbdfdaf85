"""AVATAR (Shi, Yang, Kang, Xu, He, Lo — ICSE-SEIS 2024, "Greening Large Language Models of Code").

1. Search (`kd.search.avatar_search`): z3 prunes AVATAR's 13-gene space to the size budget, ``n_trials``
   adaptive-random configurations are distilled briefly (each its own process and nested MLflow run), a
   BayesianRidge surrogate predicts the trial metric, NSGA-II searches (|size − budget|, −predicted metric,
   GFLOPs) and the selection rule picks the student closest to the budget, then best predicted accuracy.
2. The chosen student — spec, tokenizer kind and vocabulary (trained on the distillation split), learning rate
   and batch size from its genes — learns from the frozen teacher's logits only: ``T²·KL`` with the per-task
   temperature (clone 1, vulnerability 10; research notes §2.7).
3. After the test, an efficiency report compares teacher and student: size, GFLOPs, CPU latency per example and
   energy per 1,000 predictions (codecarbon, offline).

The search runs once: its result is saved under ``search.output_dir`` (default
``<trainer.default_root_dir>/search``) and reused by a resumed fit; ``search_result: PATH`` reuses any saved
search (``python -m kd.search.stage`` runs the search stage alone). A given ``student`` skips the search (the
search trials themselves are such fits).
"""

from __future__ import annotations

import hashlib
import json
import logging
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from lightning.pytorch.loggers import MLFlowLogger

from kd.collapse import DEFAULT_COLLAPSE_MIN_FRACTION
from kd.distill import DistillationModule, check_kd_options
from kd.losses import kd_kl_loss
from kd.models.classifier import check_head
from kd.models.ref import FreshModel, ModelRef
from kd.modules import plain_hparams
from kd.search.avatar_search import (
    plan_avatar,
    run_avatar_search,
    save_trials_csv,
)
from kd.search.objectives import CostModel
from kd.search.result import RESULT_FILE, SavedSearch, SearchOutcome, load_search_result
from kd.search.trials import Trial, TrialRunner, launcher_by_name
from kd.spec import StudentSpec

log = logging.getLogger(__name__)

TASK_TEMPERATURE = {"clone": 1.0, "vulnerability": 10.0}
TASK_METRIC = {"clone": "val/f1", "vulnerability": "val/acc"}  # AVATAR's trial metrics (notes §2.4)
TASK_FLOPS_CONVENTION: dict[str, Any] = {"clone": "avatar_clone", "vulnerability": "avatar_single"}
SPEC_CHECKPOINT_KEY = "avatar_student_spec"


@dataclass
class AvatarSearch:
    """AVATAR's search settings; the defaults are the paper's where it has one (20 trials, pop 20, 50 gens)."""

    n_trials: int = 20
    trial_epochs: int = 1
    trial_train_examples: int | None = 500  # the data slice of each trial (None: the whole split)
    trial_eval_examples: int | None = 200
    metric: str | None = None  # None: val/f1 (clone) or val/acc (vulnerability), as AVATAR
    workers: int = 0  # parallel trials; 0 = the available cores
    launcher: str = "local"  # "local", "ray" (kd.search.ray_launcher) or a launcher class path
    launcher_args: dict[str, Any] | None = None  # e.g. ray: {num_cpus: 2, num_gpus: 0, timeout_s: 3600}
    ray_address: str | None = (
        None  # launcher "ray": None = a private local instance; "auto" or ray://host:port
    )
    genes: dict[str, Any] | None = None  # gene → values list or {low, high, step} (kd.search.avatar_space)
    prune: bool = True  # z3 bounds for the budget
    algorithm: Literal["nsga2", "agemoea", "ga"] = "nsga2"
    population: int = 20
    generations: int = 50
    seed: int = 0
    output_dir: str | None = None  # None: <trainer.default_root_dir>/search
    size_convention: Literal["spec", "compressor", "avatar_clone"] = "spec"
    flops_convention: Literal["avatar_single", "avatar_clone", "spec", "compressor"] | None = None
    # a trial whose model puts at most this share of validation examples in its rarer predicted class is
    # "collapsed": recorded, kept out of the surrogate (kd.search.avatar_search.is_collapsed_trial)
    collapse_min_fraction: float = DEFAULT_COLLAPSE_MIN_FRACTION

    def make_launcher(self) -> Any:
        """The trial launcher these settings name (``ray_address`` reaches the Ray launcher as ``address``)."""
        kwargs = dict(self.launcher_args or {})
        if self.ray_address is not None:
            if self.launcher != "ray":
                raise ValueError(
                    f"search.ray_address is set but search.launcher is {self.launcher!r}, not 'ray'"
                )
            kwargs.setdefault("address", self.ray_address)
        return launcher_by_name(self.launcher, **kwargs)


def data_init_args(dm: Any) -> dict[str, Any]:
    """The datamodule's constructor arguments (its saved hyper-parameters, without jsonargparse's keys)."""
    return {k: v for k, v in dict(dm.hparams).items() if not k.startswith("_")}


class AvatarKD(DistillationModule):
    """AVATAR: searched student (``student: null``) or a given one, distilled with ``T²·KL`` on teacher logits."""

    method = "avatar"

    def __init__(
        self,
        teacher: ModelRef,
        task: str = "clone",
        target_mb: float = 3.0,
        search: AvatarSearch | None = None,
        student: FreshModel | ModelRef | None = None,
        search_result: str | None = None,
        temperature: float | None = None,
        lr: float = 1e-4,
        weight_decay: float = 0.0,
        warmup_ratio: float = 0.1,
        teacher_batch_size: int = 64,
        export_dir: str | None = None,
        pooling: Literal["cls", "mean"] = "cls",
        pair_features: Literal["concat", "siamese"] = "concat",
        efficiency_examples: int = 200,
    ) -> None:
        if isinstance(teacher, dict):  # a trial process passes plain JSON
            teacher = ModelRef(**teacher)
        super().__init__(
            teacher, student, task, lr, weight_decay, warmup_ratio, teacher_batch_size, export_dir
        )
        if not target_mb > 0:
            raise ValueError(f"Expected `target_mb` > 0, got {target_mb}")
        check_kd_options(temperature)
        check_head(pooling, pair_features)
        self.search = search or AvatarSearch()
        s = self.search
        if s.n_trials < 3 or s.trial_epochs < 1 or s.population < 2 or s.generations < 1 or s.workers < 0:
            raise ValueError(
                f"Expected search n_trials >= 3, trial_epochs >= 1, population >= 2, generations >= 1 and "
                f"workers >= 0, got {s}"
            )
        if not 0 <= s.collapse_min_fraction < 0.5:
            raise ValueError(
                f"Expected search.collapse_min_fraction in [0, 0.5), got {s.collapse_min_fraction}"
            )
        s.make_launcher()  # a bad launcher (or Ray not installed) fails at config time
        if search_result is not None:
            load_search_result(search_result)  # a missing or bad file fails at config time
        self.target_mb = target_mb
        self.temperature = TASK_TEMPERATURE[task] if temperature is None else temperature
        self.pooling, self.pair_features = pooling, pair_features
        self.search_result_path = search_result
        self.efficiency_examples = efficiency_examples
        self.searched: SavedSearch | None = None
        self.student_spec: StudentSpec | None = None
        self.teacher_max_length: int | None = None
        self.efficiency: dict[str, Any] | None = None
        self.save_hyperparameters(plain_hparams(locals()))

    # -- search --------------------------------------------------------------------------------------
    def cost_model(self) -> CostModel:
        s = self.search
        return CostModel(s.size_convention, s.flops_convention or TASK_FLOPS_CONVENTION[self.task])

    def search_dir(self) -> Path:
        if self.search.output_dir:
            return Path(self.search.output_dir)
        root = self.trainer.default_root_dir if self._trainer is not None else "."
        return Path(root) / "search"

    def settings_hash(self, dm: Any) -> str:
        """What the search result depends on; a saved result with another hash is not reused."""
        data = {k: v for k, v in data_init_args(dm).items() if k not in ("batch_size", "num_workers")}
        blob = json.dumps(
            [
                asdict(self.search),
                self.target_mb,
                self.task,
                asdict(self.teacher_ref),
                data,
                self.pooling,
                self.pair_features,
                self.temperature,
            ],
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def make_trial(self, genome: np.ndarray, space: Any, dm: Any) -> Trial:
        s = self.search
        spec = space.decode(genome)
        data_args = data_init_args(dm)
        data_args.update(max_train_examples=s.trial_train_examples, max_eval_examples=s.trial_eval_examples)
        module_args = {
            "teacher": asdict(self.teacher_ref),
            "task": self.task,
            "target_mb": self.target_mb,
            "temperature": self.temperature,
            "weight_decay": self.weight_decay,
            "warmup_ratio": self.warmup_ratio,
            "teacher_batch_size": self.teacher_batch_size,
            "efficiency_examples": 0,
        }
        return Trial(
            spec=spec.to_dict(),
            hparams=space.decode_hparams(genome),
            module={
                "class_path": f"{type(self).__module__}.{type(self).__qualname__}",
                "init_args": module_args,
            },
            data={"class_path": f"{type(dm).__module__}.{type(dm).__qualname__}", "init_args": data_args},
            epochs=s.trial_epochs,
            seed=s.seed,
            metric=s.metric or TASK_METRIC[self.task],
            genome=[int(v) for v in genome],
            student={"pooling": self.pooling, "pair_features": self.pair_features},
        )

    def mlflow_target(self) -> tuple[str | None, str | None]:
        """(tracking URI, run id) of this fit's MLflow logger, if any."""
        if self._trainer is None:
            return None, None
        for logger in self.trainer.loggers:
            if isinstance(logger, MLFlowLogger):
                return getattr(logger, "_tracking_uri", None), logger.run_id
        return None, None

    def run_search(self, dm: Any) -> SavedSearch:
        """Search (or reuse the saved result of the same settings) and save it under `search_dir`."""
        out = self.search_dir()
        key = self.settings_hash(dm)
        if (out / RESULT_FILE).is_file():
            saved = load_search_result(out)
            if saved.summary.get("settings_hash") == key:
                log.info("%s search: reusing %s", self.method, saved.path)
                return saved
            log.info(
                "%s search: %s has other settings; searching again (finished trials are reused)",
                self.method,
                out,
            )
        uri, run_id = self.mlflow_target()
        s = self.search
        log.info("%s search: %d trials in %s", self.method, s.n_trials, out)
        runner = TrialRunner(out, s.make_launcher(), s.workers, uri, run_id)
        outcome = self.execute_search(dm, runner)
        outcome.meta["settings_hash"] = key
        outcome.meta["search_settings"] = asdict(s)
        out.mkdir(parents=True, exist_ok=True)
        save_trials_csv(outcome, out)
        path = outcome.save(out)
        if uri and run_id:
            import mlflow

            self.log_search(mlflow.MlflowClient(uri), run_id, outcome, out)
        return load_search_result(path)

    def execute_search(self, dm: Any, runner: TrialRunner) -> SearchOutcome:
        """Plan, trials, surrogate and NSGA-II (MORPH overrides this with its own pipeline)."""
        s = self.search
        cost_model = self.cost_model()
        plan = plan_avatar(self.task, self.target_mb, cost_model, s.n_trials, s.seed, s.genes, s.prune)
        outcome, _ = run_avatar_search(
            plan,
            lambda g: self.make_trial(g, plan.space, dm),
            runner,
            self.target_mb,
            cost_model,
            s.algorithm,
            s.population,
            s.generations,
            s.seed,
            collapse_min_fraction=s.collapse_min_fraction,
        )
        return outcome

    def log_search(self, client: Any, run_id: str, outcome: SearchOutcome, out: Path) -> None:
        """Front, trials table, surrogate scores and timings to this fit's MLflow run."""
        outcome.log_to_mlflow(client, run_id, "search")
        client.log_artifact(run_id, str(out / "trials.csv"), "search")
        sur = outcome.meta.get("surrogate", {})
        for name in ("cv_r2", "cv_mae"):
            if name in sur and np.isfinite(sur[name]):
                client.log_metric(run_id, f"search/surrogate_{name}", sur[name])
        client.log_metric(run_id, "search/n_trials_ok", outcome.meta["n_trials_ok"])
        if "n_collapsed" in outcome.meta:
            client.log_metric(run_id, "search/n_collapsed", outcome.meta["n_collapsed"])
        client.log_metric(run_id, "search/smt_seconds", outcome.meta["smt_seconds"])
        client.log_metric(run_id, "search/total_seconds", outcome.meta["total_seconds"])

    def search_stage(self, dm: Any, output: str | None = None) -> Path:
        """The search alone (`kd.search.stage`): run it (or reuse the same settings' result), return the JSON."""
        if output:
            self.search.output_dir = output
        return self.run_search(dm).path

    # -- building -------------------------------------------------------------------------------------
    def resolved_student(self) -> FreshModel | ModelRef:
        if self.student_ref is not None:
            return self.student_ref
        dm = self._datamodule()
        if self.search_result_path:
            self.searched = load_search_result(self.search_result_path)
        else:
            self.searched = self.search_once(dm)
        return FreshModel(self.searched.spec, pooling=self.pooling, pair_features=self.pair_features)

    def search_once(self, dm: Any) -> SavedSearch:
        """`run_search` on global rank 0 only: under DDP the other ranks wait, then read its saved result.

        Without this every rank would run (and write) the same trials at once. The search directory must be
        on a filesystem all ranks share — on several nodes without one, run ``python -m kd.search.stage``
        first and pass its ``search_result``.
        """
        trainer = self._trainer
        if trainer is None or trainer.world_size <= 1:
            return self.run_search(dm)
        saved = self.run_search(dm) if trainer.is_global_zero else None
        trainer.strategy.barrier("search")
        return saved if saved is not None else self.run_search(dm)  # rank > 0: reuses rank 0's result

    def apply_hparams(self, hparams: dict[str, Any], dm: Any) -> None:
        """The searched learning rate reaches the optimiser, the batch size the datamodule."""
        if "learning_rate" in hparams:
            self.lr = float(hparams["learning_rate"])
        if "batch_size" in hparams and dm is not None:
            dm.batch_size = int(hparams["batch_size"])

    def configure_model(self) -> None:
        if self.model is not None:
            return
        ref = self.resolved_student()
        dm = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        if self.searched is not None:
            self.apply_hparams(self.searched.hparams, dm)
        if isinstance(ref, FreshModel) and dm is not None:
            # The student reads at most its max_seq_len tokens; the teacher keeps the data's length.
            self.teacher_max_length = dm.max_length
            dm.max_length = min(dm.max_length, ref.spec.max_seq_len)
        self.model, self.tokenizer = self.build(ref)
        try:
            self.student_spec = StudentSpec.from_roberta_config(self.model.encoder.config)
        except (ValueError, TypeError) as exc:
            log.info("student outside the StudentSpec space: %s", exc)

    def cached_teacher_logits(self, split_name: str) -> torch.Tensor:
        dm = self._datamodule()
        if self.teacher_max_length is None or self.teacher_max_length == dm.max_length:
            return super().cached_teacher_logits(split_name)
        student_length, dm.max_length = dm.max_length, self.teacher_max_length
        try:
            return super().cached_teacher_logits(split_name)
        finally:
            dm.max_length = student_length

    # -- checkpoints -----------------------------------------------------------------------------------
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        if self.student_spec is not None:
            checkpoint[SPEC_CHECKPOINT_KEY] = self.student_spec.to_dict()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        saved = checkpoint.get(SPEC_CHECKPOINT_KEY)
        if (
            saved is not None
            and self.student_spec is not None
            and StudentSpec.from_dict(saved) != self.student_spec
        ):
            raise ValueError(
                f"checkpoint student {StudentSpec.from_dict(saved).name} differs from the rebuilt student "
                f"{self.student_spec.name}: resume with the same search result"
            )

    # -- training ---------------------------------------------------------------------------------------
    def distill_loss(
        self, student_logits: torch.Tensor, teacher_logits: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        return kd_kl_loss(student_logits, teacher_logits, self.temperature)

    def on_fit_start(self) -> None:
        super().on_fit_start()
        uri, run_id = self.mlflow_target()
        if uri and run_id and self.searched is not None:
            import mlflow

            client = mlflow.MlflowClient(uri)
            client.log_artifact(run_id, str(self.searched.path), "search")
            for key, value in {
                **self.searched.hparams,
                **(self.student_spec or self.searched.spec).to_dict(),
            }.items():
                client.log_param(run_id, f"student.{key}", value)

    def on_test_end(self) -> None:
        if self.efficiency_examples > 0 and self.trainer.is_global_zero and not self.trainer.sanity_checking:
            from kd.methods.avatar_efficiency import efficiency_report

            self.efficiency = efficiency_report(self, self.efficiency_examples)
            uri, run_id = self.mlflow_target()
            if uri and run_id:
                import mlflow

                client = mlflow.MlflowClient(uri)
                with tempfile.TemporaryDirectory() as tmp:
                    path = Path(tmp) / "efficiency.json"
                    path.write_text(json.dumps(self.efficiency, indent=2, default=str))
                    client.log_artifact(run_id, str(path), "efficiency")
                for key, value in self.efficiency["ratios"].items():
                    client.log_metric(run_id, f"efficiency/{key}", float(value))

    # -- tracking -----------------------------------------------------------------------------------------
    def mlflow_tags(self) -> dict[str, str]:
        name = self.student_spec.name if self.student_spec is not None else "n/a"
        return {**super().mlflow_tags(), "kd.student_spec": name, "kd.target_mb": f"{self.target_mb:g}"}
