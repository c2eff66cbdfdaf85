"""`InlineLauncher`: runs search trials one after another in this process (tests, debugging, tiny searches).

Same contract as `kd.search.trials.LocalLauncher` (``trial.json`` and ``result.json`` in each trial's directory,
nested MLflow runs, failures recorded and the others go on), without a new Python process per trial: a trial costs
its fit, not the seconds of importing torch and Lightning. Trials share this process's global state (random seeds
are reset by each trial), so use it where that does not matter; ``search.launcher:
kd.search.inline.InlineLauncher`` selects it.
"""

from __future__ import annotations

import traceback
from collections.abc import Iterator, Sequence
from dataclasses import asdict

from kd.search.trials import RESULT_FILE, STDERR_FILE, TrialJob, TrialResult, _write_json, run_trial


class InlineLauncher:
    """Runs each job with `run_trial` in this process; ``workers`` is ignored (one at a time)."""

    def run(self, jobs: Sequence[TrialJob], workers: int) -> Iterator[TrialResult]:
        for job in jobs:
            job.write()
            try:
                result = run_trial(job.trial, job.run_id, job.tracking_uri)
            except Exception as exc:
                (job.directory / STDERR_FILE).write_text(traceback.format_exc())
                result = TrialResult(
                    job.trial.trial_id, "failed", error=f"{type(exc).__name__}: {exc}", run_id=job.run_id
                )
            _write_json(job.directory / RESULT_FILE, asdict(result))
            yield result
