#!/usr/bin/env python3
"""Check a site built from a foreign feed (RSS-to-email) against that feed.

Usage: check_feed_source.py SITE_DIR NOW

SITE_DIR holds feed.toml, with [content] source = "feed" and path = a file
(relative to SITE_DIR) or an http(s) URL, and its already built outputs: the
feeds ([feeds] output_dir, default "public") and the newsletter
([newsletter] output_dir, default "out/newsletter"). NOW (RFC 3339 with an
offset) is the `--now` the site was built with.

This is an independent check: it reads the source document itself (a URL is
fetched with urllib), parses it with Python's `feedparser` (RSS 0.9x/1.0/2.0,
Atom) or, for JSON Feed, which feedparser 6.0 does not read, with `json`; it
parses public/feed.xml and atom.xml with feedparser too (feed.xml with its
HTML sanitizer and URI resolver off, so the bytes matinale wrote are what is
checked), the raw RSS elements with ElementTree, feed.json with `json` and
the edition's .eml with `email`. Checks, one "ok ..." or "FAIL ..." line
each, failures' details indented below:

  1. every source entry with a link and a date (published, else updated),
     dated at or before NOW and among the newest [feeds] max_items, is in
     feed.xml (matched by link), with the same title, published instant,
     author names and categories (an Atom category's label, else its term);
  2. entries without a link or a date, or dated after NOW, are not;
  3. atom.xml and feed.json carry the same links as feed.xml;
  4. a source comment count (slash:comments, thr:total) is kept;
  5. the source image (the widest media:content image or an image
     enclosure, else media:thumbnail, else JSON Feed `image`) is the output
     entry's media:content;
  6. every output description is non-empty plain text, without WordPress's
     "[…]" or "appeared first on" lines;
  7. every output content:encoded has no <script>, no on* attribute and no
     relative URL;
  8. an edition was made at the last send_time cutoff when a source entry
     falls in the 24 hours before it, its Subject names a source entry and
     its Date is the cutoff;
plus: entries of feed.xml that the source no longer shows are remembered in
seen.jsonl (matinale's memory of earlier fetches).

Then notes and a final line "N passed, M failed"; the exit code is 1 when
anything failed, 2 on a usage error (or an unreadable source), else 0.

Needs Python >= 3.11 (tomllib, zoneinfo) and `pip install feedparser`.
"""
import html
import json
import os
import re
import sys
import tomllib
import urllib.request
import warnings
from datetime import datetime, timedelta, timezone
from email import policy
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit, urlunsplit
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

try:
    import feedparser
except ImportError:  # pragma: no cover - environment problem, not a check
    sys.exit("check_feed_source.py needs feedparser: pip install feedparser")

# feedparser warns when `updated` falls back to `published`; we never rely
# on that fallback (entries are read with dict.get), so keep the output clean.
warnings.filterwarnings("ignore", category=DeprecationWarning, module="feedparser")

from report import Report  # noqa: E402  (beside this script)

CONTENT_NS = "{http://purl.org/rss/1.0/modules/content/}encoded"
IMAGE_EXT = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")
# What WordPress (and others) add after an excerpt, as text and as markup.
READ_MORE = ("[…]", "[...]", "[&#8230;]", "[&hellip;]", "appeared first on",
             "est apparu en premier sur")

# --------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------
_XML_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SPACE_RUN = re.compile("[ \t\n\r\u0085\u2028\u2029]+")


def plain(s):
    """A text as matinale normalises it: characters XML forbids dropped,
    whitespace runs one space, ends trimmed; no-break spaces are text."""
    if s is None:
        return None
    s = _XML_ILLEGAL.sub("", str(s))
    return _SPACE_RUN.sub(" ", s).strip(" ")


class _TextOnly(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


def text_of_html(value):
    """What a reader shows for an HTML value: tags dropped, references decoded."""
    parser = _TextOnly()
    parser.feed(value)
    parser.close()
    return "".join(parser.parts)


def fp_text(value, detail):
    """feedparser's value as text: read as HTML when feedparser says it is."""
    if value is None:
        return None
    if (detail or {}).get("type") in ("text/html", "application/xhtml+xml"):
        value = text_of_html(value)
    return plain(value)


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def is_absolute(url):
    return bool(_SCHEME.match(url or ""))


def url_norm(u):
    """A URL as a WHATWG serializer writes it (matinale's `Url` does): scheme
    and host lowercased, an empty path is "/"."""
    p = urlsplit(u.strip())
    return urlunsplit((p.scheme.lower(), p.netloc.lower(), p.path or "/", p.query, p.fragment))


def utc(dt):
    return dt.astimezone(timezone.utc).replace(microsecond=0)


def from_struct(st):
    """feedparser's *_parsed (a UTC struct_time) as an aware datetime."""
    return datetime(*st[:6], tzinfo=timezone.utc) if st else None


def short(s, n=60):
    s = s or ""
    return s if len(s) <= n else s[:n - 1] + "…"


# --------------------------------------------------------------------------
# The source
# --------------------------------------------------------------------------
class SourceError(Exception):
    pass


def read_source(site_dir, path, timeout):
    """(bytes, the document's URL and Content-Type or None, how it was read)."""
    if re.match(r"^https?://", path, re.I):
        req = urllib.request.Request(path, headers={"User-Agent": "check_feed_source.py"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                meta = {"content-location": resp.geturl()}
                if resp.headers.get("Content-Type"):
                    meta["content-type"] = resp.headers["Content-Type"]
                return resp.read(), meta, f"fetched {path} (HTTP {resp.status})"
        except OSError as exc:
            raise SourceError(f"cannot fetch {path}: {exc}") from exc
    full = os.path.join(site_dir, path)
    try:
        with open(full, "rb") as f:
            return f.read(), {}, f"read {path}"
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc}") from exc


def is_json(data):
    return data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def aware(value):
    if not isinstance(value, str):
        return None
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return dt if dt.tzinfo is not None else None


def image_of_media(entry):
    """The source's explicit image(s) of an entry: (kind, acceptable URLs).
    The widest media:content image or image enclosure (a tie: any of the
    widest), else the first media:thumbnail, else (None, None)."""
    cands = []
    for m in entry.get("media_content") or []:
        url = m.get("url")
        if not url:
            continue
        medium, typ = m.get("medium"), m.get("type") or ""
        if medium == "image" or typ.startswith("image/") or (
                not medium and not typ and urlsplit(url).path.lower().endswith(IMAGE_EXT)):
            cands.append((url, m.get("width")))
    for enc in entry.get("enclosures") or []:
        if enc.get("href") and (enc.get("type") or "").startswith("image/"):
            cands.append((enc["href"], None))

    def width(w):
        try:
            return int(w)
        except (TypeError, ValueError):
            return 0

    if cands:
        widest = max(width(w) for _, w in cands)
        return "media:content / image enclosure", [u for u, w in cands if width(w) == widest]
    thumbs = [t.get("url") for t in entry.get("media_thumbnail") or [] if t.get("url")]
    if thumbs:
        return "media:thumbnail", thumbs[:1]
    return None, None


_EMAIL_NAME = re.compile(r"^\s*([^\s()<>]+@[^\s()<>]+)\s*\((.+)\)\s*$")


def from_feedparser(d, notes):
    """The source's entries, from feedparser, in our shape."""
    feed_link = d.feed.get("link")
    entries = []
    for n, e in enumerate(d.entries, 1):
        link = (e.get("link") or "").strip() or None
        if link and not is_absolute(link) and feed_link:
            # feedparser resolved what xml:base or the document URL allowed;
            # what is left is relative to the site the feed is about.
            link = urljoin(feed_link, link)
        date = from_struct(dict.get(e, "published_parsed"))
        if date is None:
            date = from_struct(dict.get(e, "updated_parsed"))
        names = [plain(a.get("name")) for a in e.get("authors") or [] if a.get("name")]
        if not names and e.get("author") and not (e.get("authors")):
            names = [plain(e["author"])]
        rss_author = _EMAIL_NAME.match(e.get("author") or "")
        if rss_author and len(names) <= 1:
            # An RSS <author> "email (Name)": feedparser 6.0 cuts an email
            # whose top-level domain has more than 4 letters (".example")
            # and takes the rest for the name; read the name ourselves.
            if names != [plain(rss_author.group(2))]:
                notes.add("feedparser misread an RSS <author> \"email (Name)\": name read from the text")
            names = [plain(rss_author.group(2))]
        cats = []
        for t in e.get("tags") or []:
            name = plain(t.get("label") or t.get("term"))
            if t.get("label") and plain(t.get("label")) != plain(t.get("term")):
                notes.add("Atom categories compared by label (the name; the term is an id)")
            if name:
                cats.append(name)
        comments = e.get("slash_comments") if e.get("slash_comments") is not None else e.get("thr_total")
        kind, images = image_of_media(e)
        entries.append({
            "n": n,
            "id": e.get("id"),
            "title": fp_text(e.get("title"), e.get("title_detail")) or None,
            "link": link,
            "date": date,
            "authors": [x for x in names if x],
            "categories": cats,
            "comments": str(comments).strip() if comments is not None else None,
            "image_kind": kind,
            "images": images,
        })
    return entries


def from_json_feed(doc, base, notes):
    """The source's items, from a JSON Feed document, in our shape."""
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith("https://jsonfeed.org/version/"):
        raise SourceError("JSON, but not a JSON Feed (no jsonfeed.org version)")
    base = base or doc.get("home_page_url") or doc.get("feed_url")
    if doc.get("authors") or doc.get("author"):
        notes.add("the JSON Feed has top-level authors; only items' own authors are compared")
    entries = []
    for n, it in enumerate(doc.get("items") or [], 1):
        if not isinstance(it, dict):
            continue
        link = it.get("url").strip() if isinstance(it.get("url"), str) and it["url"].strip() else None
        if link and base:
            link = urljoin(base, link)
        date = aware(it.get("date_published")) or aware(it.get("date_modified"))
        people = it.get("authors") or ([it["author"]] if isinstance(it.get("author"), dict) else [])
        names = [plain(p.get("name")) for p in people if isinstance(p, dict) and p.get("name")]
        image = it.get("image") or it.get("banner_image")
        entries.append({
            "n": n,
            "id": it.get("id"),
            "title": plain(it.get("title")) if isinstance(it.get("title"), str) else None,
            "link": link,
            "date": date,
            "authors": [x for x in names if x],
            "categories": [plain(t) for t in it.get("tags") or [] if isinstance(t, str) and plain(t)],
            "comments": None,
            "image_kind": "JSON Feed image" if isinstance(image, str) and image else None,
            "images": [urljoin(link or base or "", image)] if isinstance(image, str) and image else None,
        })
    return entries


def load_source(data, meta, notes):
    url = meta.get("content-location")
    if is_json(data):
        try:
            doc = json.loads(data.decode("utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise SourceError(f"not readable JSON: {exc}") from exc
        notes.add("the source is JSON Feed, which feedparser 6.0 does not read: read with json")
        return "JSON Feed " + str(doc.get("version", "")).rsplit("/", 1)[-1], from_json_feed(doc, url, notes)
    d = feedparser.parse(data, response_headers=meta)
    if not d.version:
        raise SourceError(f"feedparser reads no feed in it ({d.get('bozo_exception')})")
    if d.bozo:
        notes.add(f"feedparser on the source: {type(d.bozo_exception).__name__}: {d.bozo_exception}")
    return d.version, from_feedparser(d, notes)


# --------------------------------------------------------------------------
# The outputs
# --------------------------------------------------------------------------
def raw_rss_items(path):
    """Each <item>'s title, description and content:encoded as the XML says
    them (entities decoded once), in document order."""
    try:
        root = ElementTree.parse(path).getroot()
    except (ElementTree.ParseError, OSError):
        return []
    return [{"title": it.findtext("title"), "description": it.findtext("description"),
             "content": it.findtext(CONTENT_NS)} for it in root.iter("item")]


def out_title(entry, raw):
    """An output RSS title as text. RSS titles are plain text; feedparser
    guesses HTML on an entity or a closing tag: then read the XML itself."""
    detail = entry.get("title_detail") or {}
    if detail.get("type") == "text/html" and raw and raw.get("title") is not None:
        return plain(raw["title"])
    return fp_text(entry.get("title"), detail)


def load_seen(path):
    """Links of the articles in seen.jsonl, with their published instant."""
    seen = {}
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        for line in f:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(row, dict) and isinstance(row.get("url"), str):
                seen[row["url"]] = {"date": aware(row.get("published")), "title": plain(row.get("title"))}
    return seen


class _Markup(HTMLParser):
    """Start tags with their attributes, for the content check."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, [(k, v or "") for k, v in attrs]))

    handle_startendtag = handle_starttag


URL_ATTRS = ("href", "src", "poster", "cite", "action", "formaction", "background")


def unsafe_markup(value):
    """What a feed's HTML content must not carry: script, on* handlers,
    javascript: and relative URLs (a reader has no base for them)."""
    found = []
    if re.search(r"<script\b", value, re.I):
        found.append("a <script> element")
    parser = _Markup()
    parser.feed(value)
    parser.close()
    for tag, attrs in parser.tags:
        for name, val in attrs:
            urls = []
            if name.startswith("on") and len(name) > 2:
                found.append(f"<{tag} {name}=...>")
            elif name in URL_ATTRS:
                urls = [val.strip()]
            elif name in ("srcset", "imagesrcset"):
                urls = [c.strip().split()[0] for c in val.split(",") if c.strip()]
            for u in urls:
                if u.lower().startswith(("javascript:", "vbscript:")):
                    found.append(f"<{tag} {name}={short(u)!r}> (script URL)")
                elif u and not is_absolute(u) and not u.startswith("#"):
                    found.append(f"<{tag} {name}={short(u)!r}> (relative URL)")
    return found


def who(e):
    return f"source item {e['n']} ({short(e['title'] or e['link'] or e['id'] or '?')!r})"


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------
def find(link, by_link, by_norm, notes, rss_rel):
    if link in by_link:
        return by_link[link]
    hit = by_norm.get(url_norm(link))
    if hit is not None:
        notes.append(f"{link!r} is in {rss_rel} as {hit[0].get('link')!r} (same URL, serialised)")
    return hit


def check_present(report, expected, out_count, by_link, by_norm, rss_rel, max_items):
    """1. Each expected source entry is in feed.xml with the same fields."""
    problems, matched = [], []
    for e in expected:
        hit = find(e["link"], by_link, by_norm, report.notes, rss_rel)
        if hit is None:
            problems.append(f"{who(e)}: link {e['link']!r} not in {rss_rel}")
            continue
        out, raw = hit
        matched.append((e, out, raw))
        where = f"{who(e)} -> {rss_rel} entry {out['_i']}"
        got_title = out_title(out, raw)
        if e["title"] != got_title:
            if e["title"] is not None and got_title is not None and \
                    plain(html.unescape(e["title"])) == plain(html.unescape(got_title)):
                report.notes.append(f"{where}: title equal only once entities are decoded: "
                                    f"source {e['title']!r}, output {got_title!r}")
            else:
                problems.append(f"{where}: title: expected {e['title']!r}, got {got_title!r}")
        got_date = from_struct(dict.get(out, "published_parsed"))
        if got_date is None or utc(got_date) != utc(e["date"]):
            problems.append(f"{where}: published: expected {utc(e['date']).isoformat()}, "
                            f"got {utc(got_date).isoformat() if got_date else '<missing>'}")
        if e["authors"]:
            got = [plain(a.get("name")) for a in out.get("authors") or [] if a.get("name")]
            if set(got) != set(e["authors"]):
                problems.append(f"{where}: authors: expected {sorted(set(e['authors']))}, got {sorted(set(got))}")
        if e["categories"]:
            got = [plain(t.get("term")) for t in out.get("tags") or [] if t.get("term")]
            if set(got) != set(e["categories"]):
                problems.append(f"{where}: categories: expected {sorted(set(e['categories']))}, "
                                f"got {sorted(set(got))}")
    if max_items and out_count > max_items:
        problems.append(f"{rss_rel}: {out_count} entries, more than max_items = {max_items}")
    report.done(f"1. source entries in {rss_rel}", problems,
                f"{len(matched)} of {len(expected)} expected present, title/date/authors/categories equal"
                f" ({out_count} entries in {rss_rel})")
    return matched


def check_left_out(report, source, now, by_link, by_norm, out_entries, rss_rel):
    """2. No entry without a link or a date, nor one dated after NOW."""
    problems, count = [], 0
    out_ids = {o.get("id") for o in out_entries if o.get("id")}
    out_titles = {out_title(o, None) for o in out_entries}
    for e in source:
        if e["link"] and e["date"] and e["date"] <= now:
            continue
        count += 1
        why = ("no link" if not e["link"] else "no date (published or updated)"
               if not e["date"] else f"dated {e['date'].isoformat()}, after NOW")
        report.notes.append(f"{who(e)}: {why}; expected to be left out")
        if e["link"]:
            hit = by_link.get(e["link"]) or by_norm.get(url_norm(e["link"]))
            if hit is not None:
                problems.append(f"{who(e)} ({why}) is in {rss_rel} as entry {hit[0]['_i']}")
        else:
            if e["id"] and e["id"] in out_ids:
                problems.append(f"{who(e)} ({why}): its id {e['id']!r} is in {rss_rel}")
            elif e["title"] and e["title"] in out_titles:
                problems.append(f"{who(e)} ({why}): its title is in {rss_rel}")
    report.done(f"2. entries without link/date or after NOW left out of {rss_rel}", problems,
                f"{count} such entr{'y' if count == 1 else 'ies'}")


def check_same_links(report, rss_links, out_dir, out_rel):
    """3. atom.xml and feed.json carry the same links as feed.xml."""
    problems = []
    atom = os.path.join(out_dir, "atom.xml")
    atom_links = None
    if not os.path.isfile(atom):
        problems.append(f"{out_rel}/atom.xml: missing")
    else:
        d = feedparser.parse(atom)
        if d.bozo:
            problems.append(f"{out_rel}/atom.xml: not well-formed: {d.bozo_exception}")
        if d.get("version") != "atom10":
            problems.append(f"{out_rel}/atom.xml: version {d.get('version')!r}, expected 'atom10'")
        atom_links = [e.get("link") for e in d.entries]
    jf = os.path.join(out_dir, "feed.json")
    json_links = None
    try:
        with open(jf, encoding="utf-8") as f:
            items = json.load(f).get("items") or []
        json_links = [it.get("url") for it in items if isinstance(it, dict)]
    except FileNotFoundError:
        problems.append(f"{out_rel}/feed.json: missing")
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
        problems.append(f"{out_rel}/feed.json: unreadable: {exc}")
    want = set(rss_links)
    for name, links in (("atom.xml", atom_links), ("feed.json", json_links)):
        if links is None:
            continue
        if len(links) != len(set(links)):
            problems.append(f"{out_rel}/{name}: a link is listed twice")
        for link in sorted(want - set(links), key=str):
            problems.append(f"{out_rel}/{name}: lacks {link!r} (in feed.xml)")
        for link in sorted(set(links) - want, key=str):
            problems.append(f"{out_rel}/{name}: has {link!r}, not in feed.xml")
    report.done("3. atom.xml and feed.json have the links of feed.xml", problems,
                f"{len(want)} links")


def check_comments(report, matched, rss_rel):
    """4. A source comment count is the output's slash:comments."""
    problems, count = [], 0
    for e, out, _ in matched:
        if e["comments"] is None:
            continue
        count += 1
        got = out.get("slash_comments")
        got = str(got).strip() if got is not None else None
        if got != e["comments"]:
            problems.append(f"{who(e)} -> {rss_rel} entry {out['_i']}: slash:comments: "
                            f"expected {e['comments']!r}, got {got!r}")
    report.done("4. comment counts", problems, f"{count} entr{'y' if count == 1 else 'ies'} with a count")


def check_images(report, matched, rss_rel):
    """5. The source's explicit image is the output's media:content."""
    problems, count = [], 0
    for e, out, _ in matched:
        if not e["images"]:
            continue
        count += 1
        media = out.get("media_content") or []
        got = media[0].get("url") if media else None
        if got not in e["images"]:
            want = e["images"][0] if len(e["images"]) == 1 else f"one of {e['images']}"
            problems.append(f"{who(e)} -> {rss_rel} entry {out['_i']}: media:content url "
                            f"(from the source's {e['image_kind']}): expected {want!r}, got {got!r}")
    report.done("5. images", problems, f"{count} entr{'y' if count == 1 else 'ies'} with an explicit image")


def check_summaries(report, out_entries, rss_rel):
    """6. Every output description is non-empty plain text without the
    source CMS's read-more tails."""
    problems = []
    for o in out_entries:
        raw = o["_raw"]
        desc = raw.get("description") if raw else None
        where = f"{rss_rel} entry {o['_i']} ({short(o.get('link'))!r}): description"
        if desc is None or not plain(text_of_html(desc)):
            problems.append(f"{where}: missing or empty")
            continue
        tag = re.search(r"<[A-Za-z/!?][^>]{0,30}", desc)
        if tag:
            problems.append(f"{where}: HTML markup {tag.group(0)!r}")
        text = html.unescape(desc)  # also catches "[&amp;#8230;]" as "[&#8230;]"
        for marker in READ_MORE:
            if marker in text:
                problems.append(f"{where}: holds {marker!r}: {short(plain(text), 120)!r}")
    report.done(f"6. summaries in {rss_rel}", problems, f"{len(out_entries)} descriptions, plain, no read-more tail")


def check_contents(report, out_entries, rss_rel):
    """7. Every output content:encoded is safe and self-contained."""
    problems, count = [], 0
    for o in out_entries:
        contents = o.get("content") or []
        value = contents[0].get("value") if contents else None
        if value is None and o["_raw"]:
            value = o["_raw"].get("content")
        if not value:
            continue
        count += 1
        for what in unsafe_markup(value):
            problems.append(f"{rss_rel} entry {o['_i']} ({short(o.get('link'))!r}): content: {what}")
    report.done(f"7. contents in {rss_rel}", problems, f"{count} contents, no script/on*/relative URL")


def last_cutoff(now, tz, send_time):
    hh, mm = (int(x) for x in send_time.split(":")[:2])
    local = now.astimezone(tz)
    cutoff = datetime(local.year, local.month, local.day, hh, mm, tzinfo=tz)
    if cutoff > now:
        day = local.date() - timedelta(days=1)
        cutoff = datetime(day.year, day.month, day.day, hh, mm, tzinfo=tz)
    return cutoff


def check_edition(report, source, now, tz, news, site_dir):
    """8. An edition at the last cutoff when the source has an entry in the
    24 hours before it; its Subject names a source entry, its Date is the cutoff."""
    problems = []
    cutoff = last_cutoff(now, tz, news.get("send_time", "07:00"))
    window = [e for e in source if e["link"] and e["date"] and e["title"]
              and cutoff - timedelta(hours=24) < e["date"] <= cutoff]
    news_dir = os.path.join(site_dir, news.get("output_dir", "out/newsletter"))
    news_rel = os.path.relpath(news_dir, site_dir)
    what = f"8. edition of {cutoff.date().isoformat()} (cutoff {cutoff.isoformat()})"
    emls = sorted(n for n in os.listdir(news_dir) if n.endswith(".eml")) if os.path.isdir(news_dir) else []
    if not window:
        report.notes.append(f"no source entry in the 24 h before the cutoff {cutoff.isoformat()}: "
                            f"no edition required ({len(emls)} .eml in {news_rel})")
        report.done(what, [], "not required")
        return
    name = f"{cutoff.date().isoformat()}.eml"
    path = os.path.join(news_dir, name)
    if not os.path.isfile(path):
        problems.append(f"{news_rel}/{name}: missing ({len(window)} source entr"
                        f"{'y' if len(window) == 1 else 'ies'} in the window; .eml there: {emls or 'none'})")
        report.done(what, problems)
        return
    with open(path, "rb") as f:
        msg = BytesParser(policy=policy.default).parse(f)
    subject = plain(str(msg.get("Subject", "")))
    detail = f"{news_rel}/{name}, Subject {subject!r}"
    if "subject" in news and "top.title" not in news["subject"]:
        report.notes.append("[newsletter] subject does not name the top article: Subject not checked")
    else:
        titles = [e["title"] for e in source if e["title"]]
        if not any(t in subject for t in titles):
            problems.append(f"{news_rel}/{name}: Subject {subject!r} names no source entry's title "
                            f"(in the window: {[e['title'] for e in window]})")
        elif not any(e["title"] in subject for e in window):
            report.notes.append(f"{news_rel}/{name}: Subject's article is not one of the window's")
    try:
        date = parsedate_to_datetime(str(msg.get("Date", "")))
    except (TypeError, ValueError):
        date = None
    if date is None or date.tzinfo is None or date != cutoff:
        problems.append(f"{news_rel}/{name}: Date: expected the cutoff {cutoff.isoformat()}, "
                        f"got {msg.get('Date')!r}")
    report.done(what, problems, detail)


def check_remembered(report, out_entries, source_links, seen, rss_rel, seen_rel):
    """Entries of feed.xml the source does not show come from seen.jsonl."""
    problems, extra = [], 0
    norm_source = {url_norm(x) for x in source_links}
    for o in out_entries:
        link = o.get("link")
        if link in source_links or url_norm(link or "") in norm_source:
            continue
        extra += 1
        if seen is None:
            problems.append(f"{rss_rel} entry {o['_i']} ({link!r}): not in the source, and no {seen_rel}")
        elif link not in seen:
            problems.append(f"{rss_rel} entry {o['_i']} ({link!r}): neither in the source nor in {seen_rel}")
    report.done(f"entries of {rss_rel} not in the source are remembered in {seen_rel}", problems,
                f"{extra} such entr{'y' if extra == 1 else 'ies'}")


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
    try:
        with open(os.path.join(site_dir, "feed.toml"), "rb") as f:
            conf = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        print(f"cannot read {argv[1]}/feed.toml: {exc}", file=sys.stderr)
        return 2
    site, content = conf.get("site", {}), conf.get("content", {})
    feeds, news = conf.get("feeds", {}), conf.get("newsletter", {})
    if content.get("source") != "feed":
        print(f"[content] source is {content.get('source', 'markdown')!r}, not \"feed\": "
              "not checked by this script", file=sys.stderr)
        return 2
    tz = ZoneInfo(site.get("timezone", "UTC"))
    notes = set()
    try:
        data, meta, how = read_source(site_dir, content.get("path", "content"),
                                     float(content.get("timeout_s", 20)))
        kind, source = load_source(data, meta, notes)
    except SourceError as exc:
        print(f"bad source: {exc}", file=sys.stderr)
        return 2

    report = Report()
    out_dir = os.path.join(site_dir, feeds.get("output_dir", "public"))
    out_rel = os.path.relpath(out_dir, site_dir)
    rss_path = os.path.join(out_dir, "feed.xml")
    rss_rel = os.path.join(out_rel, "feed.xml")
    seen_path = os.path.join(site_dir, news.get("output_dir", "out/newsletter"), "seen.jsonl")
    seen_rel = os.path.relpath(seen_path, site_dir)

    out_entries = []
    if not os.path.isfile(rss_path):
        report.done(rss_rel, [f"{rss_rel}: missing"])
    else:
        d = feedparser.parse(rss_path, sanitize_html=False, resolve_relative_uris=False)
        problems = []
        if d.bozo:
            problems.append(f"not well-formed: {type(d.bozo_exception).__name__}: {d.bozo_exception}")
        if d.get("version") != "rss20":
            problems.append(f"version {d.get('version')!r}, expected 'rss20'")
        raws = raw_rss_items(rss_path)
        if len(raws) != len(d.entries):
            problems.append(f"{len(raws)} <item> in the XML, {len(d.entries)} entries for feedparser")
        for i, e in enumerate(d.entries):
            e["_i"] = i + 1
            e["_raw"] = raws[i] if i < len(raws) else None
            out_entries.append(e)
        if problems:
            report.done(rss_rel, problems)
    by_link, by_norm = {}, {}
    for o in out_entries:
        if o.get("link"):
            by_link.setdefault(o["link"], (o, o["_raw"]))
            by_norm.setdefault(url_norm(o["link"]), (o, o["_raw"]))

    # Which source entries feed.xml must carry: dated, linked, not after NOW,
    # among the newest max_items of them and of what matinale remembers.
    max_items = int(feeds.get("max_items", 50))
    seen = load_seen(seen_path)
    live = [e for e in source if e["link"] and e["date"] and e["date"] <= now]
    untitled = [e for e in live if not e["title"]]
    for e in untitled:
        notes.add(f"{who(e)} has no title: neither required nor refused")
    live = [e for e in live if e["title"]]
    pool = [(e["date"], e["link"], e) for e in live]
    links = {e["link"] for e in live}
    for link, row in (seen or {}).items():
        if link not in links and row["date"] is not None and row["date"] <= now:
            pool.append((row["date"], link, None))
    pool.sort(key=lambda t: (-t[0].timestamp(), t[1]))
    top = pool[:max_items] if max_items else pool
    expected = [e for _, _, e in top if e is not None]
    beyond = len(live) - len(expected)
    if beyond:
        notes.add(f"{beyond} dated source entr{'y' if beyond == 1 else 'ies'} beyond the newest "
                  f"max_items = {max_items}: not required")

    matched = check_present(report, expected, len(out_entries), by_link, by_norm, rss_rel, max_items)
    check_left_out(report, source, now, by_link, by_norm, out_entries, rss_rel)
    check_same_links(report, [o.get("link") for o in out_entries], out_dir, out_rel)
    check_comments(report, matched, rss_rel)
    check_images(report, matched, rss_rel)
    check_summaries(report, out_entries, rss_rel)
    check_contents(report, out_entries, rss_rel)
    check_edition(report, source, now, tz, news, site_dir)
    check_remembered(report, out_entries, {e["link"] for e in source if e["link"]}, seen, rss_rel, seen_rel)

    for note in sorted(notes) + report.notes:
        print(f"note: {note}")
    print(f"source: {how}: {kind}, {len(source)} entries, {len(expected)} required in {rss_rel}; "
          f"NOW {now.isoformat()}")
    print(f"{report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
