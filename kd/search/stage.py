"""The search stage alone: ``python -m kd.search.stage --config CONFIG.yaml [--output DIR] [overrides]``.

Reads the same config as ``train.py fit`` (any ``--model.…`` / ``--data.…`` override works), builds the
method and its datamodule, runs only the student search and writes its result — ``search_result.json`` (the
chosen spec and hyper-parameters), ``pareto_front.csv`` / ``.png``, ``search_trace.csv`` (AVATAR adds
``trials.csv`` and ``trials/``) — into ``--output`` (default: the method's search directory,
``<trainer.default_root_dir>/search``). The search is logged as an MLflow run tagged ``kd.stage=search``.
A later fit reuses it with ``--model.init_args.search_result DIR`` and does not search again.
Methods expose ``search_stage(datamodule, output) -> Path`` (AVATAR and Compressor do).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> Path:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--output", help="directory for the search result (default: the method's search dir)")
    known, rest = parser.parse_known_args(list(sys.argv[1:] if argv is None else argv))
    from kd.cli import KDCLI

    cli = KDCLI(args=rest, run=False)
    model, dm, trainer = cli.model, cli.datamodule, cli.trainer
    stage = getattr(model, "search_stage", None)
    if stage is None:
        raise SystemExit(f"{type(model).__name__} has no search stage (AvatarKD and CompressorKD have one)")
    model.trainer = trainer  # the search reads default_root_dir and the MLflow logger from it
    logger = trainer.logger
    run_id = getattr(logger, "run_id", None)
    if run_id is not None:
        client = logger.experiment  # type: ignore[union-attr]
        client.set_tag(run_id, "kd.stage", "search")
        client.set_tag(run_id, "kd.method", getattr(model, "method", type(model).__name__))
        client.set_tag(run_id, "kd.task", getattr(model, "task", ""))
    status = "FAILED"
    try:
        path = Path(stage(dm, known.output))
        status = "FINISHED"
    finally:  # an interrupted search ends its MLflow run (the caller sees the exception)
        if run_id is not None:
            logger.experiment.set_terminated(run_id, status)  # type: ignore[union-attr]
    print(f"search result: {path}")
    return path


if __name__ == "__main__":
    main()
