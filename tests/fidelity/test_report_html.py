"""summary.html is self-contained (figures embedded as data URIs) and opens on the headline relations;
rendered in headless Chromium, its bar chart is visible even with no other file beside it."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.image import imread

from fidelity.evaluate import ALL, Thresholds, fidelity_relations
from fidelity.report import NOTE_MARKER, headline_markdown, relations_frame, write_report
from tests.fidelity.test_probe import _handmade_probe

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
#: matplotlib's first default colour (C0, "#1f77b4"): the first relation's bars in violations.png.
C0 = np.array([0x1F, 0x77, 0xB4]) / 255


def _report(tmp_path: Path) -> Path:
    probe = _handmade_probe()
    student = torch.tensor([[0.1, 0.9], [0.7, 0.3], [0.6, 0.4], [0.9, 0.1], [0.6, 0.4]])
    result = fidelity_relations(probe, student, Thresholds(tau_d=0.1, tau_c=0.75, tau_g=0.1))
    history = pd.DataFrame([{"step": 1.0, **result.table[ALL]}, {"step": 2.0, **result.table[ALL]}])
    write_report(tmp_path / "report", probe, result, {"task": "clone"}, history)
    return tmp_path / "report"


def test_summary_html_embeds_its_figures_and_leads_with_the_headline(tmp_path: Path) -> None:
    report = _report(tmp_path)
    page = (report / "summary.html").read_text()
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert len(sources) == 2  # violations and trends
    for src, name in zip(sources, ("violations.png", "trends.png"), strict=True):
        assert src.startswith("data:image/png;base64,")  # no relative link the artifact viewer cannot follow
        assert base64.b64decode(src.split(",", 1)[1]) == (report / name).read_bytes()
    assert page.index("Headline: all follow-ups") < page.index("Relations per follow-up")
    headline = page[page.index("Headline") : page.index("Relations per follow-up")]
    assert "agreement_violation" in headline and "flip_rate_student" in headline


def test_headline_note_lists_the_all_row(tmp_path: Path) -> None:
    probe = _handmade_probe()
    student = torch.tensor([[0.1, 0.9], [0.7, 0.3], [0.6, 0.4], [0.9, 0.1], [0.6, 0.4]])
    result = fidelity_relations(probe, student, Thresholds(tau_d=0.1, tau_c=0.75, tau_g=0.1))
    note = headline_markdown(relations_frame(result), step=7)
    assert note.startswith(NOTE_MARKER) and "at step 7" in note
    # hand-worked in tests/fidelity/test_probe.py: pooled over a (2 pairs) and b (1 pair), 1 of 3 disagrees
    assert "| agreement_violation | 0.3333 |" in note


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium)")
def test_summary_html_shows_its_chart_in_headless_chromium(tmp_path: Path) -> None:
    report = _report(tmp_path)
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copyfile(report / "summary.html", alone / "summary.html")  # as the artifact viewer serves it
    shot = tmp_path / "shot.png"
    assert CHROMIUM is not None
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            f"--user-data-dir={tmp_path / 'chrome'}",
            "--window-size=1200,2400",
            f"--screenshot={shot}",
            (alone / "summary.html").as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert shot.is_file(), "chromium wrote no screenshot"
    pixels = imread(shot)[..., :3]
    bars = np.all(np.abs(pixels - C0) < 0.02, axis=-1).sum()
    # A broken image shows an icon with no C0 pixels; the embedded chart has whole bars of them.
    assert bars > 500, f"only {bars} pixels of the chart's first colour: the figure did not render"
