"""A stand-in trial process for runner tests: ``python -m tests.kd.fake_trial DIR/trial.json``.

Metric = sum of the genome, written as ``result.json``; a genome starting with 1 crashes the process without
writing a result (as a segfault or an out-of-memory kill would), so the runner must record it from the exit code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

if __name__ == "__main__":
    path = Path(sys.argv[1])
    job = json.loads(path.read_text())
    genome = job["trial"]["genome"]
    count = path.parent / "runs.txt"
    count.write_text(str(int(count.read_text()) + 1 if count.is_file() else 1))
    if genome[0] == 1:
        print("simulated crash", file=sys.stderr)
        sys.exit(3)
    from kd.search.trials import Trial

    trial = Trial(**job["trial"])
    result = {"trial_id": trial.trial_id, "status": "ok", "metric": float(sum(genome)), "metrics": {}}
    (path.parent / "result.json").write_text(json.dumps(result))
