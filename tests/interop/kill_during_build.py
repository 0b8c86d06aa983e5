#!/usr/bin/env python3
"""Kill a large build with SIGKILL at many moments; nothing may be lost.

Usage: kill_during_build.py BIN [--articles N] [--kills K] [--seed S]

Builds a site of N articles (default 100,000; a JSON Lines export, every
article in the feeds, and the morning edition) once: the "old" outputs.
Then, with 50 new articles and 20 retitled ones, builds a copy to the end:
the "new" outputs. Then K times (default 10) restores the old state, starts
the same build and kills it with SIGKILL at a moment spread over the build's
duration (from the first reads to the final renames), and checks:

  - every output file is byte for byte its old or its new version (a hidden
    `.NAME.RANDOM.matinale-tmp` may be left: the next run removes it);
  - the next run, left to finish, gives exactly the new outputs: every
    feed, the edition and the ledger, so no article is skipped or sent
    twice, and leaves no temporary file.

Copies are hard links (`cp -al`): matinale never writes a file in place, it
writes a temporary file and renames it, so the old state stays intact.
Exit 1 on any failure.
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

T_OLD = "2026-11-26T07:30:00+01:00"
T_NEW = "2026-11-27T07:30:00+01:00"
CATEGORIES = ["Tech", "Web", "Sciences", "Jeux vidéo", "Cinéma & Séries", "Auto", "Santé",
              "Espace", "Mobilité", "Énergie", "Culture", "Économie"]

FEED_TOML = """[site]
title = "Kill test"
url = "https://kill.example/"
language = "fr-FR"
timezone = "Europe/Paris"

[content]
source = "jsonl"
path = "articles.jsonl"

[feeds]
max_items = 0
per_category = false

[[cta]]
id = "newsletter"
text = "Notre newsletter, chaque matin."
url = "https://kill.example/newsletter/"

[newsletter]
name = "Le Matin"
unsubscribe_mailto = "stop@kill.example"
"""


def article(i, published, title=None):
    rnd = random.Random(i)
    words = " ".join(rnd.choice(["fibre", "satellite", "batterie", "réseau", "données",
                                 "puce", "écran", "moteur", "orbite", "code"]) for _ in range(8))
    return {
        "id": f"https://kill.example/a/{i}",
        "url": f"https://kill.example/a/{i}/",
        "title": title or f"Article {i} : {words}",
        "published": published,
        "categories": [rnd.choice(CATEGORIES)],
        "authors": [{"name": rnd.choice(["Léa", "Hugo", "Nadia", "Paul"])}],
        "summary": f"Le résumé de l’article {i}, {words}.",
        "content_html": f"<p>{words}.</p>" * 6 + f"<p><a href=\"/a/{i - 1}/\">Avant</a></p>",
    }


def write_corpus(path, n, new):
    """N articles over the 30 days before T_OLD; with `new`, 50 more the day
    after and 20 retitled."""
    if os.path.exists(path):
        os.remove(path)  # a hard link to the old state: never write into it
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            minutes = (i * 30 * 24 * 60) // n
            day, rest = divmod(minutes, 24 * 60)
            published = f"2026-10-{27 + day:02d}T{rest // 60:02d}:{rest % 60:02d}:00+01:00" if day < 5 \
                else f"2026-11-{day - 4:02d}T{rest // 60:02d}:{rest % 60:02d}:00+01:00"
            title = f"Retitré {i}" if new and i % (n // 20 or 1) == 0 else None
            f.write(json.dumps(article(i, published, title), ensure_ascii=False) + "\n")
        if new:
            for j in range(50):
                published = f"2026-11-26T{8 + j // 6:02d}:{(j % 6) * 10:02d}:00+01:00"
                f.write(json.dumps(article(n + j, published), ensure_ascii=False) + "\n")


def snapshot(site):
    """Hash of every output (public/, out/), by relative path; temporary
    files listed apart."""
    hashes, temps = {}, []
    for top in ("public", "out"):
        for root, _, files in os.walk(os.path.join(site, top)):
            for name in files:
                path = os.path.join(root, name)
                rel = os.path.relpath(path, site)
                if name.endswith(".matinale-tmp"):
                    temps.append(rel)
                    continue
                h = hashlib.sha256()
                with open(path, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
                hashes[rel] = h.hexdigest()
    return hashes, temps


def build(bin_, site, now):
    started = time.monotonic()
    run = subprocess.run([bin_, "--now", now, "-q", "build"], cwd=site,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if run.returncode != 0:
        sys.exit(f"build in {site} failed ({run.returncode}): {run.stderr}")
    return time.monotonic() - started


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("bin")
    p.add_argument("--articles", type=int, default=100_000)
    p.add_argument("--kills", type=int, default=10)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    bin_ = os.path.abspath(a.bin)
    rnd = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="matinale-kill-")
    failed = 0
    try:
        base = os.path.join(work, "old")
        os.makedirs(base)
        with open(os.path.join(base, "feed.toml"), "w", encoding="utf-8") as f:
            f.write(FEED_TOML)
        write_corpus(os.path.join(base, "articles.jsonl"), a.articles, new=False)
        t_old = build(bin_, base, T_OLD)
        old, _ = snapshot(base)

        ref = os.path.join(work, "new")
        subprocess.run(["cp", "-al", base, ref], check=True)
        write_corpus(os.path.join(ref, "articles.jsonl"), a.articles, new=True)
        t_new = build(bin_, ref, T_NEW)
        new, temps = snapshot(ref)
        changed = sum(1 for k, v in new.items() if old.get(k) != v)
        size = sum(os.path.getsize(os.path.join(ref, k)) for k in new) / 2**20
        print(f"{a.articles} articles: old build {t_old:.1f} s; new build {t_new:.1f} s, "
              f"{len(new)} outputs ({size:.0f} MiB), {changed} of them changed")
        if temps:
            print(f"FAIL a finished build left temporary files: {temps}")
            failed += 1

        # Half the moments spread over the whole build, half in its last
        # tenth, where the outputs are synced and renamed.
        spread = a.kills - a.kills // 2
        moments = sorted([t_new * (k + rnd.random()) / spread for k in range(spread)]
                         + [t_new * (0.9 + 0.15 * rnd.random()) for _ in range(a.kills // 2)])
        for n, at in enumerate(moments, 1):
            site = os.path.join(work, f"kill-{n}")
            subprocess.run(["cp", "-al", base, site], check=True)
            write_corpus(os.path.join(site, "articles.jsonl"), a.articles, new=True)
            proc = subprocess.Popen([bin_, "--now", T_NEW, "-q", "build"], cwd=site,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(at)
            finished = proc.poll() is not None
            if not finished:
                proc.send_signal(signal.SIGKILL)
            proc.wait()
            state, temps = snapshot(site)
            problems = []
            for rel in sorted(set(old) | set(new) | set(state)):
                got = state.get(rel)
                if got is None and rel in old:
                    problems.append(f"{rel}: gone")
                elif got is not None and got not in (old.get(rel), new.get(rel)):
                    problems.append(f"{rel}: neither the old nor the new bytes")
            now_new = sum(1 for k, v in state.items() if v == new.get(k) and v != old.get(k))
            build(bin_, site, T_NEW)
            after, temps_after = snapshot(site)
            if after != new:
                diff = sorted(k for k in set(after) | set(new) if after.get(k) != new.get(k))
                problems.append(f"the next run did not give the new outputs: {diff[:5]}")
            if temps_after:
                problems.append(f"temporary files after the next run: {temps_after}")
            what = "finished before the kill" if finished else "killed"
            line = (f"kill {n} at {at:.2f} s ({100 * at / t_new:.0f}% of a build), {what}: "
                    f"{now_new} of {changed} changed outputs new, {len(temps)} temporary file(s); "
                    f"the next run made the new outputs")
            if problems:
                failed += 1
                print("FAIL " + line.replace("; the next run made the new outputs", ""))
                for pr in problems[:20]:
                    print("    " + pr)
            else:
                print("ok " + line)
            shutil.rmtree(site)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{a.kills - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
