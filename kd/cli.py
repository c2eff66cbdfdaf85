"""LightningCLI for metacompress: ``python train.py {fit,validate,test,predict} --config ...``."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import lightning as L
import torch
import yaml
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

from kd import signals
from kd.data.datamodules import CodeDataModule
from kd.models.sources import ModelSourceError
from kd.modules import ClassifierModule, ExportOnInterrupt
from kd.tracking import (
    DataSkipsCallback,
    MLflowSaveConfig,
    RunInfoCallback,
    end_started_runs,
    run_id_from_checkpoint,
)

log = logging.getLogger("metacompress")

DEFAULT_LOGGER = {
    "class_path": "kd.tracking.KDMLFlowLogger",
    "init_args": {"experiment_name": "metacompress"},
}


def find_last_checkpoint(root: str | Path) -> Path | None:
    """The most recent ``last.ckpt`` under ``root`` (checkpoints live in ``<root>/<exp>/<run>/checkpoints``)."""
    found = sorted(Path(root).glob("**/last*.ckpt"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


class PhaseMarks(L.Callback):
    """Names the phase a fit or test is in (:func:`kd.signals.phase`: the interruption message, test pauses)."""

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        signals.phase("setup")

    def on_train_batch_start(
        self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any, batch_idx: int
    ) -> None:
        ckpt = getattr(trainer.checkpoint_callback, "last_model_path", "") or ""
        signals.phase("train-after-checkpoint" if ckpt and Path(ckpt).is_file() else "train")

    def on_test_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        signals.phase("test")


class KDCLI(LightningCLI):
    def __init__(self, **kwargs: Any) -> None:
        torch.set_float32_matmul_precision("high")
        super().__init__(
            model_class=ClassifierModule,
            datamodule_class=CodeDataModule,
            subclass_mode_model=True,
            subclass_mode_data=True,
            save_config_callback=MLflowSaveConfig,
            save_config_kwargs={"overwrite": True},
            trainer_defaults={
                "callbacks": [RunInfoCallback(), ExportOnInterrupt(), DataSkipsCallback(), PhaseMarks()],
                # the datamodules shard their own (length-bucketed) batches under DDP: see CodeDataModule._replicas
                "use_distributed_sampler": False,
            },
            **kwargs,
        )

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        parser.set_defaults({"trainer.logger": DEFAULT_LOGGER})
        parser.add_argument(
            "--test_after_fit",
            type=bool,
            default=True,
            help="after fit, evaluate the best checkpoint on the test split (logged as test/*)",
        )

    def before_instantiate_classes(self) -> None:
        sub = self.subcommand
        if sub is None:
            return
        cfg = self.config[sub]
        _check_data_dir(cfg)
        ckpt = cfg.get("ckpt_path")
        if not ckpt:
            return
        if ckpt == "last":
            root = cfg.trainer.default_root_dir or os.getcwd()
            found = find_last_checkpoint(root)
            if found is None:
                raise SystemExit(f"--ckpt_path last: no last.ckpt under {root} (trainer.default_root_dir)")
            cfg.ckpt_path = str(found)
        run_id = run_id_from_checkpoint(cfg.ckpt_path)
        logger_cfg = cfg.trainer.logger
        if sub == "fit" and run_id and logger_cfg and not isinstance(logger_cfg, bool | list):
            logger_cfg.init_args.run_id = run_id
            log.info("resuming MLflow run %s from %s", run_id, cfg.ckpt_path)

    def after_fit(self) -> None:
        if self.config["fit"].get("test_after_fit") and not self.trainer.interrupted:
            best = self.model.best_checkpoint()
            self.trainer.test(self.model, datamodule=self.datamodule, ckpt_path=best, weights_only=True)
        self._print_run()

    def after_test(self) -> None:
        self._print_run()

    def _print_run(self) -> None:
        logger = self.trainer.logger
        run_id = getattr(logger, "run_id", None)
        if run_id and self.trainer.is_global_zero:
            uri = getattr(logger, "_tracking_uri", "")
            print(
                f"\nMLflow run {run_id} — open the UI with:\n  mlflow ui --backend-store-uri {uri} "
                "--host 127.0.0.1 --port 5000\n"
            )


def _check_data_dir(cfg: Any) -> None:
    """A ``data_dir`` that does not exist fails here, in one line, before any trainer or MLflow run exists."""
    init = getattr(cfg.get("data"), "init_args", None)
    data_dir = getattr(init, "data_dir", None) if init is not None else None
    if data_dir and str(data_dir) != "demo" and not Path(str(data_dir)).expanduser().is_dir():
        what = "not a directory" if Path(str(data_dir)).expanduser().exists() else "no such directory"
        raise SystemExit(f"error: data.init_args.data_dir: {what}: {data_dir}")


def _check_config_files(argv: Sequence[str]) -> None:
    """``--config FILE`` that is empty (or only comments) says so, instead of an unrelated parser error."""
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            path = Path(argv[i + 1])
        elif arg.startswith("--config="):
            path = Path(arg.split("=", 1)[1])
        else:
            continue
        if not path.is_file():
            continue
        try:
            content = yaml.safe_load(path.read_text())
        except (yaml.YAMLError, UnicodeDecodeError):
            continue  # the parser reports malformed YAML itself
        if content is None:
            raise SystemExit(f"error: config file {path} is empty (no keys)")


def main(args: list[str] | None = None) -> KDCLI:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    _check_config_files(sys.argv[1:] if args is None else args)
    with signals.handled():
        try:
            return KDCLI(args=args)
        except ValueError as exc:  # jsonargparse wraps the dataclass's error; show only the cause, one line
            cause = ModelSourceError.find(exc)
            if cause is None:
                raise
            raise SystemExit(f"error: {cause}") from None
        except (KeyboardInterrupt, SystemExit):
            signum = signals.received()
            if signum is None:
                raise
            # Lightning has run on_exception (best checkpoint exported) and ended the run FAILED; record KILLED.
            runs = end_started_runs("KILLED")
            detail = f"MLflow run {', '.join(runs)} ended KILLED" if runs else "no MLflow run was started"
            print(
                signals.interrupted_line("train.py", detail + "; checkpoints kept"),
                file=sys.stderr,
                flush=True,
            )
            raise SystemExit(signals.exit_code(signum)) from None
