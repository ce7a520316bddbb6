"""The work itself: one job read, rendered and written, in a pool worker, a Dask worker or this
process."""

from __future__ import annotations

import hashlib
import time
import traceback
from pathlib import Path

from ..case.loading import is_case_file, load_case
from ..case.model import Case
from ..errors import CaseError, ImrgenError, Problem
from ..files import write_atomic
from ..readers import parse
from ..writers import get_writer
from .jobs import (
    FOLDER_FAULTS,
    InputResult,
    Job,
    Status,
)
from .warm import warm


def _sha256_file(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _load(job: Job, data: bytes) -> Case:
    if is_case_file(job.path):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CaseError(job.source, [Problem("", f"not UTF-8 text ({exc.reason})")]) from None
        return load_case(Path(job.source), text)
    return parse(job.source, data=data)


def _reusable(job: Job, sha: str, out_dir: Path) -> dict[str, dict[str, str]]:
    """The outputs of an earlier run that are still right: same input, same options, the same
    output name (a public one goes by case number), and the file on disk still has the recorded
    sha256."""
    previous = job.previous
    if (
        not previous
        or previous.get("status") not in ("ok", "skipped")
        or previous.get("sha256") != sha
        or previous.get("options") != job.fingerprint
    ):
        return {}
    kept: dict[str, dict[str, str]] = {}
    for fmt in job.formats:
        record = (previous.get("outputs") or {}).get(fmt)
        if not record:
            continue
        if not job.public and record["path"] != f"{job.stem}{get_writer(fmt).suffix}":
            continue
        if _sha256_file(out_dir / record["path"]) == record["sha256"]:
            kept[fmt] = {"path": record["path"], "sha256": record["sha256"]}
    return kept


def run_job(job: Job) -> InputResult:
    """Load or parse one input, redact it if asked, write each missing format atomically. Never
    raises: a failure comes back as an error result that names the input."""
    started = time.perf_counter()
    warm(job.formats, job.public, job.options.engine)
    sha: str | None = None
    try:
        out_dir = Path(job.out_dir)
        try:
            data = Path(job.path).read_bytes()
        except OSError as exc:
            raise ImrgenError(f"{job.source}: {exc.strerror or exc}") from None
        sha = hashlib.sha256(data).hexdigest()
        outputs = _reusable(job, sha, out_dir)
        needed = [fmt for fmt in job.formats if fmt not in outputs]
        if needed:
            case = _load(job, data)
            stem = job.stem
            if job.public:  # named by case number, never by the input's name (it may name a person)
                outputs.update(_write_public(job, case, needed, sha, out_dir))
            else:
                for fmt in needed:
                    writer = get_writer(fmt)
                    rendered = writer.write(case, job.options)
                    if job.sign is not None and fmt == "pdf":
                        rendered = job.sign.apply(rendered)
                    relative = f"{stem}{writer.suffix}"
                    write_atomic(out_dir / relative, rendered)
                    outputs[fmt] = {
                        "path": relative,
                        "sha256": hashlib.sha256(rendered).hexdigest(),
                    }
        status: Status = "ok" if needed else "skipped"
        return InputResult(
            source=job.source,
            path=job.path,
            status=status,
            sha256=sha,
            outputs={fmt: outputs[fmt] for fmt in job.formats},
            seconds=time.perf_counter() - started,
        )
    except ImrgenError as exc:
        message = str(exc)
        if job.source not in message:
            message = f"{job.source}: {message}"
        return failed_job(job, message, sha, started)
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno in FOLDER_FAULTS:
            # The disk is full or the folder read-only: write_atomic left nothing half-written,
            # and every later input would fail alike.
            message = f"{job.source}: cannot write to {job.out_dir} ({exc.strerror})"
            return failed_job(job, message, sha, started, fault=True)
        # a bug, not bad input: keep the traceback in the manifest
        message = f"{job.source}: internal error ({type(exc).__name__}: {exc})"
        return failed_job(job, message, sha, started, detail=traceback.format_exc())


def _write_public(
    job: Job, case: Case, formats: list[str], sha: str, out_dir: Path
) -> dict[str, dict[str, str]]:
    """The public pipeline (imrgen.public.versions: redact, render, leak-check every file),
    written to pending files that the batch renames once it knows no other input makes the same
    name."""
    from ..public.versions import public_name, public_version

    files = public_version(
        case,
        formats,
        job.policy,
        job.options,
        name=job.source,
        digest=sha,
        sign=job.sign.apply if job.sign is not None else None,
    )
    written: dict[str, dict[str, str]] = {}
    for fmt, rendered in files.items():
        relative = public_name(case, fmt, sha)
        pending = f".{relative}.{sha[:12]}.pending.part"  # a killed run's leftovers are removed
        write_atomic(out_dir / pending, rendered)
        written[fmt] = {
            "path": relative,
            "sha256": hashlib.sha256(rendered).hexdigest(),
            "pending": pending,
        }
    return written


def failed_job(
    job: Job,
    message: str,
    sha: str | None,
    started: float,
    detail: str | None = None,
    fault: bool = False,
) -> InputResult:
    return InputResult(
        source=job.source,
        path=job.path,
        status="error",
        sha256=sha,
        error=message,
        detail=detail,
        seconds=time.perf_counter() - started,
        fault=fault,
    )
