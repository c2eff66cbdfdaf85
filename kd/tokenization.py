"""Student vocabularies: train a small tokenizer on unlabelled code with HF `tokenizers`.

Compressor (and the default here) trains a byte-level BPE on whitespace-normalised code: Lowercase normaliser,
ByteLevel pre-tokenizer with a prefix space, the full byte alphabet as initial alphabet, so no input is ever
unknown. AVATAR/MORPH search the tokenizer kind as well; the other kinds use their usual pre-tokenizers
(WordPiece and WordLevel split on whitespace/punctuation, WordLevel also splits digits; Unigram uses Metaspace)
and AVATAR's NFKD + StripAccents normalisation.

Every kind reserves the same special tokens at the same ids, so `StudentSpec`'s pad/bos/eos ids hold:
`<s>`=0, `<pad>`=1, `</s>`=2, `<unk>`=3.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

SPECIAL_TOKENS: tuple[str, ...] = ("<s>", "<pad>", "</s>", "<unk>")
BOS, PAD, EOS, UNK = SPECIAL_TOKENS
KINDS: tuple[str, ...] = ("bpe", "wordpiece", "unigram", "wordlevel")


def normalize_whitespace(code: str) -> str:
    """Collapse every whitespace run (newlines included) to one space, as Compressor's preprocessing."""
    return " ".join(code.split())


def _normalizer(kind: str, lowercase: bool) -> normalizers.Normalizer | None:
    steps: list[Any] = []
    if kind != "bpe":
        steps += [normalizers.NFKD(), normalizers.StripAccents(), normalizers.Strip()]
    if lowercase:
        steps.append(normalizers.Lowercase())
    if not steps:
        return None
    return steps[0] if len(steps) == 1 else normalizers.Sequence(steps)


def _build(kind: str, vocab_size: int, add_prefix_space: bool) -> tuple[Tokenizer, trainers.Trainer]:
    """An untrained tokenizer of `kind` with its pre-tokenizer, decoder and trainer."""
    specials = list(SPECIAL_TOKENS)
    if kind == "bpe":
        tok = Tokenizer(models.BPE(unk_token=UNK))
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space)
        tok.decoder = decoders.ByteLevel()
        # Only offsets change (trimmed of the prefix space); kept to match Compressor's saved tokenizers.
        tok.post_processor = processors.ByteLevel(trim_offsets=True)
        trainer: trainers.Trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=specials,
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
    elif kind == "wordpiece":
        tok = Tokenizer(models.WordPiece(unk_token=UNK))
        tok.pre_tokenizer = pre_tokenizers.Whitespace()
        tok.decoder = decoders.WordPiece()
        trainer = trainers.WordPieceTrainer(
            vocab_size=vocab_size, special_tokens=specials, show_progress=False
        )
    elif kind == "unigram":
        tok = Tokenizer(models.Unigram())
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tok.decoder = decoders.Metaspace()
        trainer = trainers.UnigramTrainer(
            vocab_size=vocab_size, special_tokens=specials, unk_token=UNK, show_progress=False
        )
    elif kind == "wordlevel":
        tok = Tokenizer(models.WordLevel(unk_token=UNK))
        tok.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.Whitespace(), pre_tokenizers.Digits(individual_digits=True)]
        )
        trainer = trainers.WordLevelTrainer(
            vocab_size=vocab_size, special_tokens=specials, show_progress=False
        )
    else:
        raise ValueError(f"Unknown tokenizer kind {kind!r}; expected one of {list(KINDS)}")
    return tok, trainer


def train_tokenizer(
    texts: Iterable[str],
    vocab_size: int,
    kind: str = "bpe",
    lowercase: bool = True,
    add_prefix_space: bool = True,
) -> Tokenizer:
    """Train a `kind` tokenizer of at most `vocab_size` entries on whitespace-normalised `texts`.

    The vocabulary can come out smaller than requested when the corpus has too few distinct merges / words.
    `add_prefix_space` applies to BPE only (Compressor: True; AVATAR: False).
    """
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size <= len(SPECIAL_TOKENS):
        raise ValueError(f"vocab_size must be an integer > {len(SPECIAL_TOKENS)}, got {vocab_size!r}")
    if isinstance(texts, str):
        raise TypeError("texts must be an iterable of strings, got a single str")
    tok, trainer = _build(kind, vocab_size, add_prefix_space)
    norm = _normalizer(kind, lowercase)
    if norm is not None:
        tok.normalizer = norm

    def normalised() -> Iterator[str]:
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"texts must contain str, got {type(text).__name__}")
            yield normalize_whitespace(text)

    tok.train_from_iterator(normalised(), trainer=trainer)
    for expected, token in enumerate(SPECIAL_TOKENS):
        if tok.token_to_id(token) != expected:
            raise RuntimeError(f"special token {token} got id {tok.token_to_id(token)}, expected {expected}")
    return tok


def save_tokenizer(tok: Tokenizer, directory: str | Path) -> Path:
    """Write `directory/tokenizer.json` (directory created if needed); returns the file path."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "tokenizer.json"
    tok.save(str(path))
    return path


def load_tokenizer(path: str | Path) -> Tokenizer:
    """Load a `tokenizer.json`, given the file or the directory holding it."""
    p = Path(path)
    if p.is_dir():
        p = p / "tokenizer.json"
    if not p.is_file():
        raise FileNotFoundError(f"No tokenizer file at {p}")
    return Tokenizer.from_file(str(p))


def to_hf_fast(tok: Tokenizer, model_max_length: int = 512) -> Any:
    """Wrap as a `transformers.PreTrainedTokenizerFast` with `<s>`/`</s>`/`<pad>`/`<unk>` set."""
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=BOS,
        eos_token=EOS,
        pad_token=PAD,
        unk_token=UNK,
        model_max_length=model_max_length,
    )


def encode_compressor(tok: Tokenizer, code: str, block_size: int = 400) -> list[int]:
    """Compressor's input ids: collapse whitespace, encode without specials, keep block_size−2, wrap <s>…</s>.

    No padding: collators pad with `<pad>` (id 1) to block_size, and the attention mask is ids != 1.
    """
    if block_size < 3:
        raise ValueError(f"block_size must be >= 3 to hold <s>, </s> and a token, got {block_size}")
    bos, eos = tok.token_to_id(BOS), tok.token_to_id(EOS)
    if bos is None or eos is None:
        raise ValueError(f"tokenizer has no {BOS} / {EOS} token")
    ids = tok.encode(normalize_whitespace(code), add_special_tokens=False).ids
    return [bos, *ids[: block_size - 2], eos]
