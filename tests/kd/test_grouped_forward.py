"""The length-grouped forward (``CodeClassifier.forward_grouped``) is the whole-batch forward, cheaper.

Expected values come from the whole-batch :meth:`CodeClassifier.forward` on the same inputs (an independent code
path: one encoder call over the padded batch) and from hand-worked padding sums for :func:`length_groups`.
"""

from __future__ import annotations

import pytest
import torch

from kd.models.classifier import length_groups, padded_positions
from kd.models.io import from_config
from tests.kd.helpers import TINY_SPEC, tiny_model, tiny_tokenizer


@pytest.mark.parametrize(
    ("lengths", "max_padding", "max_groups", "expected"),
    [
        # one group pads 4 of 16 positions (25 %) > 10 %; two groups [4, 4] and [8, 8] pad nothing
        ([4, 4, 8, 8], 0.1, 8, [0, 2, 4]),
        # 25 % is allowed at 30 %: one group
        ([4, 4, 8, 8], 0.3, 8, [0, 4]),
        # equal lengths never need a second group
        ([5, 5, 5], 0.0, 8, [0, 3]),
        # 1, 2, 3, 4 at 0 %: every split into fewer than 4 groups pads something; capped at n groups
        ([1, 2, 3, 4], 0.0, 8, [0, 1, 2, 3, 4]),
        # the same with a cap of 2 groups: [1, 2] → 4 positions, [3, 4] → 8 (2 of 12 padded) — the cap wins
        ([1, 2, 3, 4], 0.0, 2, [0, 2, 4]),
        ([7], 0.1, 8, [0, 1]),
        ([], 0.1, 8, [0, 0]),
    ],
)
def test_length_groups_hand_cases(lengths, max_padding, max_groups, expected) -> None:
    assert length_groups(lengths, max_padding, max_groups) == expected


def test_padded_positions_hand_cases() -> None:
    # whole batch: 4 rows cut to the longest (8) = 32 positions, 24 real
    assert padded_positions([8, 4, 8, 4], grouped=False) == 32
    # grouped: length_groups splits [4, 4, 8, 8] into [4, 4] and [8, 8] -> 2*4 + 2*8 = 24, no padding
    assert padded_positions([8, 4, 8, 4], grouped=True) == 24
    # already within 10 %: one group, the same as the whole batch (10 rows of 10 and one of 11: 11*11 = 121)
    assert padded_positions([10] * 10 + [11], grouped=True) == 121
    assert padded_positions([], grouped=True) == padded_positions([], grouped=False) == 0


def _batch(n_rows: int, width: int, seed: int, vocab: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded rows of random lengths in [2, width] (pad id 1, as RoBERTa's)."""
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(2, width + 1, (n_rows,), generator=g)
    ids = torch.full((n_rows, width), 1, dtype=torch.long)
    mask = torch.zeros(n_rows, width, dtype=torch.long)
    for r, n in enumerate(lengths.tolist()):
        ids[r, :n] = torch.randint(3, vocab, (n,), generator=g)
        ids[r, 0] = 0  # <s>
        mask[r, :n] = 1
    return ids, mask


@pytest.mark.parametrize("n_inputs", [1, 2])
@pytest.mark.parametrize("pooling", ["cls", "mean"])
def test_grouped_logits_and_grads_equal_whole_batch(n_inputs: int, pooling: str) -> None:
    tok = tiny_tokenizer()
    spec = TINY_SPEC.replace(vocab_size=tok.get_vocab_size(), num_hidden_layers=2)
    torch.manual_seed(0)
    model = from_config(spec.to_roberta_config(), n_inputs, tok, pooling=pooling).eval()
    ids, mask = _batch(12 * n_inputs, 40, seed=1, vocab=tok.get_vocab_size())

    whole = model(ids, mask)
    (whole**2).sum().backward()
    grads_whole = {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()

    grouped = model.forward_grouped(ids, mask, max_padding=0.0, max_groups=6)
    (grouped**2).sum().backward()
    grads_grouped = {k: p.grad.clone() for k, p in model.named_parameters() if p.grad is not None}

    # float32 sums over differently-sized (masked) tensors: agreement to rounding, not bit-exact
    torch.testing.assert_close(grouped, whole, rtol=1e-5, atol=1e-5)
    assert grads_grouped.keys() == grads_whole.keys()
    for name in grads_whole:
        torch.testing.assert_close(grads_grouped[name], grads_whole[name], rtol=1e-4, atol=1e-6, msg=name)


def test_grouped_forward_bert_family() -> None:
    """A BERT encoder (position ids 0..L-1, token type embeddings) gives the same logits grouped or whole."""
    from transformers import BertConfig

    tok = tiny_tokenizer()
    cfg = BertConfig(
        vocab_size=tok.get_vocab_size(),
        hidden_size=16,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=32,
        pad_token_id=1,
    )
    torch.manual_seed(0)
    model = from_config(cfg, 2, tok).eval()
    ids, mask = _batch(10, 30, seed=2, vocab=tok.get_vocab_size())
    with torch.no_grad():
        torch.testing.assert_close(model.forward_grouped(ids, mask), model(ids, mask), rtol=1e-5, atol=1e-5)


def test_grouped_forward_single_group_and_empty() -> None:
    model, tok = tiny_model(1)
    model.eval()
    ids, mask = _batch(4, 20, seed=3, vocab=tok.get_vocab_size())
    mask[:] = 0
    mask[:, :5] = 1  # every row 5 tokens: one group, cut to width 5
    ids[:, 5:] = 1
    with torch.no_grad():
        torch.testing.assert_close(model.forward_grouped(ids, mask), model(ids, mask), rtol=1e-5, atol=1e-5)
        assert model.forward_grouped(ids[:0], mask[:0]).shape == (0, 2)


def test_training_steps_grouped_vs_whole_reach_the_same_weights() -> None:
    """The speed option changes no training outcome: 5 AdamW steps without dropout (dropout draws its masks
    per group, so it is the one thing that legitimately differs) end at the same weights to float rounding."""
    tok = tiny_tokenizer()
    spec = TINY_SPEC.replace(
        vocab_size=tok.get_vocab_size(), hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0
    )
    batches = [_batch(16, 48, seed=10 + i, vocab=tok.get_vocab_size()) for i in range(5)]
    targets = torch.randint(0, 2, (5, 8), generator=torch.Generator().manual_seed(0))
    final = []
    for grouped in (False, True):
        torch.manual_seed(0)
        model = from_config(spec.to_roberta_config(), 2, tok).train()  # head dropout = hidden (0)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
        for (ids, mask), y in zip(batches, targets, strict=True):
            logits = model.forward_grouped(ids, mask) if grouped else model(ids, mask)
            torch.nn.functional.cross_entropy(logits, y).backward()
            opt.step()
            opt.zero_grad()
        final.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    torch.testing.assert_close(final[1], final[0], rtol=1e-4, atol=1e-5)
