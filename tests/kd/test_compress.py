"""kd.compress: pruning and quantization of model dirs (tiny random-init models, CPU, seconds)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from torch import nn

from kd.compress.__main__ import main as compress_main
from kd.compress.api import StructuredSettings, prune_dir, quantize_dir, size_report
from kd.compress.structured import KeepPlan, apply_plan, structure_of
from kd.compress.unstructured import prune_unstructured
from kd.cost import actual_param_count
from kd.models.io import load_classifier, load_model_dir, save_model_dir
from kd.spec import StudentSpec
from tests.conftest import BCB, COMPRESSOR_3MB, needs_shared
from tests.kd.helpers import SNIPPETS, tiny_tokenizer

SPEC = StudentSpec(
    vocab_size=300, num_hidden_layers=2, hidden_size=16, num_attention_heads=4, intermediate_size=24
)


def _model(n_inputs: int = 2, seed: int = 0):  # type: ignore[no-untyped-def]
    from kd.models.io import from_config

    tok = tiny_tokenizer()
    torch.manual_seed(seed)
    model = from_config(SPEC.replace(vocab_size=tok.get_vocab_size()).to_roberta_config(), n_inputs, tok)
    return model.eval(), tok


def _batch(tok, n_inputs: int = 2) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[no-untyped-def]
    from kd.data.encoding import CodeEncoder

    enc = CodeEncoder(tok, 48)
    return enc.pad(enc.encode_many(SNIPPETS[: 4 * n_inputs]))


@pytest.fixture
def source(tmp_path: Path) -> Path:
    model, tok = _model()
    return save_model_dir(model, tok, tmp_path / "source", {"method": "teacher", "task": "clone"})


def _linear_weights(model: nn.Module) -> torch.Tensor:
    return torch.cat([m.weight.detach().flatten() for m in model.modules() if isinstance(m, nn.Linear)])


@pytest.mark.parametrize("sparsity", [0.5, 0.3, 0.9])
def test_unstructured_reaches_the_sparsity_exactly_by_smallest_magnitude(sparsity: float) -> None:
    model, _ = _model()
    before = _linear_weights(model)
    assert int((before == 0).sum()) == 0  # random init: every zero below comes from pruning
    prune_unstructured(model, sparsity)
    after = _linear_weights(model)
    zeros = after == 0
    assert int(zeros.sum()) == round(sparsity * before.numel())  # exactly the target, to the nearest weight
    # Global magnitude: every removed weight was no larger than every kept one.
    assert before[zeros].abs().max() <= before[~zeros].abs().min()
    assert torch.equal(after[~zeros], before[~zeros])  # the kept weights are untouched


def test_head_and_neuron_removal_equals_masking_them_in_the_full_model() -> None:
    """Independent reference: zeroing a head's / neuron's output columns in the unpruned model computes the
    same function as slicing the head / neuron out."""
    model, tok = _model()
    ids, mask = _batch(tok)
    plan = KeepPlan(
        layers=[0, 1],
        heads={0: [1, 3], 1: [0, 1, 2]},
        neurons={0: list(range(0, 24, 2)), 1: [5]},
        hidden=list(range(16)),
    )
    reference = _model()[0]
    dh = 16 // 4
    with torch.no_grad():
        for i, layer in enumerate(reference.encoder.encoder.layer):
            for hd in set(range(4)) - set(plan.heads[i]):
                layer.attention.output.dense.weight[:, hd * dh : (hd + 1) * dh] = 0
            for k in set(range(24)) - set(plan.neurons[i]):
                layer.output.dense.weight[:, k] = 0
        expected = reference(ids, mask)
        pruned = apply_plan(model, plan)(ids, mask)
    torch.testing.assert_close(pruned, expected, atol=1e-5, rtol=1e-5)
    assert [(s.heads, s.intermediate) for s in structure_of(model).layers] == [(2, 12), (3, 1)]


def test_structured_prune_shrinks_keeps_outputs_finite_and_loads(source: Path, tmp_path: Path) -> None:
    full = actual_param_count(load_model_dir(source).model)
    out = prune_dir(source, tmp_path / "pruned", "structured", settings=StructuredSettings(target_ratio=0.4))
    loaded = load_model_dir(out)
    n = actual_param_count(loaded.model)
    assert 0 < n <= 0.4 * full
    shape = structure_of(loaded.model)
    assert shape.hidden < 16 and len(shape.layers) <= 2
    ids, mask = _batch(loaded.tokenizer)
    logits = loaded.model(ids, mask)
    assert logits.shape == (4, 2) and torch.isfinite(logits).all()
    recipe = json.loads((out / "metacompress.json").read_text())["compression"]
    assert recipe["kind"] == "prune-structured" and recipe["sizes"]["params"] == n
    assert len(recipe["source_fingerprint"]) == 20 and recipe["ratio"] == pytest.approx(n / full)


def test_structured_target_below_the_smallest_model_is_a_clear_error(source: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="below the smallest model"):
        prune_dir(
            source,
            tmp_path / "p",
            "structured",
            settings=StructuredSettings(target_ratio=0.01, groups=("heads",)),
        )


@pytest.mark.parametrize("importance", ["magnitude", "taylor"])
def test_pruning_twice_with_the_same_settings_gives_the_same_model(
    source: Path, tmp_path: Path, importance: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kd.data.demo import ensure_demo_data

    data = str(ensure_demo_data(tmp_path / "demo") / "bigclonebench")
    settings = StructuredSettings(target_ratio=0.5, importance=importance)  # type: ignore[arg-type]
    dirs = [
        prune_dir(
            source,
            tmp_path / f"p{i}",
            "structured",
            settings=settings,
            data_dir=data,
            calibration_examples=16,
            max_length=48,
        )
        for i in range(2)
    ]
    a, b = (torch.load(d / "model.pt", weights_only=True) for d in dirs)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    plans = [json.loads((d / "metacompress.json").read_text())["compression"]["plan"] for d in dirs]
    assert plans[0] == plans[1]
    u = [prune_dir(source, tmp_path / f"u{i}", "unstructured", sparsity=0.5) for i in range(2)]
    ua, ub = (torch.load(d / "model.pt", weights_only=True) for d in u)
    assert all(torch.equal(ua[k], ub[k]) for k in ua)


def _single_linear_int8_bound(x: torch.Tensor, w: torch.Tensor, w_scale: float) -> torch.Tensor:
    """|y_int8 − y| ≤ Σ_j |W_ij|·e_x + |x_j|·e_w + e_w·e_x, with e_w = s_w/2 (weight rounding) and e_x the
    activation rounding of a per-tensor uint8 affine quantization, s_x/2 with s_x = (max(x,0) − min(x,0))/255."""
    s_x = float(x.clamp_min(0).max() - x.clamp_max(0).min()) / 255
    e_x, e_w = s_x / 2, w_scale / 2
    return w.abs().sum(1) * e_x + x.abs().sum(-1, keepdim=True) * e_w + w.shape[1] * e_w * e_x


def test_int8_is_close_to_float_within_the_rounding_bound_and_smaller_on_disk(
    source: Path, tmp_path: Path
) -> None:
    out = quantize_dir(source, "int8-dynamic", tmp_path / "int8")
    float_model, q = load_model_dir(source).model.eval(), load_model_dir(out).model
    # One layer against the analytic bound of its two roundings (weights and activations).
    x = torch.randn(6, 16)
    f_lin = float_model.encoder.encoder.layer[0].attention.self.query
    q_lin = q.encoder.encoder.layer[0].attention.self.query
    w_int8 = torch.load(out / "model.pt", weights_only=True)
    scale = float(w_int8["encoder.encoder.layer.0.attention.self.query.weight_scale"])
    err = (q_lin(x) - f_lin(x)).abs()
    assert (err <= _single_linear_int8_bound(x, f_lin.weight.detach(), scale) + 1e-6).all()
    assert err.max() > 0  # it really is quantized
    # Whole model (eval mode): probabilities within 0.05 of the float model's. One 8-bit step is ~0.8 % of the
    # largest weight / activation of a tensor; 0.05 leaves room for its accumulation over the layers (the 3 MB
    # test below checks real data, where 200 BigCloneBench pairs moved by at most 0.017 in development).
    ids, mask = _batch(load_model_dir(source).tokenizer)
    with torch.no_grad():
        diff = (q(ids, mask).softmax(-1) - float_model(ids, mask).softmax(-1)).abs().max()
    assert diff < 0.05
    assert (out / "model.pt").stat().st_size < (source / "model.pt").stat().st_size
    report = size_report(out)
    assert report["params_by_dtype"]["int8"] > 0 and report["payload_mb"] < report["params"] * 4 / 1e6


@pytest.mark.parametrize(
    "kind", ["int8-dynamic", "fp16", "bf16", "unstructured", "structured", "pruned+int8"]
)
def test_compressed_dirs_load_through_the_normal_loader_with_weights_only(
    source: Path, tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if kind in ("int8-dynamic", "fp16", "bf16"):
        out = quantize_dir(source, kind, tmp_path / kind)
    elif kind == "unstructured":
        out = prune_dir(source, tmp_path / kind, "unstructured", sparsity=0.5)
    else:
        out = prune_dir(source, tmp_path / "s", "structured", settings=StructuredSettings(target_ratio=0.5))
        if kind == "pruned+int8":
            out = quantize_dir(out, "int8-dynamic", tmp_path / kind)
    first = load_model_dir(out).model
    calls: list[dict] = []
    real_load = torch.load

    def spy(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(torch, "load", spy)
    loaded = load_classifier(str(out), 2)  # the path every tool takes (evaluate, teacher, callback)
    assert calls and all(c.get("weights_only") is True for c in calls)
    ids, mask = _batch(loaded.tokenizer)
    with torch.no_grad():
        a, b = first(ids, mask), loaded.model(ids, mask)
    assert torch.isfinite(b.float()).all()
    assert torch.equal(a, b)  # a reload is bit-identical (int8 values are stored, not re-rounded)
    meta = json.loads((out / "metacompress.json").read_text())
    assert meta["method"] in ("prune", "quantize") and meta["compression"]["source"]


def test_compress_cli_writes_dirs_and_reports_bad_input(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        compress_main(["quantize", "--model", str(source), "--mode", "fp16", "--output", str(tmp_path / "h")])
        == 0
    )
    assert json.loads(capsys.readouterr().out)["params_by_dtype"] == {
        "float16": actual_param_count(load_model_dir(source).model)
    }
    assert (
        compress_main(
            ["prune", "--model", str(source), "--method", "structured", "--output", str(tmp_path / "x")]
        )
        == 2
    )
    assert "target_ratio" in capsys.readouterr().err
    assert (
        compress_main(
            [
                "prune",
                "--model",
                str(source),
                "--method",
                "structured",
                "--ratio",
                "0.5",
                "--importance",
                "taylor",
                "--output",
                str(tmp_path / "y"),
            ]
        )
        == 2
    )
    assert "--data" in capsys.readouterr().err
    assert (
        compress_main(
            ["quantize", "--model", str(tmp_path / "none"), "--mode", "fp16", "--output", str(tmp_path / "z")]
        )
        == 2
    )


@needs_shared
def test_int8_3mb_clone_model_agrees_with_float_on_bigclonebench(tmp_path: Path) -> None:
    """64 test pairs: int8 predictions agree with the float model's on ≥ 63 and probabilities move ≤ 0.05.
    (Per-tensor int8 steps are max|w|/127.5; on 200 pairs in development the largest move was 0.017.)"""
    from kd.data.datamodules import CloneDetectionDataModule
    from kd.data.encoding import CodeEncoder
    from kd.models.inference import predict_logits

    src = COMPRESSOR_3MB / "clone"
    out = quantize_dir(src, "int8-dynamic", tmp_path / "int8")
    split = CloneDetectionDataModule(str(BCB), max_eval_examples=64).split("test")
    examples = [split.texts(i) for i in range(len(split))]
    base, q = load_classifier(str(src), 2), load_classifier(str(out), 2)
    pf = predict_logits(base.model, CodeEncoder(base.tokenizer, 400), examples).softmax(-1)
    pq = predict_logits(q.model, CodeEncoder(q.tokenizer, 400), examples).softmax(-1)
    assert int((pf.argmax(-1) == pq.argmax(-1)).sum()) >= 63
    assert float((pf - pq).abs().max()) <= 0.05
    assert (out / "model.pt").stat().st_size < 0.5 * (src / "model.bin").stat().st_size
