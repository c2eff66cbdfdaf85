"""Structured pruning of a RoBERTa-style :class:`CodeClassifier`: the pruned model is really smaller.

Four groups of units, each removed whole (rows/columns are sliced out, modules rebuilt smaller):

- ``layers``: whole transformer layers;
- ``heads``: attention heads (a head's Q/K/V rows and the matching columns of the attention output);
- ``ffn``: feed-forward neurons (a row of the intermediate dense, the column of the output dense);
- ``hidden``: residual-stream channels (a column of every embedding table and every reader of the stream, a
  row of every writer, an entry of every LayerNorm, and the head's input block(s)). Embeddings and the head
  are ~22 % of the 3 MB Compressor models, so a size of 1/5 cannot be reached without this group.

Importance (:func:`importance`) is ``magnitude`` (L2 norm of the unit's weights) or ``taylor``
(first-order Taylor, Molchanov et al. 2019: ``|Σ w · ∂L/∂w|`` over the unit's weights, gradients of the
cross-entropy summed over a calibration slice). :func:`plan_for_size` keeps the same fraction ``f`` of every
selected group (the most important units, ranked across layers; at least one head and one neuron per kept
layer) and bisects ``f`` to the largest model at or under the target parameter count.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import nn

from kd.cost import actual_param_count
from kd.models.classifier import CodeClassifier

Group = Literal["layers", "heads", "ffn", "hidden"]
GROUPS: tuple[Group, ...] = ("layers", "heads", "ffn", "hidden")
Importance = Literal["magnitude", "taylor"]
Batch = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # input_ids, attention_mask, labels
Piece = tuple[Any, tuple[Any, ...]]  # (parameter, index into it)


# -- shapes ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LayerShape:
    heads: int
    head_size: int
    intermediate: int


@dataclass(frozen=True)
class Structure:
    """Shapes of a (pruned) encoder: enough to rebuild the skeleton its state dict loads into."""

    hidden: int
    layers: tuple[LayerShape, ...]
    head_hidden: int  # width of the classifier head's dense layer (not pruned)

    def to_json(self) -> dict:
        return {
            "hidden": self.hidden,
            "head_hidden": self.head_hidden,
            "layers": [vars(s) for s in self.layers],
        }

    @classmethod
    def from_json(cls, data: dict) -> Structure:
        try:
            layers = tuple(
                LayerShape(int(s["heads"]), int(s["head_size"]), int(s["intermediate"]))
                for s in data["layers"]
            )
            return cls(int(data["hidden"]), layers, int(data.get("head_hidden", data["hidden"])))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"bad `structure` in compression recipe: {data!r} ({exc})") from exc


def _enc(model: CodeClassifier) -> Any:
    """The HF encoder, untyped: its submodules (embeddings, layers) are reached by attribute."""
    return model.encoder


def _head(model: CodeClassifier) -> Any:
    return model.classifier


def _layers(model: CodeClassifier) -> Any:
    try:
        return _enc(model).encoder.layer
    except AttributeError as exc:
        raise ValueError(
            f"structured pruning supports BERT/RoBERTa-style encoders (encoder.encoder.layer); got "
            f"{type(model.encoder).__name__}"
        ) from exc


def structure_of(model: CodeClassifier) -> Structure:
    shapes = []
    for layer in _layers(model):
        attn = layer.attention.self
        shapes.append(
            LayerShape(
                attn.query.out_features // attn.attention_head_size,
                attn.attention_head_size,
                layer.intermediate.dense.out_features,
            )
        )
    hidden = int(_enc(model).embeddings.LayerNorm.normalized_shape[0])  # the config may not be synced yet
    return Structure(hidden, tuple(shapes), int(_head(model).dense.out_features))


# -- keep plans and applying them ------------------------------------------------------------------
@dataclass
class KeepPlan:
    """Indices kept, in the source model's numbering (heads/neurons keyed by source layer index)."""

    layers: list[int]
    heads: dict[int, list[int]]
    neurons: dict[int, list[int]]
    hidden: list[int]
    fraction: float = 1.0
    groups: tuple[str, ...] = field(default_factory=tuple)

    def to_json(self) -> dict:
        return {
            "layers": self.layers,
            "heads": {str(k): v for k, v in self.heads.items()},
            "neurons": {str(k): len(v) for k, v in self.neurons.items()},
            "hidden": len(self.hidden),
            "fraction": self.fraction,
            "groups": list(self.groups),
        }


def _linear(old: nn.Linear, rows: torch.Tensor | None, cols: torch.Tensor | None) -> nn.Linear:
    w = old.weight.detach()
    b = old.bias.detach() if old.bias is not None else None
    if rows is not None:
        w = w[rows]
        b = b[rows] if b is not None else None
    if cols is not None:
        w = w[:, cols]
    new = nn.Linear(w.shape[1], w.shape[0], bias=b is not None, dtype=w.dtype, device=w.device)
    with torch.no_grad():
        new.weight.copy_(w)
        if b is not None and new.bias is not None:
            new.bias.copy_(b)
    return new


def _layernorm(old: nn.LayerNorm, idx: torch.Tensor) -> nn.LayerNorm:
    new = nn.LayerNorm(len(idx), eps=old.eps, dtype=old.weight.dtype)
    with torch.no_grad():
        new.weight.copy_(old.weight.detach()[idx])
        new.bias.copy_(old.bias.detach()[idx])
    return new


def _embedding(old: nn.Embedding, idx: torch.Tensor) -> nn.Embedding:
    new = nn.Embedding(old.num_embeddings, len(idx), padding_idx=old.padding_idx, dtype=old.weight.dtype)
    with torch.no_grad():
        new.weight.copy_(old.weight.detach()[:, idx])
    return new


def _head_blocks(model: CodeClassifier) -> int:
    return _head(model).dense.in_features // model.hidden_size


def apply_plan(model: CodeClassifier, plan: KeepPlan) -> CodeClassifier:
    """Slice ``model`` in place to the units ``plan`` keeps; returns it."""
    layers = _layers(model)
    h = model.hidden_size
    hid = torch.tensor(sorted(plan.hidden), dtype=torch.long)
    full_h = len(hid) == h
    emb = _enc(model).embeddings
    if not full_h:
        for name in ("word_embeddings", "position_embeddings", "token_type_embeddings"):
            if hasattr(emb, name):
                setattr(emb, name, _embedding(getattr(emb, name), hid))
        emb.LayerNorm = _layernorm(emb.LayerNorm, hid)
    kept = []
    for i in sorted(plan.layers):
        layer = layers[i]
        attn, out = layer.attention.self, layer.attention.output
        dh = attn.attention_head_size
        heads = sorted(plan.heads.get(i, range(attn.query.out_features // dh)))
        rows = torch.tensor([hd * dh + k for hd in heads for k in range(dh)], dtype=torch.long)
        cols = None if full_h else hid
        for name in ("query", "key", "value"):
            setattr(attn, name, _linear(getattr(attn, name), rows, cols))
        attn.num_attention_heads = len(heads)
        attn.all_head_size = len(heads) * dh
        out.dense = _linear(out.dense, None if full_h else hid, rows)
        neurons = torch.tensor(
            sorted(plan.neurons.get(i, range(layer.intermediate.dense.out_features))), dtype=torch.long
        )
        layer.intermediate.dense = _linear(layer.intermediate.dense, neurons, cols)
        layer.output.dense = _linear(layer.output.dense, None if full_h else hid, neurons)
        if not full_h:
            out.LayerNorm = _layernorm(out.LayerNorm, hid)
            layer.output.LayerNorm = _layernorm(layer.output.LayerNorm, hid)
        kept.append(layer)
    _enc(model).encoder.layer = nn.ModuleList(kept)
    if not full_h:
        blocks = _head_blocks(model)
        head_cols = torch.cat([hid + b * h for b in range(blocks)])
        _head(model).dense = _linear(_head(model).dense, None, head_cols)
    _sync_config(model)
    return model


def _sync_config(model: CodeClassifier) -> None:
    """Config fields that describe the pruned model (maxima where layers differ)."""
    config = _enc(model).config
    shape = structure_of(model)
    config.hidden_size = shape.hidden
    config.num_hidden_layers = len(shape.layers)
    if shape.layers:
        config.num_attention_heads = max(s.heads for s in shape.layers)
        config.intermediate_size = max(s.intermediate for s in shape.layers)


def reshape_to(model: CodeClassifier, structure: Structure) -> CodeClassifier:
    """Rebuild ``model``'s modules with ``structure``'s shapes (values are placeholders for load_state_dict)."""
    blocks = _head_blocks(model)
    h = structure.hidden
    emb = _enc(model).embeddings
    for name in ("word_embeddings", "position_embeddings", "token_type_embeddings"):
        if hasattr(emb, name):
            old = getattr(emb, name)
            setattr(emb, name, nn.Embedding(old.num_embeddings, h, padding_idx=old.padding_idx))
    emb.LayerNorm = nn.LayerNorm(h, eps=emb.LayerNorm.eps)
    layers = _layers(model)
    if len(layers) < len(structure.layers):
        raise ValueError(f"structure has {len(structure.layers)} layers, the skeleton only {len(layers)}")
    kept = []
    for layer, shape in zip(layers, structure.layers, strict=False):
        attn, out = layer.attention.self, layer.attention.output
        inner = shape.heads * shape.head_size
        for name in ("query", "key", "value"):
            setattr(attn, name, nn.Linear(h, inner))
        attn.attention_head_size = shape.head_size
        attn.scaling = shape.head_size**-0.5
        attn.num_attention_heads = shape.heads
        attn.all_head_size = inner
        out.dense = nn.Linear(inner, h)
        out.LayerNorm = nn.LayerNorm(h, eps=out.LayerNorm.eps)
        layer.intermediate.dense = nn.Linear(h, shape.intermediate)
        layer.output.dense = nn.Linear(shape.intermediate, h)
        layer.output.LayerNorm = nn.LayerNorm(h, eps=layer.output.LayerNorm.eps)
        kept.append(layer)
    _enc(model).encoder.layer = nn.ModuleList(kept)
    _enc(model).config.hidden_size = h
    inner = structure.head_hidden
    _head(model).dense = nn.Linear(blocks * h, inner)
    _head(model).out_proj = nn.Linear(inner, _head(model).out_proj.out_features)
    _sync_config(model)
    return model


# -- importance ------------------------------------------------------------------------------------
def _unit_slices(model: CodeClassifier) -> dict[Group, list[list[Piece]]]:
    """For every unit of every group: the (parameter, index) pieces that belong to it."""
    layers = _layers(model)
    h = model.hidden_size
    units: dict[Group, list[list[Piece]]] = {g: [] for g in GROUPS}
    pieces: list[Piece]
    for layer in layers:
        attn, out = layer.attention.self, layer.attention.output
        dh = attn.attention_head_size
        units["layers"].append([(p, (slice(None),)) for p in layer.parameters()])
        for hd in range(attn.query.out_features // dh):
            r = slice(hd * dh, (hd + 1) * dh)
            pieces = [(getattr(attn, n).weight, (r,)) for n in ("query", "key", "value")]
            pieces += [(getattr(attn, n).bias, (r,)) for n in ("query", "key", "value")]
            pieces.append((out.dense.weight, (slice(None), r)))
            units["heads"].append(pieces)
        inter, outp = layer.intermediate.dense, layer.output.dense
        for k in range(inter.out_features):
            units["ffn"].append([(inter.weight, (k,)), (inter.bias, (k,)), (outp.weight, (slice(None), k))])
    emb = _enc(model).embeddings
    tables = [
        getattr(emb, n).weight
        for n in ("word_embeddings", "position_embeddings", "token_type_embeddings")
        if hasattr(emb, n)
    ]
    blocks = _head_blocks(model)
    for d in range(h):
        pieces = [(t, (slice(None), d)) for t in tables]
        pieces += [(emb.LayerNorm.weight, (d,)), (emb.LayerNorm.bias, (d,))]
        for layer in layers:
            attn, out = layer.attention.self, layer.attention.output
            pieces += [(getattr(attn, n).weight, (slice(None), d)) for n in ("query", "key", "value")]
            pieces += [(layer.intermediate.dense.weight, (slice(None), d))]
            for writer, norm in ((out.dense, out.LayerNorm), (layer.output.dense, layer.output.LayerNorm)):
                pieces += [(writer.weight, (d,)), (writer.bias, (d,)), (norm.weight, (d,)), (norm.bias, (d,))]
        pieces += [(_head(model).dense.weight, (slice(None), d + b * h)) for b in range(blocks)]
        units["hidden"].append(pieces)
    return units


def _gradients(model: CodeClassifier, batches: Iterable[Batch]) -> dict[torch.Tensor, torch.Tensor]:
    """Cross-entropy gradients summed over ``batches`` (eval mode: no dropout, deterministic)."""
    was_training = model.training
    model.eval()
    model.zero_grad(set_to_none=True)
    n = 0
    with torch.enable_grad():
        for ids, mask, labels in batches:
            loss = nn.functional.cross_entropy(model(ids, mask), labels, reduction="sum")
            loss.backward()
            n += len(labels)
    if n == 0:
        raise ValueError("taylor importance needs at least one calibration batch")
    grads: dict[Any, torch.Tensor] = {
        p: (p.grad.detach().clone() if p.grad is not None else torch.zeros_like(p))
        for p in model.parameters()
    }
    model.zero_grad(set_to_none=True)
    model.train(was_training)
    return grads


def importance(
    model: CodeClassifier, kind: Importance = "magnitude", batches: Iterable[Batch] | None = None
) -> dict[Group, torch.Tensor]:
    """Score per unit of each group (higher = more important)."""
    if kind not in ("magnitude", "taylor"):
        raise ValueError(f"Expected `importance` in ('magnitude', 'taylor'), got {kind!r}")
    grads: dict[Any, torch.Tensor] = _gradients(model, batches or []) if kind == "taylor" else {}
    scores: dict[Group, torch.Tensor] = {}
    with torch.no_grad():
        for group, units in _unit_slices(model).items():
            vals = []
            for pieces in units:
                if kind == "magnitude":
                    vals.append(sum(float(p[idx].float().pow(2).sum()) for p, idx in pieces) ** 0.5)
                else:
                    vals.append(abs(sum(float((p[idx] * grads[p][idx]).float().sum()) for p, idx in pieces)))
            scores[group] = torch.tensor(vals, dtype=torch.float64)
    return scores


# -- choosing a plan -------------------------------------------------------------------------------
def _top(scores: torch.Tensor, k: int) -> list[int]:
    """Indices of the k highest scores; ties broken by the lower index (stable, deterministic)."""
    order = sorted(range(len(scores)), key=lambda i: (-float(scores[i]), i))
    return sorted(order[:k])


def plan_for_fraction(
    model: CodeClassifier, scores: dict[Group, torch.Tensor], fraction: float, groups: Sequence[str]
) -> KeepPlan:
    shape = structure_of(model)
    n_layers, h = len(shape.layers), shape.hidden

    def keep(n: int, group: str) -> int:
        return n if group not in groups else max(1, round(fraction * n))

    layers = _top(scores["layers"], keep(n_layers, "layers"))
    heads_per = [s.heads for s in shape.layers]
    neurons_per = [s.intermediate for s in shape.layers]
    heads = _per_layer(scores["heads"], heads_per, layers, keep(sum(heads_per[i] for i in layers), "heads"))
    neurons = _per_layer(scores["ffn"], neurons_per, layers, keep(sum(neurons_per[i] for i in layers), "ffn"))
    hidden = _top(scores["hidden"], keep(h, "hidden"))
    return KeepPlan(layers, heads, neurons, hidden, fraction, tuple(groups))


def _per_layer(scores: torch.Tensor, sizes: list[int], layers: list[int], total: int) -> dict[int, list[int]]:
    """Keep ``total`` units ranked across the kept layers, at least one in each kept layer."""
    offsets = [sum(sizes[:i]) for i in range(len(sizes))]
    chosen: dict[int, list[int]] = {}
    pool = []
    for i in layers:
        local = scores[offsets[i] : offsets[i] + sizes[i]]
        best = _top(local, 1)[0]
        chosen[i] = [best]
        pool += [(-float(local[j]), offsets[i] + j, i, j) for j in range(sizes[i]) if j != best]
    for _, _, i, j in sorted(pool)[: max(0, total - len(layers))]:
        chosen[i].append(j)
    return {i: sorted(v) for i, v in chosen.items()}


def plan_for_size(
    model: CodeClassifier,
    scores: dict[Group, torch.Tensor],
    target_params: int,
    groups: Sequence[str] = GROUPS,
    steps: int = 20,
) -> KeepPlan:
    """The largest uniform-fraction plan whose pruned model has at most ``target_params`` parameters."""
    bad = [g for g in groups if g not in GROUPS]
    if bad or not groups:
        raise ValueError(f"Expected `groups` from {GROUPS}, got {list(groups)}")

    def size(plan: KeepPlan) -> int:
        return actual_param_count(apply_plan(copy.deepcopy(model), plan))

    lo_plan = plan_for_fraction(model, scores, 0.0, groups)
    if size(lo_plan) > target_params:
        raise ValueError(
            f"target of {target_params:,} parameters is below the smallest model pruning {list(groups)} can make "
            f"({size(lo_plan):,}); add groups (e.g. hidden) or raise the target"
        )
    lo, hi, best = 0.0, 1.0, lo_plan
    for _ in range(steps):
        mid = (lo + hi) / 2
        plan = plan_for_fraction(model, scores, mid, groups)
        if size(plan) <= target_params:
            lo, best = mid, plan
        else:
            hi = mid
    return best
