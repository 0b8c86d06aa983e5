//! The library's error type, with the exit code each failure maps to, and
//! the `Problem` report shared by config and content validation.
//!
//! This module depends on no other of the crate: a module with an error
//! type of its own converts it into [`Error`] itself, with a `From`.
//!
//! A `Problem` is one thing wrong with one input, located as precisely as we
//! can (`path:line: field: message`), so that a 6 a.m. reader can open the
//! file at the right line. Validation collects every problem of a run before
//! failing, rather than stopping at the first.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// One problem in an input file, or a warning about one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub path: PathBuf,
    /// 1-based line; `None` when the problem is not tied to a line.
    pub line: Option<usize>,
    /// The field at fault (`site.url`, `published`, …); may be empty.
    pub field: String,
    pub message: String,
}

impl Problem {
    pub fn new(
        path: &Path,
        line: Option<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            path: path.to_path_buf(),
            line,
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if !self.field.is_empty() {
            write!(f, ": {}", self.field)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found in one run, sorted by file and line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn sorted(mut self) -> Problems {
        self.0.sort();
        self
    }
}

/// Problems listed in a message; a binary file fed as JSON Lines must not
/// bury the terminal under a million lines.
const SHOWN: usize = 200;

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().take(SHOWN).enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        if self.0.len() > SHOWN {
            write!(f, "\n… and {} more", self.0.len() - SHOWN)?;
        }
        Ok(())
    }
}

/// Errors of the library. Each variant maps to one exit code at the CLI
/// (see [`Error::exit_code`]).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// There is no configuration file where one was looked for.
    #[error("{} does not exist\n  hint: run `matinale init` to start a site here (a commented feed.toml and an example article), or point --config at your site's feed.toml", path.display())]
    NoConfig { path: PathBuf },

    /// `init` would overwrite a file.
    #[error("{} already exists: init never overwrites a file, and wrote nothing\n  hint: this folder already holds a site; edit its feed.toml, or run init in an empty folder", path.display())]
    Exists { path: PathBuf },

    /// The configuration file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    ReadConfig { path: PathBuf, source: io::Error },

    /// Config or content is invalid; every problem is listed.
    #[error("{} problem{} found:\n{problems}", problems.0.len(), if problems.0.len() == 1 { "" } else { "s" })]
    Invalid { problems: Problems },

    /// A source file or folder could not be read.
    #[error("cannot read {}: {source}", path.display())]
    ReadContent { path: PathBuf, source: io::Error },

    /// An output could not be written; previous outputs are left as they were.
    #[error("cannot write {}: {source}; previous outputs were left unchanged", path.display())]
    Write { path: PathBuf, source: io::Error },

    /// The commit stopped midway: some outputs are new, the others old.
    /// The next run writes them all again.
    #[error("cannot replace {}: {source}; the run stopped midway: {} output{} new ({}), {} still old ({}); run again to complete it", path.display(), new.len(), if new.len() == 1 { " is" } else { "s are" }, list_paths(new), old.len(), list_paths(old))]
    PartialCommit {
        path: PathBuf,
        source: io::Error,
        new: Vec<PathBuf>,
        old: Vec<PathBuf>,
    },

    /// A symbolic link where matinale would write or delete.
    #[error("{} is a symbolic link: matinale writes and deletes only in folders it made, never through a link; remove the link (an output folder named in feed.toml may itself be a link)", path.display())]
    Link { path: PathBuf },

    /// The source yields far fewer articles than the last build read.
    #[error("{} holds {} published article{} where the last build read {}; the live feeds are kept\n  hint: a failed export or an emptied folder? Fix the source; if the drop is deliberate, run again with --allow-shrink", path.display(), thousands(*found), if *found == 1 { "" } else { "s" }, thousands(*last))]
    Shrink {
        path: PathBuf,
        found: usize,
        last: usize,
    },

    /// The run lock could not be taken.
    #[error("cannot lock {}: {source}", path.display())]
    Lock { path: PathBuf, source: io::Error },

    /// The SMTP relay, or the way to it, failed: exit code 3.
    #[error("cannot send through {server}: {what}\n  hint: {hint}")]
    Relay {
        server: String,
        what: String,
        hint: String,
    },

    /// A message could not be handed over for a local reason (a password
    /// not set, an unreadable CA file, an outbox that cannot be written).
    #[error("{message}")]
    Delivery { message: String },

    /// `serve` cannot listen on its port.
    #[error("cannot listen on {addr}: {message}\n  hint: another program may use this port; choose another with --port")]
    Listen { addr: String, message: String },

    /// A remote server (the WebSub hub, a feed source's server) failed:
    /// exit code 3.
    #[error("{server}: {what}\n  hint: {hint}")]
    Remote {
        server: String,
        what: String,
        hint: String,
    },

    /// A feed could not be serialised (a bug or an I/O error under the writer).
    #[error("cannot serialise {}: {message}", path.display())]
    Serialize { path: PathBuf, message: String },
}

impl Error {
    /// The process's exit code: 3 when a remote peer (the SMTP relay, the
    /// WebSub hub, a feed source's server) failed, 1 for everything else
    /// (bad config, content or output). Clap exits with 2 on bad usage.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Relay { .. } | Error::Remote { .. } => 3,
            _ => 1,
        }
    }
}

/// 1204 as "1,204": counts in messages are read at a glance.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, d) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(d);
    }
    out
}

/// A few paths, for a message: the first three and how many more.
fn list_paths(paths: &[PathBuf]) -> String {
    let mut text: Vec<String> = paths
        .iter()
        .take(3)
        .map(|p| p.display().to_string())
        .collect();
    if paths.len() > 3 {
        text.push(format!("and {} more", paths.len() - 3));
    }
    text.join(", ")
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lists_are_cut_with_a_count() {
        let ps = Problems(
            (1..=205)
                .map(|l| Problem::new(Path::new("a.jsonl"), Some(l), "", "bad"))
                .collect(),
        );
        let text = ps.to_string();
        assert_eq!(text.lines().count(), 201);
        assert!(text.starts_with("a.jsonl:1: bad\n"));
        assert!(text.ends_with("a.jsonl:200: bad\n… and 5 more"));
    }
}
