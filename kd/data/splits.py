"""In-memory dataset splits: examples refer to functions by id, so pairs share encodings."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
from torch.utils.data import Dataset, Sampler

from kd.data.encoding import CodeEncoder


@dataclass(frozen=True)
class CodeSplit:
    """One split: ``items[i] = (function ids, label)``; ``functions`` maps id → code."""

    name: str
    items: list[tuple[tuple[str, ...], int]]
    functions: dict[str, str]

    def __len__(self) -> int:
        return len(self.items)

    def texts(self, i: int) -> tuple[str, ...]:
        return tuple(self.functions[f] for f in self.items[i][0])

    def labels(self) -> torch.Tensor:
        return torch.tensor([label for _, label in self.items], dtype=torch.long)

    def function_ids(self) -> list[str]:
        return list(dict.fromkeys(f for ids, _ in self.items for f in ids))

    def fingerprint(self) -> str:
        """Content hash of the split (ids, labels and the code they refer to)."""
        h = hashlib.sha256()
        for ids, label in self.items:
            h.update(("\t".join(ids) + f"\t{label}\n").encode())
        for fid in sorted(self.function_ids()):
            h.update(hashlib.sha256(self.functions[fid].encode("utf-8", "replace")).digest())
        return h.hexdigest()[:20]

    def subset(self, n: int | None, seed: int = 0) -> CodeSplit:
        if n is None or n >= len(self.items):
            return self
        picked = sorted(random.Random(seed).sample(range(len(self.items)), n))
        return CodeSplit(self.name, [self.items[i] for i in picked], self.functions)


class IndexDataset(Dataset[int]):
    """Yields example indices; the collator does the (cached) encoding."""

    def __init__(self, split: CodeSplit) -> None:
        self.split = split

    def __len__(self) -> int:
        return len(self.split)

    def __getitem__(self, i: int) -> int:
        return i


class Collator:
    """Index batch → padded tensors. Pairs are flattened to (2B, L): each function encoded alone."""

    def __init__(self, split: CodeSplit, encoder: CodeEncoder) -> None:
        self.split = split
        self.encoder = encoder

    def __call__(self, indices: Sequence[int]) -> dict[str, torch.Tensor]:
        texts = [t for i in indices for t in self.split.texts(i)]
        batch = self.encoder.batch(texts)
        batch["labels"] = torch.tensor([self.split.items[i][1] for i in indices], dtype=torch.long)
        batch["index"] = torch.tensor(list(indices), dtype=torch.long)
        return batch


class BucketBatchSampler(Sampler[list[int]]):
    """Length bucketing: shuffle, sort within windows of ``window`` batches by length, shuffle batches.

    Keeps batches of similar length together so dynamic padding wastes little, while the order of
    batches stays random. Deterministic for a seed and epoch.
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_size: int,
        shuffle: bool = True,
        seed: int = 0,
        window: int = 50,
        num_replicas: int = 1,
        rank: int = 0,
    ) -> None:
        if not 0 <= rank < num_replicas:
            raise ValueError(f"rank {rank} is not in [0, num_replicas={num_replicas})")
        self.lengths = list(lengths)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.seed = seed
        self.window = window
        self.epoch = 0
        self.num_replicas = num_replicas
        self.rank = rank

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        total = (len(self.lengths) + self.batch_size - 1) // self.batch_size
        if self._uneven(total):
            return (total - self.rank + self.num_replicas - 1) // self.num_replicas
        return (total + self.num_replicas - 1) // self.num_replicas

    def _uneven(self, n_batches: int) -> bool:
        """Evaluation shards are not padded (a repeated batch would count its examples twice in the metrics);
        training shards are, because DDP needs the same number of steps on every rank."""
        return not self.shuffle and n_batches >= self.num_replicas

    def __iter__(self) -> Iterator[list[int]]:
        yield from self._shard(self._all_batches())

    def _all_batches(self) -> list[list[int]]:
        order = list(range(len(self.lengths)))
        rng = random.Random(self.seed + self.epoch)
        if not self.shuffle:
            return [order[i : i + self.batch_size] for i in range(0, len(order), self.batch_size)]
        rng.shuffle(order)
        span = self.batch_size * self.window
        batches: list[list[int]] = []
        for start in range(0, len(order), span):
            chunk = sorted(order[start : start + span], key=self.lengths.__getitem__)
            batches.extend(chunk[i : i + self.batch_size] for i in range(0, len(chunk), self.batch_size))
        rng.shuffle(batches)
        return batches

    def _shard(self, batches: list[list[int]]) -> list[list[int]]:
        """Rank ``rank``'s batches: every ``num_replicas``-th batch of the same (seeded) order on every rank.

        Training ranks must run the same number of steps (DDP all-reduces every step), so when the batch count
        does not divide evenly the first batches are repeated to fill the last round — as ``DistributedSampler``
        pads. Evaluation shards differ by at most one batch and repeat nothing (see :meth:`_uneven`).
        Whole batches are sharded, not examples, so each batch keeps its similar lengths.
        """
        if self.num_replicas == 1 or not batches:
            return batches
        if self._uneven(len(batches)):
            return batches[self.rank :: self.num_replicas]
        rounds = (len(batches) + self.num_replicas - 1) // self.num_replicas
        padded = [batches[i % len(batches)] for i in range(rounds * self.num_replicas)]
        return padded[self.rank :: self.num_replicas]
