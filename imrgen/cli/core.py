"""The core commands: schema, validate, parse, render.

Each module of the library is imported inside the command that needs it, so that `imrgen --help`
and `imrgen validate` never load the PDF and DOCX machinery."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ImrgenError
from . import (
    CASE_SUFFIXES,
    ENGINE_NAMES,
    INPUT_KINDS,
    LETTER_KINDS,
    Subparsers,
    describe,
    format_help,
    output_folder,
)
from .sign import add_signing_arguments, sign_request

if TYPE_CHECKING:
    from ..case.model import Case
    from ..case.rules import Finding


def cmd_schema(args: argparse.Namespace) -> int:
    from ..case.schema import schema_text

    sys.stdout.write(schema_text())
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """The model's checks, then the IMR rules: errors fail (exit 1), warnings are reported."""
    from ..case.rules import error_findings, format_findings

    failed = 0
    for path in args.cases:
        try:
            _, findings = check_file(path)
        except ImrgenError as exc:
            failed += 1
            print(exc, file=sys.stderr)
            continue
        if error_findings(findings):
            failed += 1
        if findings:
            print(format_findings(path, findings), file=sys.stderr)
        elif not args.quiet:
            print(f"{path}: valid")
    return 1 if failed else 0


def _each(inputs: Sequence[str | Path], work: Callable[[Path], None]) -> int:
    """Run work on every input; a failure is reported and the rest still go through."""
    failed = 0
    for name in inputs:
        try:
            work(Path(name))
        except (ImrgenError, OSError) as exc:
            failed += 1
            print(
                f"error: {name}: {describe(exc)}" if isinstance(exc, OSError) else f"error: {exc}",
                file=sys.stderr,
            )
    if failed:
        print(f"{failed} of {len(inputs)} input(s) failed", file=sys.stderr)
    return 1 if failed else 0


def parse_target(output: str, letters: int) -> tuple[Path, bool]:
    """parse's -o: (path, is it one file?). One letter and a case file's suffix is that file; a
    folder otherwise, and a name with any other file suffix is refused rather than guessed."""
    out = Path(output)
    if out.suffix.lower() in CASE_SUFFIXES and not out.is_dir():
        if letters > 1:
            raise ImrgenError(f"{out}: with several letters, -o names a folder")
        return out, True
    return output_folder(output, "parse writes case files: -o names a .json or .yaml file"), False


def cmd_parse(args: argparse.Namespace) -> int:
    from ..case.loading import dump_case
    from ..files import write_atomic
    from ..readers import parse

    out, single = parse_target(args.output, len(args.letters))
    from ..signing import signature_note  # pyHanko: imported only where letters are read

    def one(letter: Path) -> None:
        if letter.suffix.lower() in CASE_SUFFIXES:
            raise ImrgenError(
                f"{letter}: is a case file already; parse reads letters ({LETTER_KINDS}), and"
                " validate, render, public and batch take case files as they are"
            )
        case = parse(letter)
        note = signature_note(letter)
        if note:
            print(f"{letter}: {note}")
        target = out if single else out / f"{letter.stem}.json"
        fmt = "json" if target.suffix.lower() == ".json" else "yaml"
        write_atomic(target, dump_case(case, fmt).encode("utf-8"))

    return _each(args.letters, one)


def distinct_inputs(inputs: Sequence[str]) -> list[Path]:
    """The inputs, each file once; two different files whose outputs would share a name in one
    folder (a/x.yaml and b/x.yaml, or x.yaml and x.pdf) are refused, naming both, before any
    work is done: render names its outputs after its inputs, and never writes one over another.
    (batch, made for whole archives, renames them instead.)"""
    seen: dict[Path, Path] = {}
    stems: dict[str, Path] = {}
    for name in inputs:
        path = Path(name)
        key = path.resolve()
        if key in seen:
            continue
        seen[key] = path
        other = stems.setdefault(path.stem.lower(), path)
        if other is not path:
            raise ImrgenError(
                f"{other} and {path} would both be written as {path.stem}.*: render them into"
                " separate folders (or use imrgen batch, which renames them)"
            )
    return list(seen.values())


def cmd_render(args: argparse.Namespace) -> int:
    from ..case.rules import error_findings, format_findings, raise_for_errors
    from ..files import write_atomic
    from ..letter.i18n import check_language
    from ..writers import PdfOptions, RenderOptions, get_writer, parse_formats

    formats = parse_formats(args.formats)
    options = RenderOptions(
        family=args.family,
        engine=args.engine,
        pdf=PdfOptions(variant=args.pdf_variant),
        embed_data=not args.no_embed,
        lang=check_language(args.lang),
        letter=args.letter,
    )
    out = output_folder(args.output, "render writes one file per format: -o names a folder")
    inputs = distinct_inputs(args.cases)
    signing = sign_request(args, args.sign)
    if signing is not None and "pdf" not in formats:
        raise ImrgenError("--sign signs PDF letters: add pdf to --formats")

    def one(path: Path) -> None:
        case, findings = check_file(path)
        if not args.force:
            raise_for_errors(path, findings)
        elif error_findings(findings):
            print(format_findings(path, error_findings(findings)), file=sys.stderr)
        rendered = {fmt: get_writer(fmt).write(case, options) for fmt in formats}
        if signing is not None:
            rendered["pdf"] = signing.apply(rendered["pdf"])
        for fmt, data in rendered.items():
            write_atomic(out / f"{path.stem}{get_writer(fmt).suffix}", data)

    return _each(inputs, one)


def register(sub: Subparsers) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of a case file")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser(
        "validate",
        help="check case files or letters; report every problem with its field and line",
        description="The model's checks, then the IMR rules (errors fail, warnings are"
        " reported); every file is checked, whatever the others hold.",
    )
    p.add_argument(
        "cases", nargs="+", metavar="INPUT", help=f"case files or letters: {INPUT_KINDS}"
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("parse", help=f"read letters ({LETTER_KINDS}) back into cases")
    p.add_argument("letters", nargs="+", metavar="LETTER", help=f"letters: {LETTER_KINDS}")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="a .json/.yaml/.yml file for one letter, else a folder (one LETTER-STEM.json each)",
    )
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser(
        "render",
        help="write letters from case files (or from letters, read back first)",
        description="Each input is a case file or a letter (read back into its case first, as"
        " batch does); every file goes to DIR as INPUT-STEM.FORMAT.",
    )
    p.add_argument(
        "cases", nargs="+", metavar="INPUT", help=f"case files or letters: {INPUT_KINDS}"
    )
    p.add_argument("-f", "--formats", default="html", help=format_help())
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="the folder to write to")
    p.add_argument("--family", help="template family (default: the case's edition)")
    p.add_argument(
        "--letter",
        default="public-body",
        choices=["public-body", "full"],
        help="public-body: the determination as published (default); full: as sent to the"
        " parties, with addresses, the result in plain words and the appeal rights",
    )
    p.add_argument("--lang", default="en", help="language of the fixed text: en, es (default: en)")
    p.add_argument(
        "--pdf-variant",
        default="pdf/ua-1",
        choices=["pdf/ua-1", "pdf/a-3b"],
        help="pdf/ua-1: accessible (default); pdf/a-3b: archival, with the case attached",
    )
    p.add_argument(
        "--engine",
        choices=ENGINE_NAMES,
        help="the PDF's layout engine (default: typst for the families imrgen ships, weasyprint"
        " for a designer's own, whose CSS only WeasyPrint reads)",
    )
    p.add_argument(
        "--no-embed",
        action="store_true",
        help="do not carry the case data inside pdf/docx files",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="render even a case that breaks an IMR rule (an error of `imrgen validate`)",
    )
    add_signing_arguments(p)
    p.set_defaults(func=cmd_render)


def check_file(path: str | Path) -> tuple[Case, list[Finding]]:
    """Load a case file, or read a letter, and run every rule (a case file's findings carry
    their line in the file)."""
    from ..case.loading import is_case_file
    from ..case.rules import check, check_case_file
    from ..readers import read_letter

    if is_case_file(path):
        return check_case_file(path)
    case = read_letter(path)
    return case, check(case)
