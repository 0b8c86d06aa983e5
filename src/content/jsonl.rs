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
//!
//! A line is read by [`scan`] first, which reads the common shape of a
//! record much faster than serde and gives what serde would; a line it
//! cannot vouch for is read by serde, which also words every error.
//!
//! Every line is checked in full, whatever the sink keeps. What changes is
//! the cost of a line that no feed will show: when the sink takes
//! [`Glance`]s (a daily feed over a large export), a line dated before the
//! sink's [`floor`](ArticleSink::floor), or scheduled, is checked by
//! [`glance`](super::glance), which reaches the same verdict as
//! [`check`] without building the article (no URL object, no copied text);
//! only a line it cannot vouch for goes through [`check`]. A glanced line
//! that the sink wants after all (a category seen for the first time) is
//! built again from its bytes. [`build_every_article`] turns this off, as
//! the reference the tests compare against.
//!
//! A load that glances also reads the memo the last run left ([`memo`]):
//! a line whose bytes have a memo entry is not read at all, its glance
//! taken from the entry's spans in it; every other line is read as above
//! and gets an entry if a glance vouches for it. Outputs and reports are
//! the same either way.

use super::memo::{self, Fresh, Memo};
use super::raw::RawArticle;
use super::{check, ArticleSink, Body, Checked, Glance, Origin, Validator};
use crate::error::Error;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::value::RawValue;
use std::cell::Cell;
use std::io::Read;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;

#[doc(hidden)]
pub mod scan;

/// Bytes read at a time; a block ends at the last newline in it. A few
/// are in flight per worker. Each block costs a hand-off between threads
/// and a list of results: over a 260 MB export, 512 KiB took 8 % less CPU
/// than 256 KiB for 4 MiB more memory; 1 MiB saved no more and took
/// another 7 MiB.
const BLOCK: usize = 1 << 19;
/// Blocks queued per worker, each way.
const QUEUE: usize = 1;

thread_local! {
    static GLANCES: Cell<bool> = const { Cell::new(true) };
    static BLOCK_SIZE: Cell<usize> = const { Cell::new(BLOCK) };
}

/// Runs `f` with the exports it loads on this thread read in blocks of
/// `bytes` instead of [`BLOCK`]: tests read a small export as a large one
/// is read, with glances and the memo.
#[doc(hidden)]
pub fn with_blocks_of<R>(bytes: usize, f: impl FnOnce() -> R) -> R {
    let before = BLOCK_SIZE.with(|b| b.replace(bytes.max(1)));
    let out = f();
    BLOCK_SIZE.with(|b| b.set(before));
    out
}

/// Runs `f` with every valid article of a JSON Lines source built and
/// handed to the sink as a whole, as before glances (loads started by `f`
/// on this thread). The outputs are the same either way: tests compare
/// them, and a benchmark can measure what glances save.
pub fn build_every_article<R>(f: impl FnOnce() -> R) -> R {
    let before = GLANCES.with(|g| g.replace(false));
    let out = f();
    GLANCES.with(|g| g.set(before));
    out
}

/// One checked line of a block.
struct Line {
    /// Within the block, from 1.
    number: usize,
    kind: LineKind,
    memo: MemoRef,
}

enum LineKind {
    /// Boxed: a checked article is over half a kilobyte, a glance a tenth
    /// of that, and a daily build glances at nearly every line (each line
    /// was copied whole into the block's list, then out of it).
    Checked {
        checked: Box<Checked>,
        body: LineBody,
    },
    Glanced(Glanced),
    /// A checked line, once handed to the validator.
    Admitted,
}

enum LineBody {
    None,
    /// The JSON string of `content_html`, within the block.
    Raw(Range<usize>),
    Decoded(Result<String, String>),
}

/// A glanced line: the values of its [`Glance`], its text within the block.
///
/// Its strings are copied into the block's [`Texts`]: read back from the
/// block, each had to be checked as UTF-8 again, on the one thread that
/// admits lines in order; a copy made by a worker costs less, and one
/// string per block instead of one per line saves an allocation made on
/// one thread and freed on another.
struct Glanced {
    /// The line's bytes within the block, to build it if it is wanted.
    bytes: Range<usize>,
    id: Range<u32>,
    url: Range<u32>,
    title: Range<u32>,
    /// Within [`Texts::categories`].
    categories: Range<u32>,
    published: DateTime<Utc>,
    updated: DateTime<Utc>,
}

/// A line's entry in the memo the run leaves.
#[derive(Clone)]
enum MemoRef {
    /// None: the line is read again next time.
    None,
    /// The entry, at this place in the memo read.
    Old(Range<u32>),
    /// Made for it, at this place in the block's [`CheckedBlock::memo`].
    New(Range<usize>),
}

/// The strings of a block's glanced lines, one after the other.
#[derive(Default)]
struct Texts {
    strings: String,
    categories: Vec<Range<u32>>,
}

impl Texts {
    /// Whether `bytes` more and `categories` more fit (their ranges are
    /// `u32`).
    fn has_room(&self, bytes: usize, categories: usize) -> bool {
        u32::try_from(self.strings.len() + bytes).is_ok()
            && u32::try_from(self.categories.len() + categories).is_ok()
    }

    /// Only after [`Self::has_room`].
    fn put(&mut self, s: &str) -> Range<u32> {
        let start = self.strings.len();
        self.strings.push_str(s);
        to_u32(start)..to_u32(self.strings.len())
    }

    fn get(&self, r: &Range<u32>) -> &str {
        &self.strings[r.start as usize..r.end as usize]
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).expect("checked by `Texts::has_room`")
}

/// A block's lines, checked, with line numbers relative to the block.
struct CheckedBlock {
    block: Arc<Vec<u8>>,
    lines: Vec<Line>,
    texts: Texts,
    /// The memo entries made for its lines.
    memo: Vec<u8>,
    /// Number of lines in the block.
    count: usize,
}

/// What every worker needs to check a line.
#[derive(Clone)]
struct Settings {
    path: Arc<Path>,
    tz: Tz,
    /// Decode every body (the sink keeps every article).
    decode: bool,
    /// Glance at lines the sink will not want; with the run's now and the
    /// sink's floor (seconds since the epoch).
    glance: Option<(DateTime<Utc>, Arc<AtomicI64>)>,
    /// The memo of the last run, when glancing with one.
    memo: Option<Arc<Memo>>,
}

/// Loads the export at `path`. With `memo` (where the memo is, and the
/// context it must be of), a load that glances reads the memo the last
/// run left, and gives the one this run leaves.
pub fn load(
    path: &Path,
    v: &mut Validator,
    sink: &mut dyn ArticleSink,
    memo: Option<(&Path, u128)>,
) -> Result<Option<Fresh>, Error> {
    let read_err = |source| Error::ReadContent {
        path: path.to_path_buf(),
        source,
    };
    let mut file = std::fs::File::open(path).map_err(read_err)?;
    let floor = Arc::new(AtomicI64::new(i64::MIN));
    let glances = GLANCES.with(Cell::get) && sink.glances();
    let settings = Settings {
        path: Arc::from(path),
        tz: v.tz(),
        decode: sink.wants_everything(),
        glance: glances.then(|| (v.now(), floor.clone())),
        memo: memo
            .filter(|_| glances)
            .map(|(at, context)| Arc::new(Memo::read(at, context))),
    };
    let mut fresh = settings.memo.clone().map(Fresh::new);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let block_size = BLOCK_SIZE.with(Cell::get);
    let small = file
        .metadata()
        .map_or(true, |m| m.len() <= block_size as u64);

    let mut base = 0usize;
    let mut admit = |v: &mut Validator, cb: CheckedBlock, sink: &mut dyn ArticleSink| {
        let count = cb.count;
        let spare = admit_block(v, cb, base, &settings, sink, fresh.as_mut());
        base += count;
        if glances {
            if let Some(f) = sink.floor() {
                floor.store(f.timestamp(), Ordering::Relaxed);
            }
        }
        spare
    };

    if small || workers < 2 {
        let mut blocks = Blocks::new(&mut file, block_size);
        let mut spare = None;
        while let Some(block) = blocks.next_block(spare.take()).map_err(read_err)? {
            let checked = check_block(block, &settings);
            spare = admit(v, checked, sink);
        }
        return Ok(fresh);
    }

    // Reader → workers (round robin) → this thread, in the same order.
    std::thread::scope(|s| -> Result<(), Error> {
        let mut to_workers: Vec<SyncSender<Arc<Vec<u8>>>> = Vec::new();
        let mut from_workers: Vec<Receiver<CheckedBlock>> = Vec::new();
        for _ in 0..workers {
            let (tx, rx) = sync_channel::<Arc<Vec<u8>>>(QUEUE);
            let (done_tx, done_rx) = sync_channel::<CheckedBlock>(QUEUE);
            let settings = settings.clone();
            s.spawn(move || {
                for block in rx {
                    if done_tx.send(check_block(block, &settings)).is_err() {
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
            let mut blocks = Blocks::new(&mut file, block_size);
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
    })?;
    Ok(fresh)
}

/// Admits a checked block's lines in order; `base`: lines before it.
/// Gives the block back when no one else holds it.
fn admit_block(
    v: &mut Validator,
    mut cb: CheckedBlock,
    base: usize,
    settings: &Settings,
    sink: &mut dyn ArticleSink,
    mut fresh: Option<&mut Fresh>,
) -> Option<Vec<u8>> {
    let block = &cb.block;
    let admit_checked = |v: &mut Validator,
                         mut checked: Box<Checked>,
                         body: LineBody,
                         sink: &mut dyn ArticleSink| {
        checked.shift(base);
        v.admit(
            *checked,
            || match body {
                LineBody::None => Ok(None),
                LineBody::Raw(r) => decode_body(&block[r]).map(|h| Some(Body::Html(h))),
                LineBody::Decoded(h) => h.map(|h| Some(Body::Html(h))),
            },
            sink,
        );
    };
    let mut lines = cb.lines;
    // One list for every line's categories, not one each.
    let mut categories: Vec<&str> = Vec::new();
    // One origin too, its line changed: a clone of the path's `Arc` per
    // line was a visible part of this thread's work.
    let mut origin = Origin {
        path: settings.path.clone(),
        line: 0,
    };
    if let Some(fresh) = fresh.as_deref_mut() {
        fresh.take_block(std::mem::take(&mut cb.memo));
    }
    let texts = &cb.texts;
    let text = |r: &Range<u32>| texts.get(r);
    for line in lines.iter_mut() {
        if let Some(fresh) = fresh.as_deref_mut() {
            match &line.memo {
                MemoRef::None => {}
                MemoRef::Old(at) => fresh.keep(at.clone()),
                MemoRef::New(r) => fresh.add(r.clone()),
            }
        }
        let g: &Glanced = match &mut line.kind {
            LineKind::Glanced(g) => g,
            LineKind::Admitted => continue,
            kind @ LineKind::Checked { .. } => {
                if let LineKind::Checked { checked, body } =
                    std::mem::replace(kind, LineKind::Admitted)
                {
                    admit_checked(v, checked, body, sink);
                }
                continue;
            }
        };
        categories.clear();
        let listed = &texts.categories[g.categories.start as usize..g.categories.end as usize];
        categories.extend(listed.iter().map(text));
        origin.line = base + line.number;
        let glance = Glance {
            origin: &origin,
            id: text(&g.id),
            url: text(&g.url),
            published: g.published,
            updated: g.updated,
            title: text(&g.title),
            categories: &categories,
        };
        if glance.published > v.now() || !sink.wants_glance(&glance) {
            v.admit_glance(&glance, sink);
            continue;
        }
        // Wanted after all: built from its bytes, as any line.
        let full = Settings {
            glance: None,
            ..settings.clone()
        };
        let bytes = &block[g.bytes.clone()];
        if let Some(Line {
            kind: LineKind::Checked { checked, body },
            ..
        }) = check_line(
            bytes,
            None,
            g.bytes.start,
            line.number,
            &full,
            &mut Texts::default(),
            None,
        ) {
            admit_checked(v, checked, body, sink);
        }
    }
    Arc::try_unwrap(cb.block).ok()
}

fn decode_body(raw: &[u8]) -> Result<String, String> {
    serde_json::from_slice::<String>(raw).map_err(|e| format!("{e}"))
}

/// Reads a file in blocks of whole lines.
struct Blocks<'f> {
    file: &'f mut std::fs::File,
    /// Bytes read at a time.
    size: usize,
    carry: Vec<u8>,
    done: bool,
    /// Nothing read yet: a byte-order mark may come.
    first: bool,
}

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<'f> Blocks<'f> {
    fn new(file: &'f mut std::fs::File, size: usize) -> Self {
        Blocks {
            file,
            size,
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
        // A used block keeps its length: its bytes are overwritten, not
        // zeroed first (that would be one more pass over the file).
        let mut buf = spare.unwrap_or_default();
        let mut filled = self.carry.len();
        if buf.len() < filled + self.size {
            buf.resize(filled + self.size, 0);
        }
        buf[..filled].copy_from_slice(&self.carry);
        self.carry.clear();
        loop {
            let start = filled;
            // Reads as large as the room left: `read_to_end` starts at
            // 8 KiB and doubles, six system calls a block.
            let mut eof = false;
            while filled < buf.len() {
                match self.file.read(&mut buf[filled..]) {
                    Ok(0) => {
                        eof = true;
                        break;
                    }
                    Ok(n) => filled += n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            // The first read holds the file's first bytes (up to a block).
            if std::mem::take(&mut self.first) && buf[..filled].starts_with(BOM) {
                buf.copy_within(BOM.len()..filled, 0);
                filled -= BOM.len();
            }
            if eof {
                self.done = true;
                buf.truncate(filled);
                return Ok((filled > 0).then(|| Arc::new(buf)));
            }
            if let Some(last_nl) = memchr::memrchr(b'\n', &buf[start..filled]) {
                let end = start + last_nl + 1;
                self.carry.extend_from_slice(&buf[end..filled]);
                buf.truncate(end);
                return Ok(Some(Arc::new(buf)));
            }
            // A line longer than a block makes the block grow.
            buf.resize(filled + self.size, 0);
        }
    }
}

fn check_block(block: Arc<Vec<u8>>, settings: &Settings) -> CheckedBlock {
    // A line's result is large: sized for lines of a couple of kilobytes
    // (an export's with its bodies), growing the list copied them over
    // and over. Counting the lines first cost more than that.
    let mut lines = Vec::with_capacity(block.len() / 2048 + 16);
    // Sized for the id, URL, title and categories of each line.
    let mut texts = Texts::default();
    if settings.glance.is_some() {
        texts.strings.reserve(block.len() / 8);
        texts.categories.reserve(block.len() / 1024);
    }
    let mut count = 0;
    let memo_read = settings.memo.as_deref();
    // Sized for an entry per line of a couple of kilobytes when every
    // line is new; growing it copied the entries over and over.
    let mut memo = match memo_read {
        Some(m) if m.is_empty() => Vec::with_capacity(block.len() / 48),
        _ => Vec::new(),
    };
    let mut spans = Vec::new();
    // One check of the whole block, much faster than one per line; a
    // block that fails it is checked line by line, to say which. With a
    // memo to look lines up in, most lines are not read at all: then
    // only the others are checked, one by one.
    let text = match memo_read {
        Some(m) if !m.is_empty() => None,
        _ => simdutf8::basic::from_utf8(&block).ok(),
    };
    let bytes: &[u8] = &block;
    let mut offset = 0;
    while offset < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[offset..]).map_or(bytes.len(), |i| offset + i + 1);
        count += 1;
        let line = &bytes[offset..end];
        let hash = memo_read.map(|m| m.hash(line));
        if let (Some(m), Some(hash)) = (memo_read, hash) {
            if let Some(l) = recall(m, hash, line, offset, count, &mut texts, &mut spans) {
                lines.push(l);
                offset = end;
                continue;
            }
        }
        let line_text = text.map(|t| &t[offset..end]);
        let made = hash.map(|h| (h, &mut memo));
        if let Some(l) = check_line(line, line_text, offset, count, settings, &mut texts, made) {
            lines.push(l);
        }
        offset = end;
    }
    CheckedBlock {
        block,
        lines,
        texts,
        memo,
        count,
    }
}

/// Line `number` of a block, `bytes` found at `at` in it and hashed
/// `hash`, glanced from the memo's entry for it, when there is one and
/// its spans are text in the line; `None`: the line is checked. Unlike a
/// glance, whatever its date: a line the sink wants (the newest few
/// hundred of a daily build) is built from its bytes when admitted, as
/// any glanced line it wants after all.
fn recall(
    memo: &Memo,
    hash: u128,
    bytes: &[u8],
    at: usize,
    number: usize,
    texts: &mut Texts,
    categories: &mut Vec<Range<usize>>,
) -> Option<Line> {
    let pos = memo.find(hash)?;
    let e = memo.entry(pos, categories)?;
    // The values lie near the start of a line, its body after them: one
    // check of the bytes up to the last value, then each is a slice of it
    // on character boundaries (one check per value cost ten times more).
    let spans = [&e.id, &e.url, &e.title];
    let end = spans
        .into_iter()
        .chain(categories.iter())
        .map(|r| r.end)
        .max()?;
    let head = simdutf8::basic::from_utf8(bytes.get(..end)?).ok()?;
    let text = |r: &Range<usize>| head.get(r.clone());
    let values = [text(&e.id)?, text(&e.url)?, text(&e.title)?];
    if categories.iter().any(|c| text(c).is_none()) {
        return None;
    }
    let listed = categories.iter().map(|c| text(c).unwrap_or_default());
    let dates = (e.published, e.updated);
    let place = (number, at..at + bytes.len());
    glanced(texts, place, values, listed, dates, MemoRef::Old(e.at))
}

/// Glanced line `number`, found at `bytes` in its block: its id, URL and
/// title, its categories and its dates (published, updated), their
/// strings put in `texts`; `None` when they do not fit there.
fn glanced<'a>(
    texts: &mut Texts,
    (number, bytes): (usize, Range<usize>),
    [id, url, title]: [&str; 3],
    categories: impl Iterator<Item = &'a str> + Clone,
    (published, updated): (DateTime<Utc>, DateTime<Utc>),
    memo: MemoRef,
) -> Option<Line> {
    let size = id.len() + url.len() + title.len() + categories.clone().map(str::len).sum::<usize>();
    if !texts.has_room(size, categories.clone().count()) {
        return None;
    }
    let (id, url, title) = (texts.put(id), texts.put(url), texts.put(title));
    let first = texts.categories.len();
    for c in categories {
        let r = texts.put(c);
        texts.categories.push(r);
    }
    Some(Line {
        number,
        kind: LineKind::Glanced(Glanced {
            bytes,
            id,
            url,
            title,
            categories: to_u32(first)..to_u32(texts.categories.len()),
            published,
            updated,
        }),
        memo,
    })
}

/// Checks line `number` of a block, `bytes` (`text` when already known to
/// be UTF-8), found at `at` in the block. With `memo` (the line's hash,
/// and the block's new entries), a glanced line gets an entry.
fn check_line(
    bytes: &[u8],
    text: Option<&str>,
    at: usize,
    number: usize,
    settings: &Settings,
    texts: &mut Texts,
    memo: Option<(u128, &mut Vec<u8>)>,
) -> Option<Line> {
    let origin = || Origin {
        path: settings.path.clone(),
        line: number,
    };
    let problem = |field: &str, msg: String| Line {
        number,
        kind: LineKind::Checked {
            checked: Box::new(Checked::Invalid {
                problems: vec![crate::error::Problem::new(
                    &settings.path,
                    Some(number),
                    field,
                    msg,
                )],
                warnings: Vec::new(),
            }),
            body: LineBody::None,
        },
        memo: MemoRef::None,
    };
    let Some(text) = text.or_else(|| simdutf8::basic::from_utf8(bytes).ok()) else {
        return Some(problem(
            "",
            "not valid UTF-8; the export must be UTF-8".into(),
        ));
    };
    if text.trim().is_empty() {
        return None;
    }
    // The scanner reads the common shape of a line several times faster
    // than serde; what it cannot vouch for, serde reads (and words).
    let raw = match scan::record(text) {
        Some(r) => r,
        None => {
            // Parsed plainly first: tracking the path of every field costs
            // a third of the parse, and only an error needs it.
            let mut de = serde_json::Deserializer::from_str(text);
            let raw = match RawArticle::<'_, &RawValue>::deserialize(&mut de) {
                Ok(r) => r,
                Err(_) => return Some(problem_of(text, problem)),
            };
            // A second record on the same line (two lines joined by a
            // broken export) must not be dropped without a word.
            if de.end().is_err() {
                return Some(problem_of(text, problem));
            }
            raw.map_body(|h| h.get())
        }
    };
    // The body's raw JSON text, within the line.
    let body = match raw.content_html {
        Some(h) if h != "null" => {
            let start = h.as_ptr() as usize - text.as_ptr() as usize;
            let range = at + start..at + start + h.len();
            if settings.decode {
                LineBody::Decoded(decode_body(h.as_bytes()))
            } else {
                LineBody::Raw(range)
            }
        }
        _ => LineBody::None,
    };
    let has_body = !matches!(body, LineBody::None);
    // A line is glanced when dated where the sink will not want it (before
    // the floor, or after now) and [`super::glance`] vouches for it; the
    // memo takes an entry for any line a glance vouches for, whatever its
    // date, so that what it holds does not depend on when the floor rose.
    let published = settings
        .glance
        .as_ref()
        .and_then(|_| super::date::parse(&raw.published.as_ref()?.0, settings.tz).ok());
    let glanceable = published.is_some_and(|p| {
        settings
            .glance
            .as_ref()
            .is_some_and(|(now, floor)| p > *now || p.timestamp() < floor.load(Ordering::Relaxed))
    });
    let quick = published
        .filter(|_| glanceable || memo.is_some())
        .and_then(|p| super::glance(&raw, has_body, p, settings.tz));
    let entry = match (&quick, memo) {
        (Some(q), Some((hash, out))) => memo::encode(hash, q, text, out),
        _ => None,
    };
    let entry = entry.map_or(MemoRef::None, MemoRef::New);
    if let Some(quick) = quick.filter(|_| glanceable) {
        let values = [&*quick.id, &*quick.url, &*quick.title];
        let listed = quick.categories.iter().map(|c| &**c);
        let dates = (quick.published, quick.updated);
        let place = (number, at..at + bytes.len());
        // `entry` is cheap to clone: a range or nothing.
        if let Some(line) = glanced(texts, place, values, listed, dates, entry.clone()) {
            return Some(line);
        }
    }
    let checked = Box::new(check(raw, has_body, &origin(), &|_| None, settings.tz));
    Some(Line {
        number,
        kind: LineKind::Checked { checked, body },
        memo: entry,
    })
}

/// The problem of a line that is not a record, named as precisely as the
/// parser can: the field it was reading, and the column.
fn problem_of(text: &str, problem: impl Fn(&str, String) -> Line) -> Line {
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed: Result<RawArticle<'_, &RawValue>, _> = serde_path_to_error::deserialize(&mut de);
    let e = match parsed {
        Err(e) => e,
        Ok(_) => {
            let column = match de.end() {
                Err(e) => e.column(),
                // Neither parse nor end failed: `check_line` did not fail.
                Ok(()) => return problem("", "not a JSON object".into()),
            };
            return problem(
                "",
                format!(
                    "more text follows the record (column {column}); expected one JSON object per line"
                ),
            );
        }
    };
    let field = e.path().to_string();
    let field = if field == "." { String::new() } else { field };
    let msg = if e.inner().is_eof() {
        "the line ends in the middle of a record; expected one complete JSON object per line"
            .to_owned()
    } else {
        let msg = e.inner().to_string();
        // serde_json appends " at line 1 column N": the line is ours.
        match msg.rfind(" at line ") {
            Some(i) => format!("{} (column {})", &msg[..i], e.inner().column()),
            None => msg,
        }
    };
    problem(&field, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The blocks of a file, each built in the last one given back.
    fn blocks_of(bytes: &[u8]) -> Vec<Vec<u8>> {
        let path = std::env::temp_dir().join(format!(
            "matinale-blocks-{}-{}.jsonl",
            std::process::id(),
            bytes.len()
        ));
        std::fs::write(&path, bytes).unwrap();
        let mut file = std::fs::File::open(&path).unwrap();
        let mut blocks = Blocks::new(&mut file, BLOCK);
        let mut out = Vec::new();
        let mut spare = None;
        while let Some(block) = blocks.next_block(spare.take()).unwrap() {
            let block = Arc::try_unwrap(block).unwrap();
            out.push(block.clone());
            spare = Some(block);
        }
        std::fs::remove_file(&path).unwrap();
        out
    }

    #[test]
    fn blocks_are_whole_lines_and_together_the_file() {
        let mut text = Vec::new();
        for (i, len) in [10, 3000, BLOCK - 7, 5, 2 * BLOCK + 11, 1, 0, 700, BLOCK]
            .into_iter()
            .enumerate()
        {
            text.extend(std::iter::repeat_n(b'a' + i as u8, len));
            text.push(b'\n');
        }
        for tail in [&b""[..], b"no newline at the end"] {
            let mut file = text.clone();
            file.extend_from_slice(tail);
            for bom in [false, true] {
                let mut bytes = if bom { BOM.to_vec() } else { Vec::new() };
                bytes.extend_from_slice(&file);
                let blocks = blocks_of(&bytes);
                assert!(blocks.iter().all(|b| !b.is_empty()));
                for b in &blocks[..blocks.len() - 1] {
                    assert_eq!(b.last(), Some(&b'\n'));
                }
                assert_eq!(blocks.concat(), file, "bom {bom}, tail {tail:?}");
            }
        }
        assert!(blocks_of(b"").is_empty());
        assert!(blocks_of(BOM).is_empty());
    }
}
