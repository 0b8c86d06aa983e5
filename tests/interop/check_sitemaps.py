#!/usr/bin/env python3
"""Check the sitemaps of a built site against the sitemaps.org 0.9 protocol,
Google's rules for news sitemaps, and the site's own articles.

Usage: check_sitemaps.py SITE_DIR NOW

SITE_DIR holds feed.toml and its already built feeds' folder ([feeds]
output_dir, default "public"); NOW (RFC 3339 with an offset) is the `--now`
the site was built with.

An independent check, standard library only: the XML is read with
xml.etree (namespaces resolved), the input articles (Markdown with TOML
front matter, or JSON Lines) and feed.toml with json and tomllib. Rules:
  - sitemap.xml is a <urlset> or a <sitemapindex> in the sitemaps.org
    namespace; an index names <urlset> parts (no nested index) served
    beside it; every file holds at most 50,000 URLs and 52,428,800 bytes;
  - every <loc> is an absolute http(s) URL of less than 2,048 characters,
    each once; every date is a W3C date-time in the site's offset;
  - an index's <lastmod> for a part is the newest <lastmod> in it;
  - news-sitemap.xml is a <urlset> with the Google News namespace, at most
    1,000 <url>, each with <news:publication> (<news:name>,
    <news:language>: an ISO 639 code, or zh-cn / zh-tw), a
    <news:publication_date> within the 48 hours before NOW and a
    <news:title>;
  - the site's sitemap lists exactly the published articles (drafts and
    articles after NOW left out), the subscribe page and the archive; the
    news sitemap exactly the newest 1,000 of those published in the 48
    hours before NOW, newest first, with their titles;
  - _partials/robots.txt names both sitemaps by their absolute URLs;
  - with [sitemaps] enabled = false, none of these files exists.
It prints one "ok ..." or "FAIL ..." line per check, each failure's
details indented below, and "N passed, M failed"; the exit code is 1 when
anything failed, 2 on a usage error, else 0.

Needs Python >= 3.11 (tomllib, zoneinfo).
"""
import json
import os
import re
import sys
import tomllib
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone
from urllib.parse import urljoin, urlsplit, urlunsplit
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

from report import Report  # beside this script

SM = "http://www.sitemaps.org/schemas/sitemap/0.9"
NEWS = "http://www.google.com/schemas/sitemap-news/0.9"
MAX_URLS = 50_000
MAX_BYTES = 52_428_800
NEWS_MAX = 1_000
LOC_MAX = 2_047
W3C = re.compile(r"^\d{4}(-\d{2}(-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?)?)?$")
NEWS_LANGUAGE = re.compile(r"^([a-z]{2,3}|zh-cn|zh-tw)$")
_XML_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SPACE_RUN = re.compile("[ \t\n\r\u0085\u2028\u2029]+")


def plain(s):
    """Plain text as matinale writes it: XML-illegal characters dropped,
    whitespace runs (CR/LF included) as one space, ends trimmed."""
    return _SPACE_RUN.sub(" ", _XML_ILLEGAL.sub("", str(s))).strip(" ")


def url_norm(u):
    """A URL as a WHATWG serializer writes it: scheme and host lowercased,
    an empty path is "/"."""
    p = urlsplit(u.strip())
    return urlunsplit((p.scheme.lower(), p.netloc.lower(), p.path or "/", p.query, p.fragment))


def news_language(tag):
    """Google News's language code for a BCP 47 tag (Chinese by script)."""
    subtags = [s.lower() for s in re.split(r"[-_]", tag)]
    if subtags[0] != "zh":
        return subtags[0]
    rest = subtags[1:]
    if "hant" in rest:
        return "zh-tw"
    if "hans" in rest:
        return "zh-cn"
    return "zh-tw" if any(r in ("tw", "hk", "mo") for r in rest) else "zh-cn"


# --- input ----------------------------------------------------------------
def aware(value, tz):
    """A TOML or JSON date-time as an aware datetime; naive ones in the
    site's time zone (the earlier instant when ambiguous)."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time(0, 0))
    else:
        dt = datetime.fromisoformat(str(value).strip().replace("z", "Z"))
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = dt.replace(tzinfo=tz, fold=0)
    return dt


def article(raw, tz):
    published = aware(raw["published"], tz)
    updated = aware(raw["updated"], tz) if raw.get("updated") not in (None, "") else published
    return {
        "url": url_norm(str(raw["url"])),
        "title": plain(raw["title"]),
        "published": published,
        "updated": max(updated, published),
        "draft": bool(raw.get("draft", False)),
    }


def load_articles(site_dir, conf, tz):
    content = conf.get("content", {})
    source = content.get("source", "markdown")
    path = os.path.join(site_dir, content.get("path", "content"))
    if source == "jsonl":
        with open(path, encoding="utf-8") as f:
            return [article(json.loads(line), tz) for line in f if line.strip()]
    if source == "markdown":
        out = []
        for root, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for n in sorted(names):
                if n.endswith(".md") and not n.startswith("."):
                    with open(os.path.join(root, n), encoding="utf-8") as f:
                        front = f.read().lstrip("\ufeff").split("+++")[1]
                    out.append(article(tomllib.loads(front), tz))
        return out
    return None


# --- reading the sitemaps ---------------------------------------------------
def read_xml(path, problems):
    try:
        return ElementTree.parse(path).getroot()
    except (ElementTree.ParseError, OSError) as exc:
        problems.append(f"{path}: not well-formed XML: {exc}")
        return None


def check_loc(loc, where, problems):
    loc = (loc or "").strip()
    p = urlsplit(loc)
    if p.scheme not in ("http", "https") or not p.netloc:
        problems.append(f"{where}: <loc> {loc!r} is not an absolute http(s) URL")
    if len(loc) > LOC_MAX:
        problems.append(f"{where}: <loc> of {len(loc)} characters (at most {LOC_MAX})")
    if re.search(r"\s", loc):
        problems.append(f"{where}: <loc> {loc!r} holds whitespace")
    return loc


def check_date(text, where, tz, problems):
    """A W3C date-time with seconds, in the site's offset at that moment."""
    text = (text or "").strip()
    if not W3C.match(text):
        problems.append(f"{where}: {text!r} is not a W3C date-time")
        return None
    dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if dt.tzinfo is None:
        problems.append(f"{where}: {text!r} has no time and offset")
        return None
    if dt.utcoffset() != dt.astimezone(tz).utcoffset():
        problems.append(f"{where}: {text!r} is not in the site's offset ({dt.astimezone(tz).isoformat()})")
    return dt


def check_file_size(path, count, problems):
    size = os.path.getsize(path)
    if size > MAX_BYTES:
        problems.append(f"{path}: {size} bytes (at most {MAX_BYTES})")
    if count > MAX_URLS:
        problems.append(f"{path}: {count} URLs (at most {MAX_URLS})")


def read_urlset(path, tz, problems):
    """[(loc, lastmod or None)] of a site's <urlset>."""
    root = read_xml(path, problems)
    if root is None:
        return []
    if root.tag != f"{{{SM}}}urlset":
        problems.append(f"{path}: root is {root.tag}, expected {{{SM}}}urlset")
        return []
    urls = []
    for i, u in enumerate(root):
        where = f"{os.path.basename(path)} url {i}"
        if u.tag != f"{{{SM}}}url":
            problems.append(f"{where}: {u.tag} where <url> belongs")
            continue
        names = [c.tag for c in u]
        allowed = {f"{{{SM}}}{n}" for n in ("loc", "lastmod", "changefreq", "priority")}
        if names.count(f"{{{SM}}}loc") != 1 or any(n not in allowed for n in names):
            problems.append(f"{where}: children {names}")
            continue
        loc = check_loc(u.findtext(f"{{{SM}}}loc"), where, problems)
        lastmod = u.findtext(f"{{{SM}}}lastmod")
        urls.append((loc, check_date(lastmod, where, tz, problems) if lastmod is not None else None))
    check_file_size(path, len(urls), problems)
    return urls


def read_site_sitemap(out, base, tz, report):
    """Every URL of sitemap.xml, reading the parts of an index."""
    path = os.path.join(out, "sitemap.xml")
    problems = []
    root = read_xml(path, problems)
    if root is None:
        report.done("sitemap.xml", problems)
        return []
    if root.tag == f"{{{SM}}}urlset":
        urls = read_urlset(path, tz, problems)
        report.done("sitemap.xml", problems, f"a urlset of {len(urls)} URLs")
        return urls
    if root.tag != f"{{{SM}}}sitemapindex":
        report.done("sitemap.xml", [f"root is {root.tag}: neither urlset nor sitemapindex"])
        return []
    parts = list(root)
    check_file_size(path, len(parts), problems)
    if len(parts) < 2:
        problems.append(f"an index of {len(parts)} part(s): one urlset would do")
    urls = []
    for i, s in enumerate(parts):
        where = f"sitemap.xml sitemap {i}"
        if s.tag != f"{{{SM}}}sitemap" or s.find(f"{{{SM}}}loc") is None:
            problems.append(f"{where}: {s.tag} without <loc>")
            continue
        loc = check_loc(s.findtext(f"{{{SM}}}loc"), where, problems)
        if not loc.startswith(base):
            problems.append(f"{where}: {loc} is not beside the index, under {base}")
            continue
        part_path = os.path.join(out, *loc[len(base):].split("/"))
        if not os.path.isfile(part_path):
            problems.append(f"{where}: {loc} has no file ({part_path})")
            continue
        part_root = read_xml(part_path, problems)
        if part_root is not None and part_root.tag == f"{{{SM}}}sitemapindex":
            problems.append(f"{where}: {loc} is an index inside an index")
            continue
        part = read_urlset(part_path, tz, problems)
        stated = s.findtext(f"{{{SM}}}lastmod")
        newest = max((d for _, d in part if d is not None), default=None)
        if stated is None:
            if newest is not None:
                problems.append(f"{where}: no <lastmod>, expected {newest.isoformat()}")
        elif check_date(stated, where, tz, problems) != newest:
            problems.append(f"{where}: <lastmod> {stated}, the newest in the part is {newest and newest.isoformat()}")
        urls += part
    report.done("sitemap.xml", problems, f"an index of {len(parts)} parts, {len(urls)} URLs")
    return urls


def read_news(path, conf, tz, now, report):
    """[(loc, publication date, title)] of the news sitemap."""
    problems = []
    root = read_xml(path, problems)
    if root is None:
        report.done("news-sitemap.xml", problems)
        return []
    if root.tag != f"{{{SM}}}urlset":
        report.done("news-sitemap.xml", [f"root is {root.tag}, expected {{{SM}}}urlset"])
        return []
    site = conf.get("site", {})
    name = plain(conf.get("sitemaps", {}).get("publication_name", site.get("title", "")))
    language = news_language(site.get("language", "en"))
    since = now - timedelta(hours=48)
    news = []
    for i, u in enumerate(root):
        where = f"news-sitemap.xml url {i}"
        n = u.find(f"{{{NEWS}}}news")
        if u.tag != f"{{{SM}}}url" or n is None or len(u.findall(f"{{{NEWS}}}news")) != 1:
            problems.append(f"{where}: not a <url> with one <news:news>")
            continue
        loc = check_loc(u.findtext(f"{{{SM}}}loc"), where, problems)
        pub = n.find(f"{{{NEWS}}}publication")
        got_name = pub.findtext(f"{{{NEWS}}}name") if pub is not None else None
        got_lang = pub.findtext(f"{{{NEWS}}}language") if pub is not None else None
        if not got_name or got_name != name:
            problems.append(f"{where}: <news:name> {got_name!r}, expected {name!r}")
        if not got_lang or not NEWS_LANGUAGE.match(got_lang) or got_lang != language:
            problems.append(f"{where}: <news:language> {got_lang!r}, expected {language!r}")
        when = check_date(n.findtext(f"{{{NEWS}}}publication_date"), where, tz, problems)
        if when is not None and not since <= when <= now:
            problems.append(f"{where}: published {when.isoformat()}, outside {since.isoformat()} .. {now.isoformat()}")
        title = n.findtext(f"{{{NEWS}}}title")
        if not title or not title.strip():
            problems.append(f"{where}: no <news:title>")
        news.append((loc, when, title))
    if len(news) > NEWS_MAX:
        problems.append(f"{len(news)} URLs (at most {NEWS_MAX})")
    check_file_size(path, len(news), problems)
    report.done("news-sitemap.xml", problems, f"{len(news)} articles, {language!r}, {name!r}")
    return news


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    site_dir = os.path.abspath(argv[1])
    try:
        now = datetime.fromisoformat(argv[2])
    except ValueError:
        print(f"not an RFC 3339 date-time: {argv[2]!r}", file=sys.stderr)
        return 2
    if now.tzinfo is None:
        print(f"NOW needs an offset: {argv[2]!r}", file=sys.stderr)
        return 2
    with open(os.path.join(site_dir, "feed.toml"), "rb") as f:
        conf = tomllib.load(f)
    site, feeds, sitemaps = conf["site"], conf.get("feeds", {}), conf.get("sitemaps", {})
    tz = ZoneInfo(site.get("timezone", "UTC"))
    out = os.path.join(site_dir, feeds.get("output_dir", "public"))
    base = feeds.get("base_url") or site["url"]
    base = url_norm(base if base.endswith("/") else base + "/")
    files = {n: os.path.join(out, *n.split("/"))
             for n in ("sitemap.xml", "news-sitemap.xml", "_partials/robots.txt")}
    report = Report()

    if not sitemaps.get("enabled", True):
        left = [n for n, p in files.items() if os.path.exists(p)]
        report.done("sitemaps off", [f"{n} exists" for n in left], "none written")
        print(f"{report.passed} passed, {report.failed} failed")
        return 1 if report.failed else 0
    with_news = sitemaps.get("news", True)

    expected_lines = [f"Sitemap: {base}sitemap.xml"] + ([f"Sitemap: {base}news-sitemap.xml"] if with_news else [])
    try:
        with open(files["_partials/robots.txt"], encoding="utf-8") as f:
            lines = [l.strip() for l in f if l.strip() and not l.startswith("#")]
        problems = [] if lines == expected_lines else [f"lines {lines}, expected {expected_lines}"]
    except OSError as exc:
        problems = [str(exc)]
    report.done("_partials/robots.txt", problems, "; ".join(expected_lines))

    urls = read_site_sitemap(out, base, tz, report)
    locs = [u for u, _ in urls]
    dupes = sorted(u for u, c in Counter(locs).items() if c > 1)
    report.done("each URL once in the site's sitemap", [f"{u} listed more than once" for u in dupes])

    news = []
    if with_news:
        news = read_news(files["news-sitemap.xml"], conf, tz, now, report)
    elif os.path.exists(files["news-sitemap.xml"]):
        report.done("news-sitemap.xml", ["written with [sitemaps] news = false"])

    articles = load_articles(site_dir, conf, tz)
    if articles is None:
        print(f"note: a {conf.get('content', {}).get('source')!r} source: the lists are not compared with the input")
    else:
        live = [a for a in articles if not a["draft"] and a["published"] <= now]
        subscribe = site.get("subscribe_path", "abonnement/").strip("/") + "/"
        pages = {urljoin(base, subscribe), urljoin(base, "newsletter/")}
        by_url = {}
        for a in live:
            seen = by_url.get(a["url"])
            by_url[a["url"]] = a if seen is None else {**seen, "updated": max(seen["updated"], a["updated"])}
        problems = []
        listed = {url_norm(u): d for u, d in urls}
        want = set(by_url) | pages
        problems += [f"missing {u}" for u in sorted(want - set(listed))]
        problems += [f"not a published article or page: {u}" for u in sorted(set(listed) - want)]
        for u, d in sorted(listed.items()):
            a = by_url.get(u)
            if a is not None and d != a["updated"].replace(microsecond=0):
                problems.append(f"{u}: <lastmod> {d and d.isoformat()}, expected {a['updated'].isoformat()}")
        report.done("the site's sitemap lists every published article and the two pages", problems,
                    f"{len(by_url)} articles + {len(pages)} pages")
        if with_news:
            since = now - timedelta(hours=48)
            recent = sorted((a for a in live if a["published"] >= since), key=lambda a: a["url"])
            recent.sort(key=lambda a: a["published"], reverse=True)
            expected, seen = [], set()
            for a in recent:
                if a["url"] not in seen and len(expected) < NEWS_MAX:
                    seen.add(a["url"])
                    expected.append((a["url"], a["published"].replace(microsecond=0), a["title"]))
            got = [(url_norm(u), d, t) for u, d, t in news]
            show = lambda n: (n[0], n[1] and n[1].isoformat(), n[2])  # noqa: E731
            problems = []
            if got != expected:
                problems.append(f"{len(got)} articles, expected {len(expected)}")
                for i, (g, e) in enumerate(zip(got, expected)):
                    if g != e:
                        problems.append(f"first difference at {i}: got {show(g)}, expected {show(e)}")
                        break
            report.done("the news sitemap holds the newest of the 48 hours before NOW, newest first", problems,
                        f"{len(expected)} articles since {since.isoformat()}")

    print(f"{report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
