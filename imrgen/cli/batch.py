"""imrgen batch: many inputs, many formats, a progress bar, a summary, and resume."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from ..errors import ImrgenError
from . import ENGINE_NAMES, INPUT_KINDS, POLICY_HELP, Subparsers, format_help, output_folder
from .sign import add_signing_arguments, sign_request

if TYPE_CHECKING:
    from ..batch import InputResult


def cmd_batch(args: argparse.Namespace) -> int:
    from rich.console import Console

    from ..batch import run
    from ..public.redaction import load_policy
    from ..writers import RenderOptions, parse_formats
    from .progress import progress_bar

    formats = parse_formats(args.formats)
    if args.policy is not None and not args.public:
        raise ImrgenError("--policy is the redaction policy of public versions: add --public")
    policy = load_policy(args.policy) if args.public else None
    signing = sign_request(args, args.sign)
    if signing is not None and "pdf" not in formats:
        raise ImrgenError("--sign signs PDF letters: add pdf to --formats")
    console = Console(stderr=True)
    progress = progress_bar(console, show=not args.quiet and console.is_terminal)
    task = progress.add_task("letters", total=None)
    shown = [0.0]

    def report(result: InputResult, finished: int, total: int) -> None:
        if result.status == "error":
            # Errors go out even with --quiet: a script must see which input failed.
            progress.console.print(
                f"error: {result.error}", markup=False, highlight=False, soft_wrap=True
            )
        elif result.error and not args.quiet:
            # A folder's file that is no case or letter: skipped, and said so.
            progress.console.print(
                f"skipped: {result.error}", markup=False, highlight=False, soft_wrap=True
            )
        progress.update(task, completed=finished, total=total)
        now = time.monotonic()
        if now - shown[0] > 0.1 or finished == total:
            shown[0] = now
            progress.refresh()

    with progress:
        summary = run(
            args.inputs,
            formats,
            output_folder(
                args.output, "batch writes one file per input and format: -o names a folder"
            ),
            public=args.public,
            policy=policy,
            jobs=args.jobs,
            scheduler=args.scheduler,
            options=RenderOptions(engine=args.engine),
            progress=report,
            sign=signing,
        )
    if not args.quiet:
        print(
            f"{summary.done} done, {summary.skipped} skipped, {summary.failed} failed"
            f" of {summary.total} input(s) in {summary.seconds:.1f} s"
            f" ({summary.letters_per_second:.1f} letters/s); manifest: {summary.manifest}",
            file=sys.stderr,
        )
    if summary.failed:
        print(f"{summary.failed} of {summary.total} input(s) failed", file=sys.stderr)
    return 1 if summary.failed else 0


def _jobs(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected 1 or more, got {number}")
    return number


def register(sub: Subparsers) -> None:
    p = sub.add_parser(
        "batch",
        help="render or convert many letters: warm workers, progress, resume, a Dask cluster",
        description=(
            "Inputs are case files (yaml, json) or letters (pdf, docx, html, txt, md), folders"
            " and globs. A manifest in DIR records every input; run the same command again to"
            " finish an interrupted batch: what is done and unchanged is skipped."
        ),
    )
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help=f"files ({INPUT_KINDS}), folders (walked for those) and globs",
    )
    p.add_argument("-f", "--formats", default="html", help=format_help())
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="the folder to write to")
    p.add_argument(
        "--public",
        action="store_true",
        help="write public versions (redacted, leak-checked; files named by case number)",
    )
    p.add_argument("--policy", metavar="POLICY", help=f"with --public: {POLICY_HELP}")
    p.add_argument(
        "-j",
        "--jobs",
        type=_jobs,
        metavar="N",
        help="local worker processes (default: every core; not used with --scheduler)",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on a Dask cluster, e.g. tcp://10.0.0.5:8786 (workers must share the folders)",
    )
    p.add_argument(
        "--engine",
        choices=ENGINE_NAMES,
        help="the PDF's layout engine (default: typst for the families imrgen ships, weasyprint"
        " for a designer's own, whose CSS only WeasyPrint reads)",
    )
    p.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar and no summary; errors only"
    )
    add_signing_arguments(p)
    p.set_defaults(func=cmd_batch)
