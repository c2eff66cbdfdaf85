"""Size, parameter count, GFLOPs and measured latency of a student.

`param_count`, `size_mb` and `gflops` reproduce the ELECTRA-style counting that Compressor, AVATAR and MORPH
share (their `flops.py`), quirks included, so that searched sizes and reported numbers are comparable with the
papers. `exact_param_count` instead counts what transformers actually builds; the two differ by a fixed,
documented amount (see `exact_param_count`).

Notation: h hidden, L layers, s sequence length, V vocab, I intermediate, A heads.

Sequence length conventions (`paper_seq_len`):
- Compressor: s = 514 always (the position table size).
- AVATAR / MORPH, single-input tasks: s = the searched max_seq_len.
- AVATAR / MORPH, clone detection: s = 2 × max_seq_len (both functions of a pair are counted), which also
  doubles the position-embedding parameters in the size estimate: a quirk kept for comparability.
- ``spec``: s = the spec's own position table (`max_position_embeddings`), i.e. the size of what is built.
"""

from __future__ import annotations

import statistics
import time
from typing import Any, Literal

import torch

from kd.spec import StudentSpec

Head = Literal["single", "pair"]
Convention = Literal["compressor", "avatar_single", "avatar_clone", "spec"]


def paper_seq_len(spec: StudentSpec, convention: Convention = "compressor") -> int:
    """The s that a method plugs into the formulas (see the module docstring)."""
    if convention == "compressor":
        return 514
    if convention == "spec":
        return spec.max_position_embeddings
    # AVATAR/MORPH set max_position_embeddings = max_seq_len + 2.
    max_seq_len = spec.max_position_embeddings - 2
    if convention == "avatar_single":
        return max_seq_len
    if convention == "avatar_clone":
        return 2 * max_seq_len
    raise ValueError(
        f"Unknown convention {convention!r}; expected compressor, avatar_single, avatar_clone or spec"
    )


def _encoder_params(spec: Any, positions: Any) -> Any:
    h, i, v = spec.hidden_size, spec.intermediate_size, spec.vocab_size
    # word + position + token-type embeddings + LayerNorm; type_vocab_size 1 gives the paper's 3h.
    embeddings = v * h + positions * h + spec.type_vocab_size * h + 2 * h
    # Q, K, V, O projections with biases; FFN in and out; two LayerNorms.
    per_layer = 4 * (h * h + h) + (2 * h * i + i + h) + 4 * h
    return embeddings + spec.num_hidden_layers * per_layer


def _head_params(h: Any, head: Head, num_labels: int = 2) -> Any:
    """Classifier head: dense (h→h single, 2h→h pair), tanh, out_proj h→num_labels."""
    if head == "single":
        return h * h + h + num_labels * h + num_labels
    if head == "pair":
        return 2 * h * h + h + num_labels * h + num_labels
    raise ValueError(f"Unknown head {head!r}; expected 'single' or 'pair'")


def param_count_expr(arch: Any, positions: Any, head: Head = "single") -> Any:
    """`param_count` on any numbers that support + and * (ints, numpy arrays, z3 expressions), unchecked.

    ``arch`` needs the attributes hidden_size, intermediate_size, vocab_size, num_hidden_layers and
    type_vocab_size. The one formula both the size objective and the SMT pruning (`kd.search.smt`) evaluate.
    """
    h = arch.hidden_size
    return _encoder_params(arch, positions) + (h * h + h) + _head_params(h, head)


def param_count(spec: StudentSpec, seq_len: int | None = None, head: Head = "single") -> int:
    """Parameters as the papers count them: embeddings + L layers + head.

    The papers' head term is 2(h² + h) + 2h + 2, i.e. a pooler (h→h) plus RoBERTa's classification head. With
    `head="pair"` the classifier dense is Compressor's clone head (2h→h) instead, pooler kept; that equals the
    released 3 MB clone checkpoint exactly. `seq_len` (the s of the formula, default
    `spec.max_position_embeddings`) sizes the position table.
    """
    s = spec.max_position_embeddings if seq_len is None else seq_len
    if s < 1:
        raise ValueError(f"seq_len must be >= 1, got {seq_len}")
    return int(param_count_expr(spec, s, head))


def exact_param_count(
    spec: StudentSpec, head: Head | None = "single", pooler: bool = False, num_labels: int = 2
) -> int:
    """Parameters of the model transformers builds (absolute positions, tied embeddings counted once).

    `head="single", pooler=False` is `RobertaForSequenceClassification`, which drops the pooler, so it is
    h² + h smaller than `param_count(spec)`. `head="pair", pooler=True` is Compressor's clone model.
    `head=None` counts the bare `RobertaModel`.
    """
    h = spec.hidden_size
    total = _encoder_params(spec, spec.max_position_embeddings)
    if pooler:
        total += h * h + h
    if head is not None:
        total += _head_params(h, head, num_labels)
    return total


def size_mb(spec: StudentSpec, seq_len: int | None = None, head: Head = "single") -> float:
    """fp32 size in MB (10⁶ bytes) as the papers report it: `param_count` × 4 / 1e6."""
    return param_count(spec, seq_len, head) * 4 / 1e6


def flops(spec: StudentSpec, seq_len: int | None = None) -> int:
    """Inference FLOPs for one sequence of length s: s × [L·block + emb + cls] (per-token terms).

    - block: QKV 6h² + 3h, scores and weighted sum 4hs, softmax/dropout/scale 10·s·A per head, output
      projection 2h², 11h, LayerNorm counted as a constant 5 (the papers' quirk; the FFN LayerNorm is 5h),
      FFN 4hI + 9I + 5h.
    - emb: the lookup counted as a V×h matmul 2hV, positions 2h(s+2), 2h + 5h + 4h.
    - cls: 2h² + 15h.
    """
    s = spec.max_position_embeddings if seq_len is None else seq_len
    if s < 1:
        raise ValueError(f"seq_len must be >= 1, got {seq_len}")
    h, i, a, v = spec.hidden_size, spec.intermediate_size, spec.num_attention_heads, spec.vocab_size
    attention = 6 * h * h + 3 * h + 4 * h * s + 10 * s * a + 2 * h * h + 11 * h + 5
    ffn = 4 * h * i + 9 * i + 5 * h
    emb = 2 * h * v + 2 * h * (s + 2) + 2 * h + 5 * h + 4 * h
    cls = 2 * h * h + 15 * h
    return s * (spec.num_hidden_layers * (attention + ffn) + emb + cls)


def gflops(spec: StudentSpec, seq_len: int | None = None) -> float:
    """`flops` / 1e9. Compressor uses s = 514 (the default for its position table)."""
    return flops(spec, seq_len) / 1e9


def actual_param_count(model: torch.nn.Module) -> int:
    """Floating-point parameters of a built model (shared tensors counted once, int buffers excluded)."""
    return sum(p.numel() for p in model.parameters() if p.is_floating_point())


def measure_latency(
    model: torch.nn.Module, input_ids_batch: torch.Tensor, warmup: int = 2, repeats: int = 5
) -> float:
    """Median wall-clock seconds per example of `model(input_ids_batch)` in eval / inference mode.

    The median over `repeats` timed batches resists the odd slow run on a shared CPU; `warmup` untimed batches
    absorb one-off allocation costs. The model's train/eval mode is restored afterwards. Meant for CPU, as the
    papers' latency numbers; on CUDA inputs each call is synchronised so the timing is still wall-clock.
    """
    if input_ids_batch.dim() < 1 or input_ids_batch.shape[0] == 0:
        raise ValueError(
            f"input_ids_batch must be a non-empty batch, got shape {tuple(input_ids_batch.shape)}"
        )
    if warmup < 0 or repeats < 1:
        raise ValueError(f"Expected warmup >= 0 and repeats >= 1, got warmup={warmup}, repeats={repeats}")
    was_training = model.training
    model.eval()
    times: list[float] = []
    try:
        with torch.inference_mode():
            for step in range(warmup + repeats):
                start = time.perf_counter()
                model(input_ids_batch)
                if input_ids_batch.is_cuda:
                    torch.cuda.synchronize()
                if step >= warmup:
                    times.append(time.perf_counter() - start)
    finally:
        model.train(was_training)
    return statistics.median(times) / input_ids_batch.shape[0]
