"""The core commands: schema, validate, parse, render."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ..errors import ImrgenError
from ..files import write_atomic
from ..i18n import check_language, languages
from ..loading import dump_case, load_case
from ..readers import parse
from ..rules import check, error_findings, format_findings, raise_for_errors
from ..schema import schema_text
from ..writers import ENGINES, PdfOptions, RenderOptions, get_writer, parse_formats, writers
from . import Subparsers, describe


def cmd_schema(args: argparse.Namespace) -> int:
    sys.stdout.write(schema_text())
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """The model's checks, then the IMR rules: errors fail (exit 1), warnings are reported."""
    failed = 0
    for path in args.cases:
        try:
            case = load_case(path)
        except ImrgenError as exc:
            failed += 1
            print(exc, file=sys.stderr)
            continue
        findings = check(case)
        if error_findings(findings):
            failed += 1
        if findings:
            print(format_findings(path, findings), file=sys.stderr)
        elif not args.quiet:
            print(f"{path}: valid")
    return 1 if failed else 0


def _each(inputs: Sequence[str], work: Callable[[Path], None]) -> int:
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


def cmd_parse(args: argparse.Namespace) -> int:
    out = Path(args.output)
    single = len(args.letters) == 1 and out.suffix.lower() in (".json", ".yaml", ".yml")
    if not single and out.suffix.lower() in (".json", ".yaml", ".yml"):
        raise ImrgenError(f"{out}: with several letters, -o names a folder")

    def one(letter: Path) -> None:
        case = parse(letter)
        target = out if single else out / f"{letter.stem}.json"
        fmt = "json" if target.suffix.lower() == ".json" else "yaml"
        write_atomic(target, dump_case(case, fmt).encode("utf-8"))

    return _each(args.letters, one)


def cmd_render(args: argparse.Namespace) -> int:
    formats = parse_formats(args.formats)
    options = RenderOptions(
        family=args.family,
        engine=args.engine,
        pdf=PdfOptions(variant=args.pdf_variant),
        embed_data=not args.no_embed,
        lang=check_language(args.lang),
        letter=args.letter,
    )
    out = Path(args.output)

    def one(path: Path) -> None:
        case = load_case(path)
        findings = check(case)
        if not args.force:
            raise_for_errors(path, findings)
        elif error_findings(findings):
            print(format_findings(path, error_findings(findings)), file=sys.stderr)
        rendered = {fmt: get_writer(fmt).write(case, options) for fmt in formats}
        for fmt, data in rendered.items():
            write_atomic(out / f"{path.stem}{get_writer(fmt).suffix}", data)

    return _each(args.cases, one)


def register(sub: Subparsers) -> None:
    p = sub.add_parser("schema", help="print the JSON Schema of a case file")
    p.set_defaults(func=cmd_schema)

    p = sub.add_parser("validate", help="check case files; report every problem with its field")
    p.add_argument("cases", nargs="+", metavar="CASE")
    p.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("parse", help="read letters (pdf, html, txt, md) back into cases")
    p.add_argument("letters", nargs="+", metavar="LETTER")
    p.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="a .json/.yaml file for one letter, else a folder",
    )
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("render", help="write letters from case files")
    p.add_argument("cases", nargs="+", metavar="CASE")
    p.add_argument(
        "-f",
        "--formats",
        default="html",
        help=f"comma-separated: {', '.join(sorted(writers()))} (default: html)",
    )
    p.add_argument("-o", "--output", required=True, metavar="DIR")
    p.add_argument("--family", help="template family (default: the case's edition)")
    p.add_argument(
        "--letter",
        default="public-body",
        choices=["public-body", "full"],
        help="public-body: the determination as published (default); full: as sent to the"
        " parties, with addresses, the result in plain words and the appeal rights",
    )
    p.add_argument(
        "--lang", default="en", help=f"language of the fixed text: {', '.join(languages())}"
    )
    p.add_argument(
        "--pdf-variant",
        default="pdf/ua-1",
        choices=["pdf/ua-1", "pdf/a-3b"],
        help="pdf/ua-1: accessible (default); pdf/a-3b: archival, with the case attached",
    )
    p.add_argument(
        "--engine",
        choices=ENGINES,
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
    p.set_defaults(func=cmd_render)
