"""The letter service's HTTP API (FastAPI): endpoints check their options, read the body within
its limit, and hand the work to the worker pool; every answer that is not a letter is JSON, and
every error is `{"error": ..., "problems": [...]}` in the CLI's words."""

from __future__ import annotations

import dataclasses
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from .. import __version__
from ..case.model import Case
from ..case.schema import case_schema
from ..errors import ImrgenError
from ..letter.i18n import check_language, languages
from ..readers import readers
from ..writers import ENGINES, PdfOptions, RenderOptions, get_writer, writers
from .auth import TokenCheck
from .jobs import Job, Kind, Reply
from .metrics import Metrics
from .workers import PoolBusy, WorkerDied, WorkerPool, WorkerTimeout

log = logging.getLogger("imrgen.service")

DEFAULT_MAX_BODY = 20 * 2**20
DEFAULT_TIMEOUT = 60.0
CASE_TYPES = {
    "application/json": "json",
    "application/yaml": "yaml",
    "application/x-yaml": "yaml",
    "text/yaml": "yaml",
    "text/x-yaml": "yaml",
}
LETTER_TYPES = {
    "application/pdf": "pdf",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "docx",
    "text/html": "html",
    "text/markdown": "md",
    "text/plain": "txt",
}
LETTERS = ("public-body", "full")
PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3b")
OPEN_PATHS = frozenset({"/healthz", "/docs", "/docs/oauth2-redirect", "/openapi.json"})
REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
POLICY_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclasses.dataclass(frozen=True)
class ServiceConfig:
    workers: int = 2
    timeout: float = DEFAULT_TIMEOUT  # seconds a job may take in its worker
    max_body: int = DEFAULT_MAX_BODY  # bytes
    tokens: tuple[str, ...] = ()
    max_waiting: int = 256  # requests waiting for a worker before the service answers 503


class RequestProblem(ImrgenError):
    """A request the service turns away before any work: a status and the reason."""

    def __init__(self, status: int, message: str, problems: list[dict[str, Any]] | None = None):
        self.status = status
        self.problems = problems or []
        super().__init__(message)


def error_response(
    status: int, message: str, problems: list[dict[str, Any]] | None = None
) -> JSONResponse:
    return JSONResponse({"error": message, "problems": problems or []}, status_code=status)


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _sniff(body: bytes) -> str | None:
    """What a body without a telling media type is, from its first bytes."""
    head = body.lstrip()[:8]
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK"):
        return "docx"
    if head[:1] in (b"{", b"["):
        return "json"
    if head[:1] == b"<":
        return "html"
    return None


def body_format(request: Request, body: bytes, accept: str, given: str | None) -> str:
    """The body's format: the `input` parameter, else its media type, else its first bytes.
    accept is "case", "letter" or "either"."""
    case_formats = ("json", "yaml")
    letter_formats = tuple(r.name for r in readers())
    allowed = {
        "case": case_formats,
        "letter": letter_formats,
        "either": case_formats + letter_formats,
    }[accept]
    if given is not None:
        if given not in allowed:
            raise RequestProblem(400, f"input: expected one of {', '.join(allowed)}, got {given!r}")
        return given
    media = _media_type(request)
    found = CASE_TYPES.get(media) or LETTER_TYPES.get(media)
    if found == "txt" and accept == "case":
        found = None  # text/plain is what curl and many clients send for anything
    if found is None:
        sniffed = _sniff(body)
        found = sniffed if sniffed in allowed else ("yaml" if accept != "letter" else None)
    if found not in allowed:
        expected = {
            "case": "a case (application/json or application/yaml)",
            "letter": "a letter (" + ", ".join(sorted(LETTER_TYPES)) + ")",
            "either": "a case or a letter",
        }[accept]
        raise RequestProblem(
            415, f"expected {expected}, got {media or 'no media type'}; or give ?input=FORMAT"
        )
    assert found is not None
    return found


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, or 413 as soon as it is known to pass the limit."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RequestProblem(413, f"the body is {int(declared)} bytes; the limit is {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestProblem(413, f"the body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    if value not in choices:
        expected = " or ".join(repr(c) for c in choices)
        raise RequestProblem(400, f"{name}: expected {expected}, got {value!r}")
    return value


def render_options(
    letter: str, lang: str, pdf_variant: str, embed: bool, engine: str | None
) -> RenderOptions:
    """The CLI's render options from query parameters, checked as the CLI checks them."""
    try:
        values: dict[str, Any] = {
            "letter": _choice("letter", letter, LETTERS),
            "lang": check_language(lang),
            "embed_data": embed,
        }
        variant = _choice("pdf_variant", pdf_variant, PDF_VARIANTS)
    except RequestProblem:
        raise
    except ImrgenError as exc:
        raise RequestProblem(400, str(exc)) from None
    values["pdf"] = PdfOptions(variant=variant)
    if engine is not None:
        if engine not in ENGINES:
            available = ", ".join(ENGINES)
            raise RequestProblem(400, f"unknown engine '{engine}'; available: {available}")
        values["engine"] = engine
    return RenderOptions(**values)


def _check_format(fmt: str) -> str:
    try:
        get_writer(fmt)
    except ImrgenError as exc:
        raise RequestProblem(400, str(exc)) from None
    return fmt


def _check_timeout(timeout: float | None) -> float | None:
    if timeout is not None and not timeout > 0:
        raise RequestProblem(400, f"timeout: expected a number of seconds above 0, got {timeout}")
    return timeout


def _letter_response(reply: Reply) -> Response:
    if not reply.ok:
        return error_response(reply.status, reply.error or "failed", reply.problems)
    headers = {}
    if reply.filename:
        headers["Content-Disposition"] = f'attachment; filename="{reply.filename}"'
    return Response(
        reply.content, status_code=reply.status, media_type=reply.media_type, headers=headers
    )


CASE_CONTENT: dict[str, Any] = {
    "application/json": {"schema": {"$ref": "#/components/schemas/Case"}},
    "application/yaml": {"schema": {"$ref": "#/components/schemas/Case"}},
}
LETTER_CONTENT: dict[str, Any] = {
    media: {"schema": {"type": "string", "format": "binary"}} for media in LETTER_TYPES
}
CASE_BODY = {"required": True, "content": CASE_CONTENT}
LETTER_BODY = {"required": True, "content": LETTER_CONTENT}
EITHER_BODY = {"required": True, "content": {**LETTER_CONTENT, **CASE_CONTENT}}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "problems": {"type": "array", "items": {"type": "object"}},
    },
    "required": ["error", "problems"],
}


def _errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    reasons = {
        400: "The body is no document, or an option is wrong",
        401: "A bearer token is required",
        413: "The body is over the size limit",
        415: "The body is not of a format this endpoint reads",
        422: "The case or letter cannot be used (problems name the fields)",
        503: "Too many requests are waiting",
        504: "The work took longer than the timeout",
    }
    return {
        code: {
            "description": reasons[code],
            "content": {"application/json": {"schema": ERROR_SCHEMA}},
        }
        for code in codes
    }


def _binary(description: str, media: list[str]) -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": description,
            "content": {m: {"schema": {"type": "string", "format": "binary"}} for m in media},
        }
    }


def create_app(config: ServiceConfig) -> FastAPI:
    """The service as an ASGI app; its lifespan starts and stops the worker pool."""
    state: dict[str, WorkerPool] = {}
    known = [*writers(), *(r.name for r in readers()), "json", "yaml"]
    metrics = Metrics(known, lambda: state.get("pool"))
    tokens = TokenCheck(list(config.tokens))
    output_media = sorted({w.media_type for w in writers().values()})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = WorkerPool(
            config.workers, config.timeout, config.max_waiting, on_restart=metrics.restarted
        )
        state["pool"] = pool
        await pool.start()
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(
        title="imrgen letter service",
        version=__version__,
        description="IMR determination letters over HTTP: validate a case, render it in any"
        " format, make its public version, read a letter back into a case.",
        lifespan=lifespan,
    )

    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        given = request.headers.get("x-request-id", "")
        request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        endpoint = metrics.endpoint_label(request.url.path)
        started = time.perf_counter()
        if request.url.path not in OPEN_PATHS and not tokens.allows(
            request.headers.get("authorization")
        ):
            response: Response = error_response(401, "a valid bearer token is required")
            response.headers["WWW-Authenticate"] = "Bearer"
        else:
            response = await call_next(request)
        seconds = time.perf_counter() - started
        # The output format (render, public), else the body's (validate, parse): job_for notes it.
        noted = getattr(request.state, "format", None)
        fmt = metrics.format_label(noted or request.query_params.get("format"))
        response.headers["X-Request-ID"] = request_id
        timing = getattr(request.state, "timing", None) or {}
        if timing:
            # Waiting for a worker and working in it, apart: the client sees where time went.
            response.headers["Server-Timing"] = ", ".join(
                f"{name};dur={value * 1000:.1f}" for name, value in timing.items()
            )
        metrics.observe(endpoint, fmt, response.status_code, seconds)
        # Never the body, the query's free text or an error's wording: they may quote a case.
        log.info(
            "request_id=%s endpoint=%s format=%s status=%d ms=%.1f queue_ms=%.1f work_ms=%.1f",
            request_id,
            endpoint,
            fmt,
            response.status_code,
            seconds * 1000,
            timing.get("queue", 0.0) * 1000,
            timing.get("work", 0.0) * 1000,
        )
        return response

    @app.exception_handler(RequestProblem)
    async def _problem(request: Request, exc: RequestProblem) -> JSONResponse:
        return error_response(exc.status, str(exc), exc.problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail).lower())

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "field": ".".join(str(p) for p in err["loc"][1:]),
                "message": err["msg"],
                "text": f"{'.'.join(str(p) for p in err['loc'][1:])}: {err['msg']}",
            }
            for err in exc.errors()
        ]
        return error_response(400, f"{len(problems)} problem(s) with the query", problems)

    async def work(request: Request, job: Job, timeout: float | None) -> Reply:
        pool = state["pool"]
        timing: dict[str, float] = {}
        request.state.timing = timing
        try:
            return await pool.run(job, timeout, timing)
        except WorkerTimeout as exc:
            raise RequestProblem(504, f"{exc}; the worker was replaced") from None
        except WorkerDied as exc:
            raise RequestProblem(500, f"{exc}; it was replaced") from None
        except PoolBusy as exc:
            raise RequestProblem(503, str(exc)) from None

    async def job_for(
        request: Request, kind: Kind, accept: str, given: str | None, **fields: Any
    ) -> Job:
        body = await read_body(request, config.max_body)
        job = Job(kind, body, body_format(request, body, accept, given), **fields)
        request.state.format = job.fmt if kind in ("render", "public") else job.body_format
        return job

    timeout_query = Query(
        None, description="seconds this request may take (at most the service's timeout)"
    )
    input_query = Query(
        None,
        alias="input",
        description="the body's format, when its media type does not say it:"
        " json, yaml, " + ", ".join(r.name for r in readers()),
    )

    @app.post(
        "/validate",
        summary="Check a case: every problem with its field path and rule id",
        openapi_extra={"requestBody": CASE_BODY},
        responses=_errors(400, 401, 413, 415, 504),
    )
    async def validate(
        request: Request,
        input_format: str | None = input_query,
        timeout: float | None = timeout_query,
    ) -> Response:
        job = await job_for(request, "validate", "case", input_format)
        reply = await work(request, job, _check_timeout(timeout))
        return _letter_response(reply)

    @app.post(
        "/render",
        summary="Render a case as a letter",
        openapi_extra={"requestBody": CASE_BODY},
        responses={
            **_binary("The letter, named by its case number", output_media),
            **_errors(400, 401, 413, 415, 422, 503, 504),
        },
    )
    async def render(
        request: Request,
        format: str = Query("pdf", description=", ".join(sorted(writers()))),
        letter: str = Query("public-body", description=" or ".join(LETTERS)),
        lang: str = Query("en", description=", ".join(languages())),
        engine: str | None = Query(None, description="the render engine, where there are several"),
        pdf_variant: str = Query("pdf/ua-1", description=" or ".join(PDF_VARIANTS)),
        embed: bool = Query(True, description="carry the case data inside pdf and docx files"),
        force: bool = Query(False, description="render even a case that breaks an IMR rule"),
        input_format: str | None = input_query,
        timeout: float | None = timeout_query,
    ) -> Response:
        options = render_options(letter, lang, pdf_variant, embed, engine)
        job = await job_for(
            request,
            "render",
            "case",
            input_format,
            fmt=_check_format(format),
            options=options,
            force=force,
        )
        return _letter_response(await work(request, job, _check_timeout(timeout)))

    @app.post(
        "/public",
        summary="The public version of a case or a letter, after the leak check",
        openapi_extra={"requestBody": EITHER_BODY},
        responses={
            **_binary("The public version, named by its case number", output_media),
            **_errors(400, 401, 413, 415, 422, 503, 504),
        },
    )
    async def public(
        request: Request,
        format: str = Query("pdf", description=", ".join(sorted(writers()))),
        policy: str = Query("default", description="a policy shipped with imrgen, by name"),
        lang: str = Query("en", description=", ".join(languages())),
        engine: str | None = Query(None, description="the render engine, where there are several"),
        input_format: str | None = input_query,
        timeout: float | None = timeout_query,
    ) -> Response:
        if not POLICY_NAME.fullmatch(policy):  # a name, never a path a request chooses
            raise RequestProblem(
                400, f"policy: expected the name of a policy shipped with imrgen, got {policy!r}"
            )
        options = render_options("public-body", lang, "pdf/ua-1", True, engine)
        job = await job_for(
            request,
            "public",
            "either",
            input_format,
            fmt=_check_format(format),
            options=options,
            policy=policy,
        )
        return _letter_response(await work(request, job, _check_timeout(timeout)))

    @app.post(
        "/parse",
        summary="Read a letter back into a case",
        openapi_extra={"requestBody": LETTER_BODY},
        responses={
            200: {
                "description": "The case as JSON",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Case"}}},
            },
            **_errors(400, 401, 413, 415, 422, 503, 504),
        },
    )
    async def parse_letter(
        request: Request,
        input_format: str | None = input_query,
        timeout: float | None = timeout_query,
    ) -> Response:
        job = await job_for(request, "parse", "letter", input_format)
        return _letter_response(await work(request, job, _check_timeout(timeout)))

    @app.get("/schema", summary="The JSON Schema of a case")
    async def schema() -> JSONResponse:
        return JSONResponse(case_schema())

    @app.get("/healthz", summary="200 once every worker is warm, else 503")
    async def healthz() -> JSONResponse:
        pool = state.get("pool")
        ready = pool is not None and pool.ready
        body = {
            "status": "ready" if ready else "starting",
            "workers": pool.describe() if pool is not None else [],
            "restarts": pool.restarts if pool is not None else 0,
        }
        return JSONResponse(body, status_code=200 if ready else 503)

    @app.get("/metrics", summary="Prometheus metrics")
    async def prometheus() -> Response:
        return Response(metrics.text(), media_type="text/plain; version=0.0.4; charset=utf-8")

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            case = Case.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas = spec.setdefault("components", {}).setdefault("schemas", {})
            schemas.update(case.pop("$defs", {}))
            schemas["Case"] = case
            if tokens.required:
                spec["components"]["securitySchemes"] = {
                    "bearer": {"type": "http", "scheme": "bearer"}
                }
                spec["security"] = [{"bearer": []}]
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
