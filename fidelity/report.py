"""Fidelity reports a person can read: pandas tables, matplotlib figures (Agg), Markdown and HTML.

Figures are drawn on ``matplotlib.figure.Figure`` with the Agg canvas, never through ``pyplot``: no
global state, no display needed, safe inside a training process.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from fidelity.evaluate import ALL, FidelityResult
from fidelity.probe import ProbeSet

#: Relations drawn in the per-follow-up bar chart (violation rates, all in [0, 1]).
BAR_RELATIONS = ("agreement_violation", "distribution_violation", "confidence_violation", "flip_rate_student")
#: Relations tracked across checkpoints in the trends chart.
TREND_RELATIONS = (
    "agreement_violation",
    "distribution_violation",
    "flip_rate_student",
    "robustness_drop_student",
)


def relations_frame(result: FidelityResult) -> pd.DataFrame:
    """Rows: follow-up names then ``all``; columns: relation keys."""
    frame = pd.DataFrame.from_dict(result.table, orient="index")
    frame.index.name = "followup"
    if "n_pairs" in frame.columns:
        frame["n_pairs"] = frame["n_pairs"].astype(int)
    return frame


def divergent_examples(probe: ProbeSet, result: FidelityResult, max_rows: int = 500) -> pd.DataFrame:
    """Pairs (x, x') where T and S disagree on x' or only the student's label flips, for reading.

    ``*_p1`` columns are the probability of the positive class (clone / vulnerable)."""
    s_src, s_fu = probe.split_scores(result.student_probs)
    rows: list[dict[str, object]] = []
    for name, fu in probe.followups.items():
        for j, i in enumerate(fu.source):
            t0, s0, t1, s1 = probe.teacher_probs[i], s_src[i], fu.teacher_probs[j], s_fu[name][j]
            disagree = int(t1.argmax()) != int(s1.argmax())
            student_flip = int(s0.argmax()) != int(s1.argmax()) and int(t0.argmax()) == int(t1.argmax())
            if not (disagree or student_flip):
                continue
            rows.append(
                {
                    "followup": name,
                    "kind": fu.kind,
                    "probe_index": i,
                    "label": int(probe.labels[i]),
                    "reason": "agreement_violation" if disagree else "student_flip",
                    "t_p1_source": float(t0[1]),
                    "s_p1_source": float(s0[1]),
                    "t_p1_followup": float(t1[1]),
                    "s_p1_followup": float(s1[1]),
                    "code_before": probe.originals[i][0],
                    "code_after": fu.examples[j][0],
                }
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "followup",
            "kind",
            "probe_index",
            "label",
            "reason",
            "t_p1_source",
            "s_p1_source",
            "t_p1_followup",
            "s_p1_followup",
            "code_before",
            "code_after",
        ],
    )
    return frame.head(max_rows)


def markdown_table(frame: pd.DataFrame, digits: int = 4) -> str:
    """GitHub Markdown table (no ``tabulate`` dependency); floats rounded to ``digits``."""
    frame = frame.reset_index() if frame.index.name else frame

    def cell(v: object) -> str:
        if v is None or (isinstance(v, float) and v != v):  # missing / NaN: leave the cell empty
            return ""
        text = f"{v:.{digits}f}" if isinstance(v, float) else str(v)
        return text.replace("|", "\\|").replace("\n", " ")

    head = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    body = ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([head, rule, *body])


def _save(fig: Figure, path: Path) -> Path:
    FigureCanvasAgg(fig)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    return path


def violations_figure(frame: pd.DataFrame, path: Path, relations: Sequence[str] = BAR_RELATIONS) -> Path:
    """Grouped bar chart: violation rates per follow-up (the ``all`` row last)."""
    cols = [r for r in relations if r in frame.columns]
    fig = Figure(figsize=(max(6.0, 0.55 * len(frame) + 2), 4.0))
    ax = fig.add_subplot()
    width = 0.8 / max(len(cols), 1)
    for k, rel in enumerate(cols):
        ax.bar([i + k * width for i in range(len(frame))], frame[rel].to_numpy(), width, label=rel)
    ax.set_xticks(
        [i + 0.4 - width / 2 for i in range(len(frame))],
        list(frame.index),
        rotation=60,
        ha="right",
        fontsize=8,
    )
    ax.set_ylabel("rate over (x, x') pairs")
    ax.set_title("Teacher–student fidelity violations per follow-up")
    ax.legend(fontsize=7)
    return _save(fig, path)


def trends_figure(history: pd.DataFrame, path: Path, relations: Sequence[str] = TREND_RELATIONS) -> Path:
    """Line chart across checkpoints of the pooled (``all``) relations; ``history`` has a ``step``
    column and one column per relation, one row per evaluation of the ``all`` row."""
    fig = Figure(figsize=(6.5, 4.0))
    ax = fig.add_subplot()
    for rel in relations:
        if rel in history.columns:
            ax.plot(history["step"], history[rel], marker="o", label=rel)
    ax.set_xlabel("global step")
    ax.set_title("Fidelity across checkpoints (all follow-ups)")
    ax.legend(fontsize=7)
    return _save(fig, path)


def summary_markdown(frame: pd.DataFrame, meta: Mapping[str, object], result: FidelityResult) -> str:
    lines = ["# Fidelity report", ""]
    lines += [f"- **{k}**: {v}" for k, v in meta.items()]
    lines += ["- **originals**: " + ", ".join(f"{k} = {v:.4f}" for k, v in result.originals.items())]
    if result.skipped:
        lines.append(f"- **follow-ups with no applicable example**: {', '.join(result.skipped)}")
    lines += ["", "## Relations per follow-up", "", markdown_table(frame), ""]
    return "\n".join(lines)


#: The relations a reader sees first (the ``all`` row, pooled over every follow-up).
HEADLINE_RELATIONS = (
    "n_pairs",
    "agreement_violation",
    "distribution_violation",
    "confidence_violation",
    "flip_rate_student",
    "flip_rate_teacher",
    "robustness_drop_student",
    "robustness_drop_teacher",
    "robustness_drop_relative",
)


def headline_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The ``all`` row's headline relations (``fidelity/all/*``) as a one-row table."""
    if ALL not in frame.index:
        return frame.iloc[0:0]
    return frame.loc[[ALL], [c for c in HEADLINE_RELATIONS if c in frame.columns]]


def _data_uri(figure: Path | str) -> str:
    """A PNG figure as a ``data:`` URI: the page needs no sibling files (MLflow's artifact viewer shows one
    file at a time, so relative links there are broken images)."""
    path = Path(figure)
    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


def summary_html(
    frame: pd.DataFrame,
    meta: Mapping[str, object],
    result: FidelityResult,
    figures: Sequence[Path | str] = (),
) -> str:
    """One self-contained page: the headline (``all``) relations first, then metadata, figures (embedded as
    base64 ``data:`` URIs) and the per-follow-up table."""
    items = "".join(f"<li><b>{html.escape(str(k))}</b>: {html.escape(str(v))}</li>" for k, v in meta.items())
    originals = ", ".join(f"{k} = {v:.4f}" for k, v in result.originals.items())
    imgs = "".join(f'<p><img src="{_data_uri(f)}" alt="{html.escape(Path(f).name)}"></p>' for f in figures)
    fmt = lambda v: f"{v:.4f}"  # noqa: E731
    headline = headline_frame(frame)
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>Fidelity report</title></head><body>"
        f"<h1>Fidelity report</h1>"
        f"<h2>Headline: all follow-ups (fidelity/all/*)</h2>{headline.to_html(float_format=fmt)}"
        f"<ul>{items}<li><b>originals</b>: {originals}</li></ul>{imgs}"
        f"<h2>Relations per follow-up</h2>{frame.to_html(float_format=fmt)}"
        f"</body></html>"
    )


def headline_markdown(frame: pd.DataFrame, step: int | None = None) -> str:
    """The run description (MLflow's ``mlflow.note.content``, shown first on the run page): the headline
    relations of the latest evaluation, and where the rest is."""
    where = f" at step {step}" if step is not None else ""
    table = headline_frame(frame).T.rename(columns={ALL: "value"}).astype(object)
    table.index.name = "relation"
    if "n_pairs" in table.index:
        table.loc["n_pairs", "value"] = int(table.loc["n_pairs", "value"])
    return "\n".join(
        [
            f"{NOTE_MARKER}{where}**",
            "",
            markdown_table(table),
            "",
            "Charts: `fidelity/all/*` under *Model metrics*; per follow-up: `fidelity/<follow-up>/*`. "
            "Latest report: artifact `fidelity/dashboard.html`; each evaluation: `fidelity/step_*/summary.html`.",
        ]
    )


#: How the description written by :func:`headline_markdown` starts (so it is replaced, never a person's).
NOTE_MARKER = "**Fidelity (all follow-ups)"


def write_report(
    directory: Path,
    probe: ProbeSet,
    result: FidelityResult,
    meta: Mapping[str, object],
    history: pd.DataFrame | None = None,
    log_examples: bool = True,
) -> list[Path]:
    """Write relations.csv, divergent.csv, violations.png, trends.png, summary.md/.html into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    frame = relations_frame(result)
    paths = [directory / "relations.csv"]
    frame.to_csv(paths[0])
    if log_examples:
        paths.append(directory / "divergent.csv")
        divergent_examples(probe, result).to_csv(paths[-1], index=False)
    figures = [violations_figure(frame, directory / "violations.png")]
    if history is not None and len(history) > 1:
        figures.append(trends_figure(history, directory / "trends.png"))
    paths += figures
    paths.append(directory / "summary.md")
    paths[-1].write_text(summary_markdown(frame, meta, result))
    paths.append(directory / "summary.html")
    paths[-1].write_text(summary_html(frame, meta, result, figures))
    return paths


__all__ = [
    "ALL",
    "divergent_examples",
    "fidelity_summary_text",
    "headline_frame",
    "headline_markdown",
    "markdown_table",
    "relations_frame",
    "summary_html",
    "summary_markdown",
    "trends_figure",
    "violations_figure",
    "write_report",
]


def fidelity_summary_text(result: FidelityResult | None, worst: int = 3) -> str:
    """Agreement violation overall and on the ``worst`` follow-ups, flip rates and robustness drop of one
    evaluation, in a few lines (the quickstart prints it after the fit)."""
    from fidelity.stats import wilson

    if result is None or ALL not in result.table:
        return "Fidelity: no evaluation ran (FidelityCallback disabled or no validation)."
    overall = result.table[ALL]
    per = {k: v for k, v in result.table.items() if k != ALL and v.get("n_pairs", 0) > 0}
    # Ranked by the lower end of the Wilson 95 % interval: 1 of 2 pairs is not "worse" than 30 of 100.
    ranked = sorted(
        per,
        key=lambda k: (
            wilson(round(per[k]["agreement_violation"] * per[k]["n_pairs"]), int(per[k]["n_pairs"])).low
        ),
        reverse=True,
    )[:worst]
    worst_text = ", ".join(
        f"{k} {per[k]['agreement_violation']:.3f} (n={int(per[k]['n_pairs'])})" for k in ranked
    )
    return "\n".join(
        [
            f"Student fidelity vs teacher (last validation, {int(overall['n_pairs'])} follow-up pairs):",
            f"  agreement violation: {overall['agreement_violation']:.3f} overall; worst follow-ups "
            f"(by 95 % lower bound): {worst_text}",
            f"  flip rate: student {overall['flip_rate_student']:.3f}, teacher {overall['flip_rate_teacher']:.3f}",
            f"  robustness drop: student {overall['robustness_drop_student']:.3f}, teacher "
            f"{overall['robustness_drop_teacher']:.3f} (relative {overall['robustness_drop_relative']:+.2f})",
        ]
    )
