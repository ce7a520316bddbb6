"""Warm worker processes for the service: each loads WeasyPrint, fonts, stylesheets, templates
and readers once, then does one job at a time sent over its own pipe. A job that overruns its
time kills its worker; a worker that dies fails only the job it had; either way a fresh worker
takes its place. The event loop only waits: the work never runs in it."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import multiprocessing
import os
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any, Literal

from ..batch import die_with_parent
from ..errors import ImrgenError
from .jobs import Job, Reply, run, warm_worker

READY = "ready"
State = Literal["starting", "idle", "busy", "dead"]
# How long a starting worker may take to warm before it counts as broken.
WARM_TIMEOUT = 300.0


class WorkerTimeout(ImrgenError):
    """The job ran past its time; its worker was killed and is being replaced."""


class WorkerDied(ImrgenError):
    """The worker died while doing the job (killed, crashed, out of memory)."""


class WorkerGone(WorkerDied):
    """The worker had died before the job reached it: the job never ran, and can go to
    another worker."""


class PoolBusy(ImrgenError):
    """More requests are waiting than the pool accepts."""


def worker_main(conn: Connection) -> None:
    """A worker process: warm once, then answer jobs until told to stop or the pipe closes."""
    # Ctrl-C reaches the whole process group; the service stops its workers itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
    warm_worker()
    # What warming loaded lives as long as the worker: out of the collector's sight.
    gc.freeze()
    conn.send(READY)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        conn.send(run(job))


@dataclass
class Worker:
    """One process and the parent's end of its pipe."""

    index: int
    process: Any  # multiprocessing's SpawnProcess
    conn: Connection
    state: State = "starting"
    jobs: int = 0
    started: float = 0.0

    def wait_ready(self, timeout: float) -> bool:
        """Block until the worker says it is warm; False if it died or took too long."""
        try:
            return bool(self.conn.poll(timeout)) and self.conn.recv() == READY
        except (EOFError, OSError):
            return False

    def call(self, job: Job, timeout: float) -> Reply:
        """Send one job and block for its reply (in a thread of the pool's executor)."""
        try:
            self.conn.send(job)
        except (BrokenPipeError, ConnectionError, OSError):
            raise WorkerGone("the worker was gone before the job reached it") from None
        try:
            if not self.conn.poll(timeout):
                raise WorkerTimeout(f"the job took longer than {timeout:g} s")
            reply: Reply = self.conn.recv()
        except (EOFError, ConnectionError, OSError):
            raise WorkerDied("the worker process died while doing this job") from None
        return reply

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.process.join(5)
        with contextlib.suppress(Exception):
            self.conn.close()
        self.state = "dead"

    def rss_bytes(self) -> int | None:
        """Resident memory of the worker (Linux /proc; None elsewhere or once it is gone)."""
        try:
            with open(f"/proc/{self.process.pid}/status", encoding="ascii") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) * 1024
        except (OSError, ValueError):
            return None
        return None


class WorkerPool:
    """A fixed number of warm workers and a queue of the requests waiting for one."""

    def __init__(
        self,
        size: int,
        timeout: float,
        max_waiting: int = 256,
        on_restart: Callable[[str], None] | None = None,
    ) -> None:
        if size < 1:
            raise ImrgenError(f"--workers: expected at least 1, got {size}")
        self.size = size
        self.timeout = timeout
        self.max_waiting = max_waiting
        self.on_restart = on_restart
        self.workers: list[Worker] = []
        self.waiting = 0
        self.restarts = 0
        self._context = multiprocessing.get_context("spawn")
        self._executor = ThreadPoolExecutor(max_workers=size * 2 + 1, thread_name_prefix="pool")
        self._idle: asyncio.Queue[int] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False
        self._warmed_once: set[int] = set()
        self._watch: asyncio.Task[None] | None = None

    # -- life ------------------------------------------------------------------------------

    async def start(self) -> None:
        """Start every worker; each joins the idle queue once warm (see ready)."""
        self._loop = asyncio.get_running_loop()
        self._idle = asyncio.Queue()
        for index in range(self.size):
            self.workers.append(self._spawn(index))
        self._watch = self._loop.create_task(self._watch_idle())

    async def _watch_idle(self) -> None:
        """Replace a worker that dies while idle (the kernel's OOM killer, an operator), so
        that /healthz tells the truth and no request meets it first."""
        while not self._closed:
            await asyncio.sleep(1.0)
            for worker in list(self.workers):
                if worker.state == "idle" and not worker.process.is_alive():
                    self._replace(worker, "died")

    def _spawn(self, index: int) -> Worker:
        # Always called on the event loop's thread: a worker's death signal is tied to the
        # thread that started it (PR_SET_PDEATHSIG), and that thread lives as long as the
        # service, unlike the executor's.
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(
            target=worker_main, args=(child_end,), name=f"imrgen-worker-{index}", daemon=True
        )
        process.start()
        child_end.close()
        worker = Worker(index, process, parent_end, started=time.monotonic())
        assert self._loop is not None
        future = self._loop.run_in_executor(self._executor, worker.wait_ready, WARM_TIMEOUT)
        future.add_done_callback(lambda done: self._warmed(worker, done))
        return worker

    def _warmed(self, worker: Worker, done: asyncio.Future[bool]) -> None:
        if self._closed or self.workers[worker.index] is not worker:
            return
        if not done.cancelled() and done.result():
            worker.state = "idle"
            self._warmed_once.add(worker.index)
            assert self._idle is not None
            self._idle.put_nowait(worker.index)
            return
        # It died while warming (or hung): try again, but not in a tight loop.
        worker.kill()
        assert self._loop is not None
        self._loop.call_later(1.0, self._replace, worker, "warm-up failed")

    def _replace(self, worker: Worker, reason: str) -> None:
        if self._closed or self.workers[worker.index] is not worker:
            return
        worker.kill()
        self.restarts += 1
        if self.on_restart is not None:
            self.on_restart(reason)
        self.workers[worker.index] = self._spawn(worker.index)

    async def close(self) -> None:
        self._closed = True
        if self._watch is not None:
            self._watch.cancel()
        for worker in self.workers:
            if worker.state == "idle":
                with contextlib.suppress(Exception):
                    worker.conn.send(None)
        deadline = time.monotonic() + 5
        for worker in self.workers:
            with contextlib.suppress(Exception):
                worker.process.join(max(0.0, deadline - time.monotonic()))
            worker.kill()
        self._executor.shutdown(wait=False, cancel_futures=True)

    # -- state -----------------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """Every worker has warmed at least once, and one is alive to take a job now."""
        alive = any(w.state in ("idle", "busy") for w in self.workers)
        return bool(self.workers) and len(self._warmed_once) == self.size and alive

    def describe(self) -> list[dict[str, Any]]:
        return [
            {
                "id": w.index,
                "pid": w.process.pid,
                "state": w.state,
                "jobs": w.jobs,
                "rss_bytes": w.rss_bytes(),
            }
            for w in self.workers
        ]

    # -- work ------------------------------------------------------------------------------

    async def run(
        self, job: Job, timeout: float | None = None, timing: dict[str, float] | None = None
    ) -> Reply:
        """Do a job in the next free worker; raise WorkerTimeout, WorkerDied or PoolBusy.
        `timing` is told the seconds spent waiting for a worker ("queue") and in it ("work")."""
        timing = {} if timing is None else timing
        queued = time.perf_counter()
        assert self._idle is not None and self._loop is not None
        limit = min(timeout, self.timeout) if timeout is not None else self.timeout
        if self.waiting >= self.max_waiting:
            raise PoolBusy(f"{self.waiting} requests are already waiting for a worker")
        self.waiting += 1
        try:
            worker = await self._acquire()
        finally:
            self.waiting -= 1
        worker.state = "busy"
        worker.jobs += 1
        started = time.perf_counter()
        timing["queue"] = started - queued
        try:
            reply = await self._loop.run_in_executor(self._executor, worker.call, job, limit)
        except WorkerGone:
            self._replace(worker, "died")
            return await self.run(job, timeout, timing)  # it never ran: another worker
        except WorkerTimeout:
            self._replace(worker, "timeout")
            raise
        except WorkerDied:
            self._replace(worker, "died")
            raise
        except BaseException:
            # The request was cancelled (the client went away): the worker may still be
            # busy with the job, so it cannot take another; replace it.
            self._replace(worker, "cancelled")
            raise
        finally:
            timing["work"] = time.perf_counter() - started
        worker.state = "idle"
        self._idle.put_nowait(worker.index)
        return reply

    async def _acquire(self) -> Worker:
        assert self._idle is not None
        while True:
            index = await self._idle.get()
            worker = self.workers[index]
            if worker.state == "idle" and worker.process.is_alive():
                return worker
            if worker.state == "idle":  # died while idle: nobody's job was lost
                self._replace(worker, "died")


def cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
