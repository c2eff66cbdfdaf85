"""Work that every rank of a data-parallel fit needs but only one per node should do: building a cache file.

Under DDP each rank calls the same hooks at the same time. A cache (teacher logits, token ids, metamorphic
variants, a trained tokenizer) computed in such a hook would be computed by every rank; :func:`local_zero_first`
lets local rank 0 of each node compute and write it while the node's other ranks wait at a barrier, then read
the file it wrote. With ``METACOMPRESS_CACHE`` on a shared filesystem the work is done once per fit, on
node-local caches once per node — never once per rank.

Every rank must reach the call (it holds a barrier): call it from hooks all ranks run, never from code that runs on
one rank only (``FidelityCallback``'s evaluation, ``if trainer.is_global_zero:`` blocks).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def local_zero_first(trainer: Any, name: str, work: Callable[[], T]) -> T:
    """``work()`` on local rank 0 first, then (after a barrier named ``name``) on the node's other ranks.

    Outside a multi-process fit (no trainer, or world size 1) it is just ``work()``. If rank 0's ``work`` raises,
    the barrier is still reached, so the other ranks do not wait forever; rank 0 re-raises.
    """
    if trainer is None or int(getattr(trainer, "world_size", 1)) <= 1:
        return work()
    first = int(trainer.local_rank) == 0
    result: T | None = None
    try:
        if first:
            result = work()
    finally:
        trainer.strategy.barrier(name)
    if first:
        return result  # type: ignore[return-value]
    return work()
