"""The ``microgradx`` command line: a thin layer that parses arguments and calls the library.

Every sub-command is a pair of functions: ``_add_<name>(subparsers)`` declares its
arguments and ``_run_<name>(args) -> int`` does the work by calling the library.
Errors the user can fix (bad input, unwritable paths, missing programs) are
``CLIError``: one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__

__all__ = ["CLIError", "main"]


class CLIError(Exception):
    """A problem with the user's input: printed as one line, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="microgradx",
        description="A scalar autograd engine for teaching and exploring backpropagation.",
    )
    parser.add_argument("--version", action="version", version=f"microgradx {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _COMMANDS:
        add(subparsers)
    return parser


# --- graph and gradcheck: expressions and drawings -----------------------------------

# --- train and demo: neural networks ----------------------------------------------------

# Sub-commands, in the order help lists them; each adds its parser and sets func=_run_<name>.
_COMMANDS: list = []


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0
    try:
        return func(args)
    except CLIError as exc:
        print(f"microgradx {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"microgradx {args.command}: interrupted", file=sys.stderr)
        return 130
