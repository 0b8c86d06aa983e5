//! The JSON Lines source: one article per line, as a CMS export writes it,
//! each line a JSON object with the fields of [`RawArticle`].
//!
//! The file is read in blocks of whole lines. Checking a record (parsing,
//! dates, URLs, text) needs no other record, so blocks are checked on every
//! core; the results are then admitted in file order on one thread, where
//! duplicates are found and the sink keeps what it wants. A body is decoded
//! only when the sink keeps its article, except when it keeps everything
//! (an archive feed): then the workers decode it too. Blank lines are
//! ignored, and so is a UTF-8 byte-order mark at the start of the file
//! (Excel and some Windows tools write one). Memory is a few blocks in
//! flight, whatever the file's size.

use super::raw::RawArticle;
use super::{check, ArticleSink, Body, Checked, Origin, Validator};
use crate::error::Error;
use chrono_tz::Tz;
use serde_json::value::RawValue;
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

/// Bytes read at a time; a block ends at the last newline in it.
const BLOCK: usize = 1 << 20;
/// Blocks queued per worker, each way.
const QUEUE: usize = 1;

/// One checked line of a block.
struct Line {
    checked: Checked,
    body: LineBody,
}

enum LineBody {
    None,
    /// The JSON string of `content_html`, within the block.
    Raw(Range<usize>),
    Decoded(Result<String, String>),
}

/// A block's lines, checked, with line numbers relative to the block.
struct CheckedBlock {
    block: Arc<Vec<u8>>,
    lines: Vec<Line>,
    /// Number of lines in the block.
    count: usize,
}

pub fn load(path: &Path, v: &mut Validator, sink: &mut dyn ArticleSink) -> Result<(), Error> {
    let read_err = |source| Error::ReadContent {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read_err)?;
    let shared: Arc<Path> = Arc::from(path);
    let tz = v.tz();
    let decode = sink.wants_everything();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let small = file.metadata().map_or(true, |m| m.len() <= BLOCK as u64);

    let mut base = 0usize;
    let mut admit = |v: &mut Validator, cb: CheckedBlock, sink: &mut dyn ArticleSink| {
        for mut line in cb.lines {
            line.checked.shift(base);
            let block = &cb.block;
            v.admit(
                line.checked,
                || match line.body {
                    LineBody::None => Ok(None),
                    LineBody::Raw(r) => decode_body(&block[r]).map(|h| Some(Body::Html(h))),
                    LineBody::Decoded(h) => h.map(|h| Some(Body::Html(h))),
                },
                sink,
            );
        }
        base += cb.count;
        Arc::try_unwrap(cb.block).ok()
    };

    if small || workers < 2 {
        let mut blocks = Blocks::new(&mut file);
        let mut spare = None;
        while let Some(block) = blocks.next_block(spare.take()).map_err(read_err)? {
            spare = admit(v, check_block(block, &shared, tz, decode), sink);
        }
        return Ok(());
    }

    // Reader → workers (round robin) → this thread, in the same order.
    std::thread::scope(|s| -> Result<(), Error> {
        let mut to_workers: Vec<SyncSender<Arc<Vec<u8>>>> = Vec::new();
        let mut from_workers: Vec<Receiver<CheckedBlock>> = Vec::new();
        for _ in 0..workers {
            let (tx, rx) = sync_channel::<Arc<Vec<u8>>>(QUEUE);
            let (done_tx, done_rx) = sync_channel::<CheckedBlock>(QUEUE);
            let shared = shared.clone();
            s.spawn(move || {
                for block in rx {
                    if done_tx
                        .send(check_block(block, &shared, tz, decode))
                        .is_err()
                    {
                        break;
                    }
                }
            });
            to_workers.push(tx);
            from_workers.push(done_rx);
        }
        // Used blocks come back to the reader: allocating a fresh megabyte
        // per block made the allocator hold on to a hundred of them.
        let (recycle, spares) = sync_channel::<Vec<u8>>(2 * workers * (QUEUE + 1));
        let reader = s.spawn(move || -> std::io::Result<usize> {
            let mut blocks = Blocks::new(&mut file);
            let mut n = 0;
            while let Some(block) = blocks.next_block(spares.try_recv().ok())? {
                if to_workers[n % to_workers.len()].send(block).is_err() {
                    break;
                }
                n += 1;
            }
            Ok(n)
            // Dropping the senders ends the workers.
        });
        let mut i = 0;
        while let Ok(cb) = from_workers[i % from_workers.len()].recv() {
            if let Some(spare) = admit(v, cb, sink) {
                let _ = recycle.try_send(spare);
            }
            i += 1;
        }
        let read = reader.join().expect("the reader does not panic");
        read.map_err(read_err)?;
        Ok(())
    })
}

fn decode_body(raw: &[u8]) -> Result<String, String> {
    serde_json::from_slice::<String>(raw).map_err(|e| format!("{e}"))
}

/// Reads a file in blocks of whole lines.
struct Blocks<'f> {
    file: &'f mut std::fs::File,
    carry: Vec<u8>,
    done: bool,
    /// Nothing read yet: a byte-order mark may come.
    first: bool,
}

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<'f> Blocks<'f> {
    fn new(file: &'f mut std::fs::File) -> Self {
        Blocks {
            file,
            carry: Vec::new(),
            done: false,
            first: true,
        }
    }

    /// The next block, built in `spare` when one is given.
    fn next_block(&mut self, spare: Option<Vec<u8>>) -> std::io::Result<Option<Arc<Vec<u8>>>> {
        if self.done {
            return Ok(None);
        }
        let mut buf = spare.unwrap_or_default();
        buf.clear();
        buf.append(&mut self.carry);
        loop {
            let start = buf.len();
            // `read_to_end` fills spare capacity without zeroing it first.
            let n = (&mut *self.file).take(BLOCK as u64).read_to_end(&mut buf)?;
            // The first read holds the file's first bytes (up to a block).
            if std::mem::take(&mut self.first) && buf.starts_with(BOM) {
                buf.drain(..BOM.len());
            }
            if n == 0 {
                self.done = true;
                return Ok((!buf.is_empty()).then(|| Arc::new(buf)));
            }
            // A line longer than a block makes the block grow.
            if let Some(last_nl) = buf[start..].iter().rposition(|&b| b == b'\n') {
                self.carry.extend_from_slice(&buf[start + last_nl + 1..]);
                buf.truncate(start + last_nl + 1);
                return Ok(Some(Arc::new(buf)));
            }
        }
    }
}

fn check_block(block: Arc<Vec<u8>>, path: &Arc<Path>, tz: Tz, decode: bool) -> CheckedBlock {
    let mut lines = Vec::new();
    let mut count = 0;
    let mut offset = 0;
    for raw_line in block.split_inclusive(|&b| b == b'\n') {
        count += 1;
        let line_start = offset;
        offset += raw_line.len();
        let origin = Origin {
            path: path.clone(),
            line: count,
        };
        if let Some(l) = check_line(raw_line, line_start, &origin, tz, decode) {
            lines.push(l);
        }
    }
    CheckedBlock {
        block,
        lines,
        count,
    }
}

fn check_line(bytes: &[u8], at: usize, origin: &Origin, tz: Tz, decode: bool) -> Option<Line> {
    let problem = |field: &str, msg: String| Line {
        checked: Checked::Invalid {
            problems: vec![crate::error::Problem::new(
                &origin.path,
                Some(origin.line),
                field,
                msg,
            )],
            warnings: Vec::new(),
        },
        body: LineBody::None,
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Some(problem(
            "",
            "not valid UTF-8; the export must be UTF-8".into(),
        ));
    };
    if text.trim().is_empty() {
        return None;
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed: Result<RawArticle<'_, &RawValue>, _> = serde_path_to_error::deserialize(&mut de);
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
            return Some(problem(&field, msg));
        }
    };
    let body = match raw.content_html {
        Some(h) if h.get() != "null" => {
            let start = h.get().as_ptr() as usize - text.as_ptr() as usize;
            let range = at + start..at + start + h.get().len();
            if decode {
                LineBody::Decoded(decode_body(h.get().as_bytes()))
            } else {
                LineBody::Raw(range)
            }
        }
        _ => LineBody::None,
    };
    let has_body = !matches!(body, LineBody::None);
    let checked = check(raw, has_body, origin, &|_| None, tz);
    Some(Line { checked, body })
}
