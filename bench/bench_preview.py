"""How fast a save reaches the preview's browser: the time from a file write to the server-sent
event that the HTML (budget 300 ms) and the page images (budget 1.5 s) of the open letter are
new, for a template, a style and a case change, over copies of templates/, styles/ and
examples/. With --screenshots DIR it first takes the README's screenshots of the preview.

    python bench/bench_preview.py [--rounds 10] [--screenshots docs/img]
    python bench/bench_preview.py --rounds 0 --screenshots docs/img   # screenshots only
"""

from __future__ import annotations

import argparse
import queue
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from imrgen.letter.templates import STYLES_DIR, TEMPLATES_DIR
from imrgen.preview import Preview, Running, serve, stream_events, template_set, wait_for
from imrgen.writers import writers

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _listen(running: Running, letter: str) -> queue.Queue[tuple[float, str, dict[str, Any]]]:
    """Every event the open letter's page receives, stamped on arrival."""
    arrivals: queue.Queue[tuple[float, str, dict[str, Any]]] = queue.Queue()

    def run() -> None:
        for event, data in stream_events(running.url, letter):
            arrivals.put((time.perf_counter(), event, data))

    threading.Thread(target=run, daemon=True).start()
    return arrivals


def _time_save(
    running: Running,
    arrivals: queue.Queue[tuple[float, str, dict[str, Any]]],
    letter: str,
    save: Callable[[], None],
) -> tuple[float, float, float]:
    """(html ms, open letter's pages ms, every letter's pages ms) after one save."""
    while not arrivals.empty():
        arrivals.get()
    start = time.perf_counter()
    save()
    html = pages = None
    while html is None or pages is None:
        stamp, event, data = arrivals.get(timeout=60)
        if data.get("letter") != letter:
            continue
        if event == "error":
            raise SystemExit(f"the edit broke {letter}: {data['error']}")
        if event == "html" and html is None:
            html = stamp - start
        elif event == "pages" and html is not None:
            pages = stamp - start
    preview = running.preview
    wait_for(lambda: all(not (preview.state(k) or {}).get("pages_stale") for k in preview.letters))
    everything = time.perf_counter() - start
    return html * 1000, pages * 1000, everything * 1000


def _edit(path: Path, round_: int, old: str, new: str) -> Callable[[], None]:
    original = path.read_text(encoding="utf-8")

    def save() -> None:
        text = original.replace(old, new.format(round_), 1)
        assert text != original, f"{old!r} not in {path}"
        path.write_text(text, encoding="utf-8")

    return save


def _site(tmp: str) -> tuple[Path, Preview]:
    """A designer's copy of templates/, styles/ and examples/, and a preview of it."""
    site = Path(tmp)
    shutil.copytree(TEMPLATES_DIR, site / "templates")
    shutil.copytree(STYLES_DIR, site / "styles")
    shutil.copytree(ROOT / "examples", site / "examples")
    preview = Preview(site / "examples", template_set(site / "templates", site / "styles"))
    return site, preview


def bench(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        site, preview = _site(tmp)
        with serve(preview, port=0) as running:
            wait_for(lambda: all(x.pages for x in preview.letters.values()), timeout=120)
            letter = sorted(preview.letters)[-1]
            case = preview.letters[letter].path
            printer = "the pdf writer" if "pdf" in writers() else "WeasyPrint on the HTML"
            print(
                f"{len(preview.letters)} example letters; open letter: {letter};"
                f" page images by {printer}; {rounds} rounds each"
            )
            arrivals = _listen(running, letter)
            wait_for(lambda: bool(preview.hub.watched()))
            edits = {  # name: (file, text, the text with the round's number in it)
                "template (base/letter.html, every letter)": (
                    site / "templates" / "base" / "letter.html",
                    "</html>",
                    "</html>\n<!-- round {} -->",
                ),
                "style (letter.css, every letter)": (
                    site / "styles" / "letter.css",
                    "*/",
                    "*/\nh1 {{ letter-spacing: 0.0{}em; }}",
                ),
                "case (one letter)": (case, "\nsummary:\n", "\nsummary:\n- Round {}.\n"),
            }
            print(
                f"{'change':44} {'html ms':>16} {'open letter pages ms':>22} {'all pages ms':>16}"
            )
            for name, (path, old, new) in edits.items():
                saves = [_edit(path, n % 9, old, new) for n in range(1, rounds + 1)]
                figures = [_time_save(running, arrivals, letter, save) for save in saves]
                cols = []
                for i in range(3):
                    values = [f[i] for f in figures]
                    cols.append(f"{statistics.median(values):7.0f} / {max(values):5.0f}")
                print(f"{name:44} {cols[0]:>16} {cols[1]:>22} {cols[2]:>16}")
            print("(median / max over the rounds; from the end of the write to the event)")


def in_browser(rounds: int) -> None:
    """The same, as the designer sees it: from the end of the write until Chromium shows the new
    HTML in the letter page's frame, and until the new page images have loaded."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        site, preview = _site(tmp)
        with serve(preview, port=0) as running:
            wait_for(lambda: all(x.pages for x in preview.letters.values()), timeout=120)
            letter = max(k for k, x in preview.letters.items() if x.edition == "2015")
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 860})
                page.goto(running.url + "letter?l=" + letter)
                page.wait_for_selector("#pages img")
                template = site / "templates" / "2015" / "letter.html"
                html_ms: list[float] = []
                pages_ms: list[float] = []
                for n in range(1, rounds + 1):
                    before = page.evaluate("document.body.dataset.pagesVersion")
                    start = time.perf_counter()
                    template.write_text(
                        '{% extends "base/letter.html" %}'
                        f"{{% block title %}}Round {n}{{% endblock %}}\n"
                    )
                    page.wait_for_function(
                        "t => document.getElementById('html').contentDocument.title === t",
                        arg=f"Round {n}",
                        polling=5,
                    )
                    html_ms.append((time.perf_counter() - start) * 1000)
                    page.wait_for_function(
                        """v => document.body.dataset.pagesVersion !== v &&
                        [...document.querySelectorAll('#pages img')].every(i => i.complete)""",
                        arg=before,
                        polling=5,
                    )
                    pages_ms.append((time.perf_counter() - start) * 1000)
                    wait_for(
                        lambda: (
                            not any(
                                (preview.state(k) or {}).get("pages_stale") for k in preview.letters
                            )
                        )
                    )
            finally:
                browser.close()
    print(
        f"in Chromium, open letter {letter}, template 2015/letter.html saved {rounds} times:"
        f" HTML shown {statistics.median(html_ms):.0f} / {max(html_ms):.0f} ms,"
        f" page images shown {statistics.median(pages_ms):.0f} / {max(pages_ms):.0f} ms"
        " (median / max)"
    )


def shoot(out: Path) -> None:
    """The README's screenshots: the index, a letter beside its published original, and a
    template error shown over the last good render."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as playwright:
        site, preview = _site(tmp)
        with serve(preview, port=0) as running:
            wait_for(lambda: all(x.pages for x in preview.letters.values()), timeout=120)
            pdf_sourced = [
                k for k, x in preview.letters.items() if x.source and x.source.suffix == ".pdf"
            ]
            letter = sorted(pdf_sourced or preview.letters)[0]
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS
            )
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 860})
                page.goto(running.url)
                page.wait_for_selector("ul.letters img")
                page.screenshot(path=str(out / "preview-index.png"), full_page=True)
                page.goto(running.url + "letter?l=" + letter)
                page.wait_for_selector("#pages img")
                page.wait_for_selector("#original img, #original pre")
                page.wait_for_timeout(500)
                page.screenshot(path=str(out / "preview-letter.png"))
                family = preview.letters[letter].edition
                template = site / "templates" / family / "letter.html"
                template.write_text(template.read_text() + "{% block summary %}\n{% if %}\n")
                page.wait_for_selector("#errors:not([hidden])")
                page.wait_for_timeout(300)
                page.screenshot(path=str(out / "preview-error.png"))
            finally:
                browser.close()
    names = ", ".join(f"preview-{n}.png" for n in ("index", "letter", "error"))
    print(f"screenshots in {out}: {names}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--screenshots", type=Path, metavar="DIR", help="take them here first")
    args = parser.parse_args(argv)
    if args.screenshots is not None:
        shoot(args.screenshots)
    if args.rounds:
        bench(args.rounds)
        in_browser(args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
