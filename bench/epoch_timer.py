"""Lightning callback for benchmarks: wall time and samples/s of the first training epoch, written as JSON."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import lightning as L
import torch


class EpochTimer(L.Callback):
    """Times the first training epoch (all ranks, after a barrier) and writes ``{seconds, samples, …}``."""

    def __init__(self, out: str) -> None:
        self.out = Path(out)
        self.samples = 0
        self.started = 0.0

    def on_train_epoch_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        trainer.strategy.barrier()
        self.started = time.perf_counter()

    def on_train_batch_end(
        self, trainer: L.Trainer, pl_module: L.LightningModule, outputs: Any, batch: Any, batch_idx: int
    ) -> None:
        self.samples += len(batch["labels"])

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        trainer.strategy.barrier()
        seconds = time.perf_counter() - self.started
        samples = int(trainer.strategy.reduce(torch.tensor(float(self.samples)), reduce_op="sum"))
        if trainer.is_global_zero and not self.out.exists():
            self.out.write_text(
                json.dumps(
                    {
                        "seconds": seconds,
                        "samples": samples,
                        "samples_per_s": samples / seconds,
                        "world_size": trainer.world_size,
                    }
                )
            )
