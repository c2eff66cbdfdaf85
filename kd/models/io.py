"""Building, saving and loading classifiers: hub names, local HF dirs, our model dirs, Compressor files.

Formats (``detect_format``):
- ``metacompress``: a directory with ``metacompress.json`` (written by :func:`save_model_dir`).
- ``compressor``: a directory with ``model.bin`` + ``config.json`` + ``tokenizer.json`` in the
  Compressor release layout (see ``import_compressor``).
- ``hf``: anything ``transformers.AutoModel.from_pretrained`` takes (hub name or local directory);
  the head is newly initialised — this is how a teacher starts fine-tuning.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import torch
from tokenizers import Tokenizer
from transformers import AutoConfig, PretrainedConfig, RobertaConfig, RobertaModel

from kd.data.encoding import load_backend_tokenizer
from kd.data.specials import SpecialTokens
from kd.models.classifier import CodeClassifier
from kd.models.encoders import default_pooling, encoder_from_config, encoder_from_pretrained
from kd.spec import StudentSpec

log = logging.getLogger(__name__)

Format = Literal["auto", "hf", "metacompress", "compressor"]
META = "metacompress.json"


@dataclass
class LoadedModel:
    model: CodeClassifier
    tokenizer: Tokenizer
    source: str
    format: str


def detect_format(source: str | Path) -> str:
    path = Path(source)
    if (path / META).is_file():
        return "metacompress"
    if (
        (path / "model.bin").is_file()
        and (path / "tokenizer.json").is_file()
        and (path / "config.json").is_file()
    ):
        return "compressor"
    return "hf"


def load_classifier(
    source: str | Path,
    n_inputs: int,
    format: Format = "auto",
    tokenizer: str | None = None,
    pooling: str = "auto",
    pair_features: str = "concat",
) -> LoadedModel:
    """Load any supported model as a :class:`CodeClassifier` with its tokenizer.

    ``pooling`` and ``pair_features`` choose the new head of an ``hf`` model (see
    :func:`from_pretrained`); saved models keep the head they were trained with."""
    fmt = detect_format(source) if format == "auto" else format
    if fmt == "metacompress":
        loaded = load_model_dir(Path(source))
        if loaded.model.n_inputs != n_inputs:
            raise ValueError(f"{source} was saved for n_inputs={loaded.model.n_inputs}, expected {n_inputs}")
    elif fmt == "compressor":
        loaded = import_compressor(Path(source))
    elif fmt == "hf":
        loaded = from_pretrained(str(source), n_inputs, pooling=pooling, pair_features=pair_features)
    else:
        raise ValueError(f"unknown model format {format!r}; expected auto, hf, metacompress or compressor")
    if tokenizer is not None:
        loaded.tokenizer = load_backend_tokenizer(tokenizer)
    return loaded


def from_pretrained(
    name_or_path: str,
    n_inputs: int,
    num_labels: int = 2,
    pooling: str = "auto",
    pair_features: str = "concat",
) -> LoadedModel:
    """A hub or local HF encoder of any family (``microsoft/codebert-base``, a BERT, DistilBERT, ModernBERT,
    T5 or sentence-transformers directory …) with a fresh head. ``pooling="auto"``: see
    :func:`kd.models.encoders.default_pooling` (first token, or mean for sentence-transformers checkpoints
    and families without a leading token)."""
    tok = load_backend_tokenizer(name_or_path)
    if pooling == "auto":
        pooling = default_pooling(name_or_path, SpecialTokens.of(tok).lead is not None)
    encoder = encoder_from_pretrained(name_or_path)
    model = CodeClassifier(encoder, n_inputs, num_labels, pooling=pooling, pair_features=pair_features)
    # transformers returns pre-trained weights in eval mode, and Lightning keeps modules' modes: without
    # this a fine-tuned encoder would train with its dropout off (fresh models start in train mode)
    return LoadedModel(model.train(), tok, name_or_path, "hf")


def from_config(
    config: PretrainedConfig | dict,
    n_inputs: int,
    tokenizer: Tokenizer,
    num_labels: int = 2,
    pooling: str = "cls",
    pair_features: str = "concat",
) -> CodeClassifier:
    """Random-init encoder from a config (a student, or a teacher trained from scratch)."""
    if isinstance(config, dict):
        config = RobertaConfig(**config)
    encoder = encoder_from_config(config)
    return CodeClassifier(encoder, n_inputs, num_labels, pooling=pooling, pair_features=pair_features)


def spec_for_tokenizer(spec: StudentSpec, tokenizer: Tokenizer) -> StudentSpec:
    """``spec`` with the pad/bos/eos ids of ``tokenizer`` (unchanged for RoBERTa-style vocabularies).

    A family without a leading token (T5) keeps the spec's bos id unless it collides with pad/eos."""
    sp = SpecialTokens.of(tokenizer)
    ids = {"pad_token_id": sp.pad, "eos_token_id": sp.sep}
    bos = sp.lead if sp.lead is not None else spec.bos_token_id
    if bos in ids.values():
        bos = next(i for i in range(spec.vocab_size) if i not in ids.values())
    ids["bos_token_id"] = bos
    if all(getattr(spec, k) == v for k, v in ids.items()):
        return spec
    return spec.replace(**ids)


def save_model_dir(
    model: CodeClassifier, tokenizer: Tokenizer, directory: Path, extra: dict | None = None
) -> Path:
    """Self-contained model directory: encoder config, weights (safetensors-free torch file), tokenizer."""
    directory.mkdir(parents=True, exist_ok=True)
    model.encoder.config.to_json_file(str(directory / "config.json"))
    torch.save(model.state_dict(), directory / "model.pt")
    tokenizer.save(str(directory / "tokenizer.json"))
    meta = {
        "n_inputs": model.n_inputs,
        "num_labels": model.num_labels,
        "dropout": model.classifier.dropout.p,
        "positive_index": 1,
        "pooling": model.pooling,
        "pair_features": model.pair_features,
        **(extra or {}),
    }
    (directory / META).write_text(json.dumps(meta, indent=2))
    return directory


def load_model_dir(directory: str | Path) -> LoadedModel:
    directory = Path(directory)
    if not (directory / META).is_file():
        raise FileNotFoundError(f"{directory} is not a metacompress model dir (no {META})")
    meta = json.loads((directory / META).read_text())
    if "compression" in meta:  # pruned / quantized dir: its recipe rebuilds shapes and quantization
        from kd.compress.recipe import load_compressed

        tok = Tokenizer.from_file(str(directory / "tokenizer.json"))
        return LoadedModel(load_compressed(directory, meta, tok), tok, str(directory), "metacompress")
    config = AutoConfig.from_pretrained(str(directory), trust_remote_code=False)
    tok = Tokenizer.from_file(str(directory / "tokenizer.json"))
    model = from_config(
        config,
        int(meta["n_inputs"]),
        tok,
        int(meta.get("num_labels", 2)),
        meta.get("pooling", "cls"),
        meta.get("pair_features", "concat"),
    )
    state = torch.load(directory / "model.pt", map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    return LoadedModel(model, tok, str(directory), "metacompress")


def import_compressor(directory: Path) -> LoadedModel:
    """Import a released Compressor student (``model.bin`` state dict, RobertaConfig, BPE tokenizer).

    Clone layout: ``encoder.*`` (RobertaModel with an unused pooler) + ``classifier.{dense,out_proj}``
    (pair head). Vulnerability layout: ``encoder.roberta.*`` + ``encoder.classifier.*`` (a
    RobertaForSequenceClassification). In the vulnerability release logit 0 is the *vulnerable*
    score; the output rows are swapped here so index 1 is positive, as everywhere in this project.
    """
    config = RobertaConfig.from_json_file(str(directory / "config.json"))
    state = torch.load(directory / "model.bin", map_location="cpu", weights_only=True)
    tok = Tokenizer.from_file(str(directory / "tokenizer.json"))
    if any(k.startswith("encoder.roberta.") for k in state):
        enc_state = {
            k.removeprefix("encoder.roberta."): v
            for k, v in state.items()
            if k.startswith("encoder.roberta.")
        }
        head_state = {
            k.removeprefix("encoder.classifier."): v
            for k, v in state.items()
            if k.startswith("encoder.classifier.")
        }
        n_inputs, swap = 1, True
    elif "classifier.dense.weight" in state:
        enc_state = {
            k.removeprefix("encoder."): v
            for k, v in state.items()
            if k.startswith("encoder.") and not k.startswith("encoder.pooler.")
        }
        head_state = {
            k.removeprefix("classifier."): v for k, v in state.items() if k.startswith("classifier.")
        }
        n_inputs, swap = 2, False
    else:
        raise ValueError(
            f"{directory / 'model.bin'}: not a Compressor clone or vulnerability state dict "
            f"(first keys: {', '.join(list(state)[:4])})"
        )
    enc_state.pop("embeddings.position_ids", None)
    encoder = RobertaModel(config, add_pooling_layer=False)
    encoder.load_state_dict(enc_state, strict=True)
    model = CodeClassifier(encoder, n_inputs, int(config.num_labels or 2))
    if swap:
        head_state["out_proj.weight"] = head_state["out_proj.weight"].flip(0)
        head_state["out_proj.bias"] = head_state["out_proj.bias"].flip(0)
    model.classifier.load_state_dict(head_state, strict=True)
    return LoadedModel(model.eval(), tok, str(directory), "compressor")


def count_parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def max_input_tokens(model: torch.nn.Module) -> int | None:
    """Longest input (special tokens included) the model's position table holds, or None when it has none.

    RoBERTa-family encoders start positions after the padding index (``max_position_embeddings − pad − 1``
    usable, 512 for ``roberta-base``'s 514); BERT-family ones use every position."""
    config = getattr(getattr(model, "encoder", None), "config", None)
    positions = getattr(config, "max_position_embeddings", None)
    if positions is None:
        return None
    if getattr(config, "model_type", "") in ("roberta", "xlm-roberta", "camembert"):
        return int(positions) - int(getattr(config, "pad_token_id", 1) or 0) - 1
    return int(positions)


def input_length(model: torch.nn.Module, requested: int, explicit: bool, name: str) -> int:
    """Tokens per function ``model`` should read: ``requested``, cut to :func:`max_input_tokens` when it came from
    a default (reading past the position table would fail mid-run), an error naming ``name`` when it was asked
    for explicitly."""
    limit = max_input_tokens(model)
    if limit is None or requested <= limit:
        return requested
    if explicit:
        raise ValueError(
            f"model {name!r}: max_length {requested} exceeds the {limit} tokens its position table holds; "
            f"set max_length <= {limit}"
        )
    log.info("%s reads %d tokens per function (its position table's limit, < %d)", name, limit, requested)
    return limit
