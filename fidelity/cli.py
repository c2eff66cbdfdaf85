"""The ``fidelity`` command line: subcommands contributed by modules listed in ``COMMAND_MODULES``.

Each module exposes ``register(subparsers)`` which adds its subparser(s) and sets ``func`` (taking
the parsed namespace, returning the exit code). Adding a command = appending its module here.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

COMMAND_MODULES: list[str] = ["fidelity.cli_transforms", "fidelity.cli_eval", "fidelity.cli_study"]


def build_parser(modules: Sequence[str] = tuple(COMMAND_MODULES)) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m fidelity", description="Behavioural-fidelity tools for code models."
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in modules:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the subcommand; SIGINT/SIGTERM end it with one line and exit 130/143 (see :mod:`kd.signals`)."""
    from kd import signals

    args = build_parser().parse_args(argv)
    with signals.handled():
        signals.phase(str(args.command))
        try:
            return int(args.func(args))
        except KeyboardInterrupt:
            signum = signals.received()
            if signum is None:
                signum = 2  # a KeyboardInterrupt raised without our handler: Ctrl-C
            print(signals.interrupted_line(f"python -m fidelity {args.command}"), file=sys.stderr, flush=True)
            return signals.exit_code(signum)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
