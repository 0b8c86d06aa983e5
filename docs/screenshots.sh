#!/usr/bin/env bash
# Makes the README's pictures from the sample site: builds it into a
# temporary folder, then photographs the morning's edition (the email at
# 600 px, as a mail client shows it) and the subscribe page with Debian's
# headless Chromium. Run it from anywhere after a change to the templates
# or the sample: `docs/screenshots.sh` (MATINALE=path/to/matinale to use a
# binary already built; CHROMIUM=… for another browser binary).
set -euo pipefail
cd "$(dirname "$0")/.."
now=2026-11-26T07:30:00+01:00
if [ -z "${MATINALE:-}" ]; then
  cargo build --quiet
  MATINALE="$PWD/target/debug/matinale"
fi
chromium=${CHROMIUM:-/usr/bin/chromium}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r feed.toml content "$work/"
(cd "$work" && "$MATINALE" --quiet --now "$now" build)

# The sample's images are on the live site: offline, each becomes a plain
# tinted block (its width and height attributes keep the layout), in a
# copy of the page made for the picture.
placeholder="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='16' height='9'%3E%3Crect width='16' height='9' fill='%23ddd6f0'/%3E%3C/svg%3E"
offline() { # FILE -> FILE.offline.html
  sed -E "s|src=\"https://[^\"]+\.(jpg\|jpeg\|png\|webp)\"|src=\"$placeholder\"|g" "$1" > "$1.offline.html"
  echo "$1.offline.html"
}
shot() { # OUT.png WIDTHxHEIGHT FILE
  "$chromium" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --force-device-scale-factor=1 --default-background-color=ffffffff \
    --no-first-run --disable-background-networking --disable-component-update \
    --window-size="${2/x/,}" --screenshot="$PWD/$1" "file://$3" 2>/dev/null
  echo "wrote $1"
}
shot docs/edition.png 640x1100 "$(offline "$work/out/newsletter/2026-11-26.html")"
shot docs/subscribe.png 1000x1100 "$(offline "$work/public/abonnement/index.html")"
