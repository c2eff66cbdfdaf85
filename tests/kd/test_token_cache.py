"""Token cache and the distillation speed options: reuse, invalidation, identical batches, unchanged training."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import pytest
import torch

from kd.data import token_cache
from kd.data.datamodules import CloneDetectionDataModule
from kd.data.demo import ensure_demo_data
from kd.data.encoding import CodeEncoder
from kd.methods.vanilla import HintonKD
from kd.models.io import save_model_dir
from kd.models.ref import FreshModel, ModelRef
from kd.tokenization import train_tokenizer
from tests.kd.helpers import SNIPPETS, TINY_SPEC, tiny_model, tiny_tokenizer

TEXTS = list(dict.fromkeys(SNIPPETS)) + ["int f() { return 1; }", "void g(int x) { h(x, x); }"]


class CountingEncoder(CodeEncoder):
    """Counts the texts sent to the tokenizer (a cache hit sends none)."""

    tokenised = 0

    def _content(self, texts):  # type: ignore[no-untyped-def]
        CountingEncoder.tokenised += len(texts)
        return super()._content(texts)


pytestmark = pytest.mark.usefixtures("isolated_cache")


@pytest.fixture(autouse=True)
def _reset_count() -> None:
    CountingEncoder.tokenised = 0


def files() -> list[Path]:
    return sorted(token_cache.cache_root().glob("*.pt"))


def test_second_encoder_reads_the_ids_from_disk_without_tokenising() -> None:
    tok = tiny_tokenizer()
    first = token_cache.load_or_encode(CountingEncoder(tok, 32), TEXTS)
    assert CountingEncoder.tokenised == len(TEXTS) and len(files()) == 1
    fresh = CountingEncoder(tok, 32)
    again = token_cache.load_or_encode(fresh, TEXTS)
    assert CountingEncoder.tokenised == len(TEXTS)  # nothing tokenised the second time
    assert again == first
    # the hit primed the encoder: its batches need no tokenisation either, and match a plain encoder's
    assert torch.equal(fresh.batch(TEXTS)["input_ids"], CodeEncoder(tok, 32).batch(TEXTS)["input_ids"])
    assert CountingEncoder.tokenised == len(TEXTS)


@pytest.mark.parametrize("change", ["vocabulary", "data", "max_length"])
def test_each_key_invalidates(change: str) -> None:
    tok = tiny_tokenizer()
    token_cache.load_or_encode(CountingEncoder(tok, 32), TEXTS)
    texts, length = list(TEXTS), 32
    if change == "vocabulary":
        tok = train_tokenizer(SNIPPETS, 280)  # a different vocabulary of the same kind
    elif change == "data":
        texts[3] = texts[3].replace("strlen", "strnlen")
    else:
        length = 12
    ids = token_cache.load_or_encode(CountingEncoder(tok, length), texts)
    assert CountingEncoder.tokenised == len(TEXTS) + len(texts)  # re-tokenised, not a stale hit
    assert len(files()) == 2
    assert ids == CodeEncoder(tok, length).encode_many(texts)  # what on-the-fly tokenisation gives
    if change == "max_length":
        assert max(len(s) for s in ids) == 12 < max(len(s) for s in CodeEncoder(tok, 32).encode_many(texts))


def test_damaged_or_foreign_file_is_recomputed_and_replaced() -> None:
    tok = tiny_tokenizer()
    token_cache.load_or_encode(CodeEncoder(tok, 32), TEXTS)
    (path,) = files()
    path.write_bytes(b"not a torch file")
    ids = token_cache.load_or_encode(CountingEncoder(tok, 32), TEXTS)
    assert ids == CodeEncoder(tok, 32).encode_many(TEXTS) and CountingEncoder.tokenised == len(TEXTS)
    # another key's (valid) file under this key's name is a miss too
    token_cache.load_or_encode(CodeEncoder(tok, 16), TEXTS)
    other = next(p for p in files() if p != path)
    path.write_bytes(other.read_bytes())
    assert token_cache.load_or_encode(CountingEncoder(tok, 32), TEXTS) == ids
    assert CountingEncoder.tokenised == 2 * len(TEXTS)
    assert not list(token_cache.cache_root().glob(".*.tmp"))  # atomic writes leave no temporaries


@pytest.fixture(scope="module")
def demo_bcb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return ensure_demo_data(tmp_path_factory.mktemp("demo")) / "bigclonebench"


def _batches(dm: CloneDetectionDataModule, tok) -> list[dict[str, torch.Tensor]]:  # type: ignore[no-untyped-def]
    return list(dm.loader("distill", tok, shuffle=True))


def test_cached_tokens_give_bit_identical_batches(demo_bcb: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tok = tiny_tokenizer()
    settings = {"batch_size": 8, "max_train_examples": 64, "max_length": 48}
    on_the_fly = _batches(CloneDetectionDataModule(str(demo_bcb), cache_tokens=False, **settings), tok)
    assert not files()
    cold = _batches(CloneDetectionDataModule(str(demo_bcb), **settings), tok)  # tokenises, writes the cache
    assert len(files()) == 1
    monkeypatch.setattr(CodeEncoder, "_content", lambda self, texts: pytest.fail("tokenised on a cache hit"))
    warm = _batches(CloneDetectionDataModule(str(demo_bcb), **settings), tok)  # a new module: ids from disk
    assert len(on_the_fly) == len(cold) == len(warm) == 8
    for a, b, c in zip(on_the_fly, cold, warm, strict=True):
        assert a.keys() == b.keys() == c.keys()
        for key in a:
            assert (
                a[key].dtype == c[key].dtype and torch.equal(a[key], b[key]) and torch.equal(a[key], c[key])
            )


def _tiny_fit(root: Path, demo: Path, teacher: Path, fast: bool, monkeypatch: pytest.MonkeyPatch) -> dict:
    monkeypatch.setenv("METACOMPRESS_CACHE", str(root / "cache"))
    if not fast:
        monkeypatch.setattr("kd.modules.fused_supported", lambda params: False)
    spec = TINY_SPEC.replace(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    L.seed_everything(0)
    model = HintonKD(ModelRef(str(teacher)), FreshModel(spec, tokenizer=str(teacher)), lr=1e-3)
    dm = CloneDetectionDataModule(
        str(demo), batch_size=8, max_train_examples=64, max_eval_examples=32, max_length=64, cache_tokens=fast
    )
    trainer = L.Trainer(
        accelerator="cpu",
        max_epochs=2,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
    trainer.fit(model, datamodule=dm)
    metrics = {k: float(v) for k, v in trainer.callback_metrics.items() if k.startswith("val/")}
    return {"metrics": metrics, "state": {k: v.clone() for k, v in model.built_model().state_dict().items()}}


def test_speed_options_do_not_change_a_fixed_seed_fit(
    tmp_path: Path, demo_bcb: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Token cache and fused AdamW on vs off: the same fit up to float rounding.

    Dropout is off so both fits draw no random numbers in training: the batches are bit-identical (tested above),
    so they differ only in the order of float32 operations (fused vs per-tensor AdamW), ~1e-7 relative per step. Over 16
    Adam steps of at most ~lr = 1e-3 each such differences stay far below 1e-3 in any weight; the validation
    accuracy (32 pairs) is identical and the loss agrees to 1e-4.
    """
    torch.manual_seed(0)
    model, tok = tiny_model(n_inputs=2)
    teacher = save_model_dir(model, tok, tmp_path / "teacher")
    fast = _tiny_fit(tmp_path / "fast", demo_bcb, teacher, True, monkeypatch)
    slow = _tiny_fit(tmp_path / "slow", demo_bcb, teacher, False, monkeypatch)
    assert fast["metrics"]["val/acc"] == slow["metrics"]["val/acc"]
    assert fast["metrics"]["val/loss"] == pytest.approx(slow["metrics"]["val/loss"], abs=1e-4)
    worst = max((fast["state"][k] - slow["state"][k]).abs().max().item() for k in fast["state"])
    assert worst < 1e-3, worst
    moved = max(
        (fast["state"][k] - model.state_dict().get(k, fast["state"][k])).abs().max().item()
        for k in fast["state"]
    )
    assert moved > 1e-3  # the fits did train (a no-op fit would pass the comparison trivially)
