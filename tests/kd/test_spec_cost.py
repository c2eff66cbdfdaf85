"""StudentSpec validation / conversion and the papers' size and FLOPs formulas against hand-computed values."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode
from transformers import RobertaConfig, RobertaForSequenceClassification, RobertaModel
from transformers.activations import ACT2FN

from kd.cost import (
    actual_param_count,
    exact_param_count,
    flops,
    gflops,
    measure_latency,
    paper_seq_len,
    param_count,
    size_mb,
)
from kd.spec import ACTIVATIONS, StudentSpec
from tests.conftest import COMPRESSOR_3MB, needs_shared
from tests.kd.helpers import PAPER_3MB

CODEBERT = StudentSpec(
    vocab_size=50265, num_hidden_layers=12, hidden_size=768, num_attention_heads=12, intermediate_size=3072
)


def test_spec_defaults_and_name() -> None:
    assert PAPER_3MB.name == "L12-H96-A8-I64-V1000"
    assert PAPER_3MB.tokenizer == "bpe" and PAPER_3MB.hidden_act == "gelu"
    assert PAPER_3MB.max_position_embeddings == 514
    assert (PAPER_3MB.pad_token_id, PAPER_3MB.bos_token_id, PAPER_3MB.eos_token_id) == (1, 0, 2)
    assert PAPER_3MB.max_seq_len == 512
    assert (
        PAPER_3MB.replace(tokenizer="unigram", max_position_embeddings=258).name
        == "L12-H96-A8-I64-V1000-P258-unigram"
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hidden_size": 100}, "hidden_size 100 is not divisible by num_attention_heads 8"),
        ({"num_hidden_layers": 0}, "num_hidden_layers must be a positive integer, got 0"),
        ({"vocab_size": 2.5}, "vocab_size must be a positive integer"),
        ({"hidden_act": "swishy"}, "Unknown hidden_act 'swishy'"),
        ({"tokenizer": "sentencepiece"}, "Unknown tokenizer 'sentencepiece'"),
        ({"hidden_dropout_prob": 1.2}, "Expected hidden_dropout_prob in [0, 1), got 1.2"),
        ({"position_embedding_type": "rotary"}, "Unknown position_embedding_type 'rotary'"),
        ({"pad_token_id": 0}, "must be distinct"),
        ({"vocab_size": 2}, "eos_token_id must be an integer in [0, vocab_size=2)"),
        ({"max_position_embeddings": 2}, "max_position_embeddings 2 leaves no room"),
    ],
)
def test_spec_validation_names_field_and_value(changes: dict, message: str) -> None:
    with pytest.raises(ValueError) as err:
        PAPER_3MB.replace(**changes)
    assert message in str(err.value)


def test_activation_names_are_known_to_transformers() -> None:
    assert set(ACTIVATIONS) <= set(ACT2FN)


def test_dict_round_trip_and_unknown_keys() -> None:
    spec = PAPER_3MB.replace(tokenizer="wordpiece", hidden_dropout_prob=0.3, hidden_act="silu")
    assert StudentSpec.from_dict(spec.to_dict()) == spec
    with pytest.raises(ValueError, match="hidden_sise"):
        StudentSpec.from_dict({**spec.to_dict(), "hidden_sise": 4})


def test_roberta_config_round_trip() -> None:
    spec = PAPER_3MB.replace(tokenizer="wordlevel", hidden_dropout_prob=0.2, attention_probs_dropout_prob=0.3)
    cfg = spec.to_roberta_config(num_labels=3, initializer_range=0.01)
    assert isinstance(cfg, RobertaConfig)
    assert (cfg.num_labels, cfg.initializer_range, cfg.layer_norm_eps, cfg.vocab_size) == (
        3,
        0.01,
        1e-5,
        1000,
    )
    assert StudentSpec.from_roberta_config(cfg) == spec
    # A saved-and-reloaded config keeps the tokenizer kind.
    assert StudentSpec.from_roberta_config(RobertaConfig.from_dict(cfg.to_dict())) == spec
    with pytest.raises(ValueError, match="relative_key"):
        spec.replace(position_embedding_type="relative_key").to_roberta_config()


def test_3mb_formula_by_hand() -> None:
    h, s, v, i, layers = 96, 514, 1000, 64, 12
    params = (v * h + s * h + 3 * h) + layers * (4 * (h * h + h) + 2 * h * i + i + h + 4 * h)
    params += 2 * (h * h + h) + 2 * h + 2
    assert param_count(PAPER_3MB) == params == 765_410
    assert size_mb(PAPER_3MB) == pytest.approx(3.06164)
    # The GFLOPs the research notes quote for Compressor's 3 MB student (2.25), to the printed digits.
    assert gflops(PAPER_3MB) == pytest.approx(2.2526, abs=1e-4)


def _counted_flops(h: int, i: int, layers: int, s: int) -> int:
    """FLOPs torch's FlopCounterMode counts in one forward of the bare encoder on s tokens (matmuls only)."""
    spec = PAPER_3MB.replace(
        vocab_size=300,
        num_hidden_layers=layers,
        hidden_size=h,
        num_attention_heads=4,
        intermediate_size=i,
        max_position_embeddings=s + 2,
    )
    model = RobertaModel(spec.to_roberta_config(), add_pooling_layer=False).eval()
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(torch.randint(4, 300, (1, s)))
    return int(counter.get_total_flops())


def _per_layer(h: int, i: int, s: int, count: Any) -> int:
    return int(count(h, i, 2, s) - count(h, i, 1, s))


def test_flops_formula_matmul_terms_match_an_instrumented_forward() -> None:
    """The formula's projection and FFN matmul FLOPs equal what FlopCounterMode counts in a real forward.

    Per layer the formula adds element-wise terms (biases, GELU, LayerNorm, softmax; linear in h and I) that a
    matmul counter does not see, so the comparison uses second differences, which cancel every term linear in
    h or I: the h·I terms (the two FFN matmuls, 4·s·h·I) and the h² terms (Q, K, V, O projections, 8·s·h²) must
    agree exactly. (The embedding lookup, counted by the papers as a V×h matmul, is not a matmul here.)
    """

    def formula(h: int, i: int, layers: int, s: int) -> int:
        spec = PAPER_3MB.replace(
            vocab_size=300,
            num_hidden_layers=layers,
            hidden_size=h,
            num_attention_heads=4,
            intermediate_size=i,
            max_position_embeddings=s + 2,
        )
        return flops(spec, s)

    s = 20
    mixed = {
        name: _per_layer(24, 48, s, c)
        - _per_layer(24, 32, s, c)
        - _per_layer(16, 48, s, c)
        + _per_layer(16, 32, s, c)
        for name, c in (("formula", formula), ("counted", _counted_flops))
    }
    assert mixed["formula"] == mixed["counted"] == 4 * s * (24 - 16) * (48 - 32)
    square = {
        name: _per_layer(32, 32, s, c) - 2 * _per_layer(24, 32, s, c) + _per_layer(16, 32, s, c)
        for name, c in (("formula", formula), ("counted", _counted_flops))
    }
    assert square["formula"] == square["counted"] == 8 * s * 2 * 8**2


@pytest.mark.parametrize(
    ("spec", "params_m", "mb", "gfl"),
    [
        (CODEBERT, 125.2, 500.9, 138.4),
        (
            PAPER_3MB.replace(
                hidden_size=432, num_attention_heads=16, intermediate_size=128, num_hidden_layers=6
            ),
            6.20,
            24.8,
            9.2,
        ),
        (
            PAPER_3MB.replace(
                hidden_size=480,
                num_attention_heads=16,
                intermediate_size=576,
                num_hidden_layers=6,
                vocab_size=6000,
            ),
            12.47,
            49.9,
            15.9,
        ),
    ],
)
def test_notes_table(spec: StudentSpec, params_m: float, mb: float, gfl: float) -> None:
    # Research notes section 0 table, within one printed digit (it shows CodeBERT's 500.951 MB as 500.9).
    assert param_count(spec) / 1e6 == pytest.approx(params_m, abs=0.006 if params_m < 100 else 0.06)
    assert size_mb(spec) == pytest.approx(mb, abs=0.06)
    assert gflops(spec) == pytest.approx(gfl, abs=0.06)


def test_paper_formula_vs_built_model() -> None:
    """The papers' head term counts a pooler that RobertaForSequenceClassification does not build.

    So the formula is exactly h² + h (9,312 for h = 96, 0.0122% of 765k) above the real single-input model.
    """
    model = RobertaForSequenceClassification(PAPER_3MB.to_roberta_config())
    real = actual_param_count(model)
    assert real == exact_param_count(PAPER_3MB, head="single", pooler=False) == 756_098
    assert param_count(PAPER_3MB) - real == 96 * 96 + 96
    for spec in (
        PAPER_3MB.replace(hidden_size=48, num_hidden_layers=2, vocab_size=3000),
        PAPER_3MB.replace(num_attention_heads=4),
    ):
        built = actual_param_count(RobertaForSequenceClassification(spec.to_roberta_config()))
        assert built == exact_param_count(spec)


def test_pair_head_accounting_matches_clone_checkpoint() -> None:
    # Released 3 MB clone model: RobertaModel with pooler + dense 2h→h + out_proj h→2 = 774,626 floats.
    encoder = RobertaModel(PAPER_3MB.to_roberta_config(), add_pooling_layer=True)
    pair_head = torch.nn.Sequential(torch.nn.Linear(192, 96), torch.nn.Tanh(), torch.nn.Linear(96, 2))
    assert actual_param_count(encoder) + actual_param_count(pair_head) == 774_626
    assert exact_param_count(PAPER_3MB, head="pair", pooler=True) == 774_626
    assert param_count(PAPER_3MB, head="pair") == 774_626
    assert exact_param_count(PAPER_3MB, head="pair", pooler=False) == 774_626 - (96 * 96 + 96)
    no_pool = RobertaModel(PAPER_3MB.to_roberta_config(), add_pooling_layer=False)
    assert actual_param_count(no_pool) == exact_param_count(PAPER_3MB, head=None)


@needs_shared
def test_counts_equal_published_checkpoints() -> None:
    for task, expected in (("clone", 774_626), ("vulnerability", 756_098)):
        path = COMPRESSOR_3MB / task / "model.bin"
        if not path.is_file():
            pytest.skip(f"{path} not found")
        state = torch.load(path, map_location="cpu", weights_only=True)
        n = sum(t.numel() for t in state.values() if t.is_floating_point())
        assert n == expected
    assert exact_param_count(PAPER_3MB, head="pair", pooler=True) == 774_626
    assert exact_param_count(PAPER_3MB, head="single", pooler=False) == 756_098


def test_seq_len_conventions() -> None:
    spec = PAPER_3MB.replace(max_position_embeddings=360)  # AVATAR: max_seq_len 358 + 2
    assert paper_seq_len(spec, "compressor") == 514
    assert paper_seq_len(spec, "avatar_single") == 358
    assert paper_seq_len(spec, "avatar_clone") == 716
    # The clone convention also doubles the position table in the size estimate.
    assert param_count(spec, seq_len=716) - param_count(spec, seq_len=358) == 358 * 96
    assert gflops(spec, seq_len=716) > 2 * gflops(spec, seq_len=358)
    with pytest.raises(ValueError, match="convention"):
        paper_seq_len(spec, "morph")  # type: ignore[arg-type]


def test_measure_latency_positive_and_restores_mode() -> None:
    spec = PAPER_3MB.replace(num_hidden_layers=1)
    model = RobertaModel(spec.to_roberta_config())
    model.train()
    ids = torch.randint(4, 1000, (4, 32))
    seconds = measure_latency(model, ids, warmup=1, repeats=3)
    assert seconds > 0  # wall-clock bounds belong in bench/, not in a test a loaded machine can fail
    assert model.training
    with pytest.raises(ValueError, match="repeats"):
        measure_latency(model, ids, repeats=0)
