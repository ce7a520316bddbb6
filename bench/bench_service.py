"""The letter service under load: `imrgen serve` on 127.0.0.1, 8 concurrent clients, a bounded
number of mixed requests (render PDF, render DOCX, validate, parse) on the corpus letters
(parsed into cases first). Prints requests/s, p50/p95/p99 latency per endpoint, errors, worker
memory at start and end, and PDF throughput next to `imrgen batch` with as many workers.
Asserts nothing: timings belong here, never in the tests.

    python bench/bench_service.py                      # 2,000 requests, then the PDF comparison
    python bench/bench_service.py --requests 200 --compare 40   # briefly, on a shared machine
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

import imrgen

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("IMRGEN_SHARED", ROOT.parent / "shared"))
CORPUS = sorted((SHARED / "corpus").glob("*/*.pdf"))
MB = 1024 * 1024
MIX = ("render pdf", "render docx", "validate", "parse")
YAML = {"Content-Type": "application/yaml"}
SERVE = [sys.executable, "-m", "imrgen", "serve"]
BATCH = [sys.executable, "-m", "imrgen", "batch"]


@dataclass
class Load:
    """Requests in flight from several client threads, each result recorded."""

    total: int
    deadline: float
    next_index: int = 0
    results: list[tuple[str, float, int, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> int | None:
        with self.lock:
            if self.next_index >= self.total or time.monotonic() > self.deadline:
                return None
            self.next_index += 1
            return self.next_index - 1

    def record(self, kind: str, seconds: float, status: int, work: float) -> None:
        with self.lock:
            self.results.append((kind, seconds, status, work))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_service(workers: int, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*SERVE, "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the service stopped: {log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=5).status_code == 200:
                return process, url
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("the service did not get ready in 300 s")


def worker_memory(url: str) -> list[int]:
    return [w["rss_bytes"] or 0 for w in httpx.get(f"{url}/healthz").json()["workers"]]


def restarts(url: str) -> int:
    count: int = httpx.get(f"{url}/healthz").json()["restarts"]
    return count


def _work_seconds(server_timing: str) -> float:
    """The time the request spent in its worker, from the service's Server-Timing header."""
    for part in server_timing.split(","):
        name, _, duration = part.strip().partition(";dur=")
        if name == "work":
            return float(duration) / 1000
    return 0.0


def _cuts(times: list[float]) -> list[float]:
    times = sorted(times)
    return statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else times * 99


def client_loop(url: str, load: Load, kinds: tuple[str, ...], cases: list[bytes]) -> None:
    with httpx.Client(base_url=url, timeout=300) as client:
        while (index := load.take()) is not None:
            kind = kinds[index % len(kinds)]
            letter = index // len(kinds) % len(cases)
            started = time.perf_counter()
            try:
                if kind == "parse":
                    body = CORPUS[letter].read_bytes()
                    answer = client.post("/parse?input=pdf", content=body)
                elif kind == "validate":
                    answer = client.post("/validate", content=cases[letter], headers=YAML)
                else:
                    fmt = kind.split()[1]
                    # force: a published letter may break a rule the state did not enforce
                    answer = client.post(
                        f"/render?format={fmt}&force=true", content=cases[letter], headers=YAML
                    )
                status = answer.status_code
                work = _work_seconds(answer.headers.get("server-timing", ""))
            except httpx.HTTPError:
                status, work = 0, 0.0
            load.record(kind, time.perf_counter() - started, status, work)


def run_load(
    url: str,
    requests: int,
    clients: int,
    seconds: float,
    kinds: tuple[str, ...],
    cases: list[bytes],
) -> tuple[Load, float]:
    load = Load(requests, time.monotonic() + seconds)
    threads = [
        threading.Thread(target=client_loop, args=(url, load, kinds, cases)) for _ in range(clients)
    ]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return load, time.perf_counter() - started


def report(load: Load, wall: float) -> None:
    done = len(load.results)
    errors = [r for r in load.results if not 200 <= r[2] < 300]
    print(f"  {done} requests in {wall:.1f} s: {done / wall:.1f} requests/s, {len(errors)} errors")
    print("  latency as the client sees it (queue + work), and in the worker alone:")
    for kind in dict.fromkeys(r[0] for r in load.results):
        total = _cuts([r[1] for r in load.results if r[0] == kind])
        work = _cuts([r[3] for r in load.results if r[0] == kind])
        count = sum(r[0] == kind for r in load.results)
        print(
            f"  {kind:12} {count:5} req  p50 {total[49] * 1000:7.1f}  p95 {total[94] * 1000:7.1f}"
            f"  p99 {total[98] * 1000:7.1f} ms | work p50 {work[49] * 1000:6.1f}"
            f"  p95 {work[94] * 1000:6.1f}  p99 {work[98] * 1000:6.1f} ms"
        )
    for status in sorted({r[2] for r in errors}):
        print(f"  status {status}: {sum(r[2] == status for r in errors)}")


def batch_pdf(case_files: list[Path], out: Path, workers: int) -> float:
    started = time.perf_counter()
    subprocess.run(
        [*BATCH, *map(str, case_files), "-f", "pdf", "-o", str(out), "-j", str(workers), "-q"],
        check=True,
    )
    return len(case_files) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="mixed requests in all")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="the service's workers")
    parser.add_argument("--seconds", type=float, default=900, help="stop sending after this")
    parser.add_argument(
        "--compare", type=int, default=200, help="PDF letters through the service and the batch"
    )
    args = parser.parse_args()
    if not CORPUS:
        raise SystemExit(f"no corpus letters in {SHARED / 'corpus'}")

    work = Path(tempfile.mkdtemp(prefix="imrgen-bench-service-"))
    try:
        parsed = [imrgen.parse(path) for path in CORPUS]
        cases = [imrgen.dump_case(case).encode("utf-8") for case in parsed]
        print(f"{len(CORPUS)} corpus letters parsed into cases; service: {args.workers} workers")
        process, url = start_service(args.workers, work / "service.log")
        try:
            before = worker_memory(url)
            print(f"worker memory at start: {', '.join(f'{m / MB:.0f} MB' for m in before)}")
            mix = ", ".join(MIX)
            print(f"mixed load: {args.clients} clients, up to {args.requests} requests ({mix})")
            load, wall = run_load(url, args.requests, args.clients, args.seconds, MIX, cases)
            report(load, wall)
            after = worker_memory(url)
            print(f"worker memory at end:   {', '.join(f'{m / MB:.0f} MB' for m in after)}")
            print(f"worker restarts: {restarts(url)}")
            if args.compare:
                print(f"PDF only: {args.compare} letters, {args.clients} clients")
                pdf, wall = run_load(
                    url, args.compare, args.clients, args.seconds, ("render pdf",), cases
                )
                report(pdf, wall)
                service_rate = len(pdf.results) / wall
        finally:
            process.terminate()
            process.wait(60)
        if args.compare:
            folder = work / "cases"
            folder.mkdir()
            files = []
            for index in range(args.compare):
                path = folder / f"letter-{index:05}.yaml"
                path.write_bytes(cases[index % len(cases)])
                files.append(path)
            batch_rate = batch_pdf(files, work / "out", args.workers)
            print(
                f"  imrgen batch -j {args.workers}: {batch_rate:.1f} PDF/s;"
                f" the service: {service_rate:.1f} PDF/s ({service_rate / batch_rate:.0%})"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
