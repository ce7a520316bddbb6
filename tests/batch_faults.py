"""Faults for the batch's tests, in a module of their own so that pool workers (forked or
spawned) and batch subprocesses can load them by name.

A fault is set on one output folder and starts once the folder holds a number of finished
(visible) files, whichever process wrote them: then the disk is full (ENOSPC when a file is
flushed to it) or the folder is read-only (EROFS for anything that would change it). A
"slow" folder instead writes each temporary file's first half, waits, then the rest, so that a
kill can land in the middle of a write. A subprocess gets the fault through the environment
(IMRGEN_TEST_FAULT) and a sitecustomize that calls install_from_env()."""

from __future__ import annotations

import errno
import json
import os
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from imrgen.batch import InputResult, Job, run_job

CRASH_MARK = "crash-me"
ENV = "IMRGEN_TEST_FAULT"


def crash_on_marked(job: Job) -> InputResult:
    """run_job, except that an input named crash-me kills its worker as the kernel's OOM killer
    would, and the others take long enough to be in flight when it does."""
    if CRASH_MARK in job.source:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.3)
    return run_job(job)


@dataclass(frozen=True)
class Fault:
    folder: str
    kind: str  # "enospc", "readonly" or "slow"
    after: int = 0  # finished files in the folder before the fault starts
    delay: float = 0.4  # "slow": the pause in the middle of each write
    spare: str = ""  # a file's name that still takes writes (a small line fits, a letter not)

    def to_env(self) -> dict[str, str]:
        return {ENV: json.dumps(asdict(self))}

    def active(self) -> bool:
        found = 0
        for _, _, files in os.walk(self.folder):
            found += sum(1 for name in files if not name.startswith("."))
        return found >= self.after

    def inside(self, path: Any) -> bool:
        try:
            text = os.fsdecode(path) if not isinstance(path, int) else _fd_path(path)
        except (TypeError, OSError):
            return False
        spared = bool(self.spare) and os.path.basename(text) == self.spare
        return os.path.abspath(text).startswith(self.folder + os.sep) and not spared

    def error(self, path: Any = None) -> OSError:
        code = errno.ENOSPC if self.kind == "enospc" else errno.EROFS
        name = None if isinstance(path, int) or path is None else os.fsdecode(path)
        return OSError(code, os.strerror(code), name)


def _fd_path(fd: int) -> str:
    return os.readlink(f"/proc/self/fd/{fd}")


_WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


def patches(fault: Fault) -> dict[str, Callable[..., Any]]:
    """The os functions to replace, and their replacements."""
    real = {name: getattr(os, name) for name in ("open", "fsync", "replace", "unlink", "fdopen")}

    def faulty(name: str, *, when: Callable[..., bool]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if fault.inside(args[0]) and when(*args, **kwargs) and fault.active():
                raise fault.error(args[0])
            return real[name](*args, **kwargs)

        return call

    def writing(path: Any, flags: int, *rest: Any, **kwargs: Any) -> bool:
        return bool(flags & _WRITING)

    if fault.kind == "slow":

        def fdopen(fd: int, *args: Any, **kwargs: Any) -> Any:
            handle = real["fdopen"](fd, *args, **kwargs)
            if fault.inside(fd) and _fd_path(fd).endswith(".part"):
                return _SlowFile(handle, fault)
            return handle

        return {"fdopen": fdopen}
    # A full disk takes a new (empty) file and its first bytes, and fails when they are to
    # reach the disk; a read-only folder changes in no way, not even by a clean-up.
    found = {"fsync": faulty("fsync", when=lambda fd: not os.path.isdir(_fd_path(fd)))}
    if fault.kind == "readonly":
        found["open"] = faulty("open", when=writing)
        found["replace"] = faulty("replace", when=lambda *a, **k: True)
        found["unlink"] = faulty("unlink", when=lambda *a, **k: True)
    return found


class _SlowFile:
    """A file that writes half, flushes it to the folder, waits, then writes the rest (once
    the fault has started)."""

    def __init__(self, handle: Any, fault: Fault) -> None:
        self._handle = handle
        self._fault = fault

    def write(self, data: bytes) -> int:
        if not self._fault.active():
            return int(self._handle.write(data))
        half = len(data) // 2
        self._handle.write(data[:half])
        self._handle.flush()
        time.sleep(self._fault.delay)
        return half + int(self._handle.write(data[half:]))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)

    def __enter__(self) -> _SlowFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._handle.close()


def install_from_env() -> None:
    """For sitecustomize in a batch subprocess and its workers."""
    spec = os.environ.get(ENV)
    if not spec:
        return
    fault = Fault(**json.loads(spec))
    for name, replacement in patches(fault).items():
        setattr(os, name, replacement)


def sitecustomize(folder: Path, tests: Path) -> dict[str, str]:
    """A folder with a sitecustomize that installs the fault, and the PYTHONPATH to use it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "sitecustomize.py").write_text(
        "import batch_faults\nbatch_faults.install_from_env()\n"
    )
    path = os.pathsep.join([str(folder), str(tests), os.environ.get("PYTHONPATH", "")])
    return {"PYTHONPATH": path.rstrip(os.pathsep)}
