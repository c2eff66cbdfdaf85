"""Lightning DataModules for the two tasks, reading the CodeXGLUE formats from a local folder.

The tokenizer comes from the model being trained (``trainer.lightning_module.tokenizer``); this
module only decides which examples go where, how long inputs may be, and how batches are formed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import ClassVar, Literal

import lightning as L
from tokenizers import Tokenizer
from torch.utils.data import DataLoader

from kd import signals
from kd.data.encoding import CodeEncoder
from kd.data.formats import (
    DataError,
    OnError,
    SkipReport,
    check_label,
    read_functions,
    read_id_list,
    read_jsonl,
    read_pairs,
    require_file,
)
from kd.data.functions_cache import read_functions_cached
from kd.data.splits import BucketBatchSampler, CodeSplit, Collator, IndexDataset
from kd.data.token_cache import prime_for_split, split_texts
from kd.distributed import local_zero_first

log = logging.getLogger(__name__)
SplitName = Literal["train", "distill", "val", "test"]


class CodeDataModule(L.LightningDataModule):
    """Base: loads splits lazily, builds dynamic-padding loaders for any tokenizer."""

    task: ClassVar[str] = ""
    n_inputs: ClassVar[int] = 1

    def __init__(
        self,
        data_dir: str,
        batch_size: int = 16,
        eval_batch_size: int = 64,
        max_length: int = 400,
        num_workers: int = 0,
        on_error: OnError = "raise",
        max_train_examples: int | None = None,
        max_eval_examples: int | None = None,
        bucket_by_length: bool = True,
        seed: int = 0,
        cache_tokens: bool = True,
    ) -> None:
        super().__init__()
        if batch_size < 1 or eval_batch_size < 1:
            raise ValueError(f"Expected positive batch sizes, got {batch_size} / {eval_batch_size}")
        self.data_dir = Path(data_dir).expanduser()
        self.batch_size = batch_size
        self.eval_batch_size = eval_batch_size
        self.max_length = max_length
        self.num_workers = num_workers
        self.on_error: OnError = on_error
        self.max_train_examples = max_train_examples
        self.max_eval_examples = max_eval_examples
        self.bucket_by_length = bucket_by_length
        self.seed = seed
        # token ids of each split under $METACOMPRESS_CACHE/tokens, parsed functions files under …/functions
        self.cache_tokens = cache_tokens
        self.skips = SkipReport()
        self._splits: dict[str, CodeSplit] = {}
        self._encoders: dict[str, CodeEncoder] = {}

    # -- splits ---------------------------------------------------------------------------------
    def resolved_dir(self) -> Path:
        """``data_dir: demo`` selects the embedded demo data (generated on first use)."""
        if str(self.data_dir) == "demo":
            from kd.data.demo import ensure_demo_data

            folder = "bigclonebench" if self.task == "clone" else "devign"
            self.data_dir = ensure_demo_data() / folder
        return self.data_dir

    def split(self, name: SplitName) -> CodeSplit:
        if name not in self._splits:
            signals.phase("data")
            if not self.resolved_dir().is_dir():
                raise DataError(f"data_dir not found: {self.data_dir}")
            split = self._load_split(name)
            limit = self.max_train_examples if name in ("train", "distill") else self.max_eval_examples
            self._splits[name] = split.subset(limit, self.seed)
            if self.skips.total:
                log.warning("skipped records in %s: %s", self.data_dir, self.skips.summary())
        return self._splits[name]

    def _load_split(self, name: SplitName) -> CodeSplit:
        raise NotImplementedError

    def _read_functions(self) -> dict[str, dict]:
        """This module's ``functions_file``, through the parsed-file cache when ``cache_tokens`` is on."""
        path = self.data_dir / getattr(self, "functions_file", "functions.jsonl")
        if self.cache_tokens:
            return read_functions_cached(path, on_error=self.on_error, skips=self.skips)
        return read_functions(path, on_error=self.on_error, skips=self.skips)

    # -- encoding and loaders ------------------------------------------------------------------
    def encoder_for(self, tokenizer: Tokenizer) -> CodeEncoder:
        """One cached encoder per tokenizer, truncating to this module's ``max_length``."""
        enc = CodeEncoder(tokenizer, self.max_length)
        key = enc.fingerprint()
        return self._encoders.setdefault(key, enc)

    def loader(
        self, name: SplitName, tokenizer: Tokenizer, batch_size: int | None = None, shuffle: bool = False
    ) -> DataLoader:
        split = self.split(name)
        encoder = self.encoder_for(tokenizer)
        bs = batch_size or (self.batch_size if shuffle else self.eval_batch_size)
        collate = Collator(split, encoder)
        dataset = IndexDataset(split)
        if self.bucket_by_length:
            # Encode every distinct function once up front: lengths for bucketing, cache for batches. Under DDP
            # the node's first rank tokenises (and caches) while the others wait, then they read its cache file.
            trainer = getattr(self, "trainer", None) if self.cache_tokens else None  # in memory: each its own
            local_zero_first(trainer, f"tokens-{name}", lambda: self.pretokenize(encoder, split))
            lengths = [max(len(encoder.encode(t)) for t in split.texts(i)) for i in range(len(split))]
            replicas, rank = self._replicas()
            sampler = BucketBatchSampler(
                lengths, bs, shuffle=shuffle, seed=self.seed, num_replicas=replicas, rank=rank
            )
            return DataLoader(
                dataset, batch_sampler=sampler, collate_fn=collate, num_workers=self.num_workers
            )
        replicas, rank = self._replicas()
        if replicas > 1:
            from torch.utils.data.distributed import DistributedSampler

            # Training: DistributedSampler (it pads so every rank runs the same number of steps). Evaluation: every
            # replicas-th example, unpadded, so no example is scored twice (a padded repeat would skew the metrics).
            shard: DistributedSampler | list[int] = (
                DistributedSampler(dataset, replicas, rank, shuffle=True, seed=self.seed)
                if shuffle
                else list(range(rank, len(dataset), replicas))
            )
            return DataLoader(
                dataset, batch_size=bs, sampler=shard, collate_fn=collate, num_workers=self.num_workers
            )
        return DataLoader(
            dataset, batch_size=bs, shuffle=shuffle, collate_fn=collate, num_workers=self.num_workers
        )

    def pretokenize(self, encoder: CodeEncoder, split: CodeSplit) -> None:
        """Fill ``encoder``'s cache with every distinct function of ``split``: from the on-disk token cache
        (:mod:`kd.data.token_cache`, reused across epochs, fits and trials) when ``cache_tokens``."""
        if self.cache_tokens:
            prime_for_split(encoder, split)
        else:
            encoder.encode_many(split_texts(split))

    def _replicas(self) -> tuple[int, int]:
        """(world size, global rank) of the trainer's data-parallel strategy; (1, 0) outside one.

        The datamodule shards its own batches (``Trainer(use_distributed_sampler=False)``, the CLI's default):
        Lightning cannot inject a ``DistributedSampler`` into length-bucketed batches without losing the buckets.
        """
        trainer = getattr(self, "trainer", None)
        if trainer is None or trainer.world_size <= 1:
            return 1, 0
        return int(trainer.world_size), int(trainer.global_rank)

    def _model_tokenizer(self) -> Tokenizer:
        module = self.trainer.lightning_module if self.trainer is not None else None
        tok = getattr(module, "tokenizer", None)
        if tok is None:
            raise RuntimeError("the LightningModule must expose `tokenizer` (a tokenizers.Tokenizer)")
        return tok

    def _train_split_name(self) -> SplitName:
        module = self.trainer.lightning_module if self.trainer is not None else None
        return getattr(module, "train_split", "train")

    def train_dataloader(self) -> DataLoader:
        return self.loader(self._train_split_name(), self._model_tokenizer(), shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return self.loader("val", self._model_tokenizer())

    def test_dataloader(self) -> DataLoader:
        return self.loader("test", self._model_tokenizer())

    def predict_dataloader(self) -> DataLoader:
        return self.loader("test", self._model_tokenizer())

    def fingerprint(self, name: SplitName) -> str:
        return f"{self.task}-{name}-{self.split(name).fingerprint()}"


class CloneDetectionDataModule(CodeDataModule):
    """CodeXGLUE BigCloneBench: ``functions.jsonl`` (idx, func) + pair files ``idx1\\tidx2\\tlabel``.

    ``distill_file`` is the unlabeled half Compressor distils on (teacher labels it); when absent
    the labelled train file is used.
    """

    task = "clone"
    n_inputs = 2

    def __init__(
        self,
        data_dir: str,
        functions_file: str = "functions.jsonl",
        train_file: str = "train.txt",
        distill_file: str | None = "unlabeled_train.txt",
        valid_file: str = "valid.txt",
        test_file: str = "test.txt",
        **kwargs,
    ) -> None:  # type: ignore[no-untyped-def]
        super().__init__(data_dir, **kwargs)
        self.files = {
            "train": train_file,
            "distill": distill_file or train_file,
            "val": valid_file,
            "test": test_file,
        }
        self.functions_file = functions_file
        self._functions: dict[str, str] | None = None
        self.save_hyperparameters()

    def functions(self) -> dict[str, str]:
        if self._functions is None:
            recs = self._read_functions()
            self._functions = {k: r["func"] for k, r in recs.items()}
        return self._functions

    def _load_split(self, name: SplitName) -> CodeSplit:
        funcs = self.functions()
        pairs = read_pairs(self.data_dir / self.files[name], funcs, self.on_error, self.skips)
        return CodeSplit(name, [((a, b), y) for a, b, y in pairs], funcs)


class DefectDataModule(CodeDataModule):
    """Devign / CodeXGLUE defect detection: jsonl with ``func``, ``target``, ``idx``.

    Splits either as idx lists (``train.txt`` … beside ``functions.jsonl``) or as separate jsonl
    files (``train.jsonl``, ``valid.jsonl``, ``test.jsonl``): whichever exists.
    """

    task = "vulnerability"
    n_inputs = 1

    def __init__(
        self,
        data_dir: str,
        functions_file: str = "functions.jsonl",
        split_files: dict[str, str] | None = None,
        **kwargs,
    ) -> None:  # type: ignore[no-untyped-def]
        super().__init__(data_dir, **kwargs)
        self.functions_file = functions_file
        self.split_files = split_files
        self._records: dict[str, dict] | None = None
        self.save_hyperparameters()

    def records(self) -> dict[str, dict]:
        """``functions.jsonl`` read once and shared by every split (skips are counted once too)."""
        if self._records is None:
            require_file(self.data_dir / self.functions_file, "functions file")
            self._records = self._read_functions()
        return self._records

    def _files(self) -> dict[str, str]:
        if self.split_files:
            return {
                "train": self.split_files["train"],
                "distill": self.split_files.get("distill", self.split_files["train"]),
                "val": self.split_files["valid"],
                "test": self.split_files["test"],
            }
        if (self.data_dir / "train.txt").is_file():
            return {"train": "train.txt", "distill": "train.txt", "val": "valid.txt", "test": "test.txt"}
        return {"train": "train.jsonl", "distill": "train.jsonl", "val": "valid.jsonl", "test": "test.jsonl"}

    def _load_split(self, name: SplitName) -> CodeSplit:
        fname = self._files()[name]
        path = self.data_dir / fname
        if fname.endswith(".jsonl"):
            rows = read_jsonl(path, ("func", "target"), self.on_error, self.skips, text_key="func")
            funcs = {f"{name}:{i}": r["func"] for i, r in enumerate(rows)}
            items: list[tuple[tuple[str, ...], int]] = [
                ((f"{name}:{i}",), check_label(r["target"], f"{path} record {i + 1}"))
                for i, r in enumerate(rows)
            ]
            if not items:
                raise DataError(f"split {path} is empty")
            return CodeSplit(name, items, funcs)
        recs = self.records()
        ids = read_id_list(path, recs, self.on_error, self.skips)
        items = [((k,), check_label(recs[k].get("target"), f"{self.functions_file} idx {k}")) for k in ids]  # noqa: E501
        return CodeSplit(name, items, {k: recs[k]["func"] for k in ids})
