"""The live preview: what a change touches, the last good render kept through errors, new-family,
and the whole loop in a real browser (Debian's chromium through Playwright)."""

from __future__ import annotations

import html
import re
import shutil
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CORPUS, EXAMPLES, SEEDS, need_shared

import imrgen
from imrgen.case.loading import dump_case
from imrgen.cli import main
from imrgen.letter.templates import STYLES_DIR, TEMPLATES_DIR, new_family, render_html, template_set
from imrgen.preview import (
    HOST,
    Preview,
    Running,
    Touch,
    serve,
    stream_events,
    wait_for,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _letters() -> dict[str, Path]:
    """Three published letters: one of each edition, and one that came as a PDF."""
    need_shared()
    seed_2014 = next(p for p in SEEDS if imrgen.parse(p).edition.value == "2014")
    pdfs = [p for p in CORPUS if imrgen.parse(p).edition.value == "2015"][:2]
    return {"old-wording": seed_2014, "new-wording": pdfs[0], "another": pdfs[1]}


@pytest.fixture(scope="module")
def published() -> dict[str, Path]:
    return _letters()


@pytest.fixture
def site(tmp_path: Path, published: dict[str, Path]) -> Path:
    """A designer's copy of the templates and styles, and example cases parsed from real
    letters, with sources.txt naming the letters they came from."""
    shutil.copytree(TEMPLATES_DIR, tmp_path / "templates")
    shutil.copytree(STYLES_DIR, tmp_path / "styles")
    examples = tmp_path / "examples"
    examples.mkdir()
    listing = []
    for stem, letter in published.items():
        (examples / f"{stem}.yaml").write_text(dump_case(imrgen.parse(letter)), encoding="utf-8")
        listing.append(f"{stem}: {letter}\n")
    (examples / "sources.txt").write_text("".join(listing), encoding="utf-8")
    return tmp_path


def _preview(site: Path) -> Preview:
    return Preview(site / "examples", template_set(site / "templates", site / "styles"))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _override_title(site: Path, family: str, title: str) -> None:
    """Make a family's letter.html extend its parent's and set the letter's title."""
    parent = {"2014": "2015", "2015": "base"}[family]
    (site / "templates" / family / "letter.html").write_text(
        f'{{% extends "{parent}/letter.html" %}}\n{{% block title %}}{title}{{% endblock %}}\n'
    )


def _pending(preview: Preview) -> set[str]:
    keys = set()
    while (key := preview.next_pages()) is not None:
        keys.add(key)
    return keys


# -- what a change touches ---------------------------------------------------------------------


def test_a_change_touches_only_the_letters_that_use_it(site: Path) -> None:
    preview = _preview(site)
    preview.load()
    assert {k: v.edition for k, v in preview.letters.items()} == {
        "old-wording": "2014",
        "new-wording": "2015",
        "another": "2015",
    }
    t, s, e = site / "templates", site / "styles", site / "examples"
    everything = {"old-wording", "new-wording", "another"}

    assert preview.touched([t / "2014" / "letter.html"]).letters == {"old-wording"}
    assert preview.touched([t / "2014" / "letter.html"]).templates
    # 2014 extends 2015, and every family extends base
    assert preview.touched([t / "2015" / "letter.html"]).letters == everything
    assert preview.touched([t / "base" / "basis.html"]).letters == everything
    assert preview.touched([t / "2014" / "family.yaml"]).letters == everything
    assert preview.touched([s / "letter.css"]).letters == everything
    assert preview.touched([s / "letter.css"]) == Touch(frozenset(everything), styles=True)

    case = preview.touched([e / "another.yaml"])
    assert case == Touch(frozenset({"another"}), cases=frozenset({"another"}))
    assert not preview.touched([e / "notes.md"])
    assert not preview.touched([e / ".another.yaml.x1.part"])  # write_atomic's temporary file
    assert preview.touched([e / "sources.txt"]).rescan
    assert preview.touched([e / "new.yaml"]).rescan


def test_a_change_rerenders_only_what_it_touches(site: Path) -> None:
    preview = _preview(site)
    preview.load()
    preview.drain()
    before = {k: (v.html_version, v.pages_version) for k, v in preview.letters.items()}

    _override_title(site, "2014", "Letter in the old wording")
    preview.changed([site / "templates" / "2014" / "letter.html"])

    old = preview.letters["old-wording"]
    assert old.html is not None and "<title>Letter in the old wording</title>" in old.html
    assert old.html_version > before["old-wording"][0]
    for key in ("new-wording", "another"):
        assert preview.letters[key].html_version == before[key][0]
    assert _pending(preview) == {"old-wording"}  # only its page images are stale

    _edit(site / "examples" / "another.yaml", "edition: '2015'", "edition: '2014'")
    preview.changed([site / "examples" / "another.yaml"])
    assert preview.letters["another"].edition == "2014"
    assert preview.letters["new-wording"].html_version == before["new-wording"][0]
    assert _pending(preview) == {"another"}


def test_page_images_follow_the_html(site: Path) -> None:
    preview = _preview(site)
    preview.load()
    preview.drain()
    letter = preview.letters["new-wording"]
    assert letter.pages and all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in letter.pages)
    before = letter.pages[0]
    # The pages are the PDF's, whose look is styles/look.yaml (imrgen/letter/look.py).
    look = site / "styles" / "look.yaml"
    text = look.read_text()
    assert "  size: 12\n  line: 13.8\n" in text
    look.write_text(text.replace("  size: 12\n  line: 13.8\n", "  size: 30\n  line: 34.5\n", 1))
    preview.changed([look])
    preview.drain()
    assert letter.pages[0] != before
    assert len(letter.pages) > 1


def test_originals_come_from_sources_txt(site: Path, published: dict[str, Path]) -> None:
    preview = _preview(site)
    preview.load()
    assert preview.letters["new-wording"].source == published["new-wording"].resolve()
    originals = preview.original_pages("new-wording")
    assert originals and originals[0].startswith(b"\x89PNG")
    state = preview.state("old-wording")
    assert state is not None and state["original"]["kind"] == "text"  # a seed is plain text


# -- errors keep the last good render ----------------------------------------------------------


def test_a_broken_template_names_template_and_line_and_keeps_the_last_render(site: Path) -> None:
    preview = _preview(site)
    preview.load()
    preview.drain()
    template = site / "templates" / "2014" / "letter.html"
    good_html = preview.letters["old-wording"].html
    good_pages = preview.letters["old-wording"].pages

    template.write_text(
        '{% extends "2015/letter.html" %}\n{% block title %}\n{% if %}\n{% endblock %}\n'
    )
    preview.changed([template])
    letter = preview.letters["old-wording"]
    assert letter.error is not None
    assert letter.error.kind == "template"
    assert letter.error.source == "2014/letter.html:3"
    assert letter.error.lines and "expression" in letter.error.lines[0]
    assert letter.html == good_html and letter.pages == good_pages
    assert _pending(preview) == set()  # no page images from a broken template
    assert preview.letters["new-wording"].error is None  # 2015 does not use 2014's template

    _override_title(site, "2014", "Mended")
    preview.changed([template])
    assert letter.error is None
    assert letter.html is not None and "<title>Mended</title>" in letter.html
    assert _pending(preview) == {"old-wording"}


def test_a_missing_field_in_a_template_names_template_and_line(site: Path) -> None:
    preview = _preview(site)
    preview.load()
    template = site / "templates" / "2015" / "letter.html"
    template.write_text(
        '{% extends "base/letter.html" %}\n'
        "{% block summary %}{{ case.no_such_field }}{% endblock %}\n"
    )
    preview.changed([template])
    error = preview.letters["new-wording"].error
    assert error is not None and error.kind == "template"
    assert error.source == "2015/letter.html:2"
    assert "no_such_field" in error.lines[0]


def test_a_broken_case_names_file_and_field_and_keeps_the_last_render(site: Path) -> None:
    preview = _preview(site)
    preview.load()
    case = site / "examples" / "another.yaml"
    good = preview.letters["another"].html
    original = case.read_text()
    case.write_text(re.sub(r"\n  decision: \w+", "\n  decision: approved", original, count=1))
    preview.changed([case])
    error = preview.letters["another"].error
    assert error is not None and error.kind == "case"
    assert error.source == str(case.resolve())
    assert any(line.startswith("items[0].decision") and "approved" in line for line in error.lines)
    assert preview.letters["another"].html == good
    preview.changed([site / "templates" / "base" / "letter.html"])  # the case is still broken
    error = preview.letters["another"].error
    assert error is not None and error.kind == "case"

    case.write_text("edition: '2015'\nheader: [unclosed\n")
    preview.changed([case])
    error = preview.letters["another"].error
    assert error is not None and "not valid YAML" in error.lines[0]

    case.write_text(original)
    preview.changed([case])
    assert preview.letters["another"].error is None


def test_the_full_letter_on_request(site: Path) -> None:
    preview = Preview(
        site / "examples", template_set(site / "templates", site / "styles"), letter="full"
    )
    preview.load()
    public = _preview(site)
    public.load()
    full_html, public_html = preview.letters["another"].html, public.letters["another"].html
    assert full_html is not None and public_html is not None
    assert 'class="letter-date"' in full_html and 'class="letter-date"' not in public_html


def test_cases_come_and_go(site: Path) -> None:
    preview = _preview(site)
    preview.load()
    new = site / "examples" / "copy.yaml"
    shutil.copy(site / "examples" / "another.yaml", new)
    preview.changed([new])
    assert preview.letters["copy"].html == preview.letters["another"].html
    new.unlink()
    preview.changed([new])
    assert "copy" not in preview.letters


# -- new-family --------------------------------------------------------------------------------


@pytest.mark.parametrize("parent", ["2014", "2015", "base"])
def test_new_family_renders_exactly_like_its_parent(
    tmp_path: Path, parent: str, published: dict[str, Path]
) -> None:
    shutil.copytree(TEMPLATES_DIR, tmp_path / "templates")
    folder = new_family("county", parent, tmp_path / "templates")
    assert sorted(p.name for p in folder.iterdir()) == ["family.yaml", "letter.html"]
    assert (folder / "letter.html").read_text() == f'{{% extends "{parent}/letter.html" %}}\n'
    templates = template_set(tmp_path / "templates")
    assert templates.families()["county"].parent == parent
    for letter in published.values():
        case = imrgen.parse(letter)
        assert render_html(case, templates, "county") == render_html(case, templates, parent)


def test_new_family_in_a_folder_of_its_own(tmp_path: Path, published: dict[str, Path]) -> None:
    """A designer's folder holds only their families; the package's are found behind it."""
    (tmp_path / "mine").mkdir()
    assert (
        main(["new-family", "county", "--from", "2014", "--templates", str(tmp_path / "mine")]) == 0
    )
    templates = template_set(tmp_path / "mine")
    case = imrgen.parse(published["old-wording"])
    assert render_html(case, templates, "county") == render_html(case, templates, "2014")


def test_new_family_refuses_an_existing_name_or_unknown_parent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(TEMPLATES_DIR, tmp_path / "templates")
    where = ["--templates", str(tmp_path / "templates")]
    assert main(["new-family", "2015", "--from", "base", *where]) == 2
    assert "template family '2015' already exists" in capsys.readouterr().err
    assert main(["new-family", "county", "--from", "2013", *where]) == 2
    err = capsys.readouterr().err
    assert "unknown template family '2013'; available: " in err and "2014, 2015" in err
    assert main(["new-family", "../up", "--from", "base", *where]) == 2
    assert "family name '../up'" in capsys.readouterr().err
    assert not (tmp_path / "templates" / "county").exists()


# -- the server --------------------------------------------------------------------------------


@pytest.fixture
def running(site: Path) -> Iterator[Running]:
    with serve(_preview(site), port=0) as server:
        yield server


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, exc.read()


def test_the_server_binds_to_localhost_and_answers_nonsense(running: Running) -> None:
    assert running.server.server_address[0] == HOST == "127.0.0.1"
    assert _get(running.url + "page?l=nope&n=1")[0] == 404
    assert _get(running.url + "page?l=another&n=x")[0] == 404
    assert _get(running.url + "page?l=another&n=99")[0] == 404
    assert _get(running.url + "no/such/thing")[0] == 404
    status, body = _get(running.url)
    assert status == 200 and b"Edition 2014" in body and b"Edition 2015" in body


def test_the_letter_html_cannot_run_scripts_or_fetch(running: Running) -> None:
    with urllib.request.urlopen(running.url + "html?l=another", timeout=10) as response:
        policy = response.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy


def test_a_save_reaches_the_browser_as_events_html_first(site: Path, running: Running) -> None:
    events: list[tuple[str, dict[str, Any]]] = []
    stream = stream_events(running.url, "another")

    def listen() -> None:
        for event in stream:
            events.append(event)
            if event[0] == "pages" and event[1].get("letter") == "another" and len(events) > 2:
                return

    listener = threading.Thread(target=listen)
    listener.start()
    assert wait_for(lambda: any(name == "hello" for name, _ in events))
    with (site / "templates" / "base" / "letter.html").open("a") as template:
        template.write("<!-- saved once more -->\n")
    listener.join(timeout=30)
    assert not listener.is_alive()
    stream.close()
    mine = [name for name, data in events if data.get("letter") == "another"]
    assert "html" in mine and mine[-1] == "pages"
    assert mine.index("html") < len(mine) - 1  # the HTML goes out before the page images
    assert b"<!-- saved once more -->" in _get(running.url + "html?l=another")[1]


def test_the_cli_refuses_missing_folders_and_busy_ports(
    running: Running, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["preview", "--examples", str(tmp_path / "nowhere")]) == 2
    assert "nowhere: no such examples folder" in capsys.readouterr().err
    port = str(running.server.server_address[1])
    assert main(["preview", "--examples", str(tmp_path), "--port", port]) == 2
    assert f"cannot serve on 127.0.0.1:{port}" in capsys.readouterr().err
    assert main(["preview", "--examples", str(tmp_path), "--family", "2013"]) == 2
    assert "unknown template family '2013'" in capsys.readouterr().err
    assert main(["preview", "--examples", str(tmp_path), "--lang", "xx"]) == 2
    assert "unknown language 'xx'" in capsys.readouterr().err


def test_the_command_serves_until_told_to_stop(site: Path) -> None:
    """SIGTERM (what a service manager or a script sends; SIGINT is ignored in a background
    job) stops it cleanly; the test kills it rather than hang if it does not stop."""
    command = [sys.executable, "-m", "imrgen", "preview", "--port", "0"]
    for name in ("templates", "styles", "examples"):
        command += [f"--{name}", str(site / name)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert "imrgen preview: 3 example letter(s) at http://127.0.0.1:" in banner
        url = banner.split(" at ")[1].split()[0]
        status, body = _get(url)
        assert status == 200 and b"old-wording" in body
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert err == ""
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=5)


def test_the_shipped_examples_all_render(tmp_path: Path) -> None:
    preview = Preview(EXAMPLES)
    preview.load()
    assert preview.letters, f"no example cases in {EXAMPLES}"
    for key, letter in preview.letters.items():
        assert letter.error is None, f"{key}: {letter.error}"
        assert letter.html is not None and letter.html.startswith("<!DOCTYPE html>")
        if letter.source is not None:
            assert letter.source.is_file(), (
                f"{key}: its published letter {letter.source} is missing"
            )


# -- in a real browser -------------------------------------------------------------------------


def test_the_browser_follows_edits_and_errors_without_a_reload(
    site: Path, running: Running
) -> None:
    from playwright.sync_api import expect, sync_playwright

    template = site / "templates" / "2015" / "letter.html"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(running.url)
            expect(page.locator("h2", has_text="Edition 2015")).to_be_visible()
            thumbnail = page.locator("li[data-letter='new-wording'] img")
            first_src = thumbnail.get_attribute("src")
            with (site / "styles" / "letter.css").open("a") as css:
                css.write("\nh1 { letter-spacing: 0.1em !important; }\n")
            expect(thumbnail).not_to_have_attribute("src", first_src or "", timeout=15_000)
            page.click("a[href='/letter?l=new-wording']")
            letter = page.frame_locator("#html")
            heading = letter.locator("h1").first
            expect(heading).not_to_be_empty()
            first_heading = heading.inner_text()
            expect(page.locator("#pages img").first).to_be_visible(timeout=15_000)
            expect(page.locator("#original img").first).to_be_visible()
            page.evaluate("window.loadedOnce = true")  # gone if the page itself reloads

            template.write_text(
                '{% extends "base/letter.html" %}\n'
                "{% block how_made %}<h1>HOW THIS LETTER WAS DECIDED</h1>{% endblock %}\n"
            )
            expect(heading).to_have_text("HOW THIS LETTER WAS DECIDED")

            template.write_text('{% extends "base/letter.html" %}\n\n{% block how_made %}\n')
            errors = page.locator("#errors")
            expect(errors).to_be_visible()
            expect(errors).to_contain_text("Template 2015/letter.html:3")
            expect(errors).to_contain_text("block")
            expect(heading).to_have_text("HOW THIS LETTER WAS DECIDED")

            template.write_text('{% extends "base/letter.html" %}\n')
            expect(errors).to_be_hidden()
            expect(heading).to_have_text(first_heading)

            case = site / "examples" / "new-wording.yaml"
            good = case.read_text()
            case.write_text(re.sub(r"\n  decision: \w+", "\n  decision: approved", good, count=1))
            expect(errors).to_contain_text(f"Case {case.resolve()}")
            expect(errors).to_contain_text("items[0].decision")
            expect(heading).to_have_text(first_heading)
            case.write_text(good)
            expect(errors).to_be_hidden()
            assert page.evaluate("window.loadedOnce") is True
        finally:
            browser.close()


def _get_as(url: str, host: str | None, path: str = "/") -> tuple[int, bytes]:
    """A GET with the Host header a browser would send for `host` (None: none at all)."""
    import http.client

    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or HOST, parts.port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True)
        if host is not None:
            connection.putheader("Host", host)
        connection.endheaders()
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_only_requests_for_this_address_and_port_are_answered(running: Running) -> None:
    """DNS rebinding: a page from evil.example whose name now resolves to 127.0.0.1 sends
    `Host: evil.example:PORT`; the preview refuses it, so the page cannot read the letters."""
    port = running.server.server_address[1]
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}", f"LocalHost:{port}"):
        status, body = _get_as(running.url, host)
        assert status == 200 and b"Edition 2015" in body, host
    assert _get_as(running.url, f"localhost:{port}", "/html?l=another")[0] == 200
    refused: tuple[str | None, ...] = (
        f"evil.example:{port}",
        "evil.example",
        f"127.0.0.1:{port + 1}",
        "127.0.0.1",  # port 80 implied: not this server
        f"127.0.0.1.evil.example:{port}",
        "",
        None,
    )
    for refused_host in refused:
        for path in ("/", "/html?l=another", "/state?l=another", "/page?l=another&n=1", "/events"):
            status, body = _get_as(running.url, refused_host, path)
            assert status == 421, (refused_host, path)
            assert b"another" not in body and b"Edition" not in body


def test_an_original_letters_text_is_shown_as_text_never_as_markup(site: Path) -> None:
    """A published letter in plain text is data: markup in it shows as characters on the
    letter's page and can neither run nor change the page."""
    hostile = (
        "DECISION </pre><script>alert('x')</script><img src=x onerror=alert(1)>"
        " & <b>bold</b> \"quoted\" 'single'\n"
    )
    original = site / "hostile.txt"
    seed = _letters()["old-wording"]
    original.write_text(seed.read_text(encoding="utf-8") + hostile, encoding="utf-8")
    listing = site / "examples" / "sources.txt"
    listing.write_text(
        listing.read_text(encoding="utf-8").replace(
            f"old-wording: {seed}", f"old-wording: {original}"
        ),
        encoding="utf-8",
    )
    with serve(_preview(site), port=0) as running:
        status, body = _get(running.url + "letter?l=old-wording")
    assert status == 200
    page = body.decode()
    shown = page.split("<div class='scroll pages' id='original'>", 1)[1].split("</div>", 1)[0]
    assert shown.startswith("<pre>") and shown.endswith("</pre>")
    inner = shown[len("<pre>") : -len("</pre>")]
    assert "<" not in inner and ">" not in inner
    assert "&lt;/pre&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in inner
    assert "&amp; &lt;b&gt;bold&lt;/b&gt; &#34;quoted&#34;" in inner
    assert html.unescape(inner).endswith(hostile)
    assert page.count("<script>") == 1  # the page's own


def test_the_preview_forgets_only_what_it_owns(site: Path) -> None:
    """The preview renders with a cache of its own and asks it to forget on a save; the
    process's default cache (the batch's, the API's) keeps its compiled templates and parsed
    stylesheets."""
    import pickle

    from imrgen.letter import caches
    from imrgen.letter.templates import DEFAULT_TEMPLATES, environment
    from imrgen.writers import RenderOptions, pdf

    env = environment(DEFAULT_TEMPLATES, "2015")
    sheets = pdf.stylesheets(DEFAULT_TEMPLATES, "en")
    preview = _preview(site)
    preview.load()
    preview.drain()
    own = preview.cache
    assert own is not caches.DEFAULT_CACHE
    styles, templates = own.made(caches.STYLES), own.made(caches.TEMPLATES)
    assert styles >= 1 and templates >= 2  # both editions' families

    with (site / "styles" / "letter.css").open("a") as css:
        css.write("\nh1 { font-size: 31pt !important; }\n")
    preview.changed([site / "styles" / "letter.css"])
    preview.drain()
    assert own.made(caches.STYLES) == 2 * styles  # each parsed again from the saved text
    _override_title(site, "2014", "Forgotten")
    preview.changed([site / "templates" / "2014" / "letter.html"])
    assert own.made(caches.TEMPLATES) > templates
    assert environment(DEFAULT_TEMPLATES, "2015") is env
    assert pdf.stylesheets(DEFAULT_TEMPLATES, "en") is sheets

    # Render options go to workers by pickle: the default cache as the worker's own, any
    # other as an empty one, never a copy of what it holds.
    assert pickle.loads(pickle.dumps(RenderOptions())).cache is caches.DEFAULT_CACHE
    arrived = pickle.loads(pickle.dumps(preview._options())).cache
    assert arrived is not caches.DEFAULT_CACHE and arrived.made(caches.STYLES) == 0
