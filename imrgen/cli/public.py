"""Public versions: `public` redacts, renders, checks and writes only what passes; `check-public`
looks through finished files for any identifier of their source case."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from ..errors import ImrgenError
from ..files import write_atomic
from ..leaks import Leak, find_leaks
from ..loading import is_case_file, load_case
from ..model import Case
from ..readers import parse
from ..redaction import RedactionPolicy, default_policy, redact
from ..writers import ENGINES, RenderOptions, get_writer
from . import Subparsers


def _formats(value: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    for name in names:
        get_writer(name)  # an unknown name fails here, before any work is done
    return names


def read_source(path: Path) -> Case:
    """A case file, or a letter in any format parse reads."""
    return load_case(path) if is_case_file(path) else parse(path)


def public_stem(case: Case, source: Path, used: set[str]) -> str:
    """The case number, else the input's stem if it carries no identifier, else 'letter'."""
    stem = case.header.case_number
    if not stem:
        candidate = re.sub(r"[^\w.-]+", "_", source.stem)
        clean = candidate and not find_leaks(candidate.encode(), candidate, case)
        stem = candidate if clean else "letter"
    name, number = stem, 1
    while name in used:
        number += 1
        name = f"{stem}-{number}"
    used.add(name)
    return name


def _report(leaks: list[Leak]) -> None:
    for leak in leaks:
        print(f"leak: {leak}", file=sys.stderr)


def cmd_public(args: argparse.Namespace) -> int:
    formats = _formats(args.formats)
    policy = RedactionPolicy.from_yaml(args.policy) if args.policy else default_policy()
    out = Path(args.output)
    options = RenderOptions(engine=args.engine)
    used: set[str] = set()
    failed = 0
    for name in args.inputs:
        source = Path(name)
        try:
            case = read_source(source)
            public = redact(case, policy)
            stem = public_stem(case, source, used)
            for fmt in formats:
                writer = get_writer(fmt)
                data = writer.write(public, options)
                target = out / f"{stem}{writer.suffix}"
                leaks = find_leaks(data, target.name, case)
                if leaks:
                    failed += 1
                    _report(leaks)
                    print(
                        f"error: {source}: not written: {target} carries {len(leaks)}"
                        f" identifier(s) of the source (policy '{policy.name}')",
                        file=sys.stderr,
                    )
                    continue
                write_atomic(target, data)
                if not args.quiet:
                    print(f"{source} -> {target}")
        except ImrgenError as exc:
            failed += 1
            print(f"error: {exc}", file=sys.stderr)
    return 1 if failed else 0


def cmd_check_public(args: argparse.Namespace) -> int:
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
    public.add_argument("inputs", nargs="+", metavar="INPUT", help="case files or letters")
    public.add_argument("-f", "--formats", default="html", help="comma-separated formats")
    public.add_argument("-o", "--output", required=True, metavar="DIR")
    public.add_argument("--policy", metavar="FILE", help="a redaction policy (YAML)")
    public.add_argument(
        "--engine",
        choices=ENGINES,
        help="the PDF's layout engine (default: typst for the families imrgen ships, weasyprint"
        " for a designer's own, whose CSS only WeasyPrint reads)",
    )

    public.add_argument("-q", "--quiet", action="store_true")
    public.set_defaults(func=cmd_public)

    check = sub.add_parser(
        "check-public",
        help="look through files for any identifier of their source case",
        description="Search every part of each file (text, metadata, attachments, streams) for"
        " the identifiers of the source case; exit 1 naming each finding.",
    )
    check.add_argument("files", nargs="+", metavar="FILE")
    check.add_argument("--source", required=True, metavar="CASE", help="the full case or letter")
    check.add_argument("-q", "--quiet", action="store_true")
    check.set_defaults(func=cmd_check_public)
