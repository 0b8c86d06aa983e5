#!/usr/bin/env python3
"""Check a built site's feeds against its input articles, with feedparser.

Usage: check_feeds.py SITE_DIR [NOW]

SITE_DIR holds feed.toml and its already built output folder
([feeds] output_dir, default "public"). NOW (RFC 3339, optional) is the
`--now` the site was built with: articles published after it are expected to
be left out; without it every non-draft article is expected.

This is an independent check: it reads the input articles itself (Markdown
folder with TOML front matter, or JSON Lines), works out which entries the
feeds must carry and in which order, then reads public/feed.xml and
public/atom.xml with Python's `feedparser` (the parser behind many feed
readers), public/feed.json with `json`, and every per-category feed under
public/category/<slug>/. It prints one line per checked file, every mismatch
(file, entry index, field, expected, got), and a final line
"N passed, M failed"; the exit code is 1 when anything failed, else 0.

Needs Python >= 3.11 (tomllib, zoneinfo) and `pip install feedparser`.
"""
import html
import json
import os
import re
import sys
import tomllib
import unicodedata
import warnings
from datetime import date, datetime, time, timezone
from html.parser import HTMLParser
from xml.etree import ElementTree
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

try:
    import feedparser
except ImportError:  # pragma: no cover - environment problem, not a check
    sys.exit("check_feeds.py needs feedparser: pip install feedparser")

# feedparser warns when `updated` falls back to `published`; we never rely
# on that fallback (see has_own_key), so keep the output clean.
warnings.filterwarnings("ignore", category=DeprecationWarning, module="feedparser")

JSONFEED_VERSION = "https://jsonfeed.org/version/1.1"
MISSING = "<missing>"

# --------------------------------------------------------------------------
# Plain-text normalisation, as matinale applies it to every output:
# characters XML 1.0 forbids are dropped, runs of whitespace (CR/LF
# included) become one space, ends trimmed. No-break spaces are text, not
# layout (French typography puts them before ":" and inside « »): kept.
# --------------------------------------------------------------------------
_XML_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_SPACE_RUN = re.compile("[ \t\n\r\u0085\u2028\u2029]+")


def plain(s):
    if s is None:
        return None
    s = _XML_ILLEGAL.sub("", str(s))
    return _SPACE_RUN.sub(" ", s).strip(" ")


def collapse(s):
    """Whitespace-insensitive form of a text, for 'contains' checks in HTML."""
    return _SPACE_RUN.sub(" ", s).strip(" ")


_ABSOLUTE_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s<>\"{}|\\^`]*$")


def is_absolute_uri(s):
    return bool(_ABSOLUTE_URI.match(s))


def slugify(name):
    """The category slug matinale makes (the name transliterated to ASCII,
    lowercase letters and digits, other runs as one hyphen), when the name
    transliterates to something (else None: matinale uses a hash we do not
    predict)."""
    extra = {"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o",
             "Ø": "o", "đ": "d", "Đ": "d", "ł": "l", "Ł": "l", "þ": "th", "ð": "d"}
    s = "".join(extra.get(c, c) for c in name)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.encode("ascii", "ignore").decode().lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    return s or None


# --------------------------------------------------------------------------
# Input
# --------------------------------------------------------------------------
class InputError(Exception):
    pass


def to_aware(value, tz, where):
    """A published/updated value (TOML datetime, date or string) as an aware
    datetime. Naive values are read in the site's time zone; an ambiguous
    one (fall back) takes the earlier instant (fold=0)."""
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime.combine(value, time(0, 0))
    elif isinstance(value, str):
        s = value.strip()
        try:
            dt = datetime.fromisoformat(s.replace("z", "Z"))
        except ValueError as exc:
            raise InputError(f"{where}: not an RFC 3339 date-time: {value!r}") from exc
    else:
        raise InputError(f"{where}: not a date-time: {value!r}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        dt = dt.replace(tzinfo=tz, fold=0)
    return dt


def author_names(authors):
    names = []
    for a in authors or []:
        if isinstance(a, str):
            names.append(plain(a))
        elif isinstance(a, dict) and a.get("name") is not None:
            names.append(plain(a["name"]))
    return [n for n in names if n]


def normalise_article(raw, tz, where):
    for key in ("title", "url", "published"):
        if raw.get(key) in (None, ""):
            raise InputError(f"{where}: missing {key}")
    published = to_aware(raw["published"], tz, f"{where}: published")
    updated = published
    if raw.get("updated") not in (None, ""):
        updated = to_aware(raw["updated"], tz, f"{where}: updated")
    image = raw.get("image")
    if isinstance(image, str):
        image = {"url": image}
    comments = raw.get("comments")
    return {
        "where": where,
        "title": plain(raw["title"]),
        "url": str(raw["url"]).strip(),
        "id": str(raw["id"]).strip() if raw.get("id") not in (None, "") else str(raw["url"]).strip(),
        "published": published,
        "updated": updated,
        "authors": author_names(raw.get("authors")),
        "categories": [plain(c) for c in (raw.get("categories") or []) if plain(c)],
        "summary": plain(raw["summary"]) if raw.get("summary") not in (None, "") else None,
        # matinale resolves relative URLs against the article's URL.
        "image_url": urljoin(str(raw["url"]).strip(), image["url"]) if isinstance(image, dict) and image.get("url") else None,
        "comments_count": comments.get("count") if isinstance(comments, dict) else None,
        "comments_url": urljoin(str(raw["url"]).strip(), comments["url"]) if isinstance(comments, dict) and comments.get("url") else None,
        "draft": bool(raw.get("draft", False)),
    }


def split_front_matter(src):
    src = src.lstrip("\ufeff")
    lines = src.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n") != "+++":
        return None
    for i in range(1, len(lines)):
        if lines[i].rstrip() == "+++":
            return "".join(lines[1:i]), "".join(lines[i + 1:])
    return None


def load_markdown(folder, tz, site_dir):
    files = []
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files += [os.path.join(root, n) for n in names
                  if n.endswith(".md") and not n.startswith(".")]
    articles = []
    for path in sorted(files):
        rel = os.path.relpath(path, site_dir)
        with open(path, encoding="utf-8") as f:
            parts = split_front_matter(f.read())
        if parts is None:
            raise InputError(f"{rel}: no +++ front matter")
        try:
            raw = tomllib.loads(parts[0])
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{rel}: {exc}") from exc
        articles.append(normalise_article(raw, tz, rel))
    return articles


def load_jsonl(path, tz, site_dir):
    rel = os.path.relpath(path, site_dir)
    articles = []
    # utf-8-sig: a byte-order mark before the first line is not part of it.
    with open(path, encoding="utf-8-sig") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"{rel}:{n}: {exc}") from exc
            articles.append(normalise_article(raw, tz, f"{rel}:{n}"))
    return articles


def ordered(articles, max_items):
    arts = sorted(articles, key=lambda a: a["id"])
    arts.sort(key=lambda a: a["published"].astimezone(timezone.utc), reverse=True)
    return arts[:max_items] if max_items else arts


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------
class Report:
    def __init__(self, site_dir):
        self.site_dir = site_dir
        self.passed = 0
        self.failed = 0

    def rel(self, path):
        return os.path.relpath(path, self.site_dir)

    def file_done(self, path, count, problems, unit="entries"):
        if problems:
            self.failed += 1
            print(f"FAIL {self.rel(path)}: {count} {unit}, {len(problems)} mismatches")
            for p in problems:
                print(f"  {self.rel(path)}: {p}")
        else:
            self.passed += 1
            print(f"ok {self.rel(path)}: {count} {unit}")


class Problems(list):
    def mismatch(self, index, field, expected, got):
        where = f"entry {index}" if index is not None else "feed"
        self.append(f"{where}: {field}: expected {expected!r}, got {got!r}")

    def check(self, index, field, expected, got):
        if expected != got:
            self.mismatch(index, field, expected, got)


def utc_seconds(dt):
    return dt.astimezone(timezone.utc).replace(microsecond=0, tzinfo=None)


def from_struct(st):
    return datetime(*st[:6]) if st else None


def has_own_key(entry, key):
    # FeedParserDict maps `updated` to `published` when absent; ask the dict.
    return dict.__contains__(entry, key)


class _TextOnly(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_data(self, data):
        self.parts.append(data)


def text_of_html(value):
    """What a reader shows for an HTML value: tags dropped, references
    decoded. A plain text escaped into HTML comes back unchanged; a plain
    text put into HTML unescaped loses its `<b>`, `&copy;`, ... here."""
    parser = _TextOnly()
    parser.feed(value)
    parser.close()
    return "".join(parser.parts).strip()


def html_text(value, detail):
    """feedparser's value as text: decoded when feedparser read it as HTML."""
    if value is None:
        return None
    if detail is not None and detail.get("type") in ("text/html", "application/xhtml+xml"):
        return text_of_html(value)
    return value


def check_content(problems, i, field, content_html, ctas):
    if not content_html or not content_html.strip():
        problems.mismatch(i, field, "content with the calls to action", content_html or MISSING)
        return
    text = collapse(html.unescape(content_html))
    positions = []
    for cta in ctas:
        want = collapse(plain(cta.get("text", "")))
        pos = text.find(want)
        if pos < 0:
            problems.mismatch(i, f"{field}: call to action {cta.get('id', '?')!r} text",
                              want, "not in content")
            continue
        positions.append(pos)
        url = cta.get("url")
        if url and url not in html.unescape(content_html):
            problems.mismatch(i, f"{field}: call to action {cta.get('id', '?')!r} url",
                              url, "not in content")
    if positions != sorted(positions):
        problems.mismatch(i, f"{field}: calls to action order", "as in feed.toml", "reordered")


def rss_raw_titles(path):
    """Each item's <title> as the XML says it (entities decoded once)."""
    try:
        root = ElementTree.parse(path).getroot()
    except ElementTree.ParseError:
        return []
    return [item.findtext("title") for item in root.iter("item")]


def entry_title(entry, kind, raw_titles, i, path, cfg, report):
    """The entry's title as text. Atom says its type; an RSS title is plain
    text (RSS Best Practices Profile) but feedparser guesses HTML when it
    sees a closing tag or an entity reference, then sanitizes it: that is a
    reader's heuristic, not what the feed says, so read the XML itself."""
    detail = entry.get("title_detail") or {}
    if kind == "rss" and detail.get("type") == "text/html" and i < len(raw_titles):
        cfg["notes"].add(f"{report.rel(path)}: feedparser guessed HTML for a plain-text "
                         "RSS title (readers that guess alike may show it differently); "
                         "compared the XML text")
        return raw_titles[i].strip() if raw_titles[i] is not None else None
    return html_text(entry.get("title"), detail)


def fp_authors(entry):
    names = [plain(a.get("name")) for a in entry.get("authors", []) if a.get("name")]
    if not names and entry.get("author"):
        names = [plain(entry["author"])]
    return names


def fp_image(entry):
    media = entry.get("media_content") or []
    return media[0].get("url") if media else None


def check_xml_feed(path, kind, expected, cfg, report, category=None):
    """kind: "rss" or "atom". category: (slug, name) for a category feed."""
    problems = Problems()
    if not os.path.isfile(path):
        problems.mismatch(None, "file", "present", MISSING)
        report.file_done(path, 0, problems)
        return
    d = feedparser.parse(path)
    if d.bozo:
        problems.mismatch(None, "bozo", False, f"{type(d.bozo_exception).__name__}: {d.bozo_exception}")
    want_version = "rss20" if kind == "rss" else "atom10"
    problems.check(None, "version (feedparser)", want_version, d.get("version"))
    # The site's description (else, in RSS, the feed's title). The RSS
    # channel's description is HTML, as an item's is: read as a reader
    # shows it, `C++ <template>` must keep its words.
    if kind == "rss":
        got = text_of_html(d.feed["subtitle"]) if "subtitle" in d.feed else None
        problems.check(None, "description", cfg["description"] or plain(d.feed.get("title")), got)
    else:
        got = html_text(d.feed.get("subtitle"), d.feed.get("subtitle_detail"))
        problems.check(None, "subtitle", cfg["description"] or None, got)
    entries = d.entries
    problems.check(None, "entry count", len(expected), len(entries))
    raw_titles = rss_raw_titles(path) if kind == "rss" else []
    ctas = cfg["ctas"]
    seen_ids = {}
    for i, (e, a) in enumerate(zip(entries, expected)):
        problems.check(i, "title", a["title"], entry_title(e, kind, raw_titles, i, path, cfg, report))
        problems.check(i, "link", a["url"], e.get("link"))
        got_id = e.get("id")
        if kind == "atom" and not is_absolute_uri(a["id"]):
            if not (got_id or "").startswith("tag:"):
                problems.mismatch(i, "id", f"tag: URI for {a['id']!r}", got_id)
        else:
            problems.check(i, "id", a["id"], got_id)
        if got_id in seen_ids:
            problems.mismatch(i, "id", "unique", f"{got_id!r} also in entry {seen_ids[got_id]}")
        seen_ids.setdefault(got_id, i)

        problems.check(i, "published", utc_seconds(a["published"]),
                       from_struct(e.get("published_parsed")))
        if kind == "atom" or has_own_key(e, "updated"):
            problems.check(i, "updated", utc_seconds(a["updated"]),
                           from_struct(e.get("updated_parsed")))
        else:
            cfg["notes"].add("RSS items carry no updated date (RSS 2.0 has no such "
                             "element): updated compared in Atom and JSON Feed only")

        got_authors = fp_authors(e)
        if set(got_authors) != set(a["authors"]):
            problems.mismatch(i, "authors", a["authors"], got_authors)

        tags = e.get("tags") or []
        if kind == "rss":
            got_cats = [plain(t.get("term")) for t in tags]
        else:
            got_cats = [plain(t.get("label") or t.get("term")) for t in tags]
            for t in tags:
                term = t.get("term") or ""
                if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", term):
                    problems.mismatch(i, "category term (slug)", "lowercase ASCII slug", term)
                elif t.get("label") and slugify(t["label"]) not in (None, term):
                    problems.mismatch(i, f"category term for {t['label']!r}", slugify(t["label"]), term)
        problems.check(i, "categories", a["categories"], got_cats)
        if category is not None:
            slug, name = category
            if kind == "atom":
                if slug not in [t.get("term") for t in tags]:
                    problems.mismatch(i, "category term", f"includes {slug!r}", [t.get("term") for t in tags])
            elif name not in got_cats:
                problems.mismatch(i, "categories", f"includes {name!r}", got_cats)

        if a["summary"] is not None:
            # RSS description is HTML (the summary escaped into it): read
            # it as a reader shows it.
            if kind == "rss":
                got_summary = text_of_html(e["summary"]) if "summary" in e else None
            else:
                got_summary = html_text(e.get("summary"), e.get("summary_detail"))
            problems.check(i, "summary", a["summary"], got_summary)

        contents = e.get("content") or []
        if cfg["full_content"]:
            check_content(problems, i, "content", contents[0].get("value") if contents else None, ctas)
        elif contents:
            problems.mismatch(i, "content", "none (full_content = false)", contents[0].get("value"))

        problems.check(i, "image url", a["image_url"], fp_image(e))

        if a["comments_count"] is not None or kind == "rss":
            want = str(a["comments_count"]) if a["comments_count"] is not None else None
            got = e.get("slash_comments") if kind == "rss" else e.get("thr_total")
            problems.check(i, "comment count", want, got)
        if kind == "rss":
            problems.check(i, "comments url", a["comments_url"], e.get("comments"))
        else:
            replies = [l.get("href") for l in e.get("links", []) if l.get("rel") == "replies"]
            problems.check(i, "replies link", [a["comments_url"]] if a["comments_url"] else [], replies)
    report.file_done(path, len(entries), problems)


def check_json_feed(path, expected, cfg, report, category=None):
    problems = Problems()
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        problems.mismatch(None, "file", "present", MISSING)
        report.file_done(path, 0, problems)
        return
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        problems.mismatch(None, "json", "valid JSON", str(exc))
        report.file_done(path, 0, problems)
        return
    problems.check(None, "version", JSONFEED_VERSION, doc.get("version"))
    items = doc.get("items")
    if not isinstance(items, list):
        problems.mismatch(None, "items", "a list", items)
        items = []
    problems.check(None, "item count", len(expected), len(items))

    def when(value):
        if not isinstance(value, str):
            return value
        try:
            dt = datetime.fromisoformat(value)
        except ValueError:
            return f"unparsable {value!r}"
        if dt.tzinfo is None:
            return f"no offset in {value!r}"
        return dt.astimezone(timezone.utc)

    for i, (it, a) in enumerate(zip(items, expected)):
        problems.check(i, "id", a["id"], it.get("id"))
        problems.check(i, "url", a["url"], it.get("url"))
        problems.check(i, "title", a["title"], it.get("title"))
        if a["summary"] is not None:
            problems.check(i, "summary", a["summary"], it.get("summary"))
        problems.check(i, "date_published", a["published"].astimezone(timezone.utc),
                       when(it.get("date_published")))
        problems.check(i, "date_modified", a["updated"].astimezone(timezone.utc),
                       when(it.get("date_modified")))
        problems.check(i, "tags", a["categories"], it.get("tags", []))
        if category is not None and category[1] not in (it.get("tags") or []):
            problems.mismatch(i, "tags", f"includes {category[1]!r}", it.get("tags"))
        got_authors = [plain(x.get("name")) for x in it.get("authors", []) if isinstance(x, dict)]
        if set(got_authors) != set(a["authors"]):
            problems.mismatch(i, "authors", a["authors"], got_authors)
        problems.check(i, "image", a["image_url"], it.get("image"))
        if cfg["full_content"]:
            check_content(problems, i, "content_html", it.get("content_html"), cfg["ctas"])
        elif "content_html" in it:
            problems.mismatch(i, "content_html", "none (full_content = false)", it["content_html"])
    report.file_done(path, len(items), problems)


def merge_case(articles):
    """Category names that differ only by case are one category, spelt as
    first used in source order (of several in one article, the first in
    code point order): every article's categories take that spelling."""
    kept = {}
    for a in articles:
        new = {}
        for c in a["categories"]:
            key = c.lower()
            if key not in kept and (key not in new or c < new[key]):
                new[key] = c
        kept.update(new)
        spelt = []
        for c in a["categories"]:
            if kept[c.lower()] not in spelt:
                spelt.append(kept[c.lower()])
        a["categories"] = spelt


def category_name(cat_dir, slug, articles):
    """The category a folder is for: the label its Atom entries give the
    term equal to the folder's name; else the input name slugifying to it."""
    atom = os.path.join(cat_dir, "atom.xml")
    if os.path.isfile(atom):
        for e in feedparser.parse(atom).entries:
            for t in e.get("tags") or []:
                if t.get("term") == slug and t.get("label"):
                    return plain(t["label"])
    for a in articles:
        for c in a["categories"]:
            if slugify(c) == slug:
                return c
    return None


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    site_dir = os.path.abspath(argv[1])
    now = None
    if len(argv) == 3:
        try:
            now = datetime.fromisoformat(argv[2])
        except ValueError:
            print(f"not an RFC 3339 date-time: {argv[2]!r}", file=sys.stderr)
            return 2
        if now.tzinfo is None:
            print(f"--now needs an offset: {argv[2]!r}", file=sys.stderr)
            return 2

    with open(os.path.join(site_dir, "feed.toml"), "rb") as f:
        conf = tomllib.load(f)
    site = conf.get("site", {})
    content = conf.get("content", {})
    feeds = conf.get("feeds", {})
    tz = ZoneInfo(site.get("timezone", "UTC"))
    source = content.get("source", "markdown")
    src_path = os.path.join(site_dir, content.get("path", "content"))
    try:
        if source == "markdown":
            articles = load_markdown(src_path, tz, site_dir)
        elif source == "jsonl":
            articles = load_jsonl(src_path, tz, site_dir)
        else:
            print(f"content source {source!r} is not checked by this script", file=sys.stderr)
            return 2
    except InputError as exc:
        print(f"bad input: {exc}", file=sys.stderr)
        return 2

    live = [a for a in articles if not a["draft"] and (now is None or a["published"] <= now)]
    if feeds.get("per_category", True):
        merge_case(live)
    max_items = int(feeds.get("max_items", 50))
    cfg = {
        "ctas": conf.get("cta", []),
        "full_content": feeds.get("full_content", True),
        "description": plain(site.get("description", "")),
        "notes": set(),
    }
    out = os.path.join(site_dir, feeds.get("output_dir", "public"))
    report = Report(site_dir)
    main_expected = ordered(live, max_items)

    check_xml_feed(os.path.join(out, "feed.xml"), "rss", main_expected, cfg, report)
    check_xml_feed(os.path.join(out, "atom.xml"), "atom", main_expected, cfg, report)
    check_json_feed(os.path.join(out, "feed.json"), main_expected, cfg, report)

    if feeds.get("per_category", True):
        cat_root = os.path.join(out, "category")
        dirs = sorted(d for d in os.listdir(cat_root)
                      if os.path.isdir(os.path.join(cat_root, d))) if os.path.isdir(cat_root) else []
        names = sorted({c for a in live for c in a["categories"]})
        problems = Problems()
        for name in names:
            slug = slugify(name)
            if slug is not None and slug not in dirs:
                problems.append(f"category {name!r}: expected folder {slug!r}, got {MISSING}")
        for slug in dirs:
            cat_dir = os.path.join(cat_root, slug)
            name = category_name(cat_dir, slug, live)
            if name is None or name not in names:
                problems.append(f"folder {slug!r}: stale, no published article has "
                                f"category {name!r}" if name else
                                f"folder {slug!r}: matches no category of a published article")
                continue
            expected = ordered([a for a in live if name in a["categories"]], max_items)
            check_xml_feed(os.path.join(cat_dir, "feed.xml"), "rss", expected, cfg, report, (slug, name))
            check_xml_feed(os.path.join(cat_dir, "atom.xml"), "atom", expected, cfg, report, (slug, name))
            check_json_feed(os.path.join(cat_dir, "feed.json"), expected, cfg, report, (slug, name))
        if problems:
            # Only reported when wrong: the folder is not a file of its own.
            report.file_done(cat_root, len(dirs), problems, unit="folders")

    for note in sorted(cfg["notes"]):
        print(f"note: {note}")
    print(f"{report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
