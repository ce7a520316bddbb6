"""Many letters at once: inputs (files, folders, globs) become jobs, a pool of warm worker
processes (or a Dask cluster) runs them, and a manifest in the output folder records each input's
outputs and their sha256, so a batch killed at any moment finishes the rest when run again and
redoes only what changed or is missing.

jobs: what a batch is made of; inputs: files, folders, globs; fingerprint: what a run depends on;
manifest: the record in the output folder and its lock; warm: warm workers; work: one job done;
pool and dask_cluster: where jobs run. This module is the API: run() and iter_results()."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ImrgenError
from ..writers import RenderOptions, check_formats
from .dask_cluster import dask_results
from .fingerprint import _redact_function, dependency_versions, options_fingerprint
from .inputs import expand_inputs, input_suffixes
from .jobs import FOLDER_FAULTS, BatchStopped, BatchSummary, InputResult, Job, Progress, Status
from .manifest import (
    LOCK_NAME,
    MANIFEST_NAME,
    Manifest,
    _claim,
    _claimed_before,
    _remove_stale_parts,
    locked,
)
from .pool import local_results
from .warm import die_with_parent, pool_worker_start, tiny_case, warm
from .work import run_job

if TYPE_CHECKING:
    from ..public.redaction import RedactionPolicy
    from ..signing import SignRequest


def _check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    if not formats:
        raise ImrgenError("no output format given")
    return tuple(check_formats(formats))


def iter_results(
    inputs: Iterable[str | Path],
    formats: Sequence[str],
    out_dir: str | Path,
    *,
    public: bool = False,
    jobs: int | None = None,
    scheduler: str | None = None,
    options: RenderOptions | None = None,
    on_start: Callable[[int], None] | None = None,
    policy: RedactionPolicy | None = None,
    sign: SignRequest | None = None,
) -> Iterator[InputResult]:
    """Run a batch and yield each input's result as it finishes (in finishing order), each
    already recorded in the manifest. `on_start` is told the number of inputs first. Public
    versions (`public`, redacted by `policy`) go through imrgen.public.versions's one pipeline."""
    fmts = _check_formats(formats)
    options = options or RenderOptions()
    if public:
        _redact_function()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    out_abs = out.resolve()
    fingerprint = options_fingerprint(options, public, policy)
    if sign is not None:
        if scheduler:
            raise ImrgenError("--sign runs on local workers only: the key stays on this machine")
        fingerprint = sign.fingerprint(fingerprint)
    with locked(out_abs):
        _remove_stale_parts(out_abs)
        manifest = Manifest(out_abs / MANIFEST_NAME)
        pairs, missing = expand_inputs(inputs, exclude=out_abs)
        batch = [
            Job(
                source=str(path),
                path=str(path.resolve()),
                out_dir=str(out_abs),
                stem=stem,
                formats=fmts,
                public=public,
                options=options,
                fingerprint=fingerprint,
                previous=manifest.records.get(str(path.resolve())),
                policy=policy,
                sign=sign,
            )
            for path, stem in pairs
        ]
        if on_start is not None:
            on_start(len(batch) + len(missing))
        workers = jobs if jobs is not None else (os.cpu_count() or 1)
        workers = max(1, min(workers, len(batch) or 1))
        with manifest:
            for result in missing:
                manifest.append(result, fmts, fingerprint)
                yield result
            if scheduler:
                results = dask_results(batch, scheduler, fmts, public, run_job)
            else:
                results = local_results(batch, workers, fmts, public, run_job)
            claimed = _claimed_before(manifest, out_abs) if public else {}
            try:
                for result in results:
                    result = _claim(result, claimed, out_abs)
                    try:
                        manifest.append(result, fmts, fingerprint)
                    except BatchStopped:
                        if result.fault:
                            yield result  # why the folder failed, though it went unrecorded
                        raise
                    yield result
                    if result.fault:
                        raise BatchStopped(
                            f"{out_abs}: the batch stopped, the folder cannot be written; what"
                            " was finished is kept: run the batch again to finish the rest"
                        )
            finally:
                results.close()  # start nothing more (the pool cancels what it has queued)


def run(
    inputs: Iterable[str | Path],
    formats: Sequence[str],
    out_dir: str | Path,
    *,
    public: bool = False,
    jobs: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
    options: RenderOptions | None = None,
    policy: RedactionPolicy | None = None,
    sign: SignRequest | None = None,
) -> BatchSummary:
    """Run a batch to the end; `progress(result, finished, total)` hears of each input."""
    summary = BatchSummary(manifest=Path(out_dir).resolve() / MANIFEST_NAME)
    started = time.perf_counter()

    def start(total: int) -> None:
        summary.total = total

    for finished, result in enumerate(
        iter_results(
            inputs,
            formats,
            out_dir,
            public=public,
            jobs=jobs,
            scheduler=scheduler,
            options=options,
            on_start=start,
            policy=policy,
            sign=sign,
        ),
        start=1,
    ):
        if result.status == "ok":
            summary.done += 1
        elif result.status == "skipped":
            summary.skipped += 1
        else:
            summary.failed += 1
            summary.errors.append(result)
        if progress is not None:
            progress(result, finished, summary.total)
    summary.seconds = time.perf_counter() - started
    return summary


__all__ = [
    "FOLDER_FAULTS",
    "LOCK_NAME",
    "MANIFEST_NAME",
    "BatchStopped",
    "BatchSummary",
    "InputResult",
    "Job",
    "Manifest",
    "Progress",
    "Status",
    "dependency_versions",
    "die_with_parent",
    "expand_inputs",
    "input_suffixes",
    "iter_results",
    "locked",
    "options_fingerprint",
    "pool_worker_start",
    "run",
    "run_job",
    "tiny_case",
    "warm",
]
