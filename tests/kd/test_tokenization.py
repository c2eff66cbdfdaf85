"""Student tokenizers: special ids, round trips, vocab sizes on real code, Compressor's published encoding."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from transformers import PreTrainedTokenizerFast

from kd.tokenization import (
    KINDS,
    SPECIAL_TOKENS,
    encode_compressor,
    load_tokenizer,
    normalize_whitespace,
    save_tokenizer,
    to_hf_fast,
    train_tokenizer,
)
from tests.conftest import BCB, COMPRESSOR_3MB, needs_shared

SNIPPETS = [
    "public int add(int a, int b) {\n    return a + b;\n}",
    'static void Main(String[] args) { System.out.println("Héllo\\tWorld"); }',
    "for (int i = 0; i < n; i++) { total += values[i] * 2; }",
    "int fib(int n) { if (n < 2) return n; return fib(n - 1) + fib(n - 2); }",
] * 5


def _bcb(n: int) -> list[str]:
    with (BCB / "functions.jsonl").open() as f:
        return [json.loads(line)["func"] for line in itertools.islice(f, n)]


@pytest.mark.parametrize("kind", KINDS)
def test_special_ids_fixed_for_every_kind(kind: str) -> None:
    tok = train_tokenizer(SNIPPETS, 300, kind=kind)
    assert [tok.token_to_id(t) for t in SPECIAL_TOKENS] == [0, 1, 2, 3]
    assert tok.get_vocab_size() <= 300
    ids = encode_compressor(tok, SNIPPETS[0])
    assert ids[0] == 0 and ids[-1] == 2 and 1 not in ids


def test_bpe_round_trip_and_byte_fallback() -> None:
    tok = train_tokenizer(SNIPPETS, 400)
    for text in [*SNIPPETS[:4], "ünïcödé ⇒ λx. x  // 日本語"]:
        expected = normalize_whitespace(text).lower()
        ids = tok.encode(normalize_whitespace(text)).ids
        assert 3 not in ids  # the byte alphabet means nothing is unknown
        # ByteLevel(add_prefix_space=True) encodes a leading space, which decoding keeps (as RoBERTa does).
        assert tok.decode(ids) == " " + expected


def test_lowercase_flag() -> None:
    cased = train_tokenizer(SNIPPETS, 400, lowercase=False)
    assert cased.decode(cased.encode("System").ids) == " System"
    lower = train_tokenizer(SNIPPETS, 400)
    assert lower.decode(lower.encode("System").ids) == " system"


def test_deterministic_and_save_load(tmp_path: Path) -> None:
    a = train_tokenizer(SNIPPETS, 350)
    b = train_tokenizer(iter(SNIPPETS), 350)
    assert a.to_str() == b.to_str()
    path = save_tokenizer(a, tmp_path / "tok")
    assert path.name == "tokenizer.json"
    for p in (path, path.parent):
        assert load_tokenizer(p).to_str() == a.to_str()
    with pytest.raises(FileNotFoundError):
        load_tokenizer(tmp_path / "missing")


def test_hf_fast_wrapper() -> None:
    tok = train_tokenizer(SNIPPETS, 350)
    fast = to_hf_fast(tok)
    assert isinstance(fast, PreTrainedTokenizerFast)
    assert (fast.bos_token_id, fast.pad_token_id, fast.eos_token_id, fast.unk_token_id) == (0, 1, 2, 3)
    assert fast(SNIPPETS[2], add_special_tokens=False)["input_ids"] == tok.encode(SNIPPETS[2]).ids


def test_truncation_and_bad_input() -> None:
    tok = train_tokenizer(SNIPPETS, 350)
    ids = encode_compressor(tok, " ".join(SNIPPETS), block_size=10)
    assert len(ids) == 10 and ids[0] == 0 and ids[-1] == 2
    assert encode_compressor(tok, "") == [0, 2]
    with pytest.raises(ValueError, match="block_size"):
        encode_compressor(tok, "x", block_size=2)
    with pytest.raises(ValueError, match="vocab_size"):
        train_tokenizer(SNIPPETS, 4)
    with pytest.raises(ValueError, match="sentencepiece"):
        train_tokenizer(SNIPPETS, 100, kind="sentencepiece")
    with pytest.raises(TypeError, match="single str"):
        train_tokenizer("int a;", 100)


@needs_shared
@pytest.mark.parametrize("kind", ["bpe", "wordpiece", "wordlevel"])
def test_vocab_size_close_to_request_on_bcb(kind: str) -> None:
    tok = train_tokenizer(_bcb(2000), 1000, kind=kind)
    assert 950 <= tok.get_vocab_size() <= 1000


@needs_shared
def test_unigram_on_bcb() -> None:
    # Unigram training is ~100x slower than BPE, so a smaller corpus and vocabulary.
    tok = train_tokenizer(_bcb(100), 400, kind="unigram")
    assert 380 <= tok.get_vocab_size() <= 400
    text = normalize_whitespace(_bcb(101)[-1]).lower()
    assert tok.decode(tok.encode(text).ids) == text


@needs_shared
def test_matches_published_compressor_tokenizer() -> None:
    path = COMPRESSOR_3MB / "clone" / "tokenizer.json"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    ours = load_tokenizer(path)
    hf = PreTrainedTokenizerFast(
        tokenizer_file=str(path), bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>"
    )
    funcs = _bcb(300)[::10]
    assert any(len(ours.encode(normalize_whitespace(f)).ids) > 398 for f in _bcb(300))  # truncation exercised
    for func in funcs + _bcb(300)[:5]:
        ids = hf(normalize_whitespace(func), add_special_tokens=False)["input_ids"]
        assert encode_compressor(ours, func) == [0, *ids[:398], 2]
    # A vocabulary trained our way has the published tokenizer's shape: same pipeline, same special ids.
    trained = json.loads(train_tokenizer(_bcb(300), 1000).to_str())
    published = json.loads(path.read_text())
    for key in ("normalizer", "pre_tokenizer", "decoder", "post_processor"):
        assert trained[key] == published[key], key
    assert [t["content"] for t in trained["added_tokens"]] == list(SPECIAL_TOKENS)
