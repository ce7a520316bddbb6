"""imrgen batch: many inputs, many formats, a progress bar, a summary, and resume."""

from __future__ import annotations

import argparse
import sys
import time

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from ..batch import InputResult, run
from ..writers import ENGINES, RenderOptions, parse_formats, writers
from . import Subparsers


class RateColumn(ProgressColumn):
    """Inputs finished per second, skipped ones included (they are what the bar counts)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f}/s" if speed else "-/s", style="progress.data.speed")


def cmd_batch(args: argparse.Namespace) -> int:
    formats = parse_formats(args.formats)
    console = Console(stderr=True)
    show_bar = not args.quiet and console.is_terminal
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
        disable=not show_bar,
        transient=False,
        # No refresh thread: the batch forks its workers, and a fork should find one thread.
        auto_refresh=False,
    )
    task = progress.add_task("letters", total=None)
    shown = [0.0]

    def report(result: InputResult, finished: int, total: int) -> None:
        if result.status == "error":
            # Errors go out even with --quiet: a script must see which input failed.
            progress.console.print(
                f"error: {result.error}", markup=False, highlight=False, soft_wrap=True
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
            args.output,
            public=args.public,
            jobs=args.jobs,
            scheduler=args.scheduler,
            options=RenderOptions(engine=args.engine),
            progress=report,
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
    p.add_argument("inputs", nargs="+", metavar="INPUT")
    p.add_argument(
        "-f",
        "--formats",
        default="html",
        help=f"comma-separated: {', '.join(sorted(writers()))} (default: html)",
    )
    p.add_argument("-o", "--output", required=True, metavar="DIR")
    p.add_argument(
        "--public",
        action="store_true",
        help="write public versions (redacted; files named by case number)",
    )
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
        choices=ENGINES,
        help="the PDF's layout engine (default: typst for the families imrgen ships, weasyprint"
        " for a designer's own, whose CSS only WeasyPrint reads)",
    )
    p.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar and no summary; errors only"
    )
    p.set_defaults(func=cmd_batch)
