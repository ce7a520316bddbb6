"""What a batch is made of: a job per input, its result, the summary, and the faults that stop a
batch."""

from __future__ import annotations

import errno
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ..errors import ImrgenError
from ..writers import RenderOptions

if TYPE_CHECKING:
    from ..public.redaction import RedactionPolicy
    from ..signing import SignRequest


# What the output folder answers when it cannot take more: full, over quota, read-only, no
# longer writable. The batch stops at the first of these instead of failing every input alike.
FOLDER_FAULTS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}
)


Status = Literal["ok", "skipped", "error"]
Progress = Callable[["InputResult", int, int], None]


class BatchStopped(ImrgenError):
    """The output folder cannot take more (full, read-only): the batch stops, keeping what it
    recorded, and a later run finishes the rest."""


@dataclass(frozen=True)
class Job:
    """One input and everything a worker needs to turn it into outputs, on this machine or not."""

    source: str  # the input as the user named it; messages use it
    path: str  # absolute, so that workers elsewhere (sharing the folders) find it
    out_dir: str  # absolute
    stem: str  # output name without suffix, relative to out_dir; public versions ignore it
    formats: tuple[str, ...]
    public: bool
    options: RenderOptions
    fingerprint: str
    previous: dict[str, Any] | None = None  # this input's record from an earlier run
    policy: RedactionPolicy | None = None  # public versions: the redaction policy
    sign: SignRequest | None = field(default=None, repr=False)  # each worker loads the key once


@dataclass(frozen=True)
class InputResult:
    """What became of one input."""

    source: str
    path: str
    status: Status
    sha256: str | None = None
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)  # fmt -> {path, sha256}
    error: str | None = None
    detail: str | None = None  # a traceback, for a failure that is a bug rather than bad input
    seconds: float = 0.0
    fault: bool = False  # the output folder cannot be written (full, read-only): the batch stops


@dataclass
class BatchSummary:
    total: int = 0
    done: int = 0
    skipped: int = 0
    failed: int = 0
    seconds: float = 0.0
    manifest: Path | None = None
    errors: list[InputResult] = field(default_factory=list)

    @property
    def letters_per_second(self) -> float:
        """Letters made (not skipped) per second of wall time."""
        return self.done / self.seconds if self.seconds > 0 else 0.0

    @property
    def ok(self) -> bool:
        return self.failed == 0


def _skipped(source: str, why: str) -> InputResult:
    return InputResult(source=source, path=source, status="skipped", error=why)


def _failed(source: str, message: str, **extra: Any) -> InputResult:
    return InputResult(source=source, path=source, status="error", error=message, **extra)
