"""EncoderPredictor: same probabilities as plain batched inference, fewer encoder passes."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import torch

from fidelity.attacks import MHM, AttackConfig, CandidatePool, CodeInput, EncoderPredictor, TransformsRenamer
from kd.data.encoding import CodeEncoder
from kd.models.inference import predict_logits
from tests.conftest import BCB, COMPRESSOR_3MB, needs_shared
from tests.kd.helpers import SNIPPETS, tiny_model

A, B = SNIPPETS[0], SNIPPETS[1]


def _reference(model: torch.nn.Module, encoder: CodeEncoder, inputs: Sequence[CodeInput]) -> torch.Tensor:
    examples = [x if isinstance(x, tuple) else (x,) for x in inputs]
    return torch.softmax(predict_logits(model, encoder, examples), dim=-1)  # type: ignore[arg-type]


def test_pair_probabilities_match_plain_inference_and_unchanged_side_is_encoded_once() -> None:
    torch.manual_seed(0)
    model, tok = tiny_model(n_inputs=2)
    predictor = EncoderPredictor(model, CodeEncoder(tok, 64), batch_size=2)
    variants = [A.replace("a", name) for name in ("x", "y", "zz", "w")]
    inputs: list[CodeInput] = [(v, B) for v in variants]
    probs = predictor.predict(inputs)
    assert probs.shape == (4, 2)
    torch.testing.assert_close(probs, _reference(model, CodeEncoder(tok, 64), inputs), atol=1e-6, rtol=0)
    assert predictor.encoded == 5 and predictor.requested == 8  # 4 variants + B once
    predictor.predict([(variants[0], B), (B, variants[1])])  # both functions already known
    assert predictor.encoded == 5


def test_change_past_the_truncation_costs_no_encoder_pass() -> None:
    torch.manual_seed(0)
    model, tok = tiny_model(n_inputs=1)
    encoder = CodeEncoder(tok, max_length=6)
    predictor = EncoderPredictor(model, encoder)
    long_code = A + " int tailName = 1;"
    renamed = long_code.replace("tailName", "otherTail")
    assert encoder.encode(long_code) == encoder.encode(renamed)  # differs only after the cut
    first, second = predictor.predict([long_code]), predictor.predict([renamed])
    assert predictor.encoded == 1 and predictor.requested == 2
    assert torch.equal(first, second)


def test_single_function_model_small_cache_and_bad_input() -> None:
    torch.manual_seed(0)
    model, tok = tiny_model(n_inputs=1)
    predictor = EncoderPredictor(model, CodeEncoder(tok, 64), cache_size=2)
    inputs: list[CodeInput] = list(SNIPPETS[:4])
    expected = _reference(model, CodeEncoder(tok, 64), inputs)
    for _ in range(2):  # the second round runs after the cache was cleared for being full
        torch.testing.assert_close(predictor.predict(inputs), expected, atol=1e-6, rtol=0)
    assert predictor.predict([]).shape == (0, 2)
    with pytest.raises(ValueError, match="Expected 1 code string"):
        predictor.predict([(A, B)])
    with pytest.raises(ValueError, match="batch_size"):
        EncoderPredictor(model, CodeEncoder(tok, 64), batch_size=0)


class PlainPredictor:
    """No caching at all: every query re-encodes both functions (the reference semantics)."""

    def __init__(self, model: torch.nn.Module, encoder: CodeEncoder) -> None:
        self.model, self.encoder = model, encoder

    def predict(self, inputs: Sequence[CodeInput]) -> torch.Tensor:
        return _reference(self.model, self.encoder, inputs)


@needs_shared
def test_mhm_on_real_model_is_unchanged_by_caching() -> None:
    """Against the imported 3 MB clone model, the cached predictor yields the same attack outcome."""
    import json

    from kd.models.io import import_compressor

    torch.set_num_threads(1)
    loaded = import_compressor(COMPRESSOR_3MB / "clone")
    first, second, label = (BCB / "test.txt").read_text().splitlines()[0].split("\t")
    funcs: dict[str, str] = {}
    with (BCB / "functions.jsonl").open() as fh:
        for line in fh:
            item = json.loads(line)
            if len(funcs) < 300 or item["idx"] in (first, second):
                funcs[item["idx"]] = item["func"]
    renamer = TransformsRenamer()
    names = [
        n for i, code in funcs.items() if i not in (first, second) for n in renamer.identifiers(code, "java")
    ]
    pool = CandidatePool(names, is_valid=lambda n: renamer.is_valid(n, "java"))
    config = AttackConfig(max_queries=25, n_candidates=8, seed=1)
    pair = (funcs[first], funcs[second])
    cached = EncoderPredictor(loaded.model, CodeEncoder(loaded.tokenizer, 400))
    fast = MHM(cached, config, renamer, pool=pool).attack(pair, int(label))
    plain = PlainPredictor(loaded.model, CodeEncoder(loaded.tokenizer, 400))
    slow = MHM(plain, config, renamer, pool=pool).attack(pair, int(label))
    assert (fast.status, fast.queries, fast.mapping, fast.adversarial) == (
        slow.status,
        slow.queries,
        slow.mapping,
        slow.adversarial,
    )
    assert fast.status in ("success", "failed") and fast.queries > 1  # it was attacked
    assert cached.encoded < 2 * fast.queries  # the unchanged side was encoded once, not per query
