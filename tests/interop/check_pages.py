#!/usr/bin/env python3
"""Check the pages matinale writes into a built site: the subscribe page, the
newsletter archive, the <head>, call-to-action and signup partials, the web
copies' signup form, and the feeds of newsletter editions.

Usage: check_pages.py SITE_DIR

SITE_DIR holds feed.toml and its already built outputs: the feeds' folder
([feeds] output_dir, default "public") and the newsletter ledger
([newsletter] output_dir, default "out/newsletter", /ledger.json).

This is an independent check: it lists the feeds that are on disk, reads the
ledger and feed.toml itself, parses the HTML with Python's html.parser (so
entities are decoded as a browser decodes them, and only attributes and text
count, never a match in raw markup), the feeds with `feedparser` and JSON
Feed with `json`. It prints one "ok ..." or "FAIL ..." line per check, each
failure's details indented below it, notes, a short summary and a final
line "N passed, M failed"; the exit code is 1 when anything failed, 2 on a
usage error, else 0.

Needs Python >= 3.11 (tomllib) and `pip install feedparser`.
"""
import json
import os
import re
import sys
import tomllib
import warnings
from datetime import datetime, timezone
from html.parser import HTMLParser
from urllib.parse import quote, unquote, urlsplit, urlunsplit
from xml.etree import ElementTree

try:
    import feedparser
except ImportError:  # pragma: no cover - environment problem, not a check
    sys.exit("check_pages.py needs feedparser: pip install feedparser")

warnings.filterwarnings("ignore", category=DeprecationWarning, module="feedparser")

from report import Report  # noqa: E402  (beside this script)

FEED_FILES = {"feed.xml": "application/rss+xml", "atom.xml": "application/atom+xml",
              "feed.json": "application/feed+json"}
FEEDLY = "https://feedly.com/i/subscription/feed%2F"
INOREADER = "https://www.inoreader.com/?add_feed="
_SPACE_RUN = re.compile(r"\s+")


def collapse(s):
    """Whitespace-insensitive form of a text: HTML layout is not content."""
    return _SPACE_RUN.sub(" ", s or "").strip()


def url_norm(u):
    """A URL as a WHATWG serializer writes it (matinale's `Url` does): scheme
    and host lowercased, an empty path is "/". Spelling the same URL in
    feed.toml without the slash must not fail a check."""
    p = urlsplit(u.strip())
    return urlunsplit((p.scheme.lower(), p.netloc.lower(), p.path or "/", p.query, p.fragment))


# --- HTML, as a browser sees it ------------------------------------------
class Page(HTMLParser):
    """Every start tag in order with its (decoded) attributes; the text of
    <a>, <button>, <title> and <h1> elements; the page's text outside
    <script>/<style>; the contents of <style>; declarations."""
    CAPTURE = {"a", "button", "title", "h1"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements, self.open, self.texts, self.styles, self.decls = [], [], [], [], []
        self.raw_in = None  # "script" or "style" while inside one

    def handle_starttag(self, tag, attrs):
        el = {"tag": tag, "attrs": {k: v or "" for k, v in attrs}, "parts": []}
        self.elements.append(el)
        if tag in self.CAPTURE:
            self.open.append(el)
        if tag in ("script", "style"):
            self.raw_in = tag

    def handle_endtag(self, tag):
        if tag == self.raw_in:
            self.raw_in = None
        # Close the innermost open element of that name (and any left open in it).
        for i in range(len(self.open) - 1, -1, -1):
            if self.open[i]["tag"] == tag:
                del self.open[i:]
                break

    def handle_data(self, data):
        if self.raw_in == "style":
            self.styles.append(data)
        if self.raw_in:
            return
        self.texts.append(data)
        for el in self.open:
            el["parts"].append(data)

    def handle_decl(self, decl):
        self.decls.append(decl)

    handle_pi = handle_decl

    # Views used by the checks ------------------------------------------
    def all(self, tag):
        return [e for e in self.elements if e["tag"] == tag]

    @property
    def text(self):
        return collapse("".join(self.texts))

    def links(self):
        """(href, link text) of every <a href>, in document order."""
        return [(e["attrs"]["href"], element_text(e)) for e in self.all("a") if "href" in e["attrs"]]

    def hrefs(self):
        return [h for h, _ in self.links()]


def element_text(el):
    return collapse("".join(el["parts"]))


def parse_html(path):
    if not os.path.isfile(path):
        return None
    page = Page()
    with open(path, encoding="utf-8") as f:
        page.feed(f.read())
    page.close()
    return page


def missing_page(problems, name, page, rel):
    if page is None:
        problems.append(f"{name} {rel}: missing")
        return True
    return False


# --- Checks --------------------------------------------------------------
def list_feeds(out):
    """The feed files on disk, as (relative path, group): group is "main",
    "category" or "newsletter". Walks the folders rather than trusting
    feed.toml, so a feed left behind by an earlier build is caught too."""
    found = [(n, "main") for n in FEED_FILES if os.path.isfile(os.path.join(out, n))]
    cat_root = os.path.join(out, "category")
    if os.path.isdir(cat_root):
        for slug in sorted(os.listdir(cat_root)):
            found += [(f"category/{slug}/{n}", "category") for n in FEED_FILES
                      if os.path.isfile(os.path.join(cat_root, slug, n))]
    found += [(f"newsletter/{n}", "newsletter") for n in FEED_FILES
              if os.path.isfile(os.path.join(out, "newsletter", n))]
    return found


def reader_link(problems, hrefs, what, expected, same):
    """An exact reader link; when only an equivalent one is there (same(href)
    true), say precisely how it is spelt rather than accept it."""
    if expected in hrefs:
        return
    alike = [h for h in hrefs if h != expected and same(h)]
    if alike:
        problems.append(f"{what}: expected href {expected!r}, found the equivalent "
                        f"but differently encoded {alike[0]!r}")
    else:
        problems.append(f"{what}: no link {expected!r}")


def check_feed_links(report, sub, sub_rel, feeds, base):
    """1. Every feed on disk is offered on the subscribe page; the main and
    category RSS feeds also with one-click Feedly / Inoreader / feed: links."""
    problems = []
    if not missing_page(problems, "subscribe page", sub, sub_rel):
        hrefs = sub.hrefs()
        shown = set(hrefs) | {e["attrs"].get("value") for e in sub.all("input")} \
            | {e["attrs"].get("data-copy") for e in sub.all("button")}
        text = sub.text
        for rel, group in feeds:
            url = base + rel
            if url not in shown and url not in text:
                problems.append(f"{rel}: {url!r} is no link, field, copy button or text")
            if group == "newsletter" or not rel.endswith("feed.xml"):
                continue
            enc = quote(url, safe="")
            reader_link(problems, hrefs, f"{rel} Feedly", FEEDLY + enc,
                        lambda h: h.startswith("https://feedly.com/i/subscription/feed")
                        and unquote(h) == unquote(FEEDLY + enc))
            reader_link(problems, hrefs, f"{rel} Inoreader", INOREADER + enc,
                        lambda h: h.startswith("https://www.inoreader.com/?add_feed=")
                        and unquote(h[len(INOREADER):]) == url)
            reader_link(problems, hrefs, f"{rel} feed:", "feed:" + url,
                        lambda h: h.startswith("feed:") and (unquote(h[5:]) == url or
                                                            h == "feed:" + url.split(":", 1)[1]))
    n_readers = sum(1 for rel, g in feeds if g != "newsletter" and rel.endswith("feed.xml"))
    report.done("1 subscribe page offers every feed on disk", problems,
                f"{len(feeds)} feeds, {n_readers} with Feedly/Inoreader/feed: links")


def check_ctas(report, ctas, sub, sub_rel, cta_page, cta_rel, signup, form_pages):
    """2. Each call to action, text and link, on the subscribe page and in the
    partial sites include in their article pages. With [newsletter.signup],
    the newsletter's call to action leads to the signup form: on a page
    that carries the form, to it (#inscription) or the form follows it; one
    that led to the archive or the subscribe page leads to the form there."""
    problems = []
    pages = [(sub_rel, sub), (cta_rel, cta_page)]
    for rel, page in pages:
        if missing_page(problems, "page", page, rel):
            continue
        text, hrefs = page.text, page.hrefs()
        for cta in ctas:
            name = cta.get("id", "?")
            want = collapse(cta.get("text", ""))
            if want not in text:
                problems.append(f"{rel}: call to action {name!r}: text {want!r} not in the page's text")
            url = cta.get("url")
            if signup and name == "newsletter" and url:
                to_form = url_norm(url) in {url_norm(u) for u in form_pages}
                wanted = [url_norm(url) + SIGNUP_ANCHOR, SIGNUP_ANCHOR] if to_form else [url]
                if not any(url_norm(h) in wanted or h in wanted for h in hrefs) and not page.all("form"):
                    problems.append(f"{rel}: call to action 'newsletter': neither a link to {wanted[0]!r} nor a form")
            elif url and url not in hrefs:
                problems.append(f"{rel}: call to action {name!r}: no link to {url!r}")
    report.done("2 calls to action on the subscribe page and in the partial", problems,
                f"{len(ctas)} call(s) to action")


SIGNUP_ANCHOR = "#inscription"


def check_signup(report, signup, pages):
    """9. With [newsletter.signup], each page that carries the form (the
    subscribe page, the archive, every web copy, the cta and signup
    partials) holds exactly one, posting to `action`, with an e-mail field
    named `email_field` (required, a label naming it), the hidden `fields`
    and a submit button, and with `mailto` the join link; without it, no
    form and no join link at all."""
    problems = []
    for rel, page in pages:
        if missing_page(problems, "page", page, rel):
            continue
        forms = page.all("form")
        joins = [h for h in page.hrefs() if h.startswith("mailto:") and h.endswith("?subject=subscribe")]
        if not signup:
            if forms or joins:
                problems.append(f"{rel}: {len(forms)} form(s), {len(joins)} join link(s) without [newsletter.signup]")
            continue
        if len(forms) != 1:
            problems.append(f"{rel}: {len(forms)} forms, expected 1")
            continue
        # The form's fields: the elements after its start tag, up to the next
        # form (there is none: one per page) or the end.
        start = page.elements.index(forms[0])
        inside, labels = [], {}
        for el in page.elements[start + 1:]:
            if el["tag"] in ("input", "button", "select", "textarea"):
                inside.append(el)
        for el in page.all("label"):
            labels[el["attrs"].get("for", "")] = el
        a = forms[0]["attrs"]
        if a.get("method", "").lower() != "post":
            problems.append(f"{rel}: method {a.get('method')!r}, expected post")
        if a.get("action") != signup["action"]:
            problems.append(f"{rel}: action {a.get('action')!r}, expected {signup['action']!r}")
        field = signup.get("email_field", "email")
        emails = [e for e in inside if e["tag"] == "input" and e["attrs"].get("type") == "email"]
        if len(emails) != 1 or emails[0]["attrs"].get("name") != field:
            problems.append(f"{rel}: e-mail fields {[e['attrs'] for e in emails]}, expected one named {field!r}")
        else:
            e = emails[0]["attrs"]
            if "required" not in e:
                problems.append(f"{rel}: the e-mail field is not required")
            if e.get("id", "") not in labels:
                problems.append(f"{rel}: no <label for={e.get('id')!r}>")
        hidden = sorted((e["attrs"].get("name"), e["attrs"].get("value", ""))
                        for e in inside if e["tag"] == "input" and e["attrs"].get("type") == "hidden")
        want = sorted((k, str(v)) for k, v in (signup.get("fields") or {}).items())
        if hidden != want:
            problems.append(f"{rel}: hidden fields {hidden}, expected {want}")
        if not [e for e in inside if e["tag"] == "button" and e["attrs"].get("type") == "submit"]:
            problems.append(f"{rel}: no submit button")
        mailto = (signup.get("mailto") or "").strip()
        want_joins = [f"mailto:{mailto}?subject=subscribe"] if mailto else []
        if joins != want_joins:
            problems.append(f"{rel}: join links {joins}, expected {want_joins}")
    report.done("9 the signup form on every page that carries it" if signup
                else "9 no signup form without [newsletter.signup]", problems,
                f"{len(pages)} page(s)")


def check_head(report, head, head_rel, feeds, base):
    """3. The <head> partial announces each feed once, with its type, and
    holds nothing a site could not paste into its own <head>."""
    problems = []
    if not missing_page(problems, "partial", head, head_rel):
        if head.decls:
            problems.append(f"declarations not allowed: {head.decls}")
        for e in head.elements:
            if e["tag"] != "link":
                problems.append(f"<{e['tag']}> element: only <link> tags belong here")
        if head.text:
            problems.append(f"text outside tags: {head.text[:80]!r}")
        by_href = {}  # announced feed URL -> its <link rel=alternate> tags' attributes
        for e in head.all("link"):
            if "alternate" in e["attrs"].get("rel", "").lower().split():
                by_href.setdefault(e["attrs"].get("href"), []).append(e["attrs"])
        for rel, _ in feeds:
            url = base + rel
            found = by_href.pop(url, [])
            # The newsletter's JSON Feed is optional in <head>: a reader offered
            # the RSS and Atom of the same editions needs no third copy.
            if rel == "newsletter/feed.json" and not found:
                report.notes.append(f"{head_rel} does not announce {rel} (RSS and Atom of "
                                    "the editions are announced)")
                continue
            if len(found) != 1:
                problems.append(f"{rel}: expected one <link rel=alternate href={url!r}>, got {len(found)}")
            want_type = FEED_FILES[rel.rsplit("/", 1)[-1]]
            for a in found:
                if a.get("type") != want_type:
                    problems.append(f"{rel}: type expected {want_type!r}, got {a.get('type')!r}")
        for href in by_href:
            problems.append(f"<link rel=alternate href={href!r}>: no such feed on disk "
                            f"(or not absolute under {base!r})")
    report.done(f"3 {head_rel} announces every feed on disk", problems,
                f"{len(feeds)} feed(s)")


_EXTERNAL_CSS = re.compile(r"@import|url\(\s*['\"]?\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)


def check_standalone(report, page, rel, language, logo):
    """4. A page that stands alone: language, viewport, title, one <h1>, no
    resource fetched from elsewhere (the logo aside), accessible images and
    buttons."""
    problems = []
    if not missing_page(problems, "page", page, rel):
        htmls = page.all("html")
        lang = htmls[0]["attrs"].get("lang") if htmls else None
        if lang != language:
            problems.append(f"<html lang>: expected {language!r}, got {lang!r}")
        if not any(e["attrs"].get("name", "").lower() == "viewport" for e in page.all("meta")):
            problems.append("no <meta name=viewport>")
        titles = page.all("title")
        if len(titles) != 1 or not element_text(titles[0]):
            problems.append(f"expected one non-empty <title>, got {[element_text(t) for t in titles]}")
        for e in page.all("script"):
            if "src" in e["attrs"]:
                problems.append(f"<script src={e['attrs']['src']!r}>")
        for e in page.all("link"):
            if "stylesheet" in e["attrs"].get("rel", "").lower().split():
                problems.append(f"<link rel=stylesheet href={e['attrs'].get('href')!r}>")
        # Inline CSS, in <style> or in style="" attributes, must not fetch.
        css = page.styles + [e["attrs"]["style"] for e in page.elements if "style" in e["attrs"]]
        for block in css:
            for m in _EXTERNAL_CSS.finditer(block):
                problems.append(f"CSS fetches from elsewhere: {block[m.start():m.start() + 60]!r}")
        for e in page.all("img"):
            src = e["attrs"].get("src")
            if src is not None and (not logo or url_norm(src) != url_norm(logo)):
                problems.append(f"<img src={src!r}>: only the site's logo {logo!r} may be loaded")
            if "alt" not in e["attrs"]:
                problems.append(f"<img src={src!r}> has no alt")
        for e in page.all("button"):
            if not element_text(e) and not e["attrs"].get("aria-label", "").strip():
                problems.append(f"<button {e['attrs']}> has neither text nor aria-label")
        h1 = page.all("h1")
        if len(h1) != 1:
            problems.append(f"expected exactly one <h1>, got {len(h1)}")
    report.done(f"4 {rel} stands alone and is accessible", problems, f"lang={language!r}")


def rss_titles(path):
    """Each item's <title> as the XML says it. feedparser guesses HTML for a
    plain-text RSS title holding an entity or a closing tag and sanitizes
    it: a reader's heuristic, not what the feed says."""
    try:
        return [i.findtext("title") for i in ElementTree.parse(path).getroot().iter("item")]
    except (ElementTree.ParseError, OSError):
        return []


def entry_titles(d, path):
    raw = rss_titles(path) if d.get("version", "").startswith("rss") else []
    titles = []
    for i, e in enumerate(d.entries):
        guessed = (e.get("title_detail") or {}).get("type") == "text/html"
        titles.append(collapse(raw[i] if guessed and i < len(raw) else e.get("title")))
    return titles


def check_latest(report, sub, sub_rel, out):
    """5. The newest articles of the main RSS feed, as links titled alike."""
    problems = []
    path = os.path.join(out, "feed.xml")
    d = feedparser.parse(path) if os.path.isfile(path) else None
    if d is None:
        problems.append("feed.xml: missing")
    elif not missing_page(problems, "subscribe page", sub, sub_rel):
        links = sub.links()
        titles = entry_titles(d, path)
        for i, e in enumerate(d.entries[:10]):
            link, title = e.get("link"), titles[i]
            texts = [t for h, t in links if h == link]
            if not texts:
                problems.append(f"feed.xml entry {i}: no link to {link!r}")
            elif not any(title in t for t in texts):
                problems.append(f"feed.xml entry {i}: link {link!r} does not say {title!r} (says {texts})")
    n = min(10, len(d.entries)) if d else 0
    report.done("5 subscribe page lists the latest articles of feed.xml", problems, f"{n} article(s)")


def check_newsletter_links(report, sub, sub_rel, editions, base):
    """6. The subscribe page leads to the latest edition and to the archive."""
    problems = []
    if not missing_page(problems, "subscribe page", sub, sub_rel):
        wanted = [base + "newsletter/"]
        if editions:
            wanted.append(f"{base}newsletter/{editions[0]['date']}.html")
        hrefs = sub.hrefs()
        problems += [f"no link to {u!r}" for u in wanted if u not in hrefs]
    report.done("6 subscribe page links the newsletter", problems,
                f"latest edition {editions[0]['date']}" if editions else "archive (no edition yet)")


def check_archive(report, arch, arch_rel, editions, base, out):
    """7. The archive lists every edition, newest first, each linking its web
    copy, which exists."""
    problems = []
    copy_re = re.compile(re.escape(base + "newsletter/") + r"(\d{4}-\d{2}-\d{2})\.html")
    for ed in editions:
        if not os.path.isfile(os.path.join(out, "newsletter", f"{ed['date']}.html")):
            problems.append(f"web copy newsletter/{ed['date']}.html: missing on disk")
    if not missing_page(problems, "archive", arch, arch_rel):
        # The order of first appearance of each web copy link.
        listed = []
        for h in arch.hrefs():
            m = copy_re.fullmatch(h)
            if m and m.group(1) not in listed:
                listed.append(m.group(1))
        want = [ed["date"] for ed in editions]
        problems += [f"edition {d}: no link to its web copy" for d in want if d not in listed]
        problems += [f"edition {d}: linked, but not in the ledger" for d in listed if d not in want]
        shown = [d for d in listed if d in want]
        if shown != [d for d in want if d in shown]:
            problems.append(f"order: expected newest first {want}, got {shown}")
    report.done(f"7 {arch_rel} lists every edition", problems, f"{len(editions)} edition(s)")


def show(v):
    return v.isoformat() if isinstance(v, datetime) else repr(v)


def aware(s):
    try:
        dt = datetime.fromisoformat(s)
    except (TypeError, ValueError):
        return f"unparsable {s!r}"
    return dt.astimezone(timezone.utc) if dt.tzinfo else f"no offset in {s!r}"


def check_editions_feed(report, path, rel, editions, base, hub):
    """8. A feed of newsletter editions: one entry per edition, newest first,
    linking its web copy, titled with its subject, published at its cutoff,
    with a hub link exactly when a WebSub hub is configured."""
    problems = []
    if not os.path.isfile(path):
        if editions:
            problems.append("missing")
        else:
            report.notes.append(f"{rel} not written (the ledger has no edition)")
            return
    else:
        if rel.endswith(".json"):
            try:
                with open(path, encoding="utf-8") as f:
                    doc = json.load(f)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                doc = {}
                problems.append(f"not JSON: {exc}")
            entries = [{"link": it.get("url"), "title": collapse(it.get("title")),
                        "published": aware(it.get("date_published"))}
                       for it in doc.get("items") or [] if isinstance(it, dict)]
            hubs = [h.get("url") for h in doc.get("hubs") or [] if isinstance(h, dict)]
        else:
            d = feedparser.parse(path)
            if d.bozo:
                problems.append(f"bozo: {type(d.bozo_exception).__name__}: {d.bozo_exception}")
            # feedparser gives published_parsed in UTC.
            entries = [{"link": e.get("link"), "title": t,
                        "published": datetime(*e.published_parsed[:6], tzinfo=timezone.utc)
                        if e.get("published_parsed") else None}
                       for e, t in zip(d.entries, entry_titles(d, path))]
            hubs = [l.get("href") for l in d.feed.get("links", []) if l.get("rel") == "hub"]
        if len(entries) != len(editions):
            problems.append(f"entry count: expected {len(editions)}, got {len(entries)}")
        for i, (e, ed) in enumerate(zip(entries, editions)):
            want = {"link": f"{base}newsletter/{ed['date']}.html", "published": aware(ed.get("cutoff"))}
            if ed.get("subject"):
                want["title"] = collapse(ed["subject"])
            for field, value in want.items():
                if e[field] != value:
                    problems.append(f"entry {i} ({ed['date']}): {field}: expected {show(value)}, "
                                    f"got {show(e[field])}")
        want_hubs = [url_norm(hub)] if hub else []
        if [url_norm(h or "") for h in hubs] != want_hubs:
            problems.append(f"hub: expected {want_hubs}, got {hubs}")
    report.done(f"8 {rel} carries every edition", problems, f"{len(editions)} edition(s)")


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[4], file=sys.stderr)
        return 2
    site_dir = os.path.abspath(argv[1])
    try:
        with open(os.path.join(site_dir, "feed.toml"), "rb") as f:
            conf = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        print(f"cannot read {argv[1]}/feed.toml: {exc}", file=sys.stderr)
        return 2
    site, feeds_conf = conf.get("site", {}), conf.get("feeds", {})
    news_conf = conf.get("newsletter", {})
    base = (feeds_conf.get("base_url") or "").strip() or site.get("url", "")
    base = base if base.endswith("/") else base + "/"
    out = os.path.join(site_dir, feeds_conf.get("output_dir", "public"))
    out_rel = os.path.relpath(out, site_dir)
    sub_path = site.get("subscribe_path", "abonnement/").strip("/")
    hub = (feeds_conf.get("websub_hub") or "").strip() or None  # "" means none
    ledger_path = os.path.join(site_dir, news_conf.get("output_dir", "out/newsletter"), "ledger.json")

    report = Report()
    editions = []
    if os.path.isfile(ledger_path):
        try:
            with open(ledger_path, encoding="utf-8") as f:
                editions = json.load(f).get("editions") or []
        except (json.JSONDecodeError, UnicodeDecodeError, AttributeError) as exc:
            report.done(os.path.relpath(ledger_path, site_dir), [f"unreadable: {exc}"])
    else:
        report.notes.append(f"no ledger at {os.path.relpath(ledger_path, site_dir)}: no edition expected")
    # Newest first, whatever order the ledger keeps them in (dates are ISO).
    editions = sorted(editions, key=lambda ed: ed.get("date", ""), reverse=True)

    def page(*parts):
        rel = os.path.join(out_rel, *parts)
        return parse_html(os.path.join(site_dir, rel)), rel

    sub, sub_rel = page(sub_path, "index.html")
    arch, arch_rel = page("newsletter", "index.html")
    head, head_rel = page("_partials", "head.html")
    cta_page, cta_rel = page("_partials", "cta.html")
    signup_page, signup_rel = page("_partials", "signup.html")
    signup = news_conf.get("signup")
    feeds = list_feeds(out)
    language, logo = site.get("language", "en"), site.get("logo")

    check_feed_links(report, sub, sub_rel, feeds, base)
    form_pages = [base + sub_path + "/", base + "newsletter/"]
    check_ctas(report, conf.get("cta", []), sub, sub_rel, cta_page, cta_rel, signup, form_pages)
    check_head(report, head, head_rel, feeds, base)
    check_standalone(report, sub, sub_rel, language, logo)
    check_standalone(report, arch, arch_rel, language, logo)
    check_latest(report, sub, sub_rel, out)
    check_newsletter_links(report, sub, sub_rel, editions, base)
    check_archive(report, arch, arch_rel, editions, base, out)
    for name in FEED_FILES:
        check_editions_feed(report, os.path.join(out, "newsletter", name),
                            os.path.join(out_rel, "newsletter", name), editions, base, hub)

    web_copies = [page("newsletter", f"{ed['date']}.html") for ed in editions if ed.get("date")]
    check_signup(report, signup, [(sub_rel, sub), (arch_rel, arch), (cta_rel, cta_page),
                                  (signup_rel, signup_page)] + [(r, p) for p, r in web_copies])

    for note in report.notes:
        print(f"note: {note}")
    groups = {g: sum(1 for _, x in feeds if x == g) for g in ("main", "category", "newsletter")}
    print(f"checked {sub_rel}, {arch_rel}, {head_rel}, {cta_rel}; feeds on disk: "
          f"{groups['main']} main, {groups['category']} category, {groups['newsletter']} newsletter; "
          f"{len(editions)} edition(s) in the ledger; base {base}")
    print(f"{report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
