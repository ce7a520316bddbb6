"""The imrgen command: parse options, call the API, turn known errors into one line and an exit
code (1: some input failed, 2: the command could not run). An unknown error is a bug and keeps
its traceback. Each command group is a module with register(subparsers); list it in COMMANDS."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

from .. import __version__
from ..errors import ImrgenError

Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

COMMANDS = ["core", "drafting", "public", "batch", "preview", "serve", "sign"]

# What the help texts name, written out so that `--help` loads no reader or writer; a test
# holds them to the registries.
CASE_SUFFIXES = (".yaml", ".yml", ".json")
LETTER_KINDS = "pdf, docx, html, txt, md"
FORMAT_NAMES = "docx, html, md, pdf, txt"  # imrgen.writers.format_names()
ENGINE_NAMES = ("typst", "weasyprint")  # imrgen.writers.ENGINES
INPUT_KINDS = f"yaml, json (cases); {LETTER_KINDS} (letters)"
# Every suffix of a file imrgen reads or writes: an -o DIR with one of them is a typo or a
# misunderstanding, never a folder the user wants.
FILE_SUFFIXES = frozenset(
    {*CASE_SUFFIXES, ".pdf", ".docx", ".html", ".htm", ".md", ".markdown", ".txt", ".text"}
)


POLICY_HELP = (
    "a shipped redaction policy by name (default, marker-only) or the path of a YAML file"
    " (default: default, the state's practice)"
)


def format_help() -> str:
    return f"comma-separated: {FORMAT_NAMES} (default: html)"


def output_folder(value: str, hint: str) -> Path:
    """An -o DIR: a folder that exists or will be made. A name ending in a file's suffix (-o
    x.txt) is refused rather than made into a folder called x.txt."""
    path = Path(value)
    if not path.is_dir() and path.suffix.lower() in FILE_SUFFIXES:
        raise ImrgenError(f"{value}: {hint} (a folder named '{path.name}' would be made)")
    return path


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
