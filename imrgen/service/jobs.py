"""The service's work, run inside a warm worker process: a request's bytes and options in, a
Reply (the letter's bytes, JSON, or a failure as data) out. Nothing here raises to its caller:
every failure becomes a Reply with an HTTP status and the CLI's wording."""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..batch import tiny_case, warm
from ..case.loading import case_from_data, dump_case, read_tree
from ..case.model import Case, Edition
from ..case.rules import Finding, check, error_findings, raise_for_errors
from ..errors import CaseError, ImrgenError, ParseError, Problem, UnknownFormatError
from ..public.leaks import Leak, find_leaks
from ..public.redaction import PolicyError, RedactionPolicy
from ..public.versions import LeakError, public_name, public_version
from ..readers import parse, readers
from ..writers import RenderOptions, get_writer, writers

Kind = Literal["validate", "render", "public", "parse"]

# Request bodies have no file name; messages name them as the CLI names a file.
CASE_SOURCES = {"json": "request.json", "yaml": "request.yaml"}


@dataclass(frozen=True)
class Job:
    """One request's work: what to do, the body, and its already-checked options."""

    kind: Kind
    body: bytes
    body_format: str  # "json" or "yaml" for a case; a reader's name for a letter
    fmt: str = "pdf"  # the output format of render and public
    options: RenderOptions = field(default_factory=RenderOptions)
    force: bool = False  # render even a case that breaks an IMR rule
    policy: str = "default"


@dataclass(frozen=True)
class Reply:
    """What a worker sends back: a status, and either content or an error with its problems."""

    status: int
    content: bytes = b""
    media_type: str = "application/json"
    filename: str | None = None
    error: str | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status < 400


class BodyError(ImrgenError):
    """A body that is not a document at all (not UTF-8, not JSON or YAML, nested too deep)."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        lines = "\n".join(f"  {p}" for p in problems)
        super().__init__(f"{source}: {len(problems)} problem(s)\n{lines}")


# ---------------------------------------------------------------------------------------------
# Warming: once per worker


def warm_worker() -> None:
    """Load what every request needs: the batch's warm-up (WeasyPrint, fonts, stylesheets,
    templates, the redaction policy) for every format, then each reader and the leak check
    on a tiny letter of each format."""
    formats = sorted(writers())
    warm(formats)
    warm(formats, public=True)
    readable = {reader.name for reader in readers()}
    for edition in Edition:
        case = tiny_case(edition)
        for fmt in formats:
            with contextlib.suppress(Exception):
                data = get_writer(fmt).write(case, RenderOptions())
                find_leaks(data, f"warm{get_writer(fmt).suffix}", case)
                if fmt in readable:
                    parse(f"warm{get_writer(fmt).suffix}", data=data, fmt=fmt)


# ---------------------------------------------------------------------------------------------
# The work


def run(job: Job) -> Reply:
    """Do one job; a known failure is a 4xx Reply, a bug a 500 that names only its type (an
    exception's message may quote the case, and a reply's text may end up in a log)."""
    try:
        if job.kind == "validate":
            return _validate(job)
        if job.kind == "render":
            return _render(job)
        if job.kind == "public":
            return _public(job)
        return _parse(job)
    except BodyError as exc:
        return failure(400, exc, exc.problems)
    except CaseError as exc:
        return failure(422, exc, exc.problems)
    except (UnknownFormatError, PolicyError) as exc:
        return failure(400, exc)
    except ImrgenError as exc:  # ParseError, RenderError: the input cannot become a letter
        return failure(422, exc)
    except RecursionError:
        return failure(400, ImrgenError(f"{_source(job)}: nested too deeply to read"))
    except MemoryError:
        return failure(413, ImrgenError(f"{_source(job)}: too large to read in memory"))
    except Exception as exc:
        return Reply(500, error=f"internal error ({type(exc).__name__})")


def failure(status: int, exc: ImrgenError, problems: list[Any] | None = None) -> Reply:
    """A failure as data: the first line of the CLI's message, and each problem."""
    message = str(exc).split("\n", 1)[0]
    listed = [p if isinstance(p, dict) else problem_data(p) for p in problems or []]
    return Reply(status, error=message, problems=listed)


def problem_data(problem: Problem) -> dict[str, Any]:
    return {
        "field": problem.location,
        "line": problem.line,
        "message": problem.message,
        "text": str(problem),
    }


def finding_data(finding: Finding) -> dict[str, Any]:
    return {
        "field": finding.field_path,
        "line": None,
        "message": finding.message,
        "rule": finding.rule_id,
        "severity": str(finding.severity),
        "text": str(finding),
    }


def leak_problem(leak: Leak) -> dict[str, Any]:
    """A finding of the leak check without its hint: even a masked identifier stays inside."""
    return {
        "field": leak.field,
        "where": leak.where,
        "kind": leak.kind,
        "text": f"{leak.file}: {leak.where}: {leak.kind} from {leak.field}",
    }


def _source(job: Job) -> str:
    return CASE_SOURCES.get(job.body_format, f"request.{job.body_format}")


def load_body(job: Job) -> Case:
    """The body as a case: BodyError when it is no document, CaseError when it is no case."""
    source = _source(job)
    try:
        text = job.body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(source, [Problem("", f"not UTF-8 text ({exc.reason})")]) from None
    try:
        data = read_tree(Path(source), text)
    except CaseError as exc:
        raise BodyError(source, exc.problems) from None
    except RecursionError:
        raise BodyError(source, [Problem("", "nested too deeply to read")]) from None
    return case_from_data(data, source, text if job.body_format == "yaml" else None)


def read_input(job: Job) -> Case:
    """A case document, or a letter in any format a reader reads."""
    if job.body_format in CASE_SOURCES:
        return load_body(job)
    reader_suffix = next(r.suffixes[0] for r in readers() if r.name == job.body_format)
    return parse(f"request{reader_suffix}", data=job.body, fmt=job.body_format)


def _json(value: Any, status: int = 200) -> Reply:
    return Reply(status, content=json.dumps(value, ensure_ascii=False).encode("utf-8"))


def _validate(job: Job) -> Reply:
    source = _source(job)
    try:
        case = load_body(job)
    except CaseError as exc:
        return _json(
            {
                "valid": False,
                "error": str(exc).split("\n", 1)[0],
                "problems": [problem_data(p) for p in exc.problems],
            }
        )
    findings = check(case)
    errors = error_findings(findings)
    warnings = len(findings) - len(errors)
    return _json(
        {
            "valid": not errors,
            "error": f"{source}: {len(errors)} error(s), {warnings} warning(s)" if errors else None,
            "problems": [finding_data(f) for f in findings],
        }
    )


def letter_name(case: Case, suffix: str) -> str:
    """A letter's file name: its case number, never anything a person could be named in."""
    return f"{case.header.case_number or 'letter'}{suffix}"


def _render(job: Job) -> Reply:
    case = load_body(job)
    if not job.force:
        raise_for_errors(_source(job), check(case))
    writer = get_writer(job.fmt)
    content = writer.write(case, job.options)
    return Reply(200, content, writer.media_type, letter_name(case, writer.suffix))


def _public(job: Job) -> Reply:
    """The library's one public pipeline (imrgen.public.versions), named by the input's digest
    when the case has no number, as `imrgen public` names it."""
    case = read_input(job)
    policy = RedactionPolicy.named(job.policy)
    digest = hashlib.sha256(job.body).hexdigest()
    try:
        files = public_version(
            case, [job.fmt], policy, job.options, name=_source(job), digest=digest
        )
    except LeakError as exc:
        # The library's message lists each finding with its masked hint; a reply carries
        # only where each one is and its kind.
        names = ", ".join(sorted({leak.file for leak in exc.leaks}))
        message = (
            f"{exc.source}: public version refused (policy '{policy.name}'):"
            f" {len(exc.leaks)} identifier(s) of the source in {names}"
        )
        return Reply(422, error=message, problems=[leak_problem(leak) for leak in exc.leaks])
    name = public_name(case, job.fmt, digest)
    return Reply(200, files[job.fmt], get_writer(job.fmt).media_type, name)


def _parse(job: Job) -> Reply:
    if job.body_format in CASE_SOURCES:
        raise ParseError(_source(job), "a case, not a letter: POST it to /validate or /render")
    case = read_input(job)
    return Reply(
        200,
        dump_case(case, "json").encode("utf-8"),
        "application/json",
        f"{case.header.case_number or 'case'}.json",
    )
