"""The manifest in the output folder (one JSON line per finished input), the folder's lock, and
which input owns each output name."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from ..errors import ImrgenError
from ..files import fsync_folder, write_atomic
from .jobs import (
    BatchStopped,
    InputResult,
)

MANIFEST_NAME = ".imrgen-manifest.jsonl"


LOCK_NAME = ".imrgen-batch.lock"


class Manifest:
    """JSON Lines in the output folder, one record per finished input, flushed and fsynced as
    each input finishes. The last record of an input wins; a line cut short by a kill is
    ignored, and the file is rewritten compactly when a run starts."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records: dict[str, dict[str, Any]] = {}
        lines = 0
        broken = False
        if path.exists():
            with path.open("rb") as handle:
                for raw in handle:
                    lines += 1
                    try:
                        record = json.loads(raw)
                        self.records[record["input"]] = record
                    except (ValueError, KeyError, TypeError):
                        broken = True
        if broken or lines != len(self.records):
            payload = "".join(json.dumps(r, sort_keys=True) + "\n" for r in self.records.values())
            try:
                write_atomic(path, payload.encode("utf-8"))
            except OSError as exc:  # the old file stays as it was: still readable next time
                raise BatchStopped(
                    f"{path}: cannot rewrite the manifest ({exc.strerror})"
                ) from None
        self._handle: IO[str] | None = None

    def __enter__(self) -> Manifest:
        new = not self.path.exists()
        self._handle = self.path.open("a", encoding="utf-8")
        if new:
            fsync_folder(self.path.parent)  # the manifest's name, like an output's, is durable
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:
            # After a failed write (a full disk) closing tries to write the rest again and
            # fails alike; what was flushed before stays, a cut line is ignored when read.
            with contextlib.suppress(OSError):
                self._handle.close()
            self._handle = None

    def append(self, result: InputResult, formats: Sequence[str], fingerprint: str) -> None:
        record = {
            "input": result.path,
            "source": result.source,
            "sha256": result.sha256,
            "formats": list(formats),
            "options": fingerprint,
            "status": result.status,
            "outputs": result.outputs,
            "error": result.error,
            "seconds": round(result.seconds, 4),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        if result.detail:
            record["traceback"] = result.detail
        self.records[result.path] = record
        assert self._handle is not None
        try:
            self._handle.write(json.dumps(record, sort_keys=True) + "\n")
            self._handle.flush()
            os.fsync(self._handle.fileno())
        except OSError as exc:
            raise BatchStopped(
                f"{self.path}: cannot record {result.source} ({exc.strerror}); the batch stopped:"
                " what was recorded before is kept, run the batch again to finish the rest"
            ) from None


@contextlib.contextmanager
def locked(out_dir: Path) -> Iterator[None]:
    """One batch per output folder at a time; the lock goes with the process, even on kill -9."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no lock
        yield
        return
    handle = (out_dir / LOCK_NAME).open("a")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise ImrgenError(f"{out_dir}: another imrgen batch is writing here") from None
        yield
    finally:
        handle.close()


def _remove_stale_parts(out_dir: Path) -> None:
    """Temporary files a killed run left behind (write_atomic's .NAME.XXXX.part)."""
    for part in out_dir.rglob(".*.part"):
        with contextlib.suppress(OSError):
            part.unlink()


def _claimed_before(manifest: Manifest, out_dir: Path) -> dict[str, str]:
    """The public files that earlier runs wrote here, and which input made each: a later input
    of the same case number must not replace another input's file."""
    claimed: dict[str, str] = {}
    for source, record in manifest.records.items():
        if record.get("status") in ("ok", "skipped"):
            for output in (record.get("outputs") or {}).values():
                if (out_dir / output["path"]).is_file():
                    claimed[output["path"]] = source
    return claimed


def _claim(result: InputResult, claimed: dict[str, str], out_dir: Path) -> InputResult:
    """Give each output file to one input. A public version waits in a pending file until it
    is given its name (its case number); a second input that makes the same name is an error
    naming the first, and the first input's file stays as it is."""
    pending = {
        fmt: record.pop("pending") for fmt, record in result.outputs.items() if "pending" in record
    }
    message: str | None = None
    for record in result.outputs.values():
        other = claimed.get(record["path"])
        if other is not None and other != result.path:
            message = (
                f"{result.source}: makes {record['path']}, as {other} does"
                " (the same case number); run them in separate batches"
            )
            break
    if message is None:
        try:
            for fmt, name in pending.items():
                os.replace(out_dir / name, out_dir / result.outputs[fmt]["path"])
        except OSError as exc:
            message = f"{result.source}: cannot write {exc.filename}: {exc.strerror or exc}"
    if message is not None:
        for name in pending.values():
            (out_dir / name).unlink(missing_ok=True)
        return InputResult(
            source=result.source,
            path=result.path,
            status="error",
            sha256=result.sha256,
            error=message,
            seconds=result.seconds,
        )
    for record in result.outputs.values():
        claimed[record["path"]] = result.path
    return result
