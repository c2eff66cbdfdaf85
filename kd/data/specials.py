"""Which special tokens a model family uses, and where they go — read from the tokenizer itself.

A ``tokenizers.Tokenizer`` (``tokenizer.json``) declares its family's input layout in its post-processor:
``RobertaProcessing`` (``<s> a </s>`` / ``<s> a </s></s> b </s>``), ``BertProcessing`` or a
``TemplateProcessing`` (``[CLS] a [SEP]`` / ``[CLS] a [SEP] b [SEP]`` with type ids 0…0 1…1; T5's encoder:
``a </s>`` / ``a </s> b </s>``, no leading token). The pad token is the one the tokenizer pads with
(``padding.pad_token``) or the vocabulary's pad token; unknown is the model's ``unk_token``.
Tokenizers without a template (Compressor's releases and the student vocabularies of
``kd/tokenization.py`` carry only a ByteLevel post-processor) fall back to the names in the vocabulary:
``<s>``/``</s>`` → RoBERTa layout, exactly as CodeXGLUE builds inputs.

Roles a model's ``tokenizer_config.json`` / ``special_tokens_map.json`` declare are written into the
tokenizer (template, padding) by :func:`declare`, so every later save of ``tokenizer.json`` keeps them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tokenizers import Tokenizer, processors

PAD_NAMES = ("<pad>", "[PAD]", "<|padding|>", "<PAD>", "[pad]")
UNK_NAMES = ("<unk>", "[UNK]", "<|unk|>", "<UNK>")
# (lead, sep, double separator between pair segments, type id 1 on the second segment)
NAMED_LAYOUTS = (("<s>", "</s>", True, False), ("[CLS]", "[SEP]", False, True))


@dataclass(frozen=True)
class SpecialTokens:
    """Special-token ids and the single/pair layout of one tokenizer.

    ``lead``: the cls/bos id that opens an input (None: T5-style, no leading token); ``sep``: the
    sep/eos id that closes each segment; ``double_sep``: RoBERTa's ``</s></s>`` between pair segments;
    ``pair_type_ids``: the second segment gets token type 1 (BERT family).
    """

    lead: int | None
    sep: int
    pad: int
    unk: int | None
    double_sep: bool = False
    pair_type_ids: bool = False

    @property
    def n_single(self) -> int:
        """Special tokens added to a single input."""
        return 1 + (self.lead is not None)

    @property
    def n_pair(self) -> int:
        """Special tokens added to a pair input."""
        return self.n_single + 1 + self.double_sep

    def single(self, ids: list[int]) -> list[int]:
        return ([self.lead] if self.lead is not None else []) + ids + [self.sep]

    def pair(self, a: list[int], b: list[int]) -> tuple[list[int], list[int]]:
        """Ids and token type ids of a pair input."""
        first = self.single(a) + ([self.sep] if self.double_sep else [])
        second = b + [self.sep]
        return first + second, [0] * len(first) + [int(self.pair_type_ids)] * len(second)

    @classmethod
    def of(cls, tokenizer: Tokenizer) -> SpecialTokens:
        """Read the roles from ``tokenizer``; a ValueError says which token is missing and how to declare it."""
        data = json.loads(tokenizer.to_str())  # one parse: a 50k-token vocabulary is megabytes of JSON
        layout = _template_layout(data) or _named_layout(tokenizer)
        pad = _pad_token(tokenizer)
        missing = [role for role, tok in (("sep/eos", layout and layout[1]), ("pad", pad)) if not tok]
        if layout is None or pad is None:
            raise ValueError(
                f"tokenizer has no {' and no '.join(missing)} token: give it a post-processor template "
                "(tokenizer.json `post_processor`), or load it from a model directory whose "
                "tokenizer_config.json / special_tokens_map.json declares cls/sep (or bos/eos) and pad"
            )
        lead, sep, double_sep, type_ids = layout
        unk = _unk_token(tokenizer, data)
        ids = {t: tokenizer.token_to_id(t) for t in (lead, sep, pad, unk) if t}
        absent = [t for t, i in ids.items() if i is None and t != unk]
        if absent:
            raise ValueError(
                f"tokenizer declares special token(s) {', '.join(absent)} that are not in its vocabulary"
            )
        return cls(
            lead=ids[lead] if lead else None,
            sep=int(ids[sep] or 0),
            pad=int(ids[pad] or 0),
            unk=ids.get(unk) if unk else None,
            double_sep=double_sep,
            pair_type_ids=type_ids,
        )


Layout = tuple[str | None, str, bool, bool]


def _post_processor(tokenizer_json: dict[str, Any]) -> dict[str, Any] | None:
    data = tokenizer_json.get("post_processor")
    if isinstance(data, dict) and data.get("type") == "Sequence":
        templated = [p for p in data.get("processors", []) if p.get("type") != "ByteLevel"]
        return templated[0] if templated else None
    return data if isinstance(data, dict) else None


def _template_layout(tokenizer_json: dict[str, Any]) -> Layout | None:
    proc = _post_processor(tokenizer_json)
    if proc is None:
        return None
    kind = proc.get("type")
    if kind in ("RobertaProcessing", "BertProcessing"):
        return proc["cls"][0], proc["sep"][0], kind == "RobertaProcessing", kind == "BertProcessing"
    if kind != "TemplateProcessing":
        return None
    single = [next(iter(piece.items())) for piece in proc["single"]]  # ("SpecialToken"|"Sequence", {...})
    at = [i for i, (k, _) in enumerate(single) if k == "Sequence"]
    if len(at) != 1 or at[0] + 1 >= len(single):
        return None  # no closing token after $A: not an encoder layout this project can use
    lead = single[at[0] - 1][1]["id"] if at[0] > 0 else None
    sep = single[at[0] + 1][1]["id"]
    pair = [next(iter(piece.items())) for piece in proc.get("pair", [])]
    seqs = [i for i, (k, _) in enumerate(pair) if k == "Sequence"]
    double = len(seqs) == 2 and seqs[1] - seqs[0] == 3
    type_ids = len(seqs) == 2 and int(pair[seqs[1]][1].get("type_id", 0)) == 1
    return lead, sep, double, type_ids


def _named_layout(tokenizer: Tokenizer) -> Layout | None:
    for lead, sep, double, type_ids in NAMED_LAYOUTS:
        if tokenizer.token_to_id(lead) is not None and tokenizer.token_to_id(sep) is not None:
            return lead, sep, double, type_ids
    return None


def _pad_token(tokenizer: Tokenizer) -> str | None:
    if tokenizer.padding and tokenizer.token_to_id(tokenizer.padding["pad_token"]) is not None:
        return str(tokenizer.padding["pad_token"])
    return next((t for t in PAD_NAMES if tokenizer.token_to_id(t) is not None), None)


def _unk_token(tokenizer: Tokenizer, tokenizer_json: dict[str, Any]) -> str | None:
    model = tokenizer_json.get("model", {})
    unk = model.get("unk_token")
    if unk is None and model.get("unk_id") is not None and model.get("vocab"):
        unk = model["vocab"][model["unk_id"]][0]  # Unigram keeps an id into its (piece, score) list
    if unk is not None and tokenizer.token_to_id(unk) is not None:
        return str(unk)
    return next((t for t in UNK_NAMES if tokenizer.token_to_id(t) is not None), None)


def declare(tokenizer: Tokenizer, roles: Mapping[str, str | None]) -> Tokenizer:
    """Write declared roles (``cls_token``/``bos_token``, ``sep_token``/``eos_token``, ``pad_token``) into
    ``tokenizer`` where it does not already say them, so that :meth:`SpecialTokens.of` and every saved
    ``tokenizer.json`` agree with the model's tokenizer config. Mutates and returns ``tokenizer``."""
    lead = roles.get("cls_token") or roles.get("bos_token")
    sep = roles.get("sep_token") or roles.get("eos_token")
    if (
        _template_layout(json.loads(tokenizer.to_str())) is None
        and sep
        and tokenizer.token_to_id(sep) is not None
    ):
        head = f"{lead} " if lead and tokenizer.token_to_id(lead) is not None else ""
        specials = [(t, tokenizer.token_to_id(t)) for t in dict.fromkeys([head.strip(), sep]) if t]
        tokenizer.post_processor = processors.TemplateProcessing(
            single=f"{head}$A {sep}", pair=f"{head}$A {sep} $B:1 {sep}:1", special_tokens=specials
        )
    pad = roles.get("pad_token")
    if pad and tokenizer.token_to_id(pad) is not None and _pad_token(tokenizer) != pad:
        tokenizer.enable_padding(pad_id=int(tokenizer.token_to_id(pad) or 0), pad_token=pad)
    return tokenizer
