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
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
