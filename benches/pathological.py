#!/usr/bin/env python3
"""Pathological sizes: does the time grow linearly with the input?

Usage: python3 benches/pathological.py [BIN] [--runs R] [--only SHAPE [--sizes A,B,C]]

For each shape, builds the feeds (`matinale feeds`, every article, per
category) at an input size and at twice, four times that size, and prints
the median wall time of R runs (default 3) and the ratio to the smallest
size. Linear growth shows as ratios near 2 and 4.

  - a title of 1, 2, 4 MB (in one article among 100);
  - an article body of 12.5, 25, 50 MB;
  - 5,000, 10,000, 20,000 categories, one article each (each category gets
    its own three feeds: the time is mostly creating and syncing files);
  - 50,000, 100,000, 200,000 unclosed `<div>` in one body (elements nested
    deeper than 256 levels are flattened before the HTML parser);
  - a Markdown body of 25, 50, 100 KB of `>` (block quotes nested as deep);
  - a summary of 2.5, 5, 10 MB in the newsletter (`matinale newsletter`:
    its HTML and text parts, and the .eml that carries both).

Nothing here is a test: it measures, and docs/benchmarks.md keeps the
figures.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NOW = "2026-11-26T07:30:00+01:00"
TOML = """[site]
title = "P"
url = "https://p.example/"
timezone = "Europe/Paris"

[content]
source = "jsonl"
path = "articles.jsonl"

[feeds]
max_items = 0
"""


def article(i, **extra):
    a = {
        "id": f"https://p.example/{i}",
        "url": f"https://p.example/{i}/",
        "title": f"Article {i}",
        "published": "2026-11-20T10:00:00+01:00",
        "summary": "Un résumé.",
        "categories": ["Tech"],
    }
    a.update(extra)
    return a


def title_site(mb):
    big = ("Un titre qui n’en finit pas & qui <insiste> " * (mb * 2**20 // 44 + 1))[: mb * 2**20]
    return [article(i) for i in range(99)] + [article(99, title=big)]


def body_site(mb):
    para = "<p>Un paragraphe d’un article démesuré, avec <a href=\"/lien\">un lien</a>.</p>\n"
    body = para * (int(mb * 2**20) // len(para))
    return [article(i) for i in range(9)] + [article(9, content_html=body)]


def categories_site(n):
    return [article(i, categories=[f"Catégorie n° {i}"]) for i in range(n)]


def summary_site(mb):
    # Published the evening before NOW: the top story of NOW's edition.
    big = ("Un résumé qui n’en finit pas, avec des mots & des <signes>. " * (int(mb * 2**20) // 60 + 1))
    return [article(0, published="2026-11-25T20:00:00+01:00", summary=big[: int(mb * 2**20)])]


def deep_div_site(n):
    return [article(i) for i in range(9)] + [article(9, content_html="<div>" * n + "fond")]


def deep_quote_site(kb):
    # A Markdown article: the runner writes it as content/deep.md.
    return [article(i) for i in range(9)] + [article(9, markdown=">" * (kb * 1024) + " fond\n")]


def write_markdown(d, articles):
    """Each article as a Markdown file: TOML front matter, then its body."""
    os.mkdir(os.path.join(d, "content"))
    for i, a in enumerate(articles):
        a = dict(a)
        body = a.pop("markdown", "Un paragraphe.\n")
        front = "".join(f"{k} = {json.dumps(v, ensure_ascii=False)}\n" for k, v in a.items())
        with open(os.path.join(d, "content", f"{i:03}.md"), "w", encoding="utf-8") as f:
            f.write(f"+++\n{front}+++\n{body}")


def run(bin_, articles, runs, command):
    times = []
    for _ in range(runs):
        d = tempfile.mkdtemp(prefix="matinale-patho-")
        try:
            markdown = any("markdown" in a for a in articles)
            with open(os.path.join(d, "feed.toml"), "w") as f:
                f.write(TOML.replace('"jsonl"', '"markdown"').replace('"articles.jsonl"', '"content"')
                        if markdown else TOML)
            if markdown:
                write_markdown(d, articles)
            else:
                with open(os.path.join(d, "articles.jsonl"), "w", encoding="utf-8") as f:
                    for a in articles:
                        f.write(json.dumps(a, ensure_ascii=False) + "\n")
            started = time.monotonic()
            p = subprocess.run([bin_, "--now", NOW, "-q", command], cwd=d,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            times.append(time.monotonic() - started)
            if p.returncode != 0:
                sys.exit(f"build failed: {p.stderr[:500]}")
        finally:
            shutil.rmtree(d, ignore_errors=True)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("bin", nargs="?", default=os.path.join(HERE, "..", "target", "release", "matinale"))
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--only", help="one shape: title, body, categories, deep-div, deep-quote or summary")
    p.add_argument("--sizes", help="comma-separated sizes for that shape")
    a = p.parse_args()
    shapes = [
        ("title", "MB title", [1, 2, 4], title_site, "feeds"),
        ("body", "MB article", [12.5, 25, 50], body_site, "feeds"),
        ("categories", "categories", [5000, 10000, 20000], categories_site, "feeds"),
        ("deep-div", "<div>", [50000, 100000, 200000], deep_div_site, "feeds"),
        ("deep-quote", "KB of >", [25, 50, 100], deep_quote_site, "feeds"),
        ("summary", "MB summary", [2.5, 5, 10], summary_site, "newsletter"),
    ]
    if a.only:
        shapes = [sh for sh in shapes if sh[0] == a.only]
        if a.sizes:
            shapes = [(n, u, [float(x) if "." in x else int(x) for x in a.sizes.split(",")], m, c)
                      for n, u, _, m, c in shapes]
    print(f"{'shape':<12} {'size':>14} {'median':>9} {'ratio':>7}")
    for name, unit, sizes, make, command in shapes:
        first = None
        for size in sizes:
            t = run(os.path.abspath(a.bin), make(size), a.runs, command)
            first = first or t
            print(f"{name:<12} {size:>8} {unit:<5} {t:>8.2f}s {t / first:>6.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
