"""The local executor: a pool of warm worker processes, in which a crashed worker is charged only
to the job that crashed it."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from .jobs import (
    InputResult,
    Job,
)
from .warm import pool_worker_start, warm
from .work import failed_job

# Jobs go to a worker several at a time: one round trip through the pool's queues costs the
# batch process about 0.25 ms of CPU and the worker 0.1 ms, a tenth of that per job in a chunk of
# eight. The last jobs go in smaller chunks, so that no worker waits while another finishes a
# long one.
CHUNK = 8


def _run_chunk(work: Callable[[Job], InputResult], jobs: list[Job]) -> list[InputResult]:
    return [work(job) for job in jobs]


def _chunk_size(remaining: int, workers: int) -> int:
    return max(1, min(CHUNK, remaining // (workers * 2)))


def local_results(
    jobs: list[Job],
    workers: int,
    formats: Sequence[str],
    public: bool,
    work: Callable[[Job], InputResult],
) -> Generator[InputResult, None, None]:
    engine = jobs[0].options.engine if jobs else None
    if workers <= 1:
        warm(formats, public, engine)
        for job in jobs:
            yield work(job)
        return
    queue = list(reversed(jobs))
    # A worker died (a crash, the kernel's OOM killer) and every job in flight failed with it,
    # though only one of them killed it. Each of those goes again alone, in a pool of one worker,
    # so that a death there is that job's: it is reported (it killed a worker twice) and the
    # others are done as usual.
    suspects: list[Job] = []
    while queue or suspects:
        alone = bool(suspects)
        source = suspects if alone else queue
        broken: list[Job] = []
        pool = ProcessPoolExecutor(
            max_workers=1 if alone else workers,
            mp_context=_pool_context(formats, public, engine),
            initializer=pool_worker_start,
            initargs=(formats, public, engine),
        )
        try:
            pending: dict[Future[list[InputResult]], list[Job]] = {}
            window = 1 if alone else workers * 2  # chunks in flight
            _fill(pool, pending, source, window, work, workers)
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    chunk = pending.pop(future)
                    try:
                        results = future.result()
                    except BrokenProcessPool:
                        broken.extend(chunk)
                    else:
                        yield from results
                if broken:
                    for chunk in pending.values():
                        broken.extend(chunk)
                    pending.clear()
                    break
                _fill(pool, pending, source, window, work, workers)
        finally:
            # cancel_futures: a batch stopped early (a full disk) starts nothing more
            pool.shutdown(wait=True, cancel_futures=True)
        if alone:
            for job in broken:  # one job in flight: the death is its own
                yield failed_job(job, f"{job.source}: the worker process died", None, 0.0)
        else:
            suspects.extend(reversed(broken))


def _pool_context(
    formats: Sequence[str], public: bool, engine: str | None = None
) -> multiprocessing.context.BaseContext:
    """Fork when it is safe (POSIX, no other thread in this process that a child could inherit
    mid-lock, and Typst not yet run here: its threads do not survive a fork): warm this process
    once and every worker starts warm, sharing its pages. Otherwise spawn, and each worker warms
    itself in its initializer."""
    from ..writers.typst import compiler_started

    if (
        "fork" in multiprocessing.get_all_start_methods()
        and threading.active_count() == 1
        and not compiler_started()
    ):
        warm(formats, public, engine, before_fork=True)
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _fill(
    pool: ProcessPoolExecutor,
    pending: dict[Future[list[InputResult]], list[Job]],
    queue: list[Job],
    window: int,
    work: Callable[[Job], InputResult],
    workers: int,
) -> None:
    """Keep a bounded number of chunks in flight, so a million inputs are not a million futures
    (a worker alone, whose death must be its job's, gets one job at a time)."""
    while queue and len(pending) < window:
        size = _chunk_size(len(queue), workers) if window > 1 else 1
        chunk = [queue.pop() for _ in range(min(size, len(queue)))]
        pending[pool.submit(_run_chunk, work, chunk)] = chunk
