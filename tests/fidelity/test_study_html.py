"""The study's self-contained HTML report renders in headless Chromium: its tables are in the DOM and its
embedded (base64) figures decode. Skipped with a reason when chromium is not installed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from fidelity.study import run_study
from fidelity.study_config import parse_study
from fidelity.study_report import write_study
from kd.data.demo import ensure_demo_data
from kd.models.io import save_model_dir
from tests.fidelity.test_mlflow_ui import CHROMIUM, ROOT, _chromium
from tests.kd.helpers import tiny_model

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)"),
]
# Records each embedded image's decoded width once the page has loaded (0 = broken image).
PROBE_SCRIPT = (
    "<script>window.addEventListener('load', () => { document.body.dataset.imageWidths = "
    "[...document.images].map(i => i.naturalWidth).join(','); });</script>"
)


def test_html_report_shows_tables_and_figures_in_chromium(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METACOMPRESS_CACHE", str(tmp_path / "cache"))
    torch.manual_seed(0)
    teacher, tok = tiny_model(2)
    torch.manual_seed(1)
    student, _ = tiny_model(2, tok)
    data = ensure_demo_data(tmp_path / "demo") / "bigclonebench"
    config = {
        "name": "html",
        "task": "clone",
        "data": str(data),
        "max_length": 64,
        "teacher": {"name": "teacher", "source": str(save_model_dir(teacher, tok, tmp_path / "t"))},
        "students": [{"name": "student-a", "source": str(save_model_dir(student, tok, tmp_path / "s"))}],
        "probe": {"n": 10, "transforms": ["rename_parameters", "reformat"]},
        "attacks": {"names": ["wir_random"], "n_attack": 4, "max_queries": 4, "candidates": 2},
        "statistics": {"n_boot": 100},
        "output": str(tmp_path / "report"),
    }
    result = run_study(parse_study(config), progress=False)
    write_study(result, tmp_path / "report")
    page = tmp_path / "report" / "report.html"
    probe_page = tmp_path / "probe.html"
    probe_page.write_text(page.read_text().replace("</body>", PROBE_SCRIPT + "</body>"))
    dom = _chromium(["--dump-dom", probe_page.as_uri()], tmp_path / "chrome-dom")
    for text in (
        "Models (accuracy on the probe originals)",
        "Agreement violation per follow-up",
        "Robustness of student-a vs the teacher",
        "Direct attacks",
        "Sample size",
        "<th>relative drop</th>",
        "rename_parameters",
    ):
        assert text in dom, f"{text!r} not in the rendered report ({len(dom)} chars of DOM)"
    assert dom.count("<table") == 4
    widths = re.search(r'data-image-widths="([0-9,]*)"', dom)
    assert widths is not None, "the page's load handler did not run"
    assert [int(w) > 100 for w in widths.group(1).split(",")] == [True, True, True]
    out = ROOT / "artifacts"
    out.mkdir(exist_ok=True)
    shot = out / "study_report.png"
    _chromium([f"--screenshot={shot}", page.as_uri()], tmp_path / "chrome-shot")
    assert shot.is_file() and shot.stat().st_size > 10_000
