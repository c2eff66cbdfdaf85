"""Turning code into model inputs: whitespace collapse, tokenisation, truncation, <s>…</s> wrap.

This is the CodeXGLUE/Compressor preprocessing: ``" ".join(code.split())``, encode without special
tokens, keep ``max_length - 2`` ids, wrap with bos/eos. Padding is done per batch (dynamic), never
to a fixed length. Encodings of distinct functions are cached: BigCloneBench pairs reuse functions.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path

import torch
from tokenizers import Tokenizer

from kd.tokenization import normalize_whitespace

SPECIALS = {"bos": "<s>", "pad": "<pad>", "eos": "</s>", "unk": "<unk>"}


def load_backend_tokenizer(source: str | Path) -> Tokenizer:
    """A ``tokenizers.Tokenizer`` from a tokenizer.json file, a directory holding one, or a hub name."""
    path = Path(source)
    if path.is_file():
        return Tokenizer.from_file(str(path))
    if (path / "tokenizer.json").is_file():
        return Tokenizer.from_file(str(path / "tokenizer.json"))
    if path.exists():
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(str(path), trust_remote_code=False).backend_tokenizer
    from transformers import AutoTokenizer  # hub name, e.g. microsoft/codebert-base

    return AutoTokenizer.from_pretrained(str(source), trust_remote_code=False).backend_tokenizer


class CodeEncoder:
    """Encodes code for one model; keeps a cache of encoded texts."""

    def __init__(self, tokenizer: Tokenizer, max_length: int = 400, normalize: bool = True) -> None:
        if max_length < 3:
            raise ValueError(f"Expected `max_length` >= 3, got {max_length}")
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.normalize = normalize
        ids = {k: tokenizer.token_to_id(v) for k, v in SPECIALS.items()}
        missing = [SPECIALS[k] for k in ("bos", "eos", "pad") if ids[k] is None]
        if missing:
            raise ValueError(
                f"tokenizer has no special token(s) {', '.join(missing)}; "
                "expected a RoBERTa-style vocabulary with <s>, </s>, <pad>"
            )
        self.bos_id, self.eos_id, self.pad_id = (
            int(ids["bos"] or 0),
            int(ids["eos"] or 0),
            int(ids["pad"] or 0),
        )
        self._cache: dict[str, list[int]] = {}

    @classmethod
    def from_source(cls, source: str | Path, max_length: int = 400) -> CodeEncoder:
        return cls(load_backend_tokenizer(source), max_length)

    @property
    def vocab_size(self) -> int:
        return self.tokenizer.get_vocab_size(with_added_tokens=True)

    def fingerprint(self) -> str:
        """Identifies the preprocessing (vocabulary, merges, settings) for cache keys."""
        digest = hashlib.sha256(self.tokenizer.to_str().encode()).hexdigest()[:16]
        return f"{digest}-L{self.max_length}-n{int(self.normalize)}"

    def encode_many(self, texts: Sequence[str]) -> list[list[int]]:
        todo = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if todo:
            prepared = [normalize_whitespace(t) if self.normalize else t for t in todo]
            encs = self.tokenizer.encode_batch(prepared, add_special_tokens=False)
            keep = self.max_length - 2
            for text, enc in zip(todo, encs, strict=True):
                self._cache[text] = [self.bos_id, *enc.ids[:keep], self.eos_id]
        return [self._cache[t] for t in texts]

    def encode(self, text: str) -> list[int]:
        return self.encode_many([text])[0]

    def pad(self, seqs: Sequence[Sequence[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Right-pad to the longest sequence in the batch (dynamic padding)."""
        width = max((len(s) for s in seqs), default=1)
        ids = torch.full((len(seqs), width), self.pad_id, dtype=torch.long)
        for row, seq in enumerate(seqs):
            ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        return ids, ids.ne(self.pad_id).long()

    def batch(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        ids, mask = self.pad(self.encode_many(texts))
        return {"input_ids": ids, "attention_mask": mask}

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.tokenizer.save(str(directory / "tokenizer.json"))
        (directory / "encoding.json").write_text(
            json.dumps({"max_length": self.max_length, "normalize": self.normalize}, indent=2)
        )

    @classmethod
    def load(cls, directory: Path) -> CodeEncoder:
        meta_path = directory / "encoding.json"
        meta = json.loads(meta_path.read_text()) if meta_path.is_file() else {}
        enc = cls(load_backend_tokenizer(directory), int(meta.get("max_length", 400)))
        enc.normalize = bool(meta.get("normalize", True))
        return enc
