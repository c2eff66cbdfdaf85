"""Unstructured global magnitude pruning (``torch.nn.utils.prune.global_unstructured``, L1 criterion).

The weights of every ``nn.Linear`` (the encoder's projections and the classifier head; embeddings and
LayerNorms are left alone, as is usual for BERT pruning) are ranked together and the ``sparsity`` fraction with
the smallest magnitude is zeroed: ``round(sparsity · N)`` of the N weights, exactly. The model keeps its shape
(dense storage): this saves neither bytes on disk nor CPU time without sparse kernels, which the evidence
tables show.
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn
from torch.nn.utils import prune


def prunable(model: nn.Module) -> list[tuple[nn.Module, str]]:
    return [(m, "weight") for m in model.modules() if isinstance(m, nn.Linear)]


def check_sparsity(sparsity: float) -> float:
    if not 0.0 < sparsity < 1.0:
        raise ValueError(f"Expected `sparsity` in (0, 1), got {sparsity}")
    return float(sparsity)


def add_masks(model: nn.Module, sparsity: float) -> nn.Module:
    """Global L1 pruning as a reparametrisation (``weight = weight_orig * weight_mask``): fine-tuning keeps
    the pruned weights at zero. :func:`make_permanent` folds the masks in."""
    params = prunable(model)
    if not params:
        raise ValueError(f"{type(model).__name__} has no nn.Linear weights to prune")
    prune.global_unstructured(params, pruning_method=prune.L1Unstructured, amount=check_sparsity(sparsity))
    return model


def make_permanent(model: nn.Module) -> nn.Module:
    for module, name in prunable(model):
        if prune.is_pruned(module) and hasattr(module, f"{name}_mask"):
            prune.remove(module, name)
    return model


def dense_copy(model: nn.Module) -> nn.Module:
    """A copy with the masks folded in; ``model`` keeps its masks (fine-tuning goes on). A masked module's
    ``weight`` is a non-leaf tensor that ``deepcopy`` refuses, so it is refreshed as a detached one first (the
    pruning hook recomputes it at the next forward anyway)."""
    import copy

    for module, name in prunable(model):
        if hasattr(module, f"{name}_mask"):
            orig, mask = getattr(module, f"{name}_orig"), getattr(module, f"{name}_mask")
            setattr(module, name, (orig * mask).detach())
    return make_permanent(copy.deepcopy(model))


def prune_unstructured(model: nn.Module, sparsity: float) -> nn.Module:
    """Zero the ``sparsity`` fraction of smallest-magnitude Linear weights in place (masks folded in)."""
    return make_permanent(add_masks(model, sparsity))


def linear_sparsity(model: nn.Module) -> float:
    """Fraction of zeros among the Linear weights (what :func:`prune_unstructured` targets)."""
    weights = [cast(torch.Tensor, m.weight).detach() for m, _ in prunable(model)]
    total = sum(w.numel() for w in weights)
    zeros = sum(int((w == 0).sum()) for w in weights)
    return zeros / total if total else 0.0


def nonzero_parameters(model: nn.Module) -> int:
    return sum(int(torch.count_nonzero(p.detach())) for p in model.parameters() if p.is_floating_point())
