#!/usr/bin/env python3
"""Time matinale against the two peer feed generators on the same corpus.

Usage:
    python3 benches/compare.py [--sizes 10000,100000] [--runs 3] [--bin PATH]
                               [--shared PATH]

--shared names the benchmark kit, kept outside the repository: the corpus
generator (bench/gen_corpus.py), the feed validator (bench/validate_feeds.py)
and the peers' build scripts (bench/peers/). By default it is the `shared`
folder beside the checkout.

Peers: Python `feedgen` 1.0.0 in the venv /tmp/benchvenv and npm `feed` 5.x
in /tmp/benchnode, at the exact versions pinned below. Both are installed
there, outside the repo, when missing. GNU time (/usr/bin/time, Debian
package `time`) is installed with apt-get when missing.

For each size N the corpus is generated once into
/tmp/matinale-bench/corpus-N.jsonl with the kit's generator, and two
matinale sites are written next to it, both derived from the repo's
feed.toml:
  archive-N/feed.toml   every article, site feed only (what the peers write):
                        [feeds] max_items = 0, per_category = false
  daily-N/feed.toml     the sample's daily set: max_items = 50,
                        per_category = true; runs cold
  dailywarm-N/feed.toml the daily set as a cron job runs it: like warm-N
                        below, built once without the 50 newest articles
                        and restored before each run, the whole corpus
                        then read with the memo of its lines and the
                        cache of the last run. Its feeds must be
                        byte-identical to the cold daily's.
  warm-N/feed.toml      the archive's settings, reading warm-N/articles.jsonl:
                        the incremental job. Once per size, untimed, the site
                        is built from the corpus without its 50 newest
                        articles and that state (outputs and .matinale/) is
                        kept aside in warm-N.base/; each timed run starts
                        from it (hard links: same files, so the cache still
                        trusts them) with the whole corpus, as if 50
                        articles had arrived since the last build. Its
                        feeds must be byte-identical to the cold archive's.
The archive runs cold: its outputs and .matinale/ are deleted before each.
Each tool runs as a whole process under `/usr/bin/time -f "%e %M"` (wall
seconds, peak resident KB), --runs rounds with the tools interleaved inside
each round, and the median is kept. Every run starts from an empty output
folder so that it writes everything.

After the timings, the archive outputs of the smallest size are checked with
the kit's validator (feedparser; titles, links and ids against the corpus),
and a Markdown table with the machine's facts is printed last, to paste
into docs/benchmarks.md.

Python 3.11, standard library only. Nothing is written inside the repo: the
binary is copied to /tmp/matinale-bench-bin first (so a rebuild in the tree
cannot change it during a run) and every output goes to /tmp/matinale-bench
(or --work). matinale makes its outputs durable (fsync) before it renames
them into place and the peers do not: on a slow disk that alone can bound
matinale's time; --work /dev/shm/matinale-bench shows the tools' own work.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = Path(__file__).resolve().parents[2] / "shared"
DEFAULT_BIN = REPO / "target" / "release" / "matinale"
BIN_COPY = Path("/tmp/matinale-bench-bin")
WORK = Path("/tmp/matinale-bench")
VENV = Path("/tmp/benchvenv")
VENV_PY = VENV / "bin" / "python"
BENCHNODE = Path("/tmp/benchnode")
GNU_TIME = Path("/usr/bin/time")
NOW = "2026-11-27T00:00:00+01:00"  # after the corpus' newest article (2026-11-26 06:30 +01:00)

# Exact versions: other versions give other timings than the published ones.
PY_PINS = {
    "feedgen": "1.0.0",
    "lxml": "6.1.3",
    "python-dateutil": "4.0.0",
    "feedparser": "6.0.14",
}
NPM_SPEC = "feed@5"
# Articles that arrive between the two builds of the incremental job.
ARRIVALS = 50

# (key, label) in the order they run inside a round.
TOOLS = [
    ("matinale", "matinale (archive)"),
    ("warm", "matinale (50 new)"),
    ("feedgen", "feedgen 1.0.0"),
    ("npmfeed", "npm feed 5"),
    ("daily", "matinale (daily)"),
    ("dailywarm", "matinale (daily, 50 new)"),
]


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def die(msg: str) -> None:
    log(f"compare.py: error: {msg}")
    sys.exit(1)


def run_checked(cmd: list[str], what: str, **kw) -> subprocess.CompletedProcess:
    """Run a set-up command, capture its output, die with that output if it fails."""
    log(f"  $ {' '.join(map(str, cmd))}")
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if p.returncode != 0:
        die(f"{what} failed (exit {p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


# --------------------------------------------------------------------------- setup

def ensure_gnu_time() -> None:
    if GNU_TIME.exists():
        return
    log("/usr/bin/time is missing: installing the Debian package `time`")
    if os.geteuid() != 0:
        die("/usr/bin/time is missing and this is not root: run `apt-get install time`")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run_checked(["apt-get", "update"], "apt-get update", env=env)
    run_checked(["apt-get", "install", "-y", "time"], "apt-get install time", env=env)
    if not GNU_TIME.exists():
        die("apt-get installed `time` but /usr/bin/time is still missing")


def venv_versions() -> dict[str, str | None]:
    code = ("import json, importlib.metadata as m\n"
            "out = {}\n"
            f"for n in {list(PY_PINS)!r}:\n"
            "    try: out[n] = m.version(n)\n"
            "    except m.PackageNotFoundError: out[n] = None\n"
            "print(json.dumps(out))")
    p = subprocess.run([str(VENV_PY), "-c", code], capture_output=True, text=True)
    if p.returncode != 0:
        return dict.fromkeys(PY_PINS)
    return json.loads(p.stdout)


def ensure_python_peer() -> dict[str, str | None]:
    if not VENV_PY.exists():
        log(f"creating the venv {VENV}")
        run_checked([sys.executable, "-m", "venv", VENV], "python3 -m venv")
    have = venv_versions()
    if have != PY_PINS:
        log(f"installing the Python peer into {VENV} (have {have})")
        run_checked([VENV_PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
                    + [f"{n}=={v}" for n, v in PY_PINS.items()], "pip install")
        have = venv_versions()
        if have != PY_PINS:
            die(f"{VENV} has {have} after pip install, expected {PY_PINS}")
    return have


def npm_feed_version() -> str | None:
    pj = BENCHNODE / "node_modules" / "feed" / "package.json"
    try:
        return json.loads(pj.read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError):
        return None


def ensure_node_peer() -> tuple[str, str]:
    if not shutil.which("node") or not shutil.which("npm"):
        die("node and npm are needed for the npm `feed` peer (Node >= 20)")
    node_v = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip()
    m = re.match(r"v(\d+)", node_v)
    if not m or int(m.group(1)) < 20:
        die(f"npm `feed` 5 needs Node >= 20, found {node_v or 'nothing'}")
    ver = npm_feed_version()
    if not ver or not ver.startswith("5."):
        log(f"installing the Node peer into {BENCHNODE} (have feed {ver})")
        BENCHNODE.mkdir(parents=True, exist_ok=True)
        if not (BENCHNODE / "package.json").exists():
            run_checked(["npm", "init", "-y"], "npm init", cwd=BENCHNODE)
        run_checked(["npm", "install", "--no-audit", "--no-fund", NPM_SPEC], "npm install",
                    cwd=BENCHNODE)
        ver = npm_feed_version()
        if not ver or not ver.startswith("5."):
            die(f"{BENCHNODE}: feed {ver} after npm install, expected 5.x")
    return node_v, ver


def copy_binary(src: Path) -> str:
    if not src.is_file():
        die(f"no matinale binary at {src} (build it with `cargo build --release`, or pass --bin)")
    if src.resolve() != BIN_COPY.resolve():
        tmp = BIN_COPY.with_name(BIN_COPY.name + ".part")
        shutil.copy2(src, tmp)
        os.replace(tmp, BIN_COPY)  # atomic: never a half-copied binary
    p = subprocess.run([str(BIN_COPY), "--version"], capture_output=True, text=True)
    if p.returncode != 0:
        die(f"{BIN_COPY} --version failed: {p.stderr.strip()}")
    return p.stdout.strip()


# --------------------------------------------------------------------------- inputs

def ensure_corpus(shared: Path, n: int) -> Path:
    corpus = WORK / f"corpus-{n}.jsonl"
    if corpus.exists():
        with corpus.open("rb") as f:
            lines = sum(1 for line in f if line.strip())
        if lines == n:
            return corpus
        log(f"{corpus} has {lines} articles, not {n}: generating it again")
    log(f"generating {corpus}")
    tmp = corpus.with_suffix(".part")
    with tmp.open("wb") as out:
        p = subprocess.run([sys.executable, str(shared / "bench" / "gen_corpus.py"), str(n)],
                           stdout=out, stderr=subprocess.PIPE, text=False)
    if p.returncode != 0:
        tmp.unlink(missing_ok=True)
        die(f"gen_corpus.py {n} failed: {p.stderr.decode(errors='replace')}")
    os.replace(tmp, corpus)
    return corpus


SECTION_RE = re.compile(r"^\s*\[\s*([A-Za-z0-9_.-]+)\s*\]\s*(#.*)?$")
ARRAY_RE = re.compile(r"^\s*\[\[")
KEY_RE = re.compile(r"^\s*([A-Za-z0-9_-]+)\s*=")


def derive_config(text: str, overrides: dict[str, dict[str, str]]) -> str:
    """Replace `key = ...` lines of the given [section]s; add the keys (or sections) not found."""
    out: list[str] = []
    header_at: dict[str, int] = {}  # section -> index in `out` of its header line
    done: set[tuple[str, str]] = set()
    section = ""
    for line in text.splitlines():
        m = SECTION_RE.match(line)
        if m:
            section = m.group(1)
            header_at[section] = len(out)
        elif ARRAY_RE.match(line):
            section = "[[array]]"
        else:
            k = KEY_RE.match(line)
            if k and section in overrides and k.group(1) in overrides[section]:
                key = k.group(1)
                line = f"{key} = {overrides[section][key]}"
                done.add((section, key))
        out.append(line)
    # Keys missing from an existing section go right after its header (bottom-up
    # so earlier indexes stay valid); missing sections are appended.
    for sec in sorted(overrides, key=lambda s: -header_at.get(s, -1)):
        missing = [f"{k} = {v}" for k, v in overrides[sec].items() if (sec, k) not in done]
        if not missing:
            continue
        if sec in header_at:
            i = header_at[sec] + 1
            out[i:i] = missing
        else:
            out += ["", f"[{sec}]"] + missing
    return "\n".join(out) + "\n"


def toml_str(s: str) -> str:
    return json.dumps(s)  # a JSON string is a valid TOML basic string


def write_sites(repo_toml: str, corpus: Path, n: int) -> dict[str, Path]:
    sites = {}
    for kind, max_items, per_cat in (("archive", 0, "false"), ("daily", 50, "true"),
                                     ("warm", 0, "false"), ("dailywarm", 50, "true")):
        site = WORK / f"{kind}-{n}"
        site.mkdir(parents=True, exist_ok=True)
        source = site / "articles.jsonl" if kind in ("warm", "dailywarm") else corpus
        cfg = derive_config(repo_toml, {
            "content": {"source": toml_str("jsonl"), "path": toml_str(str(source))},
            "feeds": {"max_items": str(max_items), "per_category": per_cat},
        })
        (site / "feed.toml").write_text(cfg, encoding="utf-8")
        sites[kind] = site
    return sites


def prepare_warm(site: Path, corpus: Path) -> Path:
    """Builds the warm site once from the corpus without its newest articles
    (the generator writes newest first) and keeps that state aside; then
    puts the whole corpus in its place. Returns the folder kept aside."""
    base = site.with_name(site.name + ".base")
    out = output_dir(site)
    for d in (base, out, site / ".matinale"):
        if d.exists():
            shutil.rmtree(d)
    with corpus.open("rb") as src, (site / "articles.jsonl").open("wb") as dst:
        for i, line in enumerate(src):
            if i >= ARRIVALS:
                dst.write(line)
    run_checked([BIN_COPY, "--config", site / "feed.toml", "--now", NOW, "-q", "feeds"],
                f"the first build of {site}", cwd=WORK)
    base.mkdir()
    os.replace(out, base / out.name)
    os.replace(site / ".matinale", base / ".matinale")
    shutil.copyfile(corpus, site / "articles.jsonl")
    return base


def restore_warm(site: Path, base: Path) -> None:
    """The state of the last build, linked back into the site: the same
    files (inodes, times), which a build replaces by renaming, never in
    place, so the base stays intact."""
    out = output_dir(site)
    for d in (out, site / ".matinale"):
        if d.exists():
            shutil.rmtree(d)
    subprocess.run(["cp", "-al", str(base / out.name), str(out)], check=True)
    subprocess.run(["cp", "-al", str(base / ".matinale"), str(site / ".matinale")], check=True)


def same_feeds(a: Path, b: Path) -> list[str]:
    """The feed files that differ between two output folders."""
    return [name for name in ("feed.xml", "atom.xml", "feed.json")
            if not (a / name).is_file() or not (b / name).is_file()
            or (a / name).read_bytes() != (b / name).read_bytes()]


def output_dir(site: Path) -> Path:
    """The site's [feeds] output_dir (default `public`), relative to its feed.toml."""
    section, out = "", "public"
    for line in (site / "feed.toml").read_text(encoding="utf-8").splitlines():
        m = SECTION_RE.match(line)
        if m:
            section = m.group(1)
        elif ARRAY_RE.match(line):
            section = "[[array]]"
        elif section == "feeds":
            k = re.match(r'^\s*output_dir\s*=\s*"([^"]*)"', line)
            if k:
                out = k.group(1)
    return (site / out).resolve()


# --------------------------------------------------------------------------- timing

def time_once(label: str, cmd: list[str], reset, logdir: Path) -> tuple[float, int] | None:
    """One whole-process run under GNU time; (wall s, peak KB), or None if the tool failed."""
    reset()
    tfile = logdir / "time.txt"
    with (logdir / "stdout.txt").open("w") as so, (logdir / "stderr.txt").open("w") as se:
        p = subprocess.run([str(GNU_TIME), "-f", "%e %M", "-o", str(tfile)] + [str(c) for c in cmd],
                           stdout=so, stderr=se, cwd=WORK, env=dict(os.environ, BENCHNODE=str(BENCHNODE)))
    lines = tfile.read_text().strip().splitlines() if tfile.exists() else []
    if p.returncode != 0 or not lines:
        err = (logdir / "stderr.txt").read_text(errors="replace").strip()
        log(f"  !! {label} failed (exit {p.returncode}): {' '.join(map(str, cmd))}\n"
            f"     {' / '.join(lines)}\n     {err[-2000:]}")
        return None
    wall, kb = lines[-1].split()
    return float(wall), int(kb)


def emptied(*dirs: Path):
    def reset():
        for d in dirs:
            if d.exists():
                shutil.rmtree(d)
    return reset


def commands(n: int, corpus: Path, sites: dict[str, Path], shared: Path,
             warm_base: Path, daily_base: Path) -> dict[str, tuple[list, object]]:
    """tool key -> (command, what to do before each run)."""
    peers = shared / "bench" / "peers"
    out = WORK / f"out-{n}"

    def matinale(site: Path) -> list:
        return [BIN_COPY, "--config", site / "feed.toml", "--now", NOW, "-q", "feeds"]
    cold = lambda site: emptied(output_dir(site), site / ".matinale")  # noqa: E731
    return {
        "matinale": (matinale(sites["archive"]), cold(sites["archive"])),
        "warm": (matinale(sites["warm"]), lambda: restore_warm(sites["warm"], warm_base)),
        "feedgen": ([VENV_PY, peers / "feedgen_build.py", corpus, out / "feedgen", "0"],
                    emptied(out / "feedgen")),
        "npmfeed": (["node", peers / "npmfeed_build.mjs", corpus, out / "npmfeed", "0"],
                    emptied(out / "npmfeed")),
        "daily": (matinale(sites["daily"]), cold(sites["daily"])),
        "dailywarm": (matinale(sites["dailywarm"]),
                      lambda: restore_warm(sites["dailywarm"], daily_base)),
    }


# --------------------------------------------------------------------------- reporting

def med(samples: list[tuple[float, int]] | None) -> tuple[float, float] | None:
    if not samples:
        return None
    return statistics.median(s for s, _ in samples), statistics.median(k for _, k in samples) / 1024


def ratio(peer: tuple[float, float] | None, mine: tuple[float, float] | None) -> str:
    if not peer or not mine:
        return "n/a"
    if mine[0] <= 0:  # %e has 10 ms resolution: a very small run can read 0.00
        return f">{peer[0] / 0.01:.0f}x"
    return f"{peer[0] / mine[0]:.1f}x"


def fmt_s(m):
    return f"{m[0]:.2f}" if m else "failed"


def fmt_mb(m):
    return f"{m[1]:.0f}" if m else "failed"


def print_table(rows: list[list[str]], header: list[str], align: str) -> None:
    w = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]

    def line(r):
        return "  ".join(str(c).rjust(w[i]) if align[i] == "r" else str(c).ljust(w[i])
                         for i, c in enumerate(r))
    print(line(header))
    print("  ".join("-" * x for x in w))
    for r in rows:
        print(line(r))


def meminfo_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def fs_type(path: Path) -> str:
    p = subprocess.run(["stat", "-f", "-c", "%T", str(path)], capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else "?"


def nproc() -> str:
    p = subprocess.run(["nproc"], capture_output=True, text=True)
    return p.stdout.strip() if p.returncode == 0 else str(os.cpu_count())


def validate(shared: Path, n: int, corpus: Path, sites: dict[str, Path]) -> list[str]:
    """Run validate_feeds.py on the archive outputs of size n; return matinale's problems."""
    pub = output_dir(sites["archive"])
    vdir = WORK / f"validate-{n}" / "matinale"
    if vdir.exists():
        shutil.rmtree(vdir)
    vdir.mkdir(parents=True)
    for want, have in (("rss.xml", "feed.xml"), ("atom.xml", "atom.xml"), ("feed.json", "feed.json")):
        if (pub / have).exists():
            (vdir / want).symlink_to(pub / have)
    specs = [f"matinale={vdir}"]
    for tool in ("feedgen", "npmfeed"):
        d = WORK / f"out-{n}" / tool
        if d.is_dir():
            specs.append(f"{tool}={d}")
    cmd = [str(VENV_PY), str(shared / "bench" / "validate_feeds.py"), str(corpus)] + specs
    print(f"\n## Sanity check: validate_feeds.py at {n} articles (archive outputs)\n")
    print("$ " + " ".join(cmd))
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=WORK)
    print(p.stdout.rstrip())
    if p.stderr.strip():
        print(p.stderr.rstrip())
    problems = []
    if p.returncode != 0:
        problems.append(f"validate_feeds.py exited {p.returncode}")
    seen = set()
    for line in p.stdout.splitlines():
        if not line.startswith("matinale "):
            continue
        seen.add(line.split()[1])
        m = re.search(r"bozo=(\d) entries=(\d+)/(\d+) diff\(title=(\d+) link=(\d+) id=(\d+)\)", line)
        if not m or m.group(1) != "0" or m.group(2) != m.group(3) or any(m.group(i) != "0" for i in (4, 5, 6)):
            problems.append(line)
    for name in ("rss.xml", "atom.xml", "feed.json"):
        if name not in seen:
            problems.append(f"matinale {name}: not checked (missing output?)")
    return problems


# --------------------------------------------------------------------------- main

def main() -> int:
    global WORK
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="10000,100000", help="comma-separated article counts")
    ap.add_argument("--runs", type=int, default=3, help="runs per tool and size (median kept)")
    ap.add_argument("--bin", type=Path, default=DEFAULT_BIN, help="matinale binary (copied first)")
    ap.add_argument("--work", type=Path, default=WORK,
                    help="where corpora and outputs go (default /tmp/matinale-bench; /dev/shm/... "
                         "takes the disk out of the timings)")
    ap.add_argument("--shared", type=Path, default=DEFAULT_SHARED, help="the benchmark kit (holds bench/gen_corpus.py, bench/validate_feeds.py, bench/peers/)")
    args = ap.parse_args()
    try:
        sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    except ValueError:
        ap.error(f"--sizes: not a list of integers: {args.sizes!r}")
    if not sizes or min(sizes) < 1 or args.runs < 1:
        ap.error("--sizes and --runs must be positive")
    shared = args.shared.resolve()
    WORK = args.work.resolve()
    for f in ("gen_corpus.py", "validate_feeds.py", "peers/feedgen_build.py", "peers/npmfeed_build.mjs"):
        if not (shared / "bench" / f).is_file():
            die(f"{shared / 'bench' / f} not found (pass --shared)")

    log("== setup")
    ensure_gnu_time()
    py_vers = ensure_python_peer()
    node_v, feed_v = ensure_node_peer()
    version = copy_binary(args.bin)
    log(f"  {version} ({args.bin} -> {BIN_COPY}); feedgen {py_vers['feedgen']} (lxml {py_vers['lxml']}); "
        f"feed {feed_v} on node {node_v}")
    WORK.mkdir(parents=True, exist_ok=True)
    repo_toml = (REPO / "feed.toml").read_text(encoding="utf-8")
    started = dt.datetime.now().astimezone()
    load_before = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []

    results: dict[int, dict[str, list[tuple[float, int]]]] = {}
    inputs: dict[int, tuple[Path, dict[str, Path]]] = {}
    failures = 0
    for n in sizes:
        corpus = ensure_corpus(shared, n)
        sites = write_sites(repo_toml, corpus, n)
        inputs[n] = (corpus, sites)
        log(f"building warm-{n} without its {ARRIVALS} newest articles (untimed)")
        warm_base = prepare_warm(sites["warm"], corpus)
        daily_base = prepare_warm(sites["dailywarm"], corpus)
        cmds = commands(n, corpus, sites, shared, warm_base, daily_base)
        results[n] = {k: [] for k, _ in TOOLS}
        logdir = WORK / "logs"
        logdir.mkdir(exist_ok=True)
        for r in range(1, args.runs + 1):
            for key, label in TOOLS:  # interleaved: one run of each tool per round
                cmd, reset = cmds[key]
                res = time_once(label, cmd, reset, logdir)
                if res is None:
                    failures += 1
                else:
                    results[n][key].append(res)
                    log(f"  N={n} run {r}/{args.runs} {label:<19} {res[0]:7.2f} s {res[1] / 1024:8.0f} MiB")

    # ---- console table (long form)
    print(f"\n## Results: median of {args.runs} run(s), whole process, /usr/bin/time (%e wall, %M peak RSS)\n")
    rows = []
    for n in sizes:
        mine = med(results[n]["matinale"])
        for key, label in TOOLS:
            m = med(results[n][key])
            vs = ratio(m, mine) if key in ("feedgen", "npmfeed") else ""
            if key == "warm":
                vs = " / ".join(ratio(med(results[n][p]), m) for p in ("feedgen", "npmfeed"))
            runs = " ".join(f"{s:.2f}" for s, _ in results[n][key]) or "-"
            rows.append([f"{n:,}", label, fmt_s(m), fmt_mb(m), vs, runs])
    print_table(rows, ["articles", "tool", "median s", "peak MiB", "peer / matinale", "runs (s)"],
                "rlrrrl")
    print("\n(peer / matinale: the peer's median seconds over matinale's, archive job; "
          "how many times faster matinale is; on the 50-new line, feedgen's and npm feed's "
          "over the incremental build's. Daily = max_items 50 + per-category feeds.)")

    # ---- the incremental builds wrote what cold builds write
    for n in sizes:
        for warm, cold_kind, what in (("warm", "archive", "incremental build"),
                                      ("dailywarm", "daily", "warm daily build")):
            differ = same_feeds(output_dir(inputs[n][1][warm]), output_dir(inputs[n][1][cold_kind]))
            if differ:
                print(f"\n!! N={n}: the {what}'s {', '.join(differ)} differ from the cold build's")
                failures += 1
            else:
                print(f"\nN={n}: the {what}'s feeds are byte-identical to the cold build's.")

    # ---- sanity check
    smallest = sizes[0]
    problems = validate(shared, smallest, *inputs[smallest])
    if problems:
        print("\n!! validate_feeds.py reports problems for matinale:")
        for p in problems:
            print(f"   {p}")
    else:
        print("\nmatinale: no parse error, entry count and every title/link/id match the corpus.")

    # ---- Markdown, to paste into docs/benchmarks.md
    load_after = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print("\n## Markdown\n")
    print(f"Machine: {nproc()} CPUs ({cpu_model()}), {meminfo_gib()} RAM; outputs in {WORK} "
          f"({fs_type(WORK)}); {version}; "
          f"Python feedgen {py_vers['feedgen']} (lxml {py_vers['lxml']}), "
          f"npm feed {feed_v} on Node {node_v}; {started.strftime('%Y-%m-%d %H:%M %z')}; "
          f"load average {' '.join(load_before)} before, {' '.join(load_after)} after.")
    print(f"Median of {args.runs} run(s), each tool a whole process timed with `/usr/bin/time` "
          "(wall seconds, peak RSS in MiB), tools interleaved in each round. "
          "Archive: every article, RSS + Atom (+ JSON Feed for matinale and npm feed), site feed only. "
          "Daily: matinale with the sample's `max_items = 50`, `per_category = true`.")
    print()
    print("| articles | job | matinale s | MiB | feedgen s | feedgen / matinale "
          "| npm feed s | npm feed / matinale |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        fg, nf = med(results[n]["feedgen"]), med(results[n]["npmfeed"])
        for key, job in (("matinale", "archive, cold"), ("warm", f"archive, {ARRIVALS} new (cache warm)")):
            mm = med(results[n][key])
            print(f"| {n:,} | {job} | {fmt_s(mm)} | {fmt_mb(mm)} | {fmt_s(fg)} | {ratio(fg, mm)} "
                  f"| {fmt_s(nf)} | {ratio(nf, mm)} |")
        dy = med(results[n]["daily"])
        print(f"| {n:,} | daily (cold) | {fmt_s(dy)} | {fmt_mb(dy)} | | | | |")
        dw = med(results[n]["dailywarm"])
        print(f"| {n:,} | daily, {ARRIVALS} new (memo and cache warm) | {fmt_s(dw)} | {fmt_mb(dw)} | | | | |")
    print(f"\nPeers' peak MiB: " + "; ".join(
        f"{n:,}: feedgen {fmt_mb(med(results[n]['feedgen']))}, npm feed {fmt_mb(med(results[n]['npmfeed']))}"
        for n in sizes))

    if failures:
        log(f"compare.py: {failures} run(s) failed (see above)")
    return 1 if failures or problems else 0


if __name__ == "__main__":
    sys.exit(main())
