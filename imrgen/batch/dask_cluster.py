"""The Dask executor: the same jobs on a dask.distributed cluster (imrgen[cluster])."""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import Any

from ..errors import ImrgenError
from .jobs import (
    InputResult,
    Job,
)
from .warm import warm
from .work import failed_job


def dask_results(
    jobs: list[Job],
    address: str,
    formats: Sequence[str],
    public: bool,
    work: Callable[[Job], InputResult],
) -> Generator[InputResult, None, None]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise ImrgenError(
            "--scheduler needs dask.distributed: pip install 'imrgen[cluster]'"
        ) from None
    try:
        client = Client(address, timeout="10s", set_as_default=False)  # type: ignore[no-untyped-call]
    except (OSError, TimeoutError) as exc:
        raise ImrgenError(f"cannot reach the Dask scheduler at {address}: {exc}") from None
    try:
        client.run(warm, list(formats), public)  # workers that join later warm on first job
        workers = max(1, sum(client.nthreads().values()))  # type: ignore[no-untyped-call]
        queue = list(reversed(jobs))
        pending: dict[Any, Job] = {}
        completed = as_completed(loop=client.loop)  # type: ignore[no-untyped-call]

        def submit() -> None:
            job = queue.pop()
            future = client.submit(work, job, pure=False)
            pending[future.key] = job
            completed.add(future)  # type: ignore[no-untyped-call]

        for _ in range(min(len(queue), workers * 4)):
            submit()
        for future in completed:
            job = pending.pop(future.key)
            try:
                result: InputResult = future.result()
            except Exception as exc:  # the task itself never raises; this is a lost worker
                result = failed_job(job, f"{job.source}: the Dask task failed ({exc})", None, 0)
            future.release()
            yield result
            if queue:
                submit()
    finally:
        client.close()  # type: ignore[no-untyped-call]
