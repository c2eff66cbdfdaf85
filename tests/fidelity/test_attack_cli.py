"""``python -m fidelity attack``: one model attacked on a data split; adversarial examples as jsonl and a
summary table whose counts match the records."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import torch

from fidelity.cli import main
from fidelity.transforms import identifiers
from kd.data.demo import ensure_demo_data
from kd.data.encoding import CodeEncoder
from kd.models.inference import predict_logits
from kd.models.io import load_model_dir, save_model_dir
from tests.kd.helpers import tiny_model

pytestmark = pytest.mark.usefixtures("isolated_cache")


def test_attack_writes_adversarial_examples_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    torch.manual_seed(0)
    model, tok = tiny_model(2)
    model_dir = save_model_dir(model, tok, tmp_path / "model")
    data = ensure_demo_data(tmp_path / "demo") / "bigclonebench"
    out = tmp_path / "attack"
    args = ["attack", "--model", str(model_dir), "--data", str(data), "--task", "clone", "--n", "6"]
    args += [
        "--attacks",
        "mhm",
        "wir_random",
        "--max-queries",
        "8",
        "--candidates",
        "3",
        "--max-length",
        "64",
    ]
    assert main([*args, "--output", str(out), "--quiet"]) == 0
    printed = capsys.readouterr().out
    assert "| attack | n | n_attacked | n_success | asr | asr_ci_low |" in printed
    records = [json.loads(line) for line in (out / "adversarial.jsonl").read_text().splitlines()]
    assert len(records) == 12 and {r["attack_set"] for r in records} == {"mhm", "wir_random"}
    summary = pd.read_csv(out / "summary.csv").set_index("attack")
    loaded = load_model_dir(model_dir)
    encoder = CodeEncoder(loaded.tokenizer, 64)
    for r in records:
        assert set(r) >= {
            "original",
            "adversarial",
            "mapping",
            "queries",
            "p_original",
            "p_adversarial",
            "status",
        }
        assert r["queries"] <= 8
        p_orig = torch.softmax(predict_logits(loaded.model, encoder, [tuple(r["original"])]), -1)[0]
        assert p_orig.tolist() == pytest.approx(r["p_original"], abs=1e-5)
        assert int(p_orig.argmax()) == r["orig_label"]
        if r["adversarial"] is not None:
            p_adv = torch.softmax(predict_logits(loaded.model, encoder, [tuple(r["adversarial"])]), -1)[0]
            assert int(p_adv.argmax()) == r["adv_label"]
            assert r["adversarial"][1] == r["original"][1]  # only the first function of a pair is renamed
            renamed = dict(r["mapping"])
            assert set(renamed) <= set(identifiers(r["original"][0], "java"))
    for attack, group in pd.DataFrame(records).groupby("attack_set"):
        assert summary.loc[attack, "n_success"] == group["success"].sum()
        assert summary.loc[attack, "n_attacked"] == (group["status"] != "misclassified").sum()
        assert (
            summary.loc[attack, "asr_ci_low"]
            <= summary.loc[attack, "asr"]
            <= summary.loc[attack, "asr_ci_high"]
        )
    assert (out / "summary.md").read_text().startswith("| attack |")


def test_attack_reports_a_missing_model_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = ensure_demo_data(tmp_path / "demo") / "bigclonebench"
    args = ["attack", "--model", str(tmp_path / "nope"), "--data", str(data), "--task", "clone"]
    assert main([*args, "--output", str(tmp_path / "o")]) == 2
    assert "cannot load" in capsys.readouterr().err
