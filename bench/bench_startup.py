"""Start-up time of the imrgen command: `imrgen --help` and `imrgen validate` of one file.

    python bench/bench_startup.py [--runs 20]

Prints the best and median wall time of each command (a fresh process each run, as a user
starts it), then the slowest imports of each from `python -X importtime`. The goal is under
0.3 s for both (issue 12, 17). Figures only: the tests assert what is loaded, never a time.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = Path(sys.executable).parent / "imrgen"
COMMANDS = {
    "imrgen --help": ["--help"],
    "imrgen validate (one file)": ["validate", str(ROOT / "examples" / "CM16-0213037.yaml")],
    "imrgen render -f txt (one file)": [
        "render",
        str(ROOT / "examples" / "CM16-0213037.yaml"),
        "-f",
        "txt",
        "-o",
        "/tmp/imrgen-bench-startup",
    ],
}


def wall(args: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run([str(SCRIPT), *args], check=True, capture_output=True)
    return time.perf_counter() - started


def slowest_imports(args: list[str], count: int = 5) -> list[tuple[int, str]]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "imrgen", *args],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in result.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].rstrip()))
    top = [r for r in rows if not r[1].startswith("  ")]  # modules imported at the top level
    return sorted(top, reverse=True)[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs
    print(f"{SCRIPT}, {runs} runs each, Python {sys.version.split()[0]}")
    for name, args in COMMANDS.items():
        wall(args)  # warm the disk cache
        times = [wall(args) for _ in range(runs)]
        print(
            f"{name:34} best {min(times) * 1000:6.0f} ms  median"
            f" {statistics.median(times) * 1000:6.0f} ms"
        )
        for micros, module in slowest_imports(args):
            print(f"    {micros / 1000:7.1f} ms  {module.strip()}")


if __name__ == "__main__":
    main()
