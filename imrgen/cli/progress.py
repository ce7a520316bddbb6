"""Columns of the batch's progress bar (rich is loaded only when a batch runs)."""

from __future__ import annotations

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


class RateColumn(ProgressColumn):
    """Inputs finished per second, skipped ones included (they are what the bar counts)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:.1f}/s" if speed else "-/s", style="progress.data.speed")


def progress_bar(console: Console, show: bool) -> Progress:
    """letters ━━━━ 65/65 11.3/s elapsed 0:00:06 left 0:00:00: each time says what it is."""
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=console,
        disable=not show,
        transient=False,
        # No refresh thread: the batch forks its workers, and a fork should find one thread.
        auto_refresh=False,
    )
