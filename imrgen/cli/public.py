"""Public versions: `public` redacts, renders, checks and writes only what passes; `check-public`
looks through finished files for any identifier of their source case."""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ImrgenError
from . import ENGINE_NAMES, INPUT_KINDS, POLICY_HELP, Subparsers, format_help, output_folder
from .sign import add_signing_arguments, sign_request

if TYPE_CHECKING:
    from ..case.model import Case
    from ..public.leaks import Leak

if TYPE_CHECKING:  # the work is imported when a command runs, so that --help starts fast
    from ..case.model import Case
    from ..public.leaks import Leak


def _report(leaks: list[Leak]) -> None:
    for leak in leaks:
        print(f"leak: {leak}", file=sys.stderr)


def _same(case: Case) -> str:
    return "the same case number" if case.header.case_number else "the same input"


def cmd_public(args: argparse.Namespace) -> int:
    from ..files import write_atomic
    from ..public.redaction import load_policy
    from ..public.versions import LeakError, public_name, public_version, read_input, read_source
    from ..writers import RenderOptions, parse_formats

    formats = parse_formats(args.formats)
    policy = load_policy(args.policy)
    out = output_folder(args.output, "public writes one file per format: -o names a folder")
    signing = sign_request(args, args.sign)
    if signing is not None and "pdf" not in formats:
        raise ImrgenError("--sign signs PDF letters: add pdf to --formats")
    options = RenderOptions(engine=args.engine)
    made_by: dict[str, Path] = {}  # output name -> the input that made it
    failed = 0
    for name in args.inputs:
        source = Path(name)
        try:
            data = read_input(source)
            case = read_source(source, data)
            digest = hashlib.sha256(data).hexdigest()
            files = public_version(
                case,
                formats,
                policy,
                options,
                name=str(source),
                digest=digest,
                sign=signing.apply if signing is not None else None,
            )
            targets = {fmt: public_name(case, fmt, digest) for fmt in files}
            for target in targets.values():
                if target in made_by:
                    raise ImrgenError(
                        f"{source}: makes {out / target}, as {made_by[target]} does"
                        f" ({_same(case)}); give them in separate runs"
                    )
            for fmt, data_out in files.items():
                write_atomic(out / targets[fmt], data_out)
                made_by[targets[fmt]] = source
                if not args.quiet:
                    print(f"{source} -> {out / targets[fmt]}")
        except LeakError as exc:
            failed += 1
            _report(exc.leaks)
            print(
                f"error: {source}: not written: {len(exc.leaks)} identifier(s) of the source"
                f" found (policy '{policy.name}')",
                file=sys.stderr,
            )
        except ImrgenError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
    return 1 if failed else 0


def cmd_check_public(args: argparse.Namespace) -> int:
    from ..public.leaks import find_leaks
    from ..public.versions import read_source

    source = read_source(Path(args.source))
    found = 0
    for name in args.files:
        path = Path(name)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ImrgenError(f"{path}: {exc.strerror or exc}") from None
        leaks = find_leaks(data, path.name, source)
        if leaks:
            found += 1
            _report(leaks)
        elif not args.quiet:
            print(f"{path}: no identifier of {args.source}")
    if found:
        print(f"error: {found} of {len(args.files)} file(s) carry identifiers", file=sys.stderr)
    return 1 if found else 0


def register(sub: Subparsers) -> None:
    public = sub.add_parser(
        "public",
        help="write public versions: redacted, rendered, checked for leaks",
        description="Redact each case or letter by a policy, render it, and write only files in"
        " which the leak check finds no identifier of the source.",
    )
    public.add_argument(
        "inputs", nargs="+", metavar="INPUT", help=f"case files or letters: {INPUT_KINDS}"
    )
    public.add_argument("-f", "--formats", default="html", help=format_help())
    public.add_argument(
        "-o", "--output", required=True, metavar="DIR", help="the folder to write to"
    )
    public.add_argument("--policy", metavar="POLICY", help=POLICY_HELP)
    public.add_argument("-q", "--quiet", action="store_true", help="print only problems")
    public.add_argument(
        "--engine",
        choices=ENGINE_NAMES,
        help="the PDF's layout engine (default: typst for the families imrgen ships, weasyprint"
        " for a designer's own, whose CSS only WeasyPrint reads)",
    )
    add_signing_arguments(public)
    public.set_defaults(func=cmd_public)

    check = sub.add_parser(
        "check-public",
        help="look through files for any identifier of their source case",
        description="Search every part of each file (text, metadata, attachments, streams) for"
        " the identifiers of the source case; exit 1 naming each finding.",
    )
    check.add_argument("files", nargs="+", metavar="FILE", help="finished files to look through")
    check.add_argument(
        "--source",
        required=True,
        metavar="INPUT",
        help="the full case (yaml, json) or letter the files were made from",
    )
    check.add_argument("-q", "--quiet", action="store_true", help="print only findings")
    check.set_defaults(func=cmd_check_public)
