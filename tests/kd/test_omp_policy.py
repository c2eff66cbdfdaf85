"""The kd package's OpenMP wait policy: set before torch unless the environment chose one; same numbers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# a training step of a small RoBERTa classifier with 2 threads; prints the policy and the gradients' bytes
STEP = """
import hashlib, os, sys
import kd  # first, as the kd CLI: sets OMP_WAIT_POLICY unless the environment has it
import torch
from transformers import RobertaConfig
from kd.models.io import from_config
from tests.kd.helpers import tiny_tokenizer
torch.set_num_threads(2)
torch.manual_seed(0)
cfg = RobertaConfig(vocab_size=300, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                    intermediate_size=64, max_position_embeddings=80, hidden_dropout_prob=0.0,
                    attention_probs_dropout_prob=0.0)
model = from_config(cfg, 2, tiny_tokenizer())
ids = torch.randint(5, 300, (8, 60))
mask = torch.ones_like(ids)
mask[::2, 40:] = 0
model(ids, mask).logsumexp(-1).sum().backward()
digest = hashlib.sha256()
for p in model.parameters():
    digest.update(p.grad.numpy().tobytes())
print(os.environ["OMP_WAIT_POLICY"], digest.hexdigest())
"""


def run(policy: str | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if policy is not None:
        env["OMP_WAIT_POLICY"] = policy
    env["PYTHONPATH"] = str(ROOT)
    out = subprocess.run(
        [sys.executable, "-c", STEP], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.split()


def test_passive_by_default_an_explicit_choice_wins_and_the_gradients_are_identical() -> None:
    default = run(None)
    active = run("ACTIVE")
    assert default[0] == "PASSIVE" and active[0] == "ACTIVE"
    # the policy only decides when idle OpenMP threads sleep: same threads, same kernels, same bits
    assert default[1] == active[1]
