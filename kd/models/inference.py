"""Batched inference with function-level de-duplication.

A pair model encodes each function independently, so the ``<s>`` vector of every distinct function
is computed once and the head is applied per example. On BigCloneBench test (4,000 pairs over 911
functions) this is ~8.8× fewer encoder passes than encoding every pair.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from tqdm.auto import tqdm

from kd.data.encoding import CodeEncoder
from kd.models.classifier import CodeClassifier


@torch.inference_mode()
def embed_texts(
    model: CodeClassifier,
    encoder: CodeEncoder,
    texts: Sequence[str],
    batch_size: int = 64,
    progress: bool = False,
    desc: str = "encode",
) -> dict[str, torch.Tensor]:
    """Distinct text → ``<s>`` vector. Texts are sorted by length so each batch pads little."""
    unique = list(dict.fromkeys(texts))
    ids = encoder.encode_many(unique)
    order = sorted(range(len(unique)), key=lambda i: len(ids[i]))
    device = next(model.parameters()).device
    out: dict[str, torch.Tensor] = {}
    for start in tqdm(range(0, len(order), batch_size), desc=desc, disable=not progress, leave=False):
        chunk = order[start : start + batch_size]
        input_ids, mask = encoder.pad([ids[i] for i in chunk])
        vecs = model.embed(input_ids.to(device), mask.to(device)).float().cpu()
        for row, i in enumerate(chunk):
            out[unique[i]] = vecs[row]
    return out


@torch.inference_mode()
def predict_logits(
    model: CodeClassifier,
    encoder: CodeEncoder,
    examples: Sequence[tuple[str, ...]],
    batch_size: int = 64,
    progress: bool = False,
    desc: str = "predict",
) -> torch.Tensor:
    """Logits (N, C) for examples given as tuples of code texts (1 per example, or 2 for pairs)."""
    if not examples:
        return torch.empty(0, model.num_labels)
    was_training = model.training
    model.eval()
    try:
        flat = [t for ex in examples for t in ex]
        vectors = embed_texts(model, encoder, flat, batch_size, progress, desc)
        device = next(model.parameters()).device
        stacked = torch.stack([vectors[t] for t in flat])  # (N·k, h)
        step = 4096 * model.n_inputs  # whole examples per chunk
        logits = [
            model.classify(stacked[i : i + step].to(device)).float().cpu()
            for i in range(0, len(stacked), step)
        ]
        return torch.cat(logits)
    finally:
        model.train(was_training)
