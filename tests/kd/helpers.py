"""Tiny models and tokenizers for unit tests (random init, CPU, milliseconds)."""

from __future__ import annotations

from tokenizers import Tokenizer

from kd.models.classifier import CodeClassifier
from kd.models.io import from_config
from kd.spec import StudentSpec
from kd.tokenization import train_tokenizer

SNIPPETS = [
    "int add(int a, int b) { return a + b; }",
    "static void copy(String src, String dst) throws IOException { Files.copy(Paths.get(src), Paths.get(dst)); }",
    "for (int i = 0; i < n; i++) { total += values[i]; }",
    "char *dup(const char *s) { char *p = malloc(strlen(s) + 1); strcpy(p, s); return p; }",
] * 5

TINY_SPEC = StudentSpec(
    vocab_size=300, num_hidden_layers=1, hidden_size=16, num_attention_heads=2, intermediate_size=32
)


def tiny_tokenizer() -> Tokenizer:
    return train_tokenizer(SNIPPETS, 300)


def tiny_model(n_inputs: int = 1, tokenizer: Tokenizer | None = None) -> tuple[CodeClassifier, Tokenizer]:
    tok = tokenizer or tiny_tokenizer()
    spec = TINY_SPEC.replace(vocab_size=tok.get_vocab_size())
    return from_config(spec.to_roberta_config(), n_inputs, tok), tok
