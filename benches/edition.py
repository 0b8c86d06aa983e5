#!/usr/bin/env python3
"""Time the sample edition: `matinale newsletter` on the bundled sample site
(load 12 articles, select, render both templates, inline the CSS, build the
MIME message, compare with the files on disk), as a whole process.

Usage: python3 benches/edition.py [--runs 30] [--bin target/release/matinale]
Prints the median and the fastest run, in milliseconds.
"""
import argparse
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--bin", default=str(REPO / "target/release/matinale"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp)
        shutil.copy(REPO / "feed.toml", site / "feed.toml")
        shutil.copytree(REPO / "content", site / "content")
        cmd = [args.bin, "-q", "--now", "2026-11-26T07:30:00+01:00", "newsletter"]
        subprocess.run(cmd, cwd=site, check=True)  # the first run records the edition
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            subprocess.run(cmd, cwd=site, check=True)
            times.append((time.perf_counter() - t) * 1000)
    print(f"sample edition, whole process, {args.runs} runs: median {statistics.median(times):.1f} ms, fastest {min(times):.1f} ms")


if __name__ == "__main__":
    main()
