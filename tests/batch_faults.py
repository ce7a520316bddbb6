"""Faults for the batch's tests, in a module of their own so that pool workers (forked or
spawned) can unpickle them by name."""

from __future__ import annotations

import os
import signal
import time

from imrgen.batch import InputResult, Job, run_job

CRASH_MARK = "crash-me"


def crash_on_marked(job: Job) -> InputResult:
    """run_job, except that an input named crash-me kills its worker as the kernel's OOM killer
    would, and the others take long enough to be in flight when it does."""
    if CRASH_MARK in job.source:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.3)
    return run_job(job)
