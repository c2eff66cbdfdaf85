"""Classifier heads, model directories, HF loading (local files, offline hub) and the Compressor importer."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from transformers import RobertaModel

from kd.data.encoding import CodeEncoder
from kd.models.inference import predict_logits
from kd.models.io import (
    detect_format,
    from_config,
    from_pretrained,
    import_compressor,
    load_classifier,
    load_model_dir,
    save_model_dir,
)
from tests.conftest import BCB, COMPRESSOR_3MB, DEVIGN, needs_shared
from tests.kd.helpers import SNIPPETS, TINY_SPEC, tiny_model, tiny_tokenizer


def test_pair_head_encodes_functions_independently() -> None:
    torch.manual_seed(0)
    model, tok = tiny_model(n_inputs=2)
    model.eval()
    enc = CodeEncoder(tok, 64)
    batch = enc.batch(SNIPPETS[:4])  # two pairs, flattened (4, L)
    logits = model(batch["input_ids"], batch["attention_mask"])
    assert logits.shape == (2, 2)
    # Dynamic padding must not change a function's vector: encode one alone and compare.
    alone = enc.batch([SNIPPETS[1]])
    v_alone = model.embed(alone["input_ids"], alone["attention_mask"])
    v_batch = model.embed(batch["input_ids"], batch["attention_mask"])[1:2]
    assert torch.allclose(v_alone, v_batch, atol=1e-5)
    # De-duplicated inference reproduces the literal forward.
    dedup = predict_logits(model, enc, [(SNIPPETS[0], SNIPPETS[1]), (SNIPPETS[2], SNIPPETS[3])])
    assert torch.allclose(dedup, logits, atol=1e-5)


def test_mean_pooled_siamese_pair_head(tmp_path: Path) -> None:
    torch.manual_seed(0)
    tok = tiny_tokenizer()
    model = from_config(
        TINY_SPEC.replace(vocab_size=tok.get_vocab_size()).to_roberta_config(),
        2,
        tok,
        pooling="mean",
        pair_features="siamese",
    ).eval()
    enc = CodeEncoder(tok, 64)
    batch = enc.batch(SNIPPETS[:4])
    ids, mask = batch["input_ids"], batch["attention_mask"]
    # Mean pooling: the average of the real tokens' last hidden states, padding excluded.
    hidden = model.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
    row = 1
    n = int(mask[row].sum())
    vectors = model.embed(ids, mask)
    assert torch.allclose(vectors[row], hidden[row, :n].mean(0), atol=1e-6)
    alone = enc.batch([SNIPPETS[row]])
    assert torch.allclose(
        model.embed(alone["input_ids"], alone["attention_mask"])[0], vectors[row], atol=1e-5
    )
    # Siamese features: [u, v, |u - v|, u * v] of each pair into the head (width 4h).
    u, v = vectors[0::2], vectors[1::2]
    expected = model.classifier(torch.cat([u, v, (u - v).abs(), u * v], dim=-1))
    logits = model(ids, mask)
    assert model.classifier.dense.in_features == 4 * model.hidden_size
    assert torch.allclose(logits, expected, atol=1e-6)
    assert torch.allclose(
        predict_logits(model, enc, [tuple(SNIPPETS[0:2]), tuple(SNIPPETS[2:4])]), logits, atol=1e-5
    )
    # The model dir keeps the head: reloaded, the same logits.
    save_model_dir(model, tok, tmp_path / "m")
    loaded = load_model_dir(tmp_path / "m").model.eval()
    assert (loaded.pooling, loaded.pair_features) == ("mean", "siamese")
    assert torch.equal(loaded(ids, mask), logits)


def test_model_dir_round_trip(tmp_path: Path) -> None:
    model, tok = tiny_model(n_inputs=1)
    model.eval()
    save_model_dir(model, tok, tmp_path / "m")
    assert detect_format(tmp_path / "m") == "metacompress"
    loaded = load_classifier(tmp_path / "m", n_inputs=1)
    enc = CodeEncoder(tok, 64)
    b = enc.batch(SNIPPETS[:3])
    assert torch.equal(model(**b), loaded.model.eval()(**b))
    with pytest.raises(ValueError, match="n_inputs=1"):
        load_classifier(tmp_path / "m", n_inputs=2)
    as_str = load_model_dir(str(tmp_path / "m"))  # a str path works like a Path
    assert torch.equal(model(**b), as_str.model.eval()(**b))
    with pytest.raises(FileNotFoundError, match="not a metacompress model dir"):
        load_model_dir(tmp_path)


def test_hf_local_directory_and_offline_hub(tmp_path: Path) -> None:
    """The real hub path (`from_pretrained`) on a local HF directory; a hub name fails fast offline."""
    from transformers import PreTrainedTokenizerFast

    tok = tiny_tokenizer()
    enc_model = RobertaModel(TINY_SPEC.replace(vocab_size=tok.get_vocab_size()).to_roberta_config())
    enc_model.save_pretrained(tmp_path / "hf")
    PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>"
    ).save_pretrained(tmp_path / "hf")
    loaded = from_pretrained(str(tmp_path / "hf"), n_inputs=2)
    assert loaded.model.n_inputs == 2 and detect_format(tmp_path / "hf") == "hf"
    state = loaded.model.encoder.state_dict()
    ref = enc_model.state_dict()
    assert all(torch.equal(state[k], ref[k]) for k in state if k in ref)
    with pytest.raises(OSError):
        from_pretrained("microsoft/codebert-base", n_inputs=2)


def _accuracy(loaded, split) -> float:  # type: ignore[no-untyped-def]
    examples = [split.texts(i) for i in range(len(split))]
    logits = predict_logits(loaded.model, CodeEncoder(loaded.tokenizer, 400), examples, batch_size=64)
    return float((logits.argmax(-1) == split.labels()).float().mean())


@needs_shared
@pytest.mark.slow
def test_compressor_clone_reproduces_published_accuracy() -> None:
    from kd.data.datamodules import CloneDetectionDataModule

    loaded = import_compressor(COMPRESSOR_3MB / "clone")
    assert loaded.model.n_inputs == 2
    assert sum(p.numel() for p in loaded.model.parameters()) == 774_626 - 96 * 96 - 96  # pooler dropped
    acc = _accuracy(loaded, CloneDetectionDataModule(str(BCB)).split("test"))
    assert acc == pytest.approx(0.9537, abs=5e-4)  # README: 0.9537 on the 4,000 test pairs


@needs_shared
@pytest.mark.slow
def test_compressor_vulnerability_reproduces_published_accuracy() -> None:
    from kd.data.datamodules import DefectDataModule

    loaded = import_compressor(COMPRESSOR_3MB / "vulnerability")
    assert detect_format(COMPRESSOR_3MB / "vulnerability") == "compressor"
    acc = _accuracy(loaded, DefectDataModule(str(DEVIGN)).split("test"))
    # README: 0.6168 on test.txt with Compressor's rule softmax[:,0] > 0.5; rows are swapped on import.
    assert acc == pytest.approx(0.6168, abs=5e-4)
