"""No silent data changes, and early errors: bad bytes and empty code raise or are counted skips that reach
MLflow; a missing data_dir or an empty config fails at parse time, in one line, before any MLflow run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import mlflow
import pytest
import torch

from kd.cli import KDCLI, main
from kd.data.datamodules import CloneDetectionDataModule, DefectDataModule
from kd.data.demo import ensure_demo_data
from kd.data.formats import DataError, SkipReport, read_functions
from kd.models.io import save_model_dir
from tests.kd.helpers import tiny_fit_args, tiny_model

GOOD = [json.dumps({"idx": str(i), "func": f"int f{i}() {{ return {i}; }}"}) for i in range(3)]
# Latin-1 "é" (0xE9) inside a string: not UTF-8. Decoding with errors="replace" would turn it into U+FFFD.
LATIN1 = b'{"idx": "9", "func": "int caf\xe9() { return 1; }"}'


def _write_bytes(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("METACOMPRESS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


def test_invalid_utf8_raises_with_file_and_line_or_is_a_counted_skip(tmp_path: Path) -> None:
    path = _write_bytes(tmp_path / "functions.jsonl", [GOOD[0].encode(), LATIN1, GOOD[1].encode()])
    with pytest.raises(DataError, match=r"functions\.jsonl:2: invalid UTF-8 at byte 29"):
        read_functions(path)
    skips = SkipReport()
    got = read_functions(path, on_error="skip", skips=skips)
    assert sorted(got) == ["0", "1"]  # the bad line is dropped, not decoded with replacement characters
    assert not any("\ufffd" in r["func"] for r in got.values())
    assert skips.counts == {"invalid UTF-8": 1} and "functions.jsonl:2" in skips.summary()


@pytest.mark.parametrize("code", ["", "  \n\t "], ids=["empty", "blank"])
def test_empty_code_raises_or_is_a_counted_skip(tmp_path: Path, code: str) -> None:
    lines = [GOOD[0], json.dumps({"idx": "7", "func": code}), GOOD[1]]
    path = _write_bytes(tmp_path / "functions.jsonl", [x.encode() for x in lines])
    with pytest.raises(DataError, match=r"functions\.jsonl:2: 'func' is empty"):
        read_functions(path)
    skips = SkipReport()
    assert sorted(read_functions(path, on_error="skip", skips=skips)) == ["0", "1"]
    assert skips.counts == {"empty code": 1}


def test_devign_jsonl_splits_check_bytes_and_empty_code_too(tmp_path: Path) -> None:
    rows = [json.dumps({"func": f"int g{i}() {{ return {i}; }}", "target": i % 2}).encode() for i in range(3)]
    for name in ("train", "valid", "test"):
        _write_bytes(tmp_path / f"{name}.jsonl", [*rows, json.dumps({"func": "", "target": 0}).encode()])
    with pytest.raises(DataError, match=r"train\.jsonl:4: 'func' is empty"):
        DefectDataModule(str(tmp_path)).split("train")
    dm = DefectDataModule(str(tmp_path), on_error="skip")
    assert len(dm.split("train")) == 3 and dm.skips.counts == {"empty code": 1}


@pytest.fixture
def bad_clone_data(tmp_path: Path) -> Path:
    """The demo clone data plus three bad functions (not referenced by any pair)."""
    demo = ensure_demo_data(tmp_path / "demo") / "bigclonebench"
    data = tmp_path / "data"
    shutil.copytree(demo, data)
    extra = [
        LATIN1.replace(b'"9"', b'"bad1"'),
        b'{"idx": "bad2", "func": ""}',
        b'{"idx": "bad3", "func": " "}',
    ]
    with (data / "functions.jsonl").open("ab") as fh:
        fh.write(b"\n".join(extra) + b"\n")
    return data


def test_skip_counts_reach_the_mlflow_run(tmp_path: Path, bad_clone_data: Path) -> None:
    torch.manual_seed(0)
    model, tok = tiny_model(n_inputs=2)
    teacher = save_model_dir(model, tok, tmp_path / "teacher")
    with pytest.raises(DataError, match="invalid UTF-8"):  # the default is on_error: raise
        CloneDetectionDataModule(str(bad_clone_data)).split("val")
    args = tiny_fit_args(tmp_path, bad_clone_data, teacher, 2, extra=["--data.on_error", "skip"])
    cli = KDCLI(args=[*args, "--test_after_fit", "false"])
    client = mlflow.MlflowClient(f"sqlite:///{tmp_path}/mlflow.db")
    run_id = cli.trainer.logger.run_id
    metrics = client.get_run(run_id).data.metrics
    assert metrics["data/skipped/total"] == 3
    assert metrics["data/skipped/invalid_utf_8"] == 1 and metrics["data/skipped/empty_code"] == 2
    local = client.download_artifacts(run_id, "data/skips.json", str(tmp_path / "dl"))
    report = json.loads(Path(local).read_text())
    assert report["counts"] == {"invalid UTF-8": 1, "empty code": 2}
    functions = bad_clone_data / "functions.jsonl"
    last = len(functions.read_bytes().splitlines())  # the three bad records are the last three lines
    assert report["first"] == {
        "invalid UTF-8": [f"{functions}:{last - 2}"],
        "empty code": [f"{functions}:{last - 1}", f"{functions}:{last}"],
    }


def test_missing_data_dir_fails_at_parse_time_before_any_run(tmp_path: Path) -> None:
    cfg = Path(__file__).resolve().parents[2] / "lightning_configs" / "quickstart" / "hinton.yaml"
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    missing = tmp_path / "no-such-data"
    with pytest.raises(SystemExit) as exc:
        KDCLI(
            args=[
                "fit",
                "--config",
                str(cfg),
                "--data.init_args.data_dir",
                str(missing),
                "--trainer.logger.init_args.tracking_uri",
                uri,
            ]
        )
    message = str(exc.value.code)
    assert message == f"error: data.init_args.data_dir: no such directory: {missing}"
    assert "\n" not in message
    assert not (tmp_path / "mlflow.db").exists()  # no store touched, so no FAILED run


def test_empty_config_says_it_is_empty(tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("# only a comment\n")
    with pytest.raises(SystemExit) as exc:
        main(["fit", "--config", str(empty)])
    assert str(exc.value.code) == f"error: config file {empty} is empty (no keys)"
    with pytest.raises(SystemExit) as exc:
        main(["fit", f"--config={empty}"])
    assert "is empty" in str(exc.value.code)
