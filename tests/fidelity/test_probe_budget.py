"""The probe's per-function budget: one huge function cannot stall probe building, and its skip is logged."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import mlflow
import pytest
from lightning.pytorch.loggers import MLFlowLogger

from fidelity.probe import ProbeConfig, build_probe
from fidelity.report import NOTE_MARKER
from kd.data.datamodules import CloneDetectionDataModule
from kd.data.splits import CodeSplit
from tests.fidelity.test_callback import _callback, _fit
from tests.fidelity.test_probe import CountingTeacher

#: 5 MB of Java: 250,000 compound assignments in one method (the issue's hostile input).
HUGE = "void huge() {\n  int total = 0;\n" + "  total += 1234567;\n" * 250_000 + "}\n"


pytestmark = pytest.mark.usefixtures("isolated_cache")


def _with_huge(split: CodeSplit, n: int) -> CodeSplit:
    """The first ``n`` pairs of ``split``, plus one pair whose first function is :data:`HUGE`."""
    items = split.items[:n]
    functions = {**split.functions, "huge": HUGE}
    return CodeSplit(split.name, [*items, (("huge", items[0][0][1]), 1)], functions)


def test_five_megabyte_function_is_skipped_within_budget(
    demo_root: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert len(HUGE) > 5_000_000  # 5 MB of characters, one byte each (ASCII)
    split = _with_huge(CloneDetectionDataModule(str(demo_root / "bigclonebench")).split("val"), 6)
    config = ProbeConfig(
        n_probe=100,  # every example, the huge one included
        transforms=("expand_compound_assignment", "increment_rewrite", "rename_local_variables"),
        attacks=("wir_random",),
        max_queries=4,
        n_candidates=2,
    )
    teacher = CountingTeacher(2)
    start = time.perf_counter()
    with caplog.at_level(logging.WARNING, logger="fidelity.probe"):
        probe = build_probe(split, "clone", config, teacher.handle(), progress=False)
    seconds = time.perf_counter() - start
    assert seconds < 60  # the run hung > 600 s; six normal pairs take a few seconds
    assert probe.skipped == {"too_large": 1}
    assert len(probe.originals) == 6 and all(HUGE not in ex for ex in probe.originals)
    assert all(HUGE not in ex for ex in teacher.calls[0])  # never sent to the teacher either
    assert "huge" in probe.skipped_examples[0] and f"({len(HUGE)} chars)" in probe.skipped_examples[0]
    assert "too_large" in caplog.text and "max_chars 100000" in caplog.text


def test_time_budget_stops_transforms_of_a_slow_function(demo_root: Path) -> None:
    split = CloneDetectionDataModule(str(demo_root / "bigclonebench")).split("val")
    names = ("rename_local_variables", "insert_dead_code")
    config = ProbeConfig(n_probe=5, transforms=names, attacks=(), max_seconds=1e-9)
    probe = build_probe(split, "clone", config, CountingTeacher(2).handle(), progress=False)
    # Every function spends more than a nanosecond on its first transform: none gets a second one.
    assert probe.skipped == {"time_budget": 5}
    assert len(probe.followups["insert_dead_code"].examples) == 0
    assert len(probe.followups["rename_local_variables"].source) > 0
    with pytest.raises(ValueError, match="max_seconds"):
        ProbeConfig(max_seconds=0)
    with pytest.raises(ValueError, match="max_chars"):
        ProbeConfig(max_chars=0)


def test_fit_logs_probe_skips_to_mlflow(
    tmp_path: Path,
    demo_root: Path,
    teacher_dir: Path,
) -> None:
    # The demo functions are a few hundred characters: a 250-character cap leaves some of them out.
    uri = f"sqlite:///{tmp_path}/mlflow.db"
    logger = MLFlowLogger(
        experiment_name="budget", tracking_uri=uri, artifact_location=(tmp_path / "a").as_uri()
    )
    callback = _callback(max_chars=250, attacks=[])
    _fit(tmp_path, demo_root, teacher_dir, [callback], logger=logger)
    assert callback.probe is not None
    split = callback._split
    assert split is not None
    sample = split.subset(callback.config.n_probe, callback.config.seed)
    expected = sum(1 for i in range(len(sample)) if max(map(len, sample.texts(i))) > 250)
    assert 0 < expected < len(sample)  # the cap really splits this sample
    client = mlflow.MlflowClient(uri)
    run = client.get_run(logger.run_id)
    assert run.data.metrics["fidelity/probe/skipped/too_large"] == expected
    assert run.data.metrics["fidelity/probe/skipped/total"] == expected
    assert run.data.params["fidelity.max_chars"] == "250"
    local = client.download_artifacts(logger.run_id, "fidelity/probe_skips.json", str(tmp_path / "dl"))
    report = json.loads(Path(local).read_text())
    assert report["counts"] == {"too_large": expected} and report["budget"]["max_chars"] == 250
    # The headline first: the run description holds the fidelity/all relations, the latest report is pinned.
    note = run.data.tags["mlflow.note.content"]
    assert note.startswith(NOTE_MARKER) and "agreement_violation" in note
    assert "fidelity/dashboard.html" in [a.path for a in client.list_artifacts(logger.run_id, "fidelity")]
