#!/usr/bin/env python3
"""Benchmark how fast `correlate` starts: `--version`, `--help` and `lbs` on an empty database, as
ratios to starting Python itself, measured in the same run.

    python bench/startup.py              # 10 runs of each
    python bench/startup.py --runs 30

Commands are imported when they run, so `--version` should cost little more than Python and click;
`lbs` pays for DuckDB and rich, never for scipy, matplotlib or boto3.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(command: list[str], runs: int) -> float:
    """The median wall time of `runs` runs (one warm-up run first, so .pyc files exist)."""
    subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    python = [sys.executable]
    with tempfile.TemporaryDirectory() as folder:
        db = str(Path(folder) / "empty.duckdb")
        create = f"from correlate.store.database import Database; Database.open({db!r}).close()"
        subprocess.run([*python, "-c", create], check=True, cwd=ROOT)
        cases = {
            "python -c pass (baseline)": [*python, "-c", "pass"],
            "python -c 'import click'": [*python, "-c", "import click"],
            "correlate --version": [*python, "-m", "correlate", "--version"],
            "correlate --help": [*python, "-m", "correlate", "--help"],
            "correlate lbs (empty database)": [*python, "-m", "correlate", "--db", db, "-q", "lbs"],
        }
        results = {name: timed(command, args.runs) for name, command in cases.items()}
    baseline = results["python -c pass (baseline)"]
    for name, seconds in results.items():
        print(f"{name:34s} {seconds * 1000:7.0f} ms  x{seconds / baseline:5.1f}")


if __name__ == "__main__":
    main()
