"""The imrgen command: parse options, call the API, turn known errors into one line and an exit
code (1: some input failed, 2: the command could not run). An unknown error is a bug and keeps
its traceback. Each command group is a module with register(subparsers); list it in COMMANDS."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import TypeAlias

from .. import __version__
from ..errors import ImrgenError

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

COMMANDS = ["core", "drafting", "public", "batch", "preview", "serve", "sign"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="imrgen", description="California workers' compensation IMR determination letters."
    )
    parser.add_argument("--version", action="version", version=f"imrgen {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    return parser


def describe(exc: ImrgenError | OSError) -> str:
    """A known failure in one line: an OSError names its file and the system's reason."""
    if isinstance(exc, OSError):
        where = exc.filename if exc.filename is not None else ""
        reason = exc.strerror or str(exc)
        return f"{where}: {reason}" if where else reason
    return str(exc)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except (ImrgenError, OSError) as exc:
        # An OSError here is the machine's answer (a folder that cannot be written, a full
        # disk), not a bug: say it in one line.
        print(f"error: {describe(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code
