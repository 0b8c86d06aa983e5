#!/usr/bin/env python3
"""Check a newsletter edition (.eml) with Python's `email` package.

Usage: check_email.py EDITION.eml

An independent reading of what matinale wrote: headers mailbox providers
require (RFC 2369 / RFC 8058 list headers, Message-ID, Date), a
multipart/alternative with the text part first, UTF-8 parts, HTML under
80 KB with alt/width/height on every image, `lang` on the document and its
`<meta charset>` within its first 1024 bytes, text lines of at most 78
columns except lines holding a URL and none starting with `? ! : ; »`
(French punctuation whose space did not bind it). Prints every
failed check and a last line "N passed, M failed"; exits 1 on any failure.
"""
import sys
from email import policy
from email.parser import BytesParser
from html.parser import HTMLParser

checks = []


def check(name, ok, detail=""):
    checks.append((name, bool(ok), detail))


class Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images = []
        self.lang = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a)
        if tag == "html":
            self.lang = a.get("lang")


def main(path):
    with open(path, "rb") as f:
        raw = f.read()
    m = BytesParser(policy=policy.default).parsebytes(raw)
    for h in ("From", "To", "Subject", "Date", "Message-ID", "List-Id", "List-Unsubscribe", "List-Unsubscribe-Post"):
        check(f"header {h}", m[h], "missing")
    check("Message-ID format", str(m["Message-ID"]).startswith("<") and "@" in str(m["Message-ID"]), m["Message-ID"])
    lu = str(m["List-Unsubscribe"] or "")
    check("List-Unsubscribe https", "<https://" in lu, lu)
    check("List-Unsubscribe mailto", "<mailto:" in lu, lu)
    check("List-Unsubscribe-Post", str(m["List-Unsubscribe-Post"]) == "List-Unsubscribe=One-Click", m["List-Unsubscribe-Post"])
    check("multipart/alternative", m.get_content_type() == "multipart/alternative", m.get_content_type())
    parts = list(m.iter_parts())
    types = [p.get_content_type() for p in parts]
    check("text then html", types == ["text/plain", "text/html"], types)
    for p in parts:
        check(f"{p.get_content_type()} is utf-8", p.get_content_charset() == "utf-8", p.get_content_charset())
    text = m.get_body(("plain",)).get_content()
    html = m.get_body(("html",)).get_content()
    long_lines = [l for l in text.splitlines() if len(l) > 78 and "://" not in l]
    check("text lines <= 78 columns", not long_lines, long_lines[:3])
    stray = [l for l in text.splitlines() if l[:1] in ("?", "!", ":", ";", "»")]
    check("no text line starts with ? ! : ; »", not stray, stray[:3])
    charset = html.find("<meta charset")
    check("<meta charset> in the first 1024 bytes", 0 <= charset < 1024, charset)
    check("html under 80 KB", len(html.encode("utf-8")) < 80 * 1024, len(html.encode("utf-8")))
    p = Images()
    p.feed(html)
    check("html lang", p.lang, "no lang on <html>")
    bad = [i.get("src") for i in p.images if not all(k in i for k in ("alt", "width", "height"))]
    check("every image has alt, width, height", not bad, bad[:3])
    check("no <style>-only styling", 'style="' in html, "no inline style attributes")
    failed = [c for c in checks if not c[1]]
    for name, _, detail in failed:
        print(f"FAIL {path}: {name}: {detail}")
    print(f"ok {path}: subject {m['Subject']!r}, {len(p.images)} images, {len(html)} bytes of HTML")
    print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
