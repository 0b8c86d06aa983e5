#!/usr/bin/env python3
"""The edition on the heaviest days, built by the release binary from
generated exports of the sample site, read back with Python's `email`:

- a busy day: 500 articles published in the 24 hours before the cutoff;
- the morning after three skipped days of a 2,000-article export (one
  article every 17 minutes): a first edition, then none for three days,
  then the one that carries four days of articles.

Each must be whole: its HTML under 80 KB, the whole message (and so the
footer with its unsubscribe link) under the 102 KB where Gmail clips, the
"also published" titles it leaves out counted with a link to the web copy,
and every article it carries in that web copy. The exports are generated
here (deterministic, French copy with « », `:` and `?` after a space,
numbers in groups), so the check needs nothing outside the repository.

Usage: check_sizes.py MATINALE_BINARY WORK_DIR
"""
import json
import random
import re
import shutil
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from email import policy
from email.parser import BytesParser
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PARIS_WINTER = timezone(timedelta(hours=1))
HTML_LIMIT = 80 * 1024
GMAIL_CLIPS = 102 * 1024

SUBJECTS = ["Le nouveau smartphone pliant", "La fusée réutilisable", "L’IA générative",
            "Le réseau « fibre » de la Poste", "AT&T et T-Mobile", "La console portable",
            "Le télescope spatial", "Le moteur C++ <template>", "La voiture à 20 000 euros",
            "Le forum 🟣 des streamers", "La R&D européenne", "Le câble sous-marin"]
VERBS = ["dévoile", "repousse", "bouscule", "fait trembler", "rattrape", "inquiète",
         "séduit", "abandonne", "relance", "teste en secret"]
OBJECTS = ["ses concurrents", "le marché français", "les régulateurs", "la Silicon Valley",
           "les fans de la première heure", "l’Union européenne", "les opérateurs"]
CATEGORIES = ["Tech", "Web", "Sciences", "Jeux vidéo", "Cinéma & Séries", "Mobilité",
              "Société", "Espace", "Sécurité"]
WORDS = ("les données montrent que le projet avance plus vite que prévu et que les équipes "
         "travaillent déjà sur la prochaine version avec un budget revu à la hausse selon "
         "plusieurs sources proches du dossier").split()

checks = []


def check(name, ok, detail=""):
    checks.append((name, bool(ok), detail))
    print(f"{'ok' if ok else 'FAIL'} {name}{'' if ok else ': ' + str(detail)}")


def export(n, newest, every_minutes):
    """`n` articles as JSON Lines, the newest at `newest`, one every
    `every_minutes` before it."""
    rng = random.Random(20261126)
    lines = []
    for i in range(n):
        published = newest - timedelta(minutes=every_minutes * i)
        title = f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
        title += rng.choice(["", "", " : ce qu’il faut savoir", ", et maintenant ?"])
        words = " ".join(rng.choice(WORDS) for _ in range(30))
        day = published.strftime("%Y/%m/%d")
        url = f"https://www.journaldugeek.com/{day}/article-{i}/"
        lines.append(json.dumps({
            "title": title,
            "url": url,
            "published": published.isoformat(),
            "authors": [{"name": rng.choice(["Camille Martin", "Léa Dubois", "Hugo Bernard"])}],
            "categories": rng.sample(CATEGORIES, k=rng.choice([1, 1, 2])),
            "summary": f"{title}. {words.capitalize()}.",
            "content_html": f"<p>{words.capitalize()}.</p>\n<p>{words}.</p>\n",
            "image": {"url": f"https://cdn.journaldugeek.com/{day}/article-{i}.jpg",
                      "alt": "Illustration de l’article", "width": 1200, "height": 675},
        }, ensure_ascii=False))
    return "\n".join(lines) + "\n"


def site(work, name, articles):
    """The sample site's feed.toml reading `articles` as a JSON Lines export."""
    d = work / name
    shutil.rmtree(d, ignore_errors=True)
    d.mkdir(parents=True)
    config = (REPO / "feed.toml").read_text(encoding="utf-8")
    config = config.replace('source = "markdown"', 'source = "jsonl"', 1)
    config = config.replace('path = "content"', 'path = "articles.jsonl"', 1)
    (d / "feed.toml").write_text(config, encoding="utf-8")
    (d / "articles.jsonl").write_text(articles, encoding="utf-8")
    return d


def build(binary, d, now):
    run = subprocess.run([str(Path(binary).resolve()), "--now", now, "build"], cwd=d, capture_output=True,
                         text=True, timeout=600)
    if run.returncode != 0:
        sys.exit(f"FAIL {d.name} at {now}: exit {run.returncode}\n{run.stderr}")
    return run


def check_edition(d, date, expect_articles):
    what = f"{d.name} {date}"
    raw = (d / "out/newsletter" / f"{date}.eml").read_bytes()
    html = (d / "out/newsletter" / f"{date}.html").read_text(encoding="utf-8")
    web = (d / "public/newsletter" / f"{date}.html").read_text(encoding="utf-8")
    ledger = json.loads((d / "out/newsletter/ledger.json").read_text(encoding="utf-8"))
    entry = next(e for e in ledger["editions"] if e["date"] == date)
    carried = len(entry["articles"])
    check(f"{what}: carries {expect_articles} articles", carried == expect_articles, carried)
    size = len(html.encode("utf-8"))
    check(f"{what}: HTML under 80 KB ({size} bytes)", size < HTML_LIMIT, size)
    check(f"{what}: whole message under Gmail's 102 KB ({len(raw)} bytes)", len(raw) < GMAIL_CLIPS,
          len(raw))
    m = BytesParser(policy=policy.default).parsebytes(raw)
    sent = m.get_body(("html",)).get_content()
    text = m.get_body(("plain",)).get_content()
    check(f"{what}: the sent HTML is the stored one", sent.replace("\r\n", "\n") == html)
    unsubscribe = html.find("desinscription?token=")
    check(f"{what}: the unsubscribe link is in, after every article",
          unsubscribe > html.rfind("utm_campaign="), unsubscribe)
    web_url = f"https://www.journaldugeek.com/newsletter/{date}.html"
    more = re.search(r'<a href="' + re.escape(web_url) + r'"[^>]*>… et ([0-9\u00a0]+) autres articles</a>', html)
    hidden = int(more.group(1).replace("\u00a0", "")) if more else 0
    listed = html.count('<li class="li"')
    check(f"{what}: {listed} titles listed, {hidden} left to the web copy, in all",
          more and listed <= 30 and carried - 12 == listed + hidden, (listed, hidden))
    check(f"{what}: the text part links them too",
          more and f"autres articles\n{web_url}" in text.replace("\r\n", "\n"))
    in_web = set(re.findall(r'href="(https://www\.journaldugeek\.com/[0-9/]+article-[0-9]+/)\?utm_', web))
    check(f"{what}: the web copy has every article ({len(in_web)})", len(in_web) == carried, len(in_web))
    starts = [l for l in text.splitlines() if l[:1] in ("?", "!", ":", ";", "»")]
    check(f"{what}: no text line starts with ? ! : ; »", not starts, starts[:3])


def main(binary, work):
    work = Path(work)
    busy = site(work, "busy-day", export(500, datetime(2026, 11, 26, 6, 50, tzinfo=PARIS_WINTER), 2))
    build(binary, busy, "2026-11-26T07:30:00+01:00")
    check_edition(busy, "2026-11-26", 500)

    skipped = site(work, "skipped-days",
                   export(2000, datetime(2026, 11, 29, 6, 50, tzinfo=PARIS_WINTER), 17))
    build(binary, skipped, "2026-11-25T07:30:00+01:00")
    # No run on the 26th, 27th and 28th.
    build(binary, skipped, "2026-11-29T07:30:00+01:00")
    check_edition(skipped, "2026-11-29", 339)

    failed = [c for c in checks if not c[1]]
    print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
