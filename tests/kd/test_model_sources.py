"""Model sources are checked when the config is parsed; hub access fails once, fast (issues #12.4, #21)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kd.cli import main
from kd.models.io import from_pretrained
from kd.models.ref import FreshModel, ModelRef
from kd.models.sources import ModelSourceError, is_local_looking
from tests.kd.helpers import TINY_SPEC


@pytest.mark.parametrize(
    ("source", "local"),
    [
        ("microsoft/codebert-base", False),
        ("bert-base-uncased", False),
        ("./model", True),
        ("../shared/models/x", True),
        ("/abs/model", True),
        ("~/models/m", True),
        ("runs/teacher/model", True),
        ("tok/tokenizer.json", True),
        ("C:\\models\\m", True),
        ("has space/model", True),
    ],
)
def test_local_looking_sources(source: str, local: bool) -> None:
    assert is_local_looking(source) is local


def test_missing_and_empty_local_paths_fail_when_the_ref_is_built(tmp_path: Path) -> None:
    with pytest.raises(ModelSourceError, match=r"^no such model directory: \./nope/model$"):
        ModelRef("./nope/model")
    with pytest.raises(ModelSourceError, match=r"^no such tokenizer: /no/tokenizer\.json$"):
        FreshModel(TINY_SPEC, tokenizer="/no/tokenizer.json")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelSourceError, match="is not a model directory: it has none of config.json"):
        ModelRef(str(tmp_path / "empty"))
    assert ModelRef("microsoft/codebert-base").source == "microsoft/codebert-base"  # hub names: at load time


def test_missing_teacher_fails_at_parse_time_with_one_line_and_no_run(tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    args = [
        "fit",
        "--model",
        "kd.methods.vanilla.HintonKD",
        "--model.teacher",
        json.dumps({"source": str(tmp_path / "missing" / "model")}),
        "--model.student",
        json.dumps({"spec": {"vocab_size": 300, "num_hidden_layers": 1, "hidden_size": 16,
                             "num_attention_heads": 2, "intermediate_size": 32}}),
        "--data",
        "kd.data.datamodules.CloneDetectionDataModule",
        "--data.data_dir",
        "demo",
        "--trainer.default_root_dir",
        str(tmp_path / "runs"),
        "--trainer.logger.init_args.tracking_uri",
        f"sqlite:///{db}",
    ]  # fmt: skip
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == f"error: no such model directory: {tmp_path / 'missing' / 'model'}"
    assert not (tmp_path / "runs").exists()  # no trainer, no checkpoints, no run directory
    if db.exists():  # the store may be created, but it holds no run
        import mlflow

        client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{db}")
        assert not client.search_runs([e.experiment_id for e in client.search_experiments()])


def test_offline_hub_name_fails_once_fast_naming_hf_hub_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    calls: list[str] = []

    def no_download(*args: object, **kwargs: object) -> None:
        calls.append(str(args))
        raise AssertionError("transformers must not be asked for the model")

    monkeypatch.setattr("transformers.AutoConfig.from_pretrained", no_download)
    monkeypatch.setattr("transformers.AutoTokenizer.from_pretrained", no_download)
    with pytest.raises(ModelSourceError, match=r"'someorg/some-model'.*HF_HUB_OFFLINE=1"):
        from_pretrained("someorg/some-model", n_inputs=2)
    assert calls == []


def test_unreachable_hub_fails_after_one_connection_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without HF_HUB_OFFLINE, a hub that refuses connections is one error naming HF_HUB_OFFLINE."""
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.delenv("TRANSFORMERS_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: connection refused
    import socket

    attempts: list[object] = []
    real = socket.create_connection

    def counting(address: object, *args: object, **kwargs: object) -> socket.socket:
        attempts.append(address)
        return real(address, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "create_connection", counting)
    with pytest.raises(ModelSourceError, match=r"cannot reach the Hugging Face hub.*HF_HUB_OFFLINE=1"):
        from_pretrained("someorg/some-model", n_inputs=2)
    assert attempts == [("127.0.0.1", 9)]
