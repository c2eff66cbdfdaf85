"""Data-parallel fits: the length-bucketed sampler's shards, and a real 2-process DDP fit (gloo, CPU).

The fit runs exactly as a user would start it — ``python train.py fit ... --trainer.strategy ddp
--trainer.devices 2 --trainer.accelerator cpu`` — with the FidelityCallback on, and checks what DDP must not
duplicate: the teacher's outputs (computed by one rank, read by the other), the MLflow run (one), every metric
step (once), and that the logged test accuracy equals the exported model's accuracy scored in one process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import mlflow
import pytest
import torch

from kd.data.datamodules import CloneDetectionDataModule
from kd.data.demo import ensure_demo_data
from kd.data.encoding import CodeEncoder
from kd.data.splits import BucketBatchSampler
from kd.distributed import local_zero_first
from kd.models.inference import predict_logits
from kd.models.io import load_classifier, save_model_dir
from tests.kd.helpers import tiny_fit_args, tiny_model

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("n,batch,replicas", [(100, 8, 2), (17, 4, 3), (5, 4, 4), (64, 16, 2)])
def test_training_shards_cover_every_batch_with_equal_steps(n: int, batch: int, replicas: int) -> None:
    lengths = [(i * 37) % 23 + 1 for i in range(n)]
    whole = list(BucketBatchSampler(lengths, batch, shuffle=True, seed=3))
    shards = [
        list(BucketBatchSampler(lengths, batch, shuffle=True, seed=3, num_replicas=replicas, rank=r))
        for r in range(replicas)
    ]
    steps = {len(s) for s in shards}
    assert len(steps) == 1, "every rank must run the same number of training steps"
    assert steps == {len(BucketBatchSampler(lengths, batch, num_replicas=replicas, rank=0))}
    seen = [b for s in shards for b in s]
    # every batch of the single-process epoch is trained on; extra ones only repeat existing batches
    assert all(b in seen for b in whole)
    assert all(b in whole for b in seen)
    assert len(seen) - len(whole) < replicas
    assert sorted(i for b in whole for i in b) == list(range(n))


def test_evaluation_shards_partition_the_split_without_repeats() -> None:
    lengths = list(range(1, 43))
    shards = [list(BucketBatchSampler(lengths, 8, shuffle=False, num_replicas=2, rank=r)) for r in range(2)]
    examples = sorted(i for s in shards for b in s for i in b)
    assert examples == list(range(42))  # each example scored exactly once across the ranks
    assert [len(s) for s in shards] == [
        len(BucketBatchSampler(lengths, 8, False, num_replicas=2, rank=r)) for r in range(2)
    ]


class _Rank:
    """The attributes of a Trainer the datamodule reads under DDP (world size, ranks, a barrier)."""

    def __init__(self, rank: int, world: int) -> None:
        self.world_size, self.global_rank, self.local_rank = world, rank, rank
        self.strategy = SimpleNamespace(barrier=lambda name=None: None)


@pytest.mark.parametrize("bucket", [True, False])
def test_datamodule_loaders_shard_disjointly_and_keep_length_buckets(demo_root: Path, bucket: bool) -> None:
    """The loaders a DDP fit builds on each of 2 ranks: the training shards are disjoint and cover the split;
    with bucketing every batch still holds similar lengths (on each rank, as in one process); the evaluation
    shards score every example once. ``bucket=False`` is torch's DistributedSampler path."""
    data = demo_root / "bigclonebench"
    tok = tiny_model(n_inputs=2)[1]
    n, batch = 40, 4

    def batches(rank: int, name: str) -> list[list[int]]:
        dm = CloneDetectionDataModule(
            str(data), batch_size=batch, eval_batch_size=batch, max_length=400, max_train_examples=n,
            max_eval_examples=n - 3, bucket_by_length=bucket, cache_tokens=False,
        )  # fmt: skip
        dm.trainer = _Rank(rank, 2)  # type: ignore[assignment]
        loader = dm.loader(name, tok, shuffle=name == "train")
        return [b["index"].tolist() for b in loader]

    train = [batches(r, "train") for r in range(2)]
    assert len(train[0]) == len(train[1]) == n // batch // 2  # equal steps per rank
    shard_examples = [{i for b in shard for i in b} for shard in train]
    assert not shard_examples[0] & shard_examples[1]  # disjoint: no example trained twice per epoch
    assert shard_examples[0] | shard_examples[1] == set(range(n))
    if bucket:
        # Bucketing, defined independently of the sampler: with the whole split in one window, the batches are
        # consecutive runs of the length-sorted split, so no two batches' length ranges overlap — across ranks too.
        dm = CloneDetectionDataModule(str(data), max_length=400, max_train_examples=n)
        split, enc = dm.split("train"), CodeEncoder(tok, 400)
        length = [max(len(enc.encode(t)) for t in split.texts(i)) for i in range(n)]
        spans = sorted((min(length[i] for i in b), max(length[i] for i in b)) for s in train for b in s)
        assert all(hi <= lo2 for (_, hi), (lo2, _) in zip(spans, spans[1:], strict=False)), spans
        assert spans[0][1] < spans[-1][0]  # the lengths really differ (not all truncated to max_length)
    evaluation = [i for r in range(2) for b in batches(r, "val") for i in b]
    assert sorted(evaluation) == list(range(n - 3))  # every validation example scored exactly once


@pytest.mark.parametrize("local_rank", [0, 1])
def test_local_zero_first_orders_the_work_around_one_barrier(local_rank: int) -> None:
    events: list[str] = []
    trainer = _Rank(local_rank, 2)
    trainer.strategy = SimpleNamespace(barrier=lambda name=None: events.append(f"barrier {name}"))
    assert local_zero_first(trainer, "x", lambda: events.append("work") or 7) == 7
    # local rank 0 works, then releases the others; they wait for it, then read what it wrote
    assert events == (["work", "barrier x"] if local_rank == 0 else ["barrier x", "work"])
    assert local_zero_first(None, "x", lambda: 3) == 3  # outside a fit: just the work


def test_local_zero_first_reaches_the_barrier_when_rank_zero_fails() -> None:
    events: list[str] = []
    trainer = _Rank(0, 2)
    trainer.strategy = SimpleNamespace(barrier=lambda name=None: events.append("barrier"))

    def fail() -> None:
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        local_zero_first(trainer, "x", fail)
    assert events == ["barrier"]  # the other ranks are released rather than left waiting


def test_bad_rank_is_named() -> None:
    with pytest.raises(ValueError, match="rank 2"):
        BucketBatchSampler([1, 2], 1, num_replicas=2, rank=2)


@pytest.mark.slow
def test_ddp_fit_on_two_cpu_processes(tmp_path: Path) -> None:
    torch.manual_seed(0)
    model, tok = tiny_model(n_inputs=2)
    teacher = save_model_dir(model, tok, tmp_path / "teacher")
    data = ensure_demo_data(tmp_path / "demo") / "bigclonebench"
    export = tmp_path / "student"
    args = tiny_fit_args(
        tmp_path,
        data,
        teacher,
        6,
        experiment="ddp",
        extra=[
            "--model.export_dir",
            str(export),
            "--trainer.strategy",
            "ddp",
            "--trainer.devices",
            "2",
            "--trainer.callbacks+=fidelity.callback.FidelityCallback",
            "--trainer.callbacks.n_probe=6",
            "--trainer.callbacks.attacks=[mhm]",
            "--trainer.callbacks.attack_max_queries=4",
            "--trainer.callbacks.n_attack=3",
        ],
    )
    env = dict(os.environ)
    env.pop("MLFLOW_TRACKING_URI", None)
    env.update(METACOMPRESS_CACHE=str(tmp_path / "cache"), PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1")
    proc = subprocess.run(
        [sys.executable, str(ROOT / "train.py"), *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    log = proc.stdout + proc.stderr
    # the teacher ran once (rank 0), the other rank read its cache
    assert log.count("teacher outputs: computed for") == 1, log[-4000:]
    assert log.count("teacher outputs: cache hit") == 1

    client = mlflow.MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    exp = client.get_experiment_by_name("ddp")
    assert exp is not None
    (run,) = client.search_runs([exp.experiment_id])  # one run per fit, not one per rank
    run_id = run.info.run_id
    assert [m.step for m in client.get_metric_history(run_id, "train/loss")] == list(range(6))
    for key in ("fidelity/all/agreement_violation", "val/acc"):
        steps = [m.step for m in client.get_metric_history(run_id, key)]
        assert steps and len(steps) == len(set(steps)), (key, steps)  # once per validation, no rank twice
    assert len(client.get_metric_history(run_id, "fidelity/probe/build_seconds")) == 1

    # the test accuracy DDP logged (two shards, synced) equals the exported model scored in one process
    loaded = load_classifier(str(export), 2)
    split = CloneDetectionDataModule(str(data), max_length=64, max_eval_examples=16).split("test")
    examples = [split.texts(i) for i in range(len(split))]
    logits = predict_logits(loaded.model, CodeEncoder(loaded.tokenizer, 64), examples, 8)
    acc = (logits.argmax(-1) == split.labels()).float().mean().item()
    assert run.data.metrics["test/acc"] == pytest.approx(acc, abs=1e-6)
