//! The JSON Lines source: one article per line, as a CMS export writes
//! (the format of `shared/bench/gen_corpus.py`).
//!
//! The file is streamed line by line; each record is parsed with its body
//! left as raw JSON, and the body is decoded only when the sink keeps the
//! article. Blank lines are ignored.

use super::raw::RawArticle;
use super::{ArticleSink, Origin, PendingBody, Validator};
use crate::error::Error;
use serde_json::value::RawValue;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;

pub fn load(path: &Path, v: &mut Validator, sink: &mut dyn ArticleSink) -> Result<(), Error> {
    let read_err = |source| Error::ReadContent {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read_err)?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let shared: Arc<Path> = Arc::from(path);
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    loop {
        buf.clear();
        if reader.read_until(b'\n', &mut buf).map_err(read_err)? == 0 {
            break;
        }
        line_no += 1;
        let origin = Origin {
            path: shared.clone(),
            line: line_no,
        };
        let line = match std::str::from_utf8(&buf) {
            Ok(l) => l,
            Err(_) => {
                v.problem(&origin, "", "not valid UTF-8; the export must be UTF-8");
                continue;
            }
        };
        if line.trim().is_empty() {
            continue;
        }
        let mut de = serde_json::Deserializer::from_str(line);
        let parsed: Result<RawArticle<&RawValue>, _> = serde_path_to_error::deserialize(&mut de);
        let raw = match parsed {
            Ok(r) => r,
            Err(e) => {
                let field = e.path().to_string();
                let field = if field == "." { String::new() } else { field };
                let msg = if e.inner().is_eof() {
                    "the line ends in the middle of a record; expected one complete JSON object per line".to_owned()
                } else {
                    let msg = e.inner().to_string();
                    // serde_json appends " at line 1 column N": the line is ours.
                    match msg.rfind(" at line ") {
                        Some(i) => format!("{} (column {})", &msg[..i], e.inner().column()),
                        None => msg,
                    }
                };
                v.problem(&origin, &field, msg);
                continue;
            }
        };
        let body = match raw.content_html {
            Some(h) if h.get() != "null" => PendingBody::JsonHtml(h),
            _ => PendingBody::None,
        };
        v.offer(raw, body, origin, &|_| None, sink);
    }
    Ok(())
}
