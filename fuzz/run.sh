#!/usr/bin/env bash
# Runs every fuzz target for SECONDS (default 30), starting from seeds made
# of the repository's own fixtures (and, for request heads, three written
# here). A crash or a failed property stops it
# with libFuzzer's report; the input that did it is in
# fuzz/artifacts/<target>/, and `cargo fuzz run <target> <that file>`
# replays it.
#
# Needs cargo-fuzz (`cargo install cargo-fuzz --locked`). libFuzzer's
# instrumentation needs unstable flags: RUSTC_BOOTSTRAP=1 lets the stable
# toolchain take them. Without a sanitizer (-s none): the targets look for
# panics and broken outputs, and the crate has no unsafe code of its own.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-30}
export RUSTC_BOOTSTRAP=1

seed() {
  local target=$1; shift
  mkdir -p "corpus/$target"
  local n=0
  for f in "$@"; do
    n=$((n + 1))
    cp "$f" "corpus/$target/seed-$n-$(basename "$f")"
  done
}
seed markdown ../content/*.md ../tests/fixtures/invalid-markdown/content/*.md \
  ../tests/fixtures/hugo/content/posts/*.md ../tests/fixtures/jekyll/_posts/*.md
seed jsonl ../tests/fixtures/hostile/articles.jsonl ../tests/fixtures/invalid-jsonl/*.jsonl
seed foreign_feed ../tests/fixtures/feed-source/feeds/*
seed feed_toml ../feed.toml ../tests/fixtures/*/feed.toml
mkdir -p corpus/request_head
printf 'GET /feed.xml HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nIf-None-Match: "1a-2b"\r\n\r\n' >corpus/request_head/seed-get
printf 'HEAD //category?x=1 HTTP/1.0\n\n' >corpus/request_head/seed-head
printf 'GET /caf%%C3%%A9/%%2e%%2e/abonn\xc3\xa9 HTTP/1.1\r\nIf-Modified-Since: Thu, 26 Nov 2026 06:30:00 GMT\r\n\r\n' >corpus/request_head/seed-escapes

# Each target writes its site under /dev/shm (or /tmp) in a folder named
# after its process, which libFuzzer's time limit ends without a clean-up:
# the folders this run made are removed when it ends, however it ends.
scratch() { ls -d /dev/shm/matinale-fuzz-* /tmp/matinale-fuzz-* 2>/dev/null | sort || true; }
before=$(scratch)
trap 'comm -13 <(echo "$before") <(scratch) | xargs -r rm -rf' EXIT

cargo fuzz build -s none
mkdir -p logs
for target in markdown jsonl foreign_feed feed_toml request_head; do
  echo "==> fuzz $target for ${seconds} s"
  log="logs/$target.log"
  if ! cargo fuzz run -s none "$target" -- -max_total_time="$seconds" -rss_limit_mb=4096 \
      -print_final_stats=1 >"$log" 2>&1; then
    tail -n 60 "$log"
    echo "FAIL fuzz $target: the input is in fuzz/artifacts/$target/"
    exit 1
  fi
  grep -E "^#[0-9]+[[:space:]]*DONE|stat::number_of_executed_units|stat::peak_rss_mb" "$log" || true
done
echo "==> every fuzz target ran ${seconds} s without a failure"
