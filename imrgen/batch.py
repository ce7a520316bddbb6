"""Many letters at once: inputs (files, folders, globs) become jobs, a pool of warm worker
processes (or a Dask cluster) runs them, and a manifest in the output folder records each input's
outputs and their sha256, so a batch killed at any moment finishes the rest when run again and
redoes only what changed or is missing."""

from __future__ import annotations

import contextlib
import errno
import gc
import glob
import hashlib
import json
import multiprocessing
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from . import __version__
from .errors import CaseError, ImrgenError, Problem
from .files import fsync_folder, write_atomic
from .loading import CASE_SUFFIXES, is_case_file, load_case, not_an_input
from .model import Case, Edition
from .readers import parse, readers
from .writers import RenderOptions, check_formats, get_writer

if TYPE_CHECKING:
    from .redaction import RedactionPolicy
    from .signing import SignRequest

MANIFEST_NAME = ".imrgen-manifest.jsonl"
# What the output folder answers when it cannot take more: full, over quota, read-only, no
# longer writable. The batch stops at the first of these instead of failing every input alike.
FOLDER_FAULTS = frozenset(
    {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}
)
LOCK_NAME = ".imrgen-batch.lock"

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


# ---------------------------------------------------------------------------------------------
# Inputs


def input_suffixes() -> tuple[str, ...]:
    """Every suffix a batch reads from a folder: case files and every registered reader's."""
    return tuple(CASE_SUFFIXES) + tuple(s for r in readers() for s in r.suffixes)


def _is_glob(name: str) -> bool:
    return any(ch in name for ch in "*?[")


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def expand_inputs(
    inputs: Iterable[str | Path], exclude: Path | None = None
) -> tuple[list[tuple[Path, str]], list[InputResult]]:
    """Files, folders and globs -> (file, output stem) pairs, plus an error for each input that
    names nothing. Folders are walked for readable files (hidden ones and `exclude` left out) and
    keep their layout in the output stems; a file or a glob match gives its own name."""
    suffixes = input_suffixes()
    found: list[tuple[Path, str]] = []
    missing: list[InputResult] = []
    excluded = exclude.resolve() if exclude is not None else None

    def inside_excluded(path: Path) -> bool:
        return excluded is not None and path.resolve().is_relative_to(excluded)

    def walk(folder: Path) -> None:
        for path in sorted(folder.rglob("*")):
            if not path.is_file() or _hidden(path, folder) or inside_excluded(path):
                continue
            # A folder's other files (notes, a README) are listed as skipped, not failed.
            why = not_an_input(path) if path.suffix.lower() in suffixes else "not a case or letter"
            if why is None:
                found.append((path, str(path.relative_to(folder).with_suffix(""))))
            else:
                missing.append(_skipped(str(path), f"{path}: {why}"))

    for item in inputs:
        name = str(item)
        path = Path(name)
        if path.is_dir():
            walk(path)
        elif path.exists():
            found.append((path, path.stem))
        elif _is_glob(name):
            matches = sorted(glob.glob(name, recursive=True))
            if not matches:
                missing.append(_failed(name, f"{name}: no file matches this pattern"))
            for match in map(Path, matches):
                if match.is_dir():
                    walk(match)
                elif match.suffix.lower() in suffixes and not inside_excluded(match):
                    found.append((match, match.stem))
        else:
            missing.append(_failed(name, f"{name}: no such file or folder"))

    # The same file named twice is one input; two inputs that would make the same output name
    # (a.yaml and a.pdf, or two folders' a.pdf) get their suffix, then a hash of their path.
    unique: dict[Path, tuple[Path, str]] = {}
    for path, stem in found:
        unique.setdefault(path.resolve(), (path, stem))
    pairs = list(unique.values())
    pairs = _disambiguate(pairs, lambda p, s: f"{s}-{p.suffix.lstrip('.').lower()}")
    pairs = _disambiguate(
        pairs, lambda p, s: f"{s}-{hashlib.sha256(str(p.resolve()).encode()).hexdigest()[:8]}"
    )
    return pairs, missing


def _disambiguate(
    pairs: list[tuple[Path, str]], rename: Callable[[Path, str], str]
) -> list[tuple[Path, str]]:
    counts: dict[str, int] = {}
    for _, stem in pairs:
        counts[stem.lower()] = counts.get(stem.lower(), 0) + 1
    return [(p, rename(p, s) if counts[s.lower()] > 1 else s) for p, s in pairs]


def _skipped(source: str, why: str) -> InputResult:
    return InputResult(source=source, path=source, status="skipped", error=why)


def _failed(source: str, message: str, **extra: Any) -> InputResult:
    return InputResult(source=source, path=source, status="error", error=message, **extra)


# ---------------------------------------------------------------------------------------------
# What a run depends on besides its inputs


def _tree_digest(digest: Any, root: Path | None) -> None:
    if root is None or not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(root)).encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())


def dependency_versions() -> dict[str, str]:
    """imrgen's version and that of every package it needs, directly or not, as installed: a
    new WeasyPrint (or fontTools, or lxml) may write the same letter differently."""
    found: dict[str, str] = {}
    todo = ["imrgen"]
    while todo:
        name = canonicalize_name(todo.pop())
        if name in found:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
            continue
        found[name] = dist.version
        for line in dist.requires or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return dict(sorted(found.items()))


def options_fingerprint(
    options: RenderOptions, public: bool, policy: RedactionPolicy | None = None
) -> str:
    """A digest of everything besides the input that decides the outputs' bytes: the versions
    of imrgen and its dependencies, the render options, the templates and styles, and the
    redaction policy. A changed template or an upgrade therefore redoes every letter; an
    unchanged one redoes nothing."""
    digest = hashlib.sha256()
    settings = {
        "imrgen": __version__,
        "packages": dependency_versions(),
        "family": options.family,
        "lang": options.lang,
        "pdf_variant": options.pdf_variant,
        "embed_data": options.embed_data,
        "extras": sorted(options.extras.items()),
        "public": public,
    }
    digest.update(json.dumps(settings, sort_keys=True).encode())
    # imrgen's own code and data too: a checkout changes without its version changing
    _tree_digest(digest, Path(__file__).resolve().parent)
    templates = options.templates
    for root in (templates.templates, templates.styles, templates.user_templates):
        _tree_digest(digest, root)
    if public:
        digest.update(policy.model_dump_json().encode() if policy else _policy_text().encode())
    return digest.hexdigest()


def _redact_function() -> Callable[[Case], Case]:
    """imrgen.redaction.redact, or a clear error when this installation has none."""
    try:
        from .redaction import redact
    except ImportError as exc:
        raise ImrgenError(
            f"--public needs imrgen.redaction, which this installation lacks ({exc})"
        ) from None
    return redact


def _policy_text() -> str:
    from . import redaction

    default = getattr(redaction, "default_policy", None)
    return default().model_dump_json() if callable(default) else redaction.__name__


# ---------------------------------------------------------------------------------------------
# The work itself: runs in a pool worker, a Dask worker, or in this process


_WARMED: set[tuple[str, bool]] = set()


def _tiny_case(edition: Edition) -> Case:
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


def warm(formats: Sequence[str], public: bool = False) -> None:
    """Load once per process what every letter needs (WeasyPrint, fonts, stylesheets, compiled
    templates, readers, the redaction policy) by rendering a tiny case in each format and
    edition. Warming is only an optimisation: a failure here shows up again in the real job."""
    with contextlib.suppress(Exception):
        readers()
    for fmt in formats:
        if (fmt, public) in _WARMED:
            continue
        _WARMED.add((fmt, public))
        for edition in Edition:
            with contextlib.suppress(Exception):
                case = _tiny_case(edition)
                if public:
                    case = _redact_function()(case)
                get_writer(fmt).write(case, RenderOptions())


def _pool_worker_start(formats: Sequence[str], public: bool) -> None:
    _die_with_parent()
    warm(formats, public)
    # What warming loaded (modules, fonts, stylesheets, templates) lives as long as the worker:
    # out of the collector's sight, each collection walks only what the letters make.
    gc.freeze()


def _die_with_parent() -> None:
    """A pool worker ends with the batch that started it, even after kill -9 (Linux only)."""
    if sys.platform != "linux":
        return
    with contextlib.suppress(Exception):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, int(signal.SIGKILL))


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
    warm(job.formats, job.public)
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
        return _failed_job(job, message, sha, started)
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno in FOLDER_FAULTS:
            # The disk is full or the folder read-only: write_atomic left nothing half-written,
            # and every later input would fail alike.
            message = f"{job.source}: cannot write to {job.out_dir} ({exc.strerror})"
            return _failed_job(job, message, sha, started, fault=True)
        # a bug, not bad input: keep the traceback in the manifest
        message = f"{job.source}: internal error ({type(exc).__name__}: {exc})"
        return _failed_job(job, message, sha, started, detail=traceback.format_exc())


def _write_public(
    job: Job, case: Case, formats: list[str], sha: str, out_dir: Path
) -> dict[str, dict[str, str]]:
    """The public pipeline (imrgen.public: redact, render, leak-check every file), written to
    pending files that the batch renames once it knows no other input makes the same name."""
    from .public import public_name, public_version

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


def _failed_job(
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


# ---------------------------------------------------------------------------------------------
# The manifest


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
def _locked(out_dir: Path) -> Iterator[None]:
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


# ---------------------------------------------------------------------------------------------
# Engines: where jobs run


def _local_results(
    jobs: list[Job], workers: int, formats: Sequence[str], public: bool
) -> Generator[InputResult, None, None]:
    if workers <= 1:
        warm(formats, public)
        for job in jobs:
            yield run_job(job)
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
            mp_context=_pool_context(formats, public),
            initializer=_pool_worker_start,
            initargs=(formats, public),
        )
        try:
            pending: dict[Future[InputResult], Job] = {}
            window = 1 if alone else workers * 4
            _fill(pool, pending, source, window)
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    job = pending.pop(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        broken.append(job)
                    else:
                        yield result
                if broken:
                    broken.extend(pending.values())
                    pending.clear()
                    break
                _fill(pool, pending, source, window)
        finally:
            # cancel_futures: a batch stopped early (a full disk) starts nothing more
            pool.shutdown(wait=True, cancel_futures=True)
        if alone:
            for job in broken:  # one job in flight: the death is its own
                yield _failed_job(job, f"{job.source}: the worker process died", None, 0.0)
        else:
            suspects.extend(reversed(broken))


def _pool_context(formats: Sequence[str], public: bool) -> multiprocessing.context.BaseContext:
    """Fork when it is safe (POSIX, and no other thread in this process that a child could
    inherit mid-lock): warm this process once and every worker starts warm, sharing its pages.
    Otherwise spawn, and each worker warms itself in its initializer."""
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        warm(formats, public)
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _fill(
    pool: ProcessPoolExecutor,
    pending: dict[Future[InputResult], Job],
    queue: list[Job],
    window: int,
) -> None:
    """Keep a bounded number of jobs in flight, so a million inputs are not a million futures."""
    while queue and len(pending) < window:
        job = queue.pop()
        pending[pool.submit(run_job, job)] = job


def _dask_results(
    jobs: list[Job], address: str, formats: Sequence[str], public: bool
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
            future = client.submit(run_job, job, pure=False)
            pending[future.key] = job
            completed.add(future)  # type: ignore[no-untyped-call]

        for _ in range(min(len(queue), workers * 4)):
            submit()
        for future in completed:
            job = pending.pop(future.key)
            try:
                result: InputResult = future.result()
            except Exception as exc:  # the task itself never raises; this is a lost worker
                result = _failed_job(job, f"{job.source}: the Dask task failed ({exc})", None, 0)
            future.release()
            yield result
            if queue:
                submit()
    finally:
        client.close()  # type: ignore[no-untyped-call]


# ---------------------------------------------------------------------------------------------
# The API


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
    versions (`public`, redacted by `policy`) go through imrgen.public's one pipeline."""
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
    with _locked(out_abs):
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
                results = _dask_results(batch, scheduler, fmts, public)
            else:
                results = _local_results(batch, workers, fmts, public)
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
