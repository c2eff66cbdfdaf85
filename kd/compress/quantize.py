"""Post-training quantization for CPU: dynamic int8 of every ``nn.Linear``, or float16 / bfloat16 weights.

int8-dynamic uses ``torch.ao.quantization.quantize_dynamic`` (weights int8 with a scale per tensor, or per
output channel with ``per_channel``; activations quantized on the fly). Its packed weights are TorchScript
objects that ``torch.load(weights_only=True)`` cannot read, so the model dir stores each quantized weight as
plain tensors — the int8 values, scale(s) and zero point(s) — and :func:`restore_int8` rebuilds the very same
quantized tensors on load (exact: the int8 values are stored, nothing is re-rounded).
"""

from __future__ import annotations

import warnings
from typing import Literal

import torch
from torch import nn

Mode = Literal["int8-dynamic", "fp16", "bf16"]
MODES: tuple[Mode, ...] = ("int8-dynamic", "fp16", "bf16")
DTYPES = {"fp16": torch.float16, "bf16": torch.bfloat16}
INT8_SUFFIXES = ("weight_int8", "weight_scale", "weight_zero_point")


def check_mode(mode: str) -> Mode:
    if mode not in MODES:
        raise ValueError(f"Expected `mode` in {MODES}, got {mode!r}")
    return mode  # type: ignore[return-value]


def _dynamic_quantize(model: nn.Module, per_channel: bool) -> nn.Module:
    from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig, quantize_dynamic

    qconfig = per_channel_dynamic_qconfig if per_channel else default_dynamic_qconfig
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        return quantize_dynamic(model, {nn.Linear: qconfig}, dtype=torch.qint8, inplace=True)


def _is_dynamic_linear(module: nn.Module) -> bool:
    from torch.ao.nn.quantized.dynamic import Linear as DynamicLinear

    return isinstance(module, DynamicLinear)


def quantize_int8(model: nn.Module, per_channel: bool = False) -> tuple[nn.Module, dict[str, torch.Tensor]]:
    """Quantize ``model`` in place; returns it and a plain-tensor state dict (loadable with weights_only)."""
    model = _dynamic_quantize(model.eval(), per_channel)
    state: dict[str, torch.Tensor] = {}
    for name, module in model.named_modules():
        if not _is_dynamic_linear(module):
            continue
        weight, bias = module._packed_params._weight_bias()
        state[f"{name}.weight_int8"] = weight.int_repr().clone()
        if per_channel:
            state[f"{name}.weight_scale"] = weight.q_per_channel_scales().float().clone()
            state[f"{name}.weight_zero_point"] = weight.q_per_channel_zero_points().clone()
        else:
            state[f"{name}.weight_scale"] = torch.tensor([weight.q_scale()], dtype=torch.float32)
            state[f"{name}.weight_zero_point"] = torch.tensor([weight.q_zero_point()], dtype=torch.int64)
        if bias is not None:
            state[f"{name}.bias"] = bias.detach().clone()
    float_state = {k: v for k, v in model.state_dict().items() if isinstance(v, torch.Tensor)}
    # Float parts (embeddings, LayerNorms): everything the quantized modules do not own.
    quantized = {k.rsplit(".", 1)[0] for k in state if k.endswith(".weight_int8")}
    for key, value in float_state.items():
        owner = key.rsplit(".", 1)[0]
        if owner not in quantized and not any(key.startswith(q + ".") for q in quantized):
            state[key] = value
    return model, state


def _qtensor(state: dict[str, torch.Tensor], name: str, per_channel: bool) -> torch.Tensor:
    try:
        values = state[f"{name}.weight_int8"]
        scale = state[f"{name}.weight_scale"].double()
        zero = state[f"{name}.weight_zero_point"].long()
    except KeyError as exc:
        raise ValueError(f"int8 model dir: missing {exc.args[0]!r} in model.pt") from exc
    if per_channel:
        return torch._make_per_channel_quantized_tensor(values, scale, zero, 0)
    return torch._make_per_tensor_quantized_tensor(values, float(scale), int(zero))


def dequantized_state(state: dict[str, torch.Tensor], per_channel: bool) -> dict[str, torch.Tensor]:
    """The stored int8 state as float weights (what the skeleton loads before it is quantized again)."""
    out = {k: v for k, v in state.items() if not k.endswith(INT8_SUFFIXES)}
    for key in state:
        if key.endswith(".weight_int8"):
            name = key.removesuffix(".weight_int8")
            out[f"{name}.weight"] = _qtensor(state, name, per_channel).dequantize()
    return out


def restore_int8(model: nn.Module, state: dict[str, torch.Tensor], per_channel: bool) -> nn.Module:
    """Float ``model`` (dequantized weights loaded) → the saved dynamic-int8 model, bit for bit."""
    model = _dynamic_quantize(model.eval(), per_channel)
    names = {k.removesuffix(".weight_int8") for k in state if k.endswith(".weight_int8")}
    found = set()
    for name, module in model.named_modules():
        if _is_dynamic_linear(module):
            if name not in names:
                raise ValueError(f"int8 model dir has no quantized weight for Linear {name!r}")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                module.set_weight_bias(_qtensor(state, name, per_channel), state.get(f"{name}.bias"))
            found.add(name)
    if missing := names - found:
        raise ValueError(f"int8 weights for modules the model does not have: {sorted(missing)[:4]}")
    return model


class CastInputs:
    """Forward pre-hook: cast floating inputs to the module's dtype (callers hand a fp16 head fp32 vectors)."""

    def __init__(self, dtype: torch.dtype) -> None:
        self.dtype = dtype

    def __call__(self, module: nn.Module, args: tuple) -> tuple:
        return tuple(
            a.to(self.dtype) if isinstance(a, torch.Tensor) and a.is_floating_point() else a for a in args
        )


def to_dtype(model: nn.Module, mode: Mode) -> nn.Module:
    """fp16 / bf16: every floating parameter and buffer in that dtype; the head accepts fp32 inputs."""
    dtype = DTYPES[mode]
    model.to(dtype)
    head = getattr(model, "classifier", None)
    if head is not None:
        head.register_forward_pre_hook(CastInputs(dtype))
    return model
