"""Warm workers: a process loads the writers (and the redaction) once, before its first job, and
dies with its parent."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Sequence

from ..case.model import Case, Edition
from ..readers import readers
from ..writers import RenderOptions, get_writer
from .fingerprint import (
    _redact_function,
)

_WARMED: set[tuple[str, bool, str | None]] = set()
# The requests already warmed in full (not before a fork): run_job asks again before every job,
# and working out each format's engine again reads the family files (several ms a letter).
_DONE: set[tuple[tuple[str, ...], bool, str | None]] = set()


def tiny_case(edition: Edition) -> Case:
    return Case.model_validate(
        {
            "edition": edition,
            "header": {"case_number": "CM16-0000001"},
            "summary": ["The injured worker is a 40 year old who sustained an injury."],
            "items": [
                {
                    "request": "Physical therapy, six visits",
                    "decision": "upheld",
                    "rationale": ["The request is not medically necessary."],
                }
            ],
        }
    )


def warm(
    formats: Sequence[str],
    public: bool = False,
    engine: str | None = None,
    before_fork: bool = False,
) -> None:
    """Load once per process what every letter needs (WeasyPrint or the Typst compiler, fonts,
    stylesheets, compiled templates, readers, the redaction policy) by rendering a tiny case in
    each format and edition, with the PDF engine the batch uses. Warming is only an
    optimisation: a failure here shows up again in the real job.

    Typst's compiler starts threads of its own, which a forked child does not have: a worker
    forked from a process that has run it would wait for them forever. So `before_fork` warms
    everything but a Typst PDF, which each worker then warms for itself."""
    asked = (tuple(formats), public, engine)
    if asked in _DONE:
        return
    with contextlib.suppress(Exception):
        readers()
    options = RenderOptions(engine=engine)
    for fmt in formats:
        for edition in Edition:
            with contextlib.suppress(Exception):
                case = tiny_case(edition)
                key = (fmt, public, _engine_of(fmt, case, options))
                if key in _WARMED or (before_fork and key[2] == "typst"):
                    continue
                _WARMED.add(key)
                if public:
                    case = _redact_function()(case)
                get_writer(fmt).write(case, options)
    if not before_fork:
        _DONE.add(asked)


def _engine_of(fmt: str, case: Case, options: RenderOptions) -> str | None:
    if fmt != "pdf":
        return None
    from ..writers.pdf_writer import engine_for

    return engine_for(case, options)


def pool_worker_start(formats: Sequence[str], public: bool, engine: str | None = None) -> None:
    die_with_parent()
    warm(formats, public, engine)
    # What warming loaded (modules, fonts, stylesheets, templates) lives as long as the worker:
    # out of the collector's sight, each collection walks only what the letters make.
    gc.freeze()


def die_with_parent() -> None:
    """A pool worker ends with the batch that started it, even after kill -9 (Linux only)."""
    if sys.platform != "linux":
        return
    with contextlib.suppress(Exception):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL))
