"""The letter service over HTTP: one `imrgen serve` on 127.0.0.1 (2 workers) for the module,
called with a real client. Every endpoint and format, the errors and their wording, hostile
bodies, the size limit, the token, a timeout and a killed worker."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from pathlib import Path

import httpx
import pikepdf
import pytest
from conftest import CORPUS, EXAMPLES, TESTS

import imrgen
from imrgen.case.schema import case_schema
from imrgen.cli import main
from imrgen.public.leaks import find_leaks
from imrgen.public.redaction import parties_of
from imrgen.writers import RenderOptions, writers

TOKEN = "service-test-token-0123456789"
EXAMPLE = EXAMPLES / "CM16-0213037.yaml"
FULL = TESTS / "cases" / "full" / "full-00.yaml"
MAX_BODY_MIB = 1
YAML = {"Content-Type": "application/yaml"}


@dataclass
class Service:
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    first_health: httpx.Response
    ready_health: httpx.Response

    def client(self, token: str | None = TOKEN) -> httpx.Client:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=180)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _serve(*args: str, env: dict[str, str] | None = None) -> list[str]:
    return [sys.executable, "-m", "imrgen", "serve", *args]


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    port = _free_port()
    log = tmp_path_factory.mktemp("service") / "service.log"
    env = {**os.environ, "IMRGEN_SERVICE_TOKENS": TOKEN}
    with log.open("wb") as sink:
        process = subprocess.Popen(
            _serve("--port", str(port), "--workers", "2", "--max-body", str(MAX_BODY_MIB)),
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
        )
    url = f"http://127.0.0.1:{port}"
    first: httpx.Response | None = None
    ready: httpx.Response | None = None
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = httpx.get(f"{url}/healthz", timeout=5)
            except httpx.TransportError:
                time.sleep(0.1)
                continue
            first = first or answer
            if answer.status_code == 200:
                ready = answer
                break
            time.sleep(0.2)
        assert first is not None and ready is not None, log.read_text()
        yield Service(url, process, log, first, ready)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _pids_alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
                if stat.read().split(") ", 1)[1][0] != "Z":
                    alive.append(pid)
        except OSError:
            pass
    return alive


def _restarts(client: httpx.Client, reason: str) -> float:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(f'imrgen_worker_restarts_total{{reason="{reason}"}}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


# WeasyPrint by name: the engine every installation has, and seconds for the slow case.
SLOW = "/render?format=pdf&engine=weasyprint"


def _slow_case() -> bytes:
    """A real case with 400 items: several seconds of WeasyPrint's layout."""
    case = imrgen.load_case(EXAMPLE)
    return imrgen.dump_case(case.model_copy(update={"items": case.items * 400})).encode()


# -- readiness, schema, OpenAPI ------------------------------------------------------------


def test_healthz_is_ready_only_once_the_workers_are_warm(service: Service) -> None:
    # Warming (WeasyPrint, fonts, every format and reader) takes seconds; the port opens first.
    assert service.first_health.status_code == 503
    assert service.first_health.json()["status"] == "starting"
    assert {w["state"] for w in service.first_health.json()["workers"]} == {"starting"}
    ready = service.ready_health.json()
    assert ready["status"] == "ready"
    assert len(ready["workers"]) == 2
    assert all(w["state"] == "idle" and w["rss_bytes"] > 0 for w in ready["workers"])


def test_schema_and_openapi(service: Service) -> None:
    with service.client() as client:
        assert client.get("/schema").json() == case_schema()
        spec = client.get("/openapi.json").json()
    paths = spec["paths"]
    for path in ("/validate", "/render", "/public", "/parse"):
        assert "post" in paths[path], path
    for path in ("/schema", "/healthz", "/metrics"):
        assert "get" in paths[path], path
    body = paths["/render"]["post"]["requestBody"]["content"]
    assert body["application/yaml"]["schema"] == {"$ref": "#/components/schemas/Case"}
    assert {"Case", "Header", "DisputedItem"} <= set(spec["components"]["schemas"])
    names = {p["name"] for p in paths["/render"]["post"]["parameters"]}
    assert {"format", "letter", "lang", "engine", "pdf_variant", "timeout"} <= names
    assert spec["security"] == [{"bearer": []}]  # this service has a token


# -- validate -------------------------------------------------------------------------------


def test_validate_reports_rule_ids_and_field_paths(service: Service, tmp_path: Path) -> None:
    case = imrgen.load_case(EXAMPLE)
    header = case.header.model_copy(update={"decision_date": case.header.date_of_injury})
    late = tmp_path / "late.yaml"
    late.write_text(imrgen.dump_case(case.model_copy(update={"header": header})))
    with service.client() as client:
        good = client.post("/validate", content=EXAMPLE.read_bytes(), headers=YAML)
        bad = client.post("/validate", content=late.read_bytes(), headers=YAML)
    assert good.status_code == 200 and good.json() == {
        "valid": True,
        "error": None,
        "problems": [],
    }
    assert bad.status_code == 200
    report = bad.json()
    assert report["valid"] is False
    assert report["error"].startswith("request.yaml: ")
    rules = {(p["rule"], p["field"]) for p in report["problems"]}
    assert ("IMR001", "header.decision_date") in rules


def test_validate_wording_is_the_clis(
    service: Service, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = EXAMPLE.read_text().replace("decision: upheld", "decision: approved", 1)
    assert "approved" in text
    path = tmp_path / "request.yaml"
    path.write_text(text)
    with service.client() as client:
        answer = client.post("/validate", content=text.encode(), headers=YAML)
        rendered = client.post("/render", content=text.encode(), headers=YAML)
    assert main(["validate", str(path)]) == 1
    cli_lines = [line.strip() for line in capsys.readouterr().err.splitlines()]
    report = answer.json()
    assert report["valid"] is False
    assert report["error"] == "request.yaml: 1 problem(s)"
    assert cli_lines[0] == f"{path}: 1 problem(s)"
    (problem,) = report["problems"]
    assert problem["field"] == "items[0].decision"
    assert "'approved'" in problem["message"]
    assert problem["text"] in cli_lines
    assert isinstance(problem["line"], int)
    assert rendered.status_code == 422
    assert rendered.json()["problems"] == report["problems"]


# -- render ---------------------------------------------------------------------------------


MAGIC = {"pdf": b"%PDF-", "docx": b"PK\x03\x04"}


@pytest.mark.parametrize("fmt", sorted(writers()))
def test_render_every_format_and_read_it_back(service: Service, fmt: str) -> None:
    writer = writers()[fmt]
    with service.client() as client:
        answer = client.post(f"/render?format={fmt}", content=EXAMPLE.read_bytes(), headers=YAML)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"].split(";")[0] == writer.media_type
        disposition = answer.headers["content-disposition"]
        assert disposition == f'attachment; filename="CM16-0213037{writer.suffix}"'
        assert answer.content.startswith(MAGIC.get(fmt, b""))
        back = client.post(f"/parse?input={fmt}", content=answer.content)
    assert back.status_code == 200, back.text
    case = imrgen.load_case(EXAMPLE)
    parsed = back.json()
    assert parsed["header"]["case_number"] == "CM16-0213037"
    assert len(parsed["items"]) == len(case.items)


def test_pdf_is_byte_identical_to_imrgen_render(service: Service, tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "imrgen", "render", str(EXAMPLE), "-f", "pdf", "-o", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    with service.client() as client:
        answer = client.post("/render?format=pdf", content=EXAMPLE.read_bytes(), headers=YAML)
        json_body = json.dumps(imrgen.load_case(EXAMPLE).model_dump(mode="json")).encode()
        from_json = client.post(
            "/render?format=pdf", content=json_body, headers={"Content-Type": "application/json"}
        )
    assert answer.content == (tmp_path / "CM16-0213037.pdf").read_bytes()
    assert from_json.content == answer.content


def test_render_options_are_the_clis(service: Service) -> None:
    body = EXAMPLE.read_bytes()
    with service.client() as client:
        plain = client.post("/render?format=txt", content=body, headers=YAML).text
        spanish = client.post("/render?format=txt&lang=es", content=body, headers=YAML)
        full = client.post("/render?format=txt&letter=full", content=body, headers=YAML)
        archival = client.post("/render?pdf_variant=pdf/a-3b", content=body, headers=YAML)
        bad_lang = client.post("/render?lang=xx", content=body, headers=YAML)
        bad_letter = client.post("/render?letter=short", content=body, headers=YAML)
        bad_variant = client.post("/render?pdf_variant=pdf/x", content=body, headers=YAML)
        engine = client.post("/render?format=pdf&engine=no-such-engine", content=body, headers=YAML)
    case = imrgen.load_case(EXAMPLE)
    assert spanish.text == imrgen.render(case, "txt", RenderOptions(lang="es")).decode()
    assert spanish.text != plain
    assert full.text == imrgen.render(case, "txt", RenderOptions(letter="full")).decode()
    with pikepdf.open(io.BytesIO(archival.content)) as pdf:  # PDF/A declares itself in XMP
        assert pdf.open_metadata().get("pdfaid:part") == "3"
    assert bad_lang.status_code == 400
    assert bad_lang.json()["error"].startswith("unknown language 'xx'; available: ")
    assert bad_letter.json()["error"] == "letter: expected 'public-body' or 'full', got 'short'"
    assert bad_variant.status_code == 400
    assert 400 <= engine.status_code < 500
    assert "no-such-engine" in engine.json()["error"]
    if "engine" not in {f.name for f in fields(RenderOptions)}:
        with service.client() as client:
            default = client.post(
                "/render?format=txt&engine=weasyprint", content=body, headers=YAML
            )
        assert default.text == plain


def test_render_refuses_a_case_that_breaks_a_rule_unless_forced(service: Service) -> None:
    case = imrgen.load_case(EXAMPLE)
    header = case.header.model_copy(update={"decision_date": case.header.date_of_injury})
    body = imrgen.dump_case(case.model_copy(update={"header": header})).encode()
    with service.client() as client:
        refused = client.post("/render?format=txt", content=body, headers=YAML)
        forced = client.post("/render?format=txt&force=true", content=body, headers=YAML)
    assert refused.status_code == 422
    assert refused.json()["error"].startswith("request.yaml: ")
    assert any("[IMR001]" in p["text"] for p in refused.json()["problems"])
    assert forced.status_code == 200 and "CM16-0213037" in forced.text


# -- public and parse -----------------------------------------------------------------------


def test_public_versions_of_a_case_and_of_a_letter(service: Service) -> None:
    source = imrgen.load_case(FULL)
    published = CORPUS[0]
    with service.client() as client:
        from_case = client.post("/public?format=pdf", content=FULL.read_bytes(), headers=YAML)
        from_letter = client.post(
            "/public?format=txt",
            content=published.read_bytes(),
            headers={"Content-Type": "application/pdf"},
        )
        marker = client.post(
            "/public?format=txt&policy=marker-only", content=FULL.read_bytes(), headers=YAML
        )
        a_path = client.post("/public?policy=../x", content=FULL.read_bytes(), headers=YAML)
        unknown = client.post("/public?policy=nonesuch", content=FULL.read_bytes(), headers=YAML)
    number = source.header.case_number
    assert from_case.status_code == 200, from_case.text
    assert from_case.headers["content-disposition"] == f'attachment; filename="{number}.pdf"'
    # The library's leak check, independent of the service, finds nothing of the source.
    assert find_leaks(from_case.content, f"{number}.pdf", source) == []
    assert from_letter.status_code == 200, from_letter.text
    letter_case = imrgen.parse(published)
    name = f"{letter_case.header.case_number}.txt"
    assert from_letter.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert find_leaks(from_letter.content, name, letter_case) == []
    assert "[REDACTED]" in marker.text
    assert unknown.status_code == 400
    assert unknown.json()["error"].startswith("unknown policy 'nonesuch'; shipped: default")
    assert a_path.status_code == 400
    assert a_path.json()["error"] == (
        "policy: expected the name of a policy shipped with imrgen, got '../x'"
    )


def test_a_leak_is_a_422_naming_the_finding_never_the_identifier(service: Service) -> None:
    source = imrgen.load_case(FULL)
    surname = source.parties.employee.name.split()[-1]  # type: ignore[union-attr]
    # A zero-width space inside the surname slips past the redaction's patterns; the leak
    # check reads the finished file and still finds the name.
    hidden = surname[:1] + "\u200b" + surname[1:]
    case = source.model_copy(update={"summary": [*source.summary, f"Signed by {hidden}."]})
    with service.client() as client:
        answer = client.post("/public?format=txt", content=imrgen.dump_case(case).encode())
    assert answer.status_code == 422, answer.text
    report = answer.json()
    assert report["error"] == (
        "request.yaml: public version refused (policy 'state-practice'): 1 identifier(s) of"
        f" the source in {source.header.case_number}.txt"
    )
    (finding,) = report["problems"]
    assert finding["kind"] == "name" and finding["field"] == "parties.employee.name"
    assert surname not in answer.text and surname[:2] + "*" not in answer.text
    assert hidden not in answer.text


def test_parse_a_published_letter(service: Service) -> None:
    letter = CORPUS[0]
    with service.client() as client:
        answer = client.post(
            "/parse", content=letter.read_bytes(), headers={"Content-Type": "application/pdf"}
        )
        sniffed = client.post("/parse", content=letter.read_bytes())
        a_case = client.post("/parse?input=yaml", content=EXAMPLE.read_bytes())
    assert answer.status_code == 200
    assert answer.json() == json.loads(imrgen.dump_case(imrgen.parse(letter), "json"))
    assert sniffed.json() == answer.json()
    assert a_case.status_code == 400
    assert a_case.json()["error"].startswith("input: expected one of pdf, docx")


# -- errors as data, hostile bodies ---------------------------------------------------------


def test_errors_are_json_with_the_clis_wording(service: Service) -> None:
    with service.client() as client:
        not_json = client.post(
            "/render", content=b'{"edition": ', headers={"Content-Type": "application/json"}
        )
        not_yaml = client.post("/validate", content=b"header: [unclosed\n", headers=YAML)
        not_utf8 = client.post("/render", content=b"\xff\xfe\x00", headers=YAML)
        not_a_case = client.post("/render", content=b"- a\n- list\n", headers=YAML)
        a_pdf = client.post(
            "/render", content=b"%PDF-1.7", headers={"Content-Type": "application/pdf"}
        )
        odt = client.post("/render?format=odt", content=EXAMPLE.read_bytes(), headers=YAML)
        nowhere = client.get("/nowhere")
        wrong_type = client.post("/render?timeout=soon", content=EXAMPLE.read_bytes())
        no_time = client.post("/render?timeout=0", content=EXAMPLE.read_bytes())
    assert not_json.status_code == 400
    assert not_json.json()["error"] == "request.json: 1 problem(s)"
    assert not_json.json()["problems"][0]["text"].startswith("line 1: not valid JSON: ")
    assert not_yaml.status_code == 400
    assert "not valid YAML" in not_yaml.json()["problems"][0]["message"]
    assert not_utf8.status_code == 400
    assert not_utf8.json()["problems"][0]["message"].startswith("not UTF-8 text")
    assert not_a_case.status_code == 422
    assert not_a_case.json()["problems"][0]["message"] == (
        "expected a mapping of case fields, got list"
    )
    assert a_pdf.status_code == 415
    assert odt.json() == {
        "error": "unknown format 'odt'; available: docx, html, md, pdf, txt",
        "problems": [],
    }
    assert nowhere.status_code == 404 and nowhere.json() == {"error": "not found", "problems": []}
    assert wrong_type.status_code == 400
    assert wrong_type.json()["problems"][0]["field"] == "timeout"
    assert no_time.status_code == 400


def _zip_bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            block = b"\0" * 2**20
            for _ in range(100):  # 100 MiB unpacked, some 100 KB packed
                member.write(block)
    return buffer.getvalue()


def _encrypted_pdf(tmp_path: Path) -> bytes:
    letter = imrgen.render(imrgen.load_case(EXAMPLE), "pdf", RenderOptions(embed_data=False))
    with pikepdf.open(io.BytesIO(letter)) as pdf:
        target = tmp_path / "locked.pdf"
        pdf.save(target, encryption=pikepdf.Encryption(user="unknown", owner="unknown"))
    return target.read_bytes()


def test_hostile_bodies_get_a_4xx_and_harm_no_other_request(
    service: Service, tmp_path: Path
) -> None:
    deep_json = b"[" * 100_000 + b"]" * 100_000
    deep_yaml = b"header: " + b"[" * 100_000 + b"]" * 100_000
    hostile = ['<img src="file:///etc/passwd">', "http://example.com/x.png", "{{ 7 * 7 }}"]
    case = imrgen.load_case(EXAMPLE)
    marked = case.model_copy(update={"summary": [f"The records quote {' and '.join(hostile)}."]})
    docx = {"Content-Type": writers()["docx"].media_type}
    bodies = {
        "deep json": ("/validate", deep_json, {"Content-Type": "application/json"}),
        "deep yaml": ("/render", deep_yaml, YAML),
        "zip bomb": ("/parse", _zip_bomb(), docx),
        "encrypted": ("/parse?input=pdf", _encrypted_pdf(tmp_path), {}),
        "garbage pdf": ("/parse?input=pdf", b"%PDF-1.7\n" + os.urandom(999), {}),
        "fine 1": ("/render?format=txt", EXAMPLE.read_bytes(), YAML),
        "fine 2": ("/render?format=txt", EXAMPLE.read_bytes(), YAML),
    }

    def post(name: str) -> httpx.Response:
        path, body, headers = bodies[name]
        with service.client() as client:
            return client.post(path, content=body, headers=headers)

    with service.client() as client:
        before = client.get("/healthz").json()
        # All at once: the good requests share the workers with the hostile ones.
        with ThreadPoolExecutor(len(bodies)) as pool:
            answers = dict(zip(bodies, pool.map(post, bodies), strict=True))
        text = client.post("/render?format=pdf", content=imrgen.dump_case(marked).encode())
        after = client.get("/healthz").json()
        fine = client.post("/render?format=txt", content=EXAMPLE.read_bytes())
    expected = imrgen.render(case, "txt")
    for name in ("fine 1", "fine 2"):
        good = answers.pop(name)
        assert good.status_code == 200 and good.content == expected, name
    for name, answer in answers.items():
        assert 400 <= answer.status_code < 500, (name, answer.status_code, answer.text)
        assert set(answer.json()) == {"error", "problems"}, name
    assert "nested too deep" in answers["deep json"].text
    assert "unpacked" in answers["zip bomb"].json()["error"]
    assert answers["encrypted"].json()["error"].startswith("request.pdf: not a readable PDF")
    # Case text is data: the markup and the template syntax come out as written.
    assert text.status_code == 200
    assert imrgen.parse("x.pdf", data=text.content).summary == marked.summary
    assert after["restarts"] == before["restarts"]  # no worker died on any of them
    assert [w["pid"] for w in after["workers"]] == [w["pid"] for w in before["workers"]]
    assert fine.status_code == 200


def test_bodies_over_the_limit_are_413(service: Service) -> None:
    limit = MAX_BODY_MIB * 2**20
    big = b"#" * (limit + 1)

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds as it streams
        for _ in range(limit // 2**16 + 2):
            yield b"#" * 2**16

    with service.client() as client:
        declared = client.post("/validate", content=big, headers=YAML)
        streamed = client.post("/validate", content=chunks(), headers=YAML)
        under = client.post("/validate", content=b"#" * (limit - 10) + b"\n", headers=YAML)
    assert declared.status_code == 413
    assert declared.json()["error"] == f"the body is {limit + 1} bytes; the limit is {limit} bytes"
    assert streamed.status_code == 413
    assert streamed.json()["error"] == f"the body is over the limit of {limit} bytes"
    assert under.status_code == 200  # read to the end, and found to be no case
    assert under.json()["problems"][0]["message"] == (
        "expected a mapping of case fields, got an empty document"
    )


# -- access ---------------------------------------------------------------------------------


def test_requests_need_the_token(service: Service) -> None:
    body = EXAMPLE.read_bytes()
    with service.client(token=None) as anonymous:
        missing = anonymous.post("/render?format=txt", content=body)
        metrics = anonymous.get("/metrics")
        health = anonymous.get("/healthz")
    with service.client(token=TOKEN[:-1] + "x") as wrong:
        refused = wrong.post("/render?format=txt", content=body)
    with service.client() as right:
        allowed = right.post("/render?format=txt", content=body)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "Bearer"
    assert missing.json() == {"error": "a valid bearer token is required", "problems": []}
    assert metrics.status_code == 401
    assert refused.status_code == 401
    assert health.status_code == 200  # a load balancer's probe needs no token
    assert allowed.status_code == 200


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "refusing to listen on 0.0.0.0 without a bearer token"),
        ({"IMRGEN_SERVICE_TOKENS": "short"}, "expected a token of at least 16"),
    ],
)
def test_an_open_address_without_a_good_token_refuses_to_start(
    env: dict[str, str], message: str
) -> None:
    clean = {k: v for k, v in os.environ.items() if k != "IMRGEN_SERVICE_TOKENS"}
    done = subprocess.run(
        _serve("--host", "0.0.0.0", "--port", str(_free_port())),
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


# -- timeout and a killed worker ------------------------------------------------------------


def test_a_request_past_its_timeout_is_504_and_its_worker_replaced(service: Service) -> None:
    with service.client() as client:
        before = _restarts(client, "timeout")
        pids = [w["pid"] for w in client.get("/healthz").json()["workers"]]
        late = client.post(f"{SLOW}&timeout=0.5", content=_slow_case(), headers=YAML)
        after = client.get("/healthz").json()
        next_one = client.post("/render?format=txt", content=EXAMPLE.read_bytes())
        restarts = _restarts(client, "timeout")
    assert late.status_code == 504
    assert late.json()["error"] == "the job took longer than 0.5 s; the worker was replaced"
    assert restarts == before + 1
    replaced = set(pids) - {w["pid"] for w in after["workers"]}
    assert len(replaced) == 1 and _pids_alive(list(replaced)) == []
    assert next_one.status_code == 200


def test_a_killed_worker_fails_only_its_own_request(service: Service) -> None:
    slow = _slow_case()
    results: dict[str, httpx.Response] = {}

    def post(name: str, path: str, body: bytes) -> None:
        with service.client() as client:
            results[name] = client.post(path, content=body, headers=YAML)

    with service.client() as client:
        # Both workers warm, so the other request has a worker of its own.
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            health = client.get("/healthz").json()
            if all(w["state"] == "idle" for w in health["workers"]):
                break
            time.sleep(0.2)
        before = _restarts(client, "died")
        doomed = threading.Thread(target=post, args=("doomed", SLOW, slow))
        doomed.start()
        busy: list[int] = []
        while not busy and time.monotonic() < deadline:
            workers = client.get("/healthz").json()["workers"]
            busy = [w["pid"] for w in workers if w["state"] == "busy"]
        assert len(busy) == 1
        # "busy" is set just before the job is sent: a kill in between finds no job in the
        # worker, and the service rightly gives the job to another (it never ran). The slow
        # job takes seconds, so a moment later it is surely running in the worker.
        time.sleep(1.0)
        other = threading.Thread(
            target=post, args=("other", "/render?format=docx", EXAMPLE.read_bytes())
        )
        other.start()
        os.kill(busy[0], signal.SIGKILL)
        doomed.join(120)
        other.join(120)
        following = [
            client.post(f"/render?format={fmt}", content=EXAMPLE.read_bytes(), headers=YAML)
            for fmt in ("pdf", "txt", "pdf")
        ]
        restarts = _restarts(client, "died")
    assert results["doomed"].status_code == 500
    assert results["doomed"].json()["error"] == (
        "the worker process died while doing this job; it was replaced"
    )
    assert results["other"].status_code == 200
    assert results["other"].content.startswith(b"PK")
    assert [answer.status_code for answer in following] == [200, 200, 200]
    assert restarts == before + 1


def test_a_worker_killed_while_idle_is_replaced_before_any_request_meets_it(
    service: Service,
) -> None:
    with service.client() as client:
        deadline = time.monotonic() + 180
        idle: list[dict[str, int]] = []
        while not idle and time.monotonic() < deadline:
            idle = [w for w in client.get("/healthz").json()["workers"] if w["state"] == "idle"]
        assert idle
        before = _restarts(client, "died")
        os.kill(idle[0]["pid"], signal.SIGKILL)
        replaced = False
        deadline = time.monotonic() + 20  # the pool looks at its idle workers every second
        while not replaced and time.monotonic() < deadline:
            workers = client.get("/healthz").json()["workers"]
            replaced = workers[idle[0]["id"]]["pid"] != idle[0]["pid"]
            time.sleep(0.1)
        answers = [client.post("/render?format=txt", content=EXAMPLE.read_bytes()) for _ in "ab"]
        restarts = _restarts(client, "died")
    assert replaced
    assert restarts == before + 1
    assert [a.status_code for a in answers] == [200, 200]


# -- metrics and logs -----------------------------------------------------------------------


def test_metrics_count_requests_latency_errors_and_restarts(service: Service) -> None:
    with service.client() as client:
        client.post("/render?format=docx", content=EXAMPLE.read_bytes(), headers=YAML)
        text = client.get("/metrics").text
    lines = text.splitlines()

    def value(prefix: str) -> float:
        return sum(float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith(prefix))

    assert value('imrgen_requests_total{endpoint="/render",format="docx",status="200"}') >= 1
    assert value('imrgen_request_duration_seconds_count{endpoint="/render",format="docx"}') >= 1
    assert value('imrgen_errors_total{endpoint="/render",format="other",status="400"}') >= 1
    assert value('imrgen_errors_total{endpoint="/render",format="pdf",status="504"}') >= 1
    assert value("imrgen_worker_restarts_total") >= 3
    assert value("imrgen_workers_ready") >= 1
    assert value('imrgen_worker_rss_bytes{worker="0"}') > 0


def test_logs_carry_ids_and_never_case_text(service: Service) -> None:
    source = imrgen.load_case(FULL)
    with service.client() as client:
        answer = client.post(
            "/render?format=txt&letter=full",
            content=FULL.read_bytes(),
            headers={**YAML, "X-Request-ID": "case-system-42"},
        )
        failed = client.post(
            "/render", content=FULL.read_text().replace("decision:", "decision: x", 1).encode()
        )
    assert answer.headers["x-request-id"] == "case-system-42"
    queue, work = answer.headers["server-timing"].split(", ")
    assert queue.startswith("queue;dur=") and work.startswith("work;dur=")
    assert float(work.removeprefix("work;dur=")) > 0
    assert answer.status_code == 200 and failed.status_code == 422
    time.sleep(0.5)  # the log line follows the response
    log = service.log.read_text(encoding="utf-8")
    assert "request_id=case-system-42 endpoint=/render format=txt status=200 ms=" in log
    assert (
        f"request_id={failed.headers['x-request-id']} endpoint=/render format=pdf status=422" in log
    )
    secrets = [source.summary[0][:40], *(p.name for p in parties_of(source.parties))]
    for secret in secrets:
        assert secret not in log, secret
    assert "Traceback" not in log


def test_stopping_the_service_stops_its_workers(service: Service) -> None:
    with service.client() as client:
        pids = [w["pid"] for w in client.get("/healthz").json()["workers"]]
    assert _pids_alive(pids) == pids
    service.process.send_signal(signal.SIGTERM)
    # uvicorn shuts down cleanly, then re-raises the signal it caught: exit status -SIGTERM.
    assert service.process.wait(60) in (0, -signal.SIGTERM)
    assert "Application shutdown complete" in service.log.read_text(encoding="utf-8")
    deadline = time.monotonic() + 10
    while _pids_alive(pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _pids_alive(pids) == []
