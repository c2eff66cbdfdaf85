"""Pre-tokenised splits on disk: each split is tokenised once per (tokenizer, data, max length) and reused.

A fit tokenises every distinct function of its training split before the first batch (lengths for bucketing,
ids for the batches). Search trials, repeated fits and the teacher pass tokenise the same functions with the same
vocabulary again; this cache stores the ids of a split's distinct functions under
``$METACOMPRESS_CACHE/tokens/<key>.pt`` and primes a :class:`CodeEncoder`'s in-memory cache from it, so batches
are built from exactly the ids the encoder would have computed (bit-identical, see the tests).

The key is a hash of

- the encoder's fingerprint: the tokenizer's full serialisation (vocabulary, merges, normaliser,
  pre-tokenizer, special tokens), ``max_length`` and whitespace normalisation;
- the content of the split's distinct functions (their code, in the split's order);
- :data:`FORMAT`, the layout of the file.

Any change of one of them is a different file, never a stale hit. Writes are atomic (a per-process temporary
file renamed into place), so concurrent trials or ranks never read a half-written file; a file that fails to load
or does not match its key is recomputed and replaced.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

import torch

from kd.data.cache import cache_dir
from kd.data.encoding import CodeEncoder
from kd.data.splits import CodeSplit

log = logging.getLogger(__name__)
FORMAT = "tokens-v1"


def cache_root() -> Path:
    """``$METACOMPRESS_CACHE/tokens`` (default ``~/.cache/metacompress/tokens``), created if missing."""
    return cache_dir("tokens")


def content_hash(texts: list[str]) -> str:
    """sha256 over the texts in order (each text's own digest, so boundaries cannot shift)."""
    h = hashlib.sha256()
    for text in texts:
        h.update(hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest())
    return h.hexdigest()


def cache_key(encoder: CodeEncoder, texts: list[str]) -> str:
    """The file key for ``texts`` encoded by ``encoder``: tokenizer, max length, normalisation, content, format."""
    blob = f"{FORMAT}|{encoder.fingerprint()}|{content_hash(texts)}"
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def split_texts(split: CodeSplit) -> list[str]:
    """The split's distinct function texts, in first-use order (what a fit tokenises)."""
    return [split.functions[f] for f in split.function_ids()]


def _pack(ids: list[list[int]], key: str) -> dict[str, object]:
    offsets = torch.zeros(len(ids) + 1, dtype=torch.long)
    offsets[1:] = torch.tensor([len(s) for s in ids], dtype=torch.long).cumsum(0)
    flat = torch.tensor([t for s in ids for t in s], dtype=torch.int32)
    return {"format": FORMAT, "key": key, "offsets": offsets, "ids": flat}


def _unpack(blob: object, key: str, n: int) -> list[list[int]] | None:
    """The id lists stored in ``blob``, or None when it is not this key's file of ``n`` texts."""
    if not isinstance(blob, dict) or blob.get("format") != FORMAT or blob.get("key") != key:
        return None
    offsets, flat = blob.get("offsets"), blob.get("ids")
    if not isinstance(offsets, torch.Tensor) or not isinstance(flat, torch.Tensor) or len(offsets) != n + 1:
        return None
    if int(offsets[-1]) != len(flat):
        return None
    bounds = offsets.tolist()
    values = flat.tolist()
    return [values[bounds[i] : bounds[i + 1]] for i in range(n)]


def load_or_encode(encoder: CodeEncoder, texts: list[str], cache: Path | None = None) -> list[list[int]]:
    """``encoder.encode_many(texts)`` (distinct texts), read from the cache when present, else written to it.

    Either way the encoder's in-memory cache holds the ids afterwards, so its batches reuse them.
    """
    texts = list(dict.fromkeys(texts))
    root = cache if cache is not None else cache_root()
    key = cache_key(encoder, texts)
    path = root / f"{key}.pt"
    if path.is_file():
        try:
            ids = _unpack(torch.load(path, map_location="cpu", weights_only=True), key, len(texts))
        except Exception as exc:  # a damaged file is a miss, recomputed and replaced below
            log.warning("token cache: %s unreadable (%s); re-tokenising", path, exc)
            ids = None
        if ids is not None:
            encoder.prime(texts, ids)
            log.info("token cache: hit %s (%d texts)", path.name, len(texts))
            return ids
    ids = encoder.encode_many(texts)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    torch.save(_pack(ids, key), tmp)
    tmp.replace(path)  # atomic: a concurrent reader sees the old file or the whole new one
    log.info("token cache: tokenised %d texts, cached at %s", len(texts), path)
    return ids


def prime_for_split(encoder: CodeEncoder, split: CodeSplit) -> None:
    """Tokenise ``split``'s distinct functions into ``encoder`` through the on-disk cache."""
    load_or_encode(encoder, split_texts(split))
