//! The Markdown source: a folder of `.md` files, each an article with TOML
//! front matter between `+++` lines and a Markdown body.
//!
//! Files are read in path order (sub-folders included), so that reports and
//! duplicate detection are the same on every machine.

use super::raw::RawArticle;
use super::{check, ArticleSink, Body, Origin, Validator};
use crate::error::Error;
use crate::text::line_of;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn load(dir: &Path, v: &mut Validator, sink: &mut dyn ArticleSink) -> Result<(), Error> {
    let mut files = Vec::new();
    let mut odd = Vec::new();
    collect(dir, &mut files, &mut odd)?;
    files.sort();
    odd.sort();
    for path in odd {
        v.report.warnings.push(crate::error::Problem::new(
            &path,
            None,
            "",
            "not a regular file (a named pipe, socket, device or broken link): skipped",
        ));
    }
    for path in files {
        let src = std::fs::read(&path).map_err(|source| Error::ReadContent {
            path: path.clone(),
            source,
        })?;
        let path: Arc<Path> = Arc::from(path);
        let origin = Origin {
            path: path.clone(),
            line: 1,
        };
        let src = match String::from_utf8(src) {
            Ok(s) => s,
            Err(e) => {
                let line = line_of(e.as_bytes(), e.utf8_error().valid_up_to());
                v.problem(
                    &Origin { path, line },
                    "",
                    "not valid UTF-8; save the file as UTF-8",
                );
                continue;
            }
        };
        read_article(&src, origin, v, sink);
    }
    Ok(())
}

/// The `.md` files under `dir`, and in `odd` those that are not regular
/// files (reading a named pipe would wait forever). Links to folders are
/// not followed, so a link loop cannot make the walk endless.
fn collect(dir: &Path, files: &mut Vec<PathBuf>, odd: &mut Vec<PathBuf>) -> Result<(), Error> {
    let read_err = |source| Error::ReadContent {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') {
            continue;
        }
        let ft = entry.file_type().map_err(read_err)?;
        if ft.is_dir() {
            collect(&path, files, odd)?;
        } else if path.extension().is_some_and(|e| e == "md") {
            if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                files.push(path);
            } else {
                odd.push(path);
            }
        }
    }
    Ok(())
}

/// The front matter and body of a file, and the line the front matter
/// starts on.
fn split(src: &str) -> Option<(&str, &str)> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let rest = src
        .strip_prefix("+++\n")
        .or_else(|| src.strip_prefix("+++\r\n"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "+++" {
            return Some((&rest[..offset], &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    None
}

fn read_article(src: &str, origin: Origin, v: &mut Validator, sink: &mut dyn ArticleSink) {
    let Some((front, body)) = split(src) else {
        v.problem(
            &origin,
            "",
            "no front matter; expected the file to start with a `+++` line, TOML fields, and a closing `+++` line",
        );
        return;
    };
    // Line numbers inside the front matter are offset by the opening `+++`.
    let field_line = |field: &str| key_line(front, field).map(|l| l + 1);
    let raw: RawArticle<'_, String> = match toml::from_str(front) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map(|s| line_of(front, s.start));
            let field = e
                .message()
                .strip_prefix("unknown field `")
                .or_else(|| e.message().strip_prefix("missing field `"))
                .and_then(|r| r.split('`').next())
                .map(str::to_owned)
                .or_else(|| line.and_then(|l| key_at(front, l)))
                .unwrap_or_default();
            let at = Origin {
                path: origin.path.clone(),
                line: line.map_or(1, |l| l + 1),
            };
            v.problem(&at, &field, e.message().trim());
            return;
        }
    };
    if raw.content_html.is_some() {
        let at = Origin {
            path: origin.path.clone(),
            line: field_line("content_html").unwrap_or(1),
        };
        v.problem(
            &at,
            "content_html",
            "not used in a Markdown file: write the body after the closing `+++`",
        );
        return;
    }
    let has_body = !body.trim().is_empty();
    let checked = check(raw, has_body, &origin, &field_line, v.tz());
    v.admit(
        checked,
        || Ok(has_body.then(|| Body::Markdown(body.to_owned()))),
        sink,
    );
}

/// The key defined on a 1-based line of TOML, if any.
fn key_at(toml: &str, line: usize) -> Option<String> {
    let l = toml.lines().nth(line.checked_sub(1)?)?;
    let (key, _) = l.split_once('=')?;
    let key = key.trim();
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_owned())
}

/// The 1-based line where top-level `key` is defined.
fn key_line(toml: &str, key: &str) -> Option<usize> {
    toml.lines()
        .position(|l| {
            l.trim_start()
                .strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with('='))
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_finds_front_matter_and_body() {
        assert_eq!(
            split("+++\na = 1\n+++\nbody\n"),
            Some(("a = 1\n", "body\n"))
        );
        assert_eq!(
            split("+++\r\na = 1\r\n+++\r\nbody"),
            Some(("a = 1\r\n", "body"))
        );
        assert_eq!(split("no front matter"), None);
        assert_eq!(split("+++\nunclosed"), None);
    }
}
