"""Batch throughput and memory: letters per second and peak RSS per worker for pdf, docx, parse of
a published PDF and public versions, on the corpus letters (repeated to get enough), next to a
naive loop (one process, a new WeasyPrint HTML, CSS and FontConfiguration per letter); and a
memory-flatness run (RSS of every worker sampled over many letters). Prints figures; asserts
nothing. Timings belong here, never in the tests.

    python bench/bench_batch.py                    # the default sizes (a few minutes)
    python bench/bench_batch.py --letters 400 --flat 10000 --flat-format docx
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

import imrgen
from imrgen.batch import MANIFEST_NAME
from imrgen.case.loading import dump_case, is_case_file, load_case
from imrgen.case.model import Case
from imrgen.letter.templates import DEFAULT_TEMPLATES, render_html
from imrgen.writers import writers

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("IMRGEN_SHARED", ROOT.parent / "shared"))
CORPUS = sorted((SHARED / "corpus").glob("*/*.pdf"))
MB = 1024 * 1024


@dataclass
class Sampler:
    """RSS of the workers of one `imrgen batch` process (and of that process itself), and the
    moment its manifest first records a finished letter, sampled in a thread of this one."""

    root: psutil.Process
    manifest: Path
    interval: float = 0.1
    series: dict[int, list[tuple[float, int]]] = field(default_factory=dict)
    first: float | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()

    def _run(self) -> None:
        started = time.perf_counter()
        while not self._stop.is_set():
            try:
                workers = self.root.children(recursive=True)
            except psutil.Error:
                workers = []
            for process in workers:
                try:
                    rss = process.memory_info().rss
                except psutil.Error:
                    continue
                self.series.setdefault(process.pid, []).append((time.perf_counter() - started, rss))
            if self.first is None and self.manifest.exists() and self.manifest.stat().st_size:
                self.first = time.perf_counter()
            self._stop.wait(self.interval)

    def peaks(self) -> list[int]:
        return sorted(max(r for _, r in s) for s in self.series.values() if len(s) > 2)


@dataclass
class Figure:
    name: str
    letters: int
    seconds: float
    steady: float  # letters/s from the first finished letter to the last (pool start-up excluded)
    peak_rss: list[int]
    # RSS samples of each process of a batch (the batch process and its workers), by pid
    series: dict[int, list[tuple[float, int]]] = field(default_factory=dict)
    # CPU seconds of the batch process and its workers together (0.0: not measured)
    cpu: float = 0.0

    @property
    def rate(self) -> float:
        return self.letters / self.seconds


def batch_process(
    folder: Path,
    fmt: str,
    out: Path,
    jobs: int,
    public: bool,
    extra: tuple[str, ...] = (),
    code: Path | None = None,
) -> subprocess.Popen[bytes]:
    """`imrgen batch` exactly as a user runs it (a fresh process, workers forked warm); `extra`
    are further options (`--engine typst`); `code` another checkout of imrgen to run instead of
    this one (an earlier commit, to compare in one run)."""
    command = [sys.executable, "-m", "imrgen", "batch", str(folder), "-f", fmt, "-o", str(out)]
    command += ["--jobs", str(jobs), "--quiet"] + (["--public"] if public else []) + list(extra)
    env, cwd = None, None
    if code is not None:  # `python -m` puts the working folder first on the path, then PYTHONPATH
        env, cwd = {**os.environ, "PYTHONPATH": str(code.resolve())}, code.resolve()
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=cwd
    )


def timed_batch(
    name: str,
    folder: Path,
    fmt: str,
    out: Path,
    jobs: int,
    public: bool = False,
    extra: tuple[str, ...] = (),
    code: Path | None = None,
    interval: float = 0.1,
) -> Figure:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    letters = sum(1 for _ in folder.iterdir())
    before = _children_cpu()
    started = time.perf_counter()
    process = batch_process(folder, fmt, out, jobs, public, extra, code)
    with Sampler(psutil.Process(process.pid), out / MANIFEST_NAME, interval) as sampler:
        _, errors = process.communicate()
        ended = time.perf_counter()
    cpu = _children_cpu() - before
    if process.returncode:
        print(f"  {name}: exit {process.returncode}: {errors.decode()[:300]}", file=sys.stderr)
    first = sampler.first or started
    steady = (letters - 1) / (ended - first) if ended > first else 0.0
    return Figure(name, letters, ended - started, steady, sampler.peaks(), sampler.series, cpu)


def _children_cpu() -> float:
    """CPU seconds of the finished child processes (each batch process with its workers, which
    it waited for): less disturbed by other work on the machine than wall time."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_loop(name: str, items: list[object], work: Callable[[object], object]) -> Figure:
    peak = psutil.Process().memory_info().rss
    started = time.perf_counter()
    for item in items:
        work(item)
    seconds = time.perf_counter() - started
    peak = max(peak, psutil.Process().memory_info().rss)
    return Figure(name, len(items), seconds, len(items) / seconds, [peak])


def naive_pdf(case: Case) -> bytes:
    """What a first attempt does: everything anew for every letter, in one process."""
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    from imrgen.letter.look import load_look, print_css
    from imrgen.writers.pdf import printable

    fonts = FontConfiguration()
    base_url = DEFAULT_TEMPLATES.styles.resolve().as_uri() + "/"
    sheets = [
        weasyprint.CSS(string=text, base_url=base_url, font_config=fonts)
        for text in [print_css(DEFAULT_TEMPLATES, case.edition.value, "public-body")]
    ]
    html = render_html(case, stylesheets=[])
    html = printable(html, load_look(DEFAULT_TEMPLATES, case.edition.value))
    data: bytes = weasyprint.HTML(string=html, base_url=base_url).write_pdf(
        stylesheets=sheets, font_config=fonts, pdf_variant="pdf/ua-1", pdf_tags=True
    )
    return data


def weasyprint_floor(cases: list[Case], jobs: int) -> None:
    """What WeasyPrint alone costs for these letters: the HTML made and the stylesheets, fonts
    and fetcher set up beforehand, then only `HTML(...).render()` (the layout), and the layout
    plus `write_pdf()` with no tags and no imrgen finishing. No file is read or written. The
    fastest any batch of these letters can go with WeasyPrint is `jobs` times the layout rate."""
    import weasyprint

    from imrgen.writers import RenderOptions, letter_html
    from imrgen.writers import pdf as pdf_writer

    options = RenderOptions()
    htmls = [pdf_writer.printable(letter_html(case, options, [])) for case in cases]
    fonts = pdf_writer.font_config()
    sheets = list(pdf_writer.stylesheets(options.templates, options.lang))
    base_url = options.templates.styles.resolve().as_uri() + "/"

    def document(html: str) -> weasyprint.Document:
        source = weasyprint.HTML(
            string=html, base_url=base_url, url_fetcher=pdf_writer.fetcher(options.templates)
        )
        return source.render(font_config=fonts, stylesheets=sheets)

    def best_of_3(work: Callable[[str], object]) -> float:
        """Seconds a letter, the best of three passes (the least disturbed by other work)."""
        passes = []
        for _ in range(3):
            started = time.perf_counter()
            for html in htmls:
                work(html)
            passes.append((time.perf_counter() - started) / len(htmls))
        return min(passes)

    document(htmls[0]).write_pdf()  # warm
    gc.collect()
    gc.freeze()  # as a batch worker does: the collector walks only what the letters make
    try:
        pages = sum(len(document(html).pages) for html in htmls)
        layout = best_of_3(document)
        written = best_of_3(lambda html: document(html).write_pdf())
    finally:
        gc.unfreeze()
    print(
        f"WeasyPrint alone, {len(htmls)} letters of {pages / len(htmls):.1f} pages on average,"
        " best of 3 passes:"
        f" layout {layout * 1000:.1f} ms a letter, layout + write_pdf (untagged)"
        f" {written * 1000:.1f} ms; the most {jobs} cores can do with perfect scaling:"
        f" {jobs / layout:.1f} letters/s with no PDF even written, {jobs / written:.1f}/s"
        f" with it",
        flush=True,
    )


def show(figure: Figure, naive: Figure | None = None) -> None:
    peaks = ", ".join(f"{p / MB:.0f}" for p in figure.peak_rss) or "-"
    line = (
        f"{figure.name:<34} {figure.letters:>6} letters {figure.seconds:>7.1f} s"
        f" {figure.rate:>7.1f}/s (steady {figure.steady:>6.1f}/s)  peak RSS MB: {peaks}"
    )
    if naive is not None:
        line += f"  x{figure.rate / naive.rate:.1f} vs naive"
    if figure.cpu:
        line += f"  CPU {figure.cpu / figure.letters * 1000:.1f} ms a letter"
    print(line, flush=True)


def flatness(folder: Path, fmt: str, out: Path, jobs: int) -> None:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    letters = sum(1 for _ in folder.iterdir())
    started = time.perf_counter()
    process = batch_process(folder, fmt, out, jobs, public=False)
    with Sampler(psutil.Process(process.pid), out / MANIFEST_NAME, interval=1.0) as sampler:
        process.communicate()
    seconds = time.perf_counter() - started
    print(
        f"memory flatness, {fmt}: {letters} letters in {seconds:.0f} s"
        f" ({letters / seconds:.1f}/s), RSS of each worker sampled every second:"
    )
    for pid, series in sampler.series.items():
        if len(series) < 10:
            continue
        rss = [r / MB for _, r in series]
        tenth = max(1, len(rss) // 10)
        early, late = statistics.median(rss[tenth : 2 * tenth]), statistics.median(rss[-tenth:])
        print(
            f"  worker {pid}: {len(rss)} samples, after 10-20% {early:.1f} MB,"
            f" last 10% {late:.1f} MB, max {max(rss):.1f} MB, growth {late - early:+.1f} MB",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=260, help="letters per scenario")
    parser.add_argument("--naive", type=int, default=40, help="letters through the naive loop")
    parser.add_argument("--flat", type=int, default=2000, help="letters in the flatness run")
    parser.add_argument("--flat-format", default="pdf", help="comma-separated formats")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--only", default="", help="comma-separated scenarios to run")
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))

    def wanted(name: str) -> bool:
        return not only or name in only

    registered = set(writers())
    print(
        f"imrgen {imrgen.__version__}, {os.cpu_count()} cores, --jobs {args.jobs},"
        f" formats registered: {', '.join(sorted(registered))}; corpus: {len(CORPUS)} PDFs;"
        f" load average before: {os.getloadavg()[0]:.1f} (other work on the machine skews it all)",
        flush=True,
    )
    cases = [imrgen.parse(p) for p in CORPUS]
    work = Path(tempfile.mkdtemp(prefix="imrgen-bench-"))
    try:
        case_files = []
        for n in range(max(args.letters, args.flat)):
            path = work / "cases" / f"letter-{n:05}.yaml"
            path.parent.mkdir(exist_ok=True)
            case = cases[n % len(cases)]
            if n >= len(cases):  # each copy its own case number, as a real corpus has
                header = case.header.model_copy(update={"case_number": f"CM99-{n:07}"})
                case = case.model_copy(update={"header": header})
            path.write_text(dump_case(case), encoding="utf-8")
            case_files.append(path)
        pdf_copies = []
        for n in range(args.letters):
            path = work / "letters" / f"{n:05}-{CORPUS[n % len(CORPUS)].name}"
            path.parent.mkdir(exist_ok=True)
            shutil.copyfile(CORPUS[n % len(CORPUS)], path)
            pdf_copies.append(path)
        batch_cases = work / "batch"
        batch_cases.mkdir()
        for path in case_files[: args.letters]:
            os.link(path, batch_cases / path.name)
        flat_cases = work / "flat"
        flat_cases.mkdir()
        for path in case_files[: args.flat]:
            os.link(path, flat_cases / path.name)
        letters_folder = work / "letters"
        loop_cases: list[object] = list(case_files[: args.naive])
        loop_letters: list[object] = list(pdf_copies[: args.naive])
        loop_out = work / "loop"
        loop_out.mkdir()

        def one_by_one(render: Callable[[Case], bytes], suffix: str) -> Callable[[object], None]:
            """The loop's unit of work, the same as a batch job's: read, render, write."""

            def work_on(path: object) -> None:
                assert isinstance(path, Path)
                case = load_case(path) if is_case_file(path) else imrgen.parse(path)
                (loop_out / f"{path.stem}{suffix}").write_bytes(render(case))

            return work_on

        def writer(fmt: str) -> Callable[[Case], bytes]:
            return lambda case: imrgen.render(case, fmt)

        if "pdf" in registered and wanted("pdf"):
            naive = timed_loop(
                "naive pdf loop (1 process)", loop_cases, one_by_one(naive_pdf, ".pdf")
            )
            show(naive)
            warm_one = timed_loop(
                "pdf writer loop (1 process)", loop_cases, one_by_one(writer("pdf"), ".pdf")
            )
            show(warm_one, naive)
            show(timed_batch("batch pdf", batch_cases, "pdf", work / "o", args.jobs), naive)
            weasyprint_floor(cases[: args.naive], args.jobs)
        if "docx" in registered and wanted("docx"):
            loop = timed_loop(
                "docx loop (1 process)", loop_cases, one_by_one(writer("docx"), ".docx")
            )
            show(loop)
            show(timed_batch("batch docx", batch_cases, "docx", work / "o", args.jobs), loop)
        if wanted("parse"):
            loop = timed_loop(
                "parse (+ md) loop (1 process)", loop_letters, one_by_one(writer("md"), ".md")
            )
            show(loop)
            # each published PDF parsed and written as Markdown, the cheapest writer
            show(
                timed_batch("batch parse (+ md)", letters_folder, "md", work / "o", args.jobs), loop
            )
        if wanted("public"):
            try:
                from imrgen.public.redaction import redact
            except ImportError:
                print("public: imrgen.public.redaction is not installed; not measured")
            else:
                for fmt in [f for f in ("html", "docx", "pdf") if f in registered]:
                    public = one_by_one(
                        lambda case, fmt=fmt: imrgen.render(redact(case), fmt),  # type: ignore[misc]
                        f".{fmt}",
                    )
                    loop = timed_loop(f"public {fmt} loop (1 process)", loop_cases, public)
                    show(loop)
                    figure = timed_batch(
                        f"batch public {fmt}", batch_cases, fmt, work / "o", args.jobs, public=True
                    )
                    show(figure, loop)
        for fmt in args.flat_format.split(","):
            if args.flat and wanted("flat") and fmt in registered:
                flatness(flat_cases, fmt, work / "o", args.jobs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
