//! Fixture sites in temporary folders, and running the binary on them.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The sample site's `--now`: the morning of its newsletter.
pub const SAMPLE_NOW: &str = "2026-11-26T07:30:00+01:00";

pub struct Site {
    pub dir: tempfile::TempDir,
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

impl Site {
    /// The bundled sample site (feed.toml + content/ of the repository).
    pub fn sample() -> Site {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(repo().join("feed.toml"), dir.path().join("feed.toml")).unwrap();
        copy_dir(&repo().join("content"), &dir.path().join("content"));
        Site { dir }
    }

    /// A site under `tests/fixtures/NAME`.
    pub fn fixture(name: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo().join("tests/fixtures").join(name), dir.path());
        Site { dir }
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("reading {rel}: {e}"))
    }

    pub fn write(&self, rel: &str, text: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    /// Runs `matinale ARGS` in the site's folder.
    pub fn run(&self, args: &[&str]) -> Run {
        let out: Output = Command::new(env!("CARGO_BIN_EXE_matinale"))
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("RUST_BACKTRACE")
            .output()
            .unwrap();
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8(out.stdout).unwrap(),
            stderr: String::from_utf8(out.stderr).unwrap(),
        }
    }

    /// Replaces `from` with `to` in the site's file `rel`. Panics when
    /// `from` is not there, so that a test never runs, by mistake, on a
    /// fixture it meant to change.
    pub fn edit(&self, rel: &str, from: &str, to: impl AsRef<str>) {
        let text = self.read(rel);
        assert!(text.contains(from), "{rel} has no {from:?} to replace");
        self.write(rel, &text.replace(from, to.as_ref()));
    }

    /// `matinale --now SAMPLE_NOW ARGS`.
    pub fn run_now(&self, args: &[&str]) -> Run {
        let mut all = vec!["--now", SAMPLE_NOW];
        all.extend_from_slice(args);
        self.run(&all)
    }

    /// `matinale --now SAMPLE_NOW ARGS`, which must succeed.
    pub fn ok(&self, args: &[&str]) -> Run {
        let r = self.run_now(args);
        assert_eq!(
            r.code, 0,
            "matinale {args:?} failed:\n{}\n{}",
            r.stdout, r.stderr
        );
        r
    }

    /// Every file under `rel` with its bytes, sorted by path.
    pub fn contents(&self, rel: &str) -> Vec<(String, Vec<u8>)> {
        self.files(rel)
            .into_iter()
            .map(|f| {
                let bytes = std::fs::read(self.path(rel).join(&f)).unwrap();
                (f, bytes)
            })
            .collect()
    }

    /// Every file under `rel`, relative, sorted.
    pub fn files(&self, rel: &str) -> Vec<String> {
        let mut out = Vec::new();
        walk(&self.path(rel), &self.path(rel), &mut out);
        out.sort();
        out
    }
}

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            walk(root, &e.path(), out);
        } else {
            out.push(
                e.path()
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
}

/// A server on 127.0.0.1 for the tests: one connection per item of
/// `replies`, each handled by `handle` on a thread of its own (a silent
/// reply must not keep the next connection waiting). Returns its address.
pub fn loopback_server<R: Send + 'static>(
    replies: Vec<R>,
    handle: fn(std::net::TcpStream, R),
) -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for reply in replies {
            let Ok((stream, _)) = listener.accept() else {
                return;
            };
            std::thread::spawn(move || handle(stream, reply));
        }
    });
    addr
}

/// Reads an HTTP request's head (request line and headers, CRLF-ended) off
/// `reader`, for the test servers.
pub fn read_request_head(reader: &mut impl std::io::BufRead) -> String {
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            return head;
        }
        head.push_str(&line);
    }
}

/// The value of header `name` in a request head.
pub fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Parses a feed with the independent `feed-rs` parser.
pub fn parse_feed(text: &str) -> feed_rs::model::Feed {
    feed_rs::parser::parse(text.as_bytes())
        .unwrap_or_else(|e| panic!("feed-rs cannot parse the feed: {e}"))
}
