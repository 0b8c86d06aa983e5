"""Scores editions with SpamAssassin in local mode (`spamassassin -L -t`,
no network test) and fails unless each scores 0 or less, with no rule that
scores its HTML: no `FONT_INVIS*` (text hidden by a tiny or transparent
font, the old way of hiding a preheader) and no `HTML_*` rule but the
informational HTML_MESSAGE.

Usage: python3 check_spam.py EDITION.eml [EDITION.eml ...]
"""

import re
import subprocess
import sys

DETAILS = re.compile(r"^Content analysis details:\s+\((-?[0-9.]+) points", re.M)
RULE = re.compile(r"^\s*(-?[0-9.]+)\s+([A-Z0-9_]+)\s", re.M)


def score(path):
    with open(path, "rb") as f:
        report = subprocess.run(
            ["spamassassin", "-L", "-t"],
            stdin=f,
            capture_output=True,
            check=True,
            timeout=300,
        ).stdout.decode("utf-8", "replace")
    # The report is appended to the message: read only what follows it.
    details = DETAILS.search(report)
    if not details:
        sys.exit(f"FAIL {path}: no SpamAssassin report in its output")
    rules = RULE.findall(report[details.end():])
    return float(details.group(1)), [(float(p), name) for p, name in rules]


def main(paths):
    failed = 0
    for path in paths:
        total, rules = score(path)
        bad = [
            f"{name} ({points:+.1f})"
            for points, name in rules
            if points > 0
            or name.startswith("FONT_INVIS")
            or (name.startswith("HTML_") and name != "HTML_MESSAGE")
        ]
        hits = ", ".join(name for _, name in rules)
        if total > 0 or bad:
            print(f"FAIL {path}: score {total}, rules {', '.join(bad) or hits}")
            failed += 1
        else:
            print(f"ok {path}: score {total} ({hits})")
    print(f"{len(paths) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1:]))
