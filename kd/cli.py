"""LightningCLI for metacompress: ``python train.py {fit,validate,test,predict} --config ...``."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import torch
from lightning.pytorch.cli import LightningArgumentParser, LightningCLI

from kd.data.datamodules import CodeDataModule
from kd.models.sources import ModelSourceError
from kd.modules import ClassifierModule, ExportOnInterrupt
from kd.tracking import MLflowSaveConfig, RunInfoCallback, run_id_from_checkpoint

log = logging.getLogger("metacompress")

DEFAULT_LOGGER = {
    "class_path": "kd.tracking.KDMLFlowLogger",
    "init_args": {"experiment_name": "metacompress"},
}


def find_last_checkpoint(root: str | Path) -> Path | None:
    """The most recent ``last.ckpt`` under ``root`` (checkpoints live in ``<root>/<exp>/<run>/checkpoints``)."""
    found = sorted(Path(root).glob("**/last*.ckpt"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


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
                "callbacks": [RunInfoCallback(), ExportOnInterrupt()],
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


def main(args: list[str] | None = None) -> KDCLI:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return KDCLI(args=args)
    except ValueError as exc:  # jsonargparse wraps the dataclass's error; show only the cause, one line
        cause = ModelSourceError.find(exc)
        if cause is None:
            raise
        raise SystemExit(f"error: {cause}") from None
