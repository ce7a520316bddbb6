"""The two PDF engines side by side: ms a letter in one process (cases loaded beforehand, nothing
read or written), `imrgen batch -f pdf --engine typst|weasyprint` letters/s (start-up included,
and steady), the naive WeasyPrint loop, the preview's page images per letter, and optionally a
memory-flatness run of the Typst batch. The corpus letters are repeated (each copy its own case
number) to the sizes asked for. Prints figures; asserts nothing.

    python bench/bench_engines.py                                  # short: a few seconds each
    python bench/bench_engines.py --letters 1000 --flat 10000      # the issue's figures
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_batch import (
    CORPUS,
    MB,
    Sampler,
    batch_process,
    naive_pdf,
    show,
    timed_batch,
    timed_loop,
)

import imrgen
from imrgen.batch import MANIFEST_NAME
from imrgen.case.loading import dump_case
from imrgen.case.model import Case
from imrgen.preview import png_pages
from imrgen.writers import RenderOptions

ENGINES = ("typst", "weasyprint")


def in_process(cases: list[Case], engine: str, rounds: int) -> float:
    """ms a letter, the best of `rounds` passes over the cases, after one warming letter."""
    options = RenderOptions(engine=engine)
    imrgen.render(cases[0], "pdf", options)
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        for case in cases:
            imrgen.render(case, "pdf", options)
        best = min(best, (time.perf_counter() - started) / len(cases))
    return best * 1000


def page_images(cases: list[Case], engine: str) -> float:
    """ms a letter for the preview's page images: the PDF (as the preview renders it, without
    the case attached) and its PNG pages."""
    options = RenderOptions(engine=engine, embed_data=False)
    png_pages(imrgen.render(cases[0], "pdf", options))
    started = time.perf_counter()
    for case in cases:
        png_pages(imrgen.render(case, "pdf", options))
    return (time.perf_counter() - started) / len(cases) * 1000


def flatness(folder: Path, out: Path, jobs: int, engine: str) -> None:
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    letters = sum(1 for _ in folder.iterdir())
    started = time.perf_counter()
    process = batch_process(folder, "pdf", out, jobs, False, ("--engine", engine))
    with Sampler(psutil.Process(process.pid), out / MANIFEST_NAME, interval=1.0) as sampler:
        process.communicate()
    seconds = time.perf_counter() - started
    print(f"memory flatness, pdf --engine {engine}: {letters} letters in {seconds:.0f} s"
          f" ({letters / seconds:.1f}/s), RSS of each worker sampled every second:")  # fmt: skip
    for pid, series in sampler.series.items():
        if len(series) < 10:
            continue
        rss = [r / MB for _, r in series]
        tenth = max(1, len(rss) // 10)
        early, late = statistics.median(rss[tenth : 2 * tenth]), statistics.median(rss[-tenth:])
        print(f"  worker {pid}: {len(rss)} samples, after 10-20% {early:.1f} MB, last 10%"
              f" {late:.1f} MB, max {max(rss):.1f} MB, growth {late - early:+.1f} MB",
              flush=True)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=130, help="letters per batch run")
    parser.add_argument("--naive", type=int, default=20, help="letters through the naive loop")
    parser.add_argument("--rounds", type=int, default=1, help="in-process passes (best taken)")
    parser.add_argument("--flat", type=int, default=0, help="letters in a Typst flatness run")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"imrgen {imrgen.__version__}, {os.cpu_count()} cores, --jobs {args.jobs}, corpus"
          f" {len(CORPUS)} PDFs, load average before: {load:.1f}", flush=True)  # fmt: skip
    cases = [imrgen.parse(p) for p in CORPUS]
    for engine in ENGINES:
        ms = in_process(cases, engine, args.rounds)
        print(f"in one process, --engine {engine:<10}: {ms:6.1f} ms a letter"
              f" ({1000 / ms:5.1f} letters/s; {args.jobs} cores at best"
              f" {args.jobs * 1000 / ms:5.1f}/s)", flush=True)  # fmt: skip
    for engine in ENGINES:
        ms = page_images(cases[:10], engine)
        print(f"preview page images, --engine {engine:<10}: {ms:6.1f} ms a letter", flush=True)
    work = Path(tempfile.mkdtemp(prefix="imrgen-engines-"))
    try:
        folder = work / "cases"
        folder.mkdir()
        for n in range(max(args.letters, args.flat)):
            case = cases[n % len(cases)]
            if n >= len(cases):  # each copy its own case number, as a real corpus has
                header = case.header.model_copy(update={"case_number": f"CM99-{n:07}"})
                case = case.model_copy(update={"header": header})
            (folder / f"letter-{n:05}.yaml").write_text(dump_case(case), encoding="utf-8")
        batch = work / "batch"
        batch.mkdir()
        for path in sorted(folder.iterdir())[: args.letters]:
            os.link(path, batch / path.name)
        loop: list[object] = list(cases[: args.naive])
        naive = timed_loop("naive WeasyPrint loop", loop, naive_pdf)  # type: ignore[arg-type]
        show(naive)
        for engine in ENGINES:
            figure = timed_batch(f"imrgen batch -f pdf --engine {engine}", batch, "pdf",
                                 work / f"out-{engine}", args.jobs,
                                 extra=("--engine", engine))  # fmt: skip
            show(figure, naive)
        if args.flat:
            flat = work / "flat"
            flat.mkdir()
            for path in sorted(folder.iterdir())[: args.flat]:
                os.link(path, flat / path.name)
            flatness(flat, work / "out-flat", args.jobs, "typst")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
