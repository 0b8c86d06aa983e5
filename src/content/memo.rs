//! What the last run found of each line of a JSON Lines export (the
//! memo), so that a line whose bytes have not changed since is not read
//! again.
//!
//! A daily build reads the whole export for the few articles it shows,
//! every few minutes, and between two runs nearly every line is the same.
//! Checking a line (parsing it, its dates, URLs and text) costs a few
//! microseconds; hashing its bytes, a tenth of that or less. For each
//! line that [`super::glance`] vouches for, whatever its date, the memo
//! keeps a 128-bit hash of its bytes and where its [`Quick`] values lie
//! in it: the spans of its id, URL, title and categories, and its two
//! dates. A line whose hash is found here is glanced from those spans,
//! with the values the glance gave for the same bytes; any other line is
//! checked as before.
//!
//! A wrong memo must never change a byte of output nor a word of a
//! report, so it is only ever a miss: the file is read whole and checked
//! (magic, version, context, checksum, every entry whole), and a span
//! that does not fit its line, or is not UTF-8 there, makes the line a
//! miss. Only a line a glance vouches for (valid, no warning) with its
//! values borrowed from its own bytes is kept, so a line with a problem
//! is checked, and reported, on every run. The hash is XXH3 with a seed taken from the
//! context: a collision between two lines of one export is as likely as
//! guessing 128 random bits.
//!
//! The memo holds the lines of the export that the last run read and
//! nothing else, about 40 bytes a line; the build writes it through
//! [`crate::output::Staging`] with the outputs. This module reads it.

use super::Quick;
use chrono::{DateTime, Utc};
use hashbrown::HashTable;
use std::borrow::Cow;
use std::io::{self, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use xxhash_rust::xxh3::{xxh3_128_with_seed, xxh3_64, Xxh3Default};

/// The first bytes of a memo file; the version changes with its layout
/// or with what an entry means.
const MAGIC: &[u8] = b"matinale glanced lines\n";
const VERSION: u32 = 1;
/// Magic, version, context, count.
const HEADER: usize = MAGIC.len() + 4 + 16 + 4;

/// The memo of the last run, as read.
pub struct Memo {
    context: u128,
    seed: u64,
    /// The entries, one after the other (see [`encode`]).
    bytes: Vec<u8>,
    count: u32,
    /// Where each entry starts in `bytes`, by the low 64 bits of its hash.
    table: HashTable<u32>,
}

/// Where an entry's values lie in its line, and its dates.
#[derive(Debug, PartialEq, Eq)]
pub struct Entry {
    /// The entry's own bytes in the memo, to keep it in the next one.
    pub at: Range<u32>,
    pub id: Range<usize>,
    pub url: Range<usize>,
    pub title: Range<usize>,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

impl Memo {
    /// A memo with nothing in it, for runs of `context`.
    pub fn empty(context: u128) -> Memo {
        Memo {
            context,
            seed: context as u64,
            bytes: Vec::new(),
            count: 0,
            table: HashTable::new(),
        }
    }

    /// The memo at `path` if it was written for `context`; an empty one
    /// if it is missing, unreadable, damaged or another context's.
    pub fn read(path: &Path, context: u128) -> Memo {
        std::fs::read(path)
            .ok()
            .and_then(|file| Memo::decode(file, context))
            .unwrap_or_else(|| Memo::empty(context))
    }

    /// The memo in `file`, if it is whole and of `context`.
    pub fn decode(mut file: Vec<u8>, context: u128) -> Option<Memo> {
        let body = file.len().checked_sub(8)?;
        let sum = u64::from_le_bytes(file[body..].try_into().ok()?);
        if xxh3_64(&file[..body]) != sum || body < HEADER || !file.starts_with(MAGIC) {
            return None;
        }
        let mut at = MAGIC.len();
        let mut take = |n: usize| {
            let bytes = &file[at..at + n];
            at += n;
            bytes
        };
        let version = u32::from_le_bytes(take(4).try_into().ok()?);
        let of = u128::from_le_bytes(take(16).try_into().ok()?);
        let count = u32::from_le_bytes(take(4).try_into().ok()?);
        if version != VERSION || of != context {
            return None;
        }
        file.truncate(body);
        file.drain(..HEADER);
        let mut memo = Memo {
            bytes: file,
            count,
            ..Memo::empty(context)
        };
        // A count no file of this length could hold is not believed.
        let most = memo.bytes.len() / 24;
        memo.table.reserve((count as usize).min(most), |_| 0);
        let mut pos = 0;
        for _ in 0..count {
            let end = entry_end(&memo.bytes, pos)?;
            let hash = memo.hash_at(pos);
            let Memo { table, bytes, .. } = &mut memo;
            let at = |p: &u32| hash_of(bytes, *p as usize);
            if table.find(hash as u64, |p| at(p) == hash).is_none() {
                table.insert_unique(hash as u64, u32::try_from(pos).ok()?, |p| at(p) as u64);
            }
            pos = end;
        }
        (pos == memo.bytes.len()).then_some(memo)
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The hash of a line's bytes, as entries are keyed.
    pub fn hash(&self, line: &[u8]) -> u128 {
        xxh3_128_with_seed(line, self.seed)
    }

    fn hash_at(&self, pos: usize) -> u128 {
        hash_of(&self.bytes, pos)
    }

    /// The entry of the line whose hash is `hash`: where it starts.
    pub fn find(&self, hash: u128) -> Option<u32> {
        self.table
            .find(hash as u64, |&p| self.hash_at(p as usize) == hash)
            .copied()
    }

    /// The entry at `pos`, its categories' spans in `categories`.
    pub fn entry(&self, pos: u32, categories: &mut Vec<Range<usize>>) -> Option<Entry> {
        let mut r = Reader {
            bytes: &self.bytes,
            at: pos as usize + 16,
        };
        let secs = i64::from_le_bytes(r.take(8)?.try_into().ok()?);
        let nanos = u32::try_from(r.varint()?).ok()?;
        let published = DateTime::from_timestamp(secs, nanos)?;
        let later = i64::try_from(r.varint()?).ok()?;
        let nanos = u32::try_from(r.varint()?).ok()?;
        let updated = DateTime::from_timestamp(secs.checked_add(later)?, nanos)?;
        let id = r.span()?;
        let url = r.span()?;
        let title = r.span()?;
        categories.clear();
        for _ in 0..r.varint()? {
            categories.push(r.span()?);
        }
        Some(Entry {
            at: pos..u32::try_from(r.at).ok()?,
            id,
            url,
            title,
            published,
            updated,
        })
    }
}

fn hash_of(bytes: &[u8], pos: usize) -> u128 {
    let mut h = [0u8; 16];
    h.copy_from_slice(&bytes[pos..pos + 16]);
    u128::from_le_bytes(h)
}

/// Where the entry at `pos` ends, if it is whole.
fn entry_end(bytes: &[u8], pos: usize) -> Option<usize> {
    let mut r = Reader {
        bytes,
        at: pos.checked_add(24).filter(|&e| e <= bytes.len())?,
    };
    for _ in 0..3 {
        r.varint()?;
    }
    for _ in 0..3 {
        r.span()?;
    }
    for _ in 0..r.varint()? {
        r.span()?;
    }
    Some(r.at)
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Option<&[u8]> {
        let bytes = self.bytes.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(bytes)
    }

    /// LEB128, at most 64 bits.
    fn varint(&mut self) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = *self.bytes.get(self.at)?;
            self.at += 1;
            v |= u64::from(b & 0x7f).checked_shl(shift)?;
            if b & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }

    fn span(&mut self) -> Option<Range<usize>> {
        let start = usize::try_from(self.varint()?).ok()?;
        let len = usize::try_from(self.varint()?).ok()?;
        Some(start..start.checked_add(len)?)
    }
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Appends the entry of a line (`line`, hashed `hash`) glanced as
/// `quick`; nothing when a value is not borrowed from the line itself (an
/// escape decoded, spaces folded) or its update precedes its
/// publication. Gives the entry's place in `out`.
pub fn encode(
    hash: u128,
    quick: &Quick<'_>,
    line: &str,
    out: &mut Vec<u8>,
) -> Option<Range<usize>> {
    let base = line.as_ptr() as usize;
    let span = |s: &Cow<'_, str>| -> Option<(u64, u64)> {
        let Cow::Borrowed(s) = s else { return None };
        let start = (s.as_ptr() as usize).checked_sub(base)?;
        (start + s.len() <= line.len()).then_some((start as u64, s.len() as u64))
    };
    let spans = [span(&quick.id)?, span(&quick.url)?, span(&quick.title)?];
    if !quick.categories.iter().all(|c| span(c).is_some()) {
        return None;
    }
    let later = quick.updated.timestamp() - quick.published.timestamp();
    if later < 0 {
        return None;
    }
    let start = out.len();
    out.extend_from_slice(&hash.to_le_bytes());
    out.extend_from_slice(&quick.published.timestamp().to_le_bytes());
    put_varint(out, u64::from(quick.published.timestamp_subsec_nanos()));
    put_varint(out, later as u64);
    put_varint(out, u64::from(quick.updated.timestamp_subsec_nanos()));
    for (s, len) in spans {
        put_varint(out, s);
        put_varint(out, len);
    }
    put_varint(out, quick.categories.len() as u64);
    for (s, len) in quick.categories.iter().filter_map(span) {
        put_varint(out, s);
        put_varint(out, len);
    }
    Some(start..out.len())
}

/// The memo a run leaves: its lines' entries in file order, each an entry
/// of the memo it read or one it made.
pub struct Fresh {
    old: Arc<Memo>,
    /// Runs of entries, each a span of the old memo or (top bit set) of
    /// the new entries, all blocks' one after the other. Lines that have
    /// not changed follow each other in the old memo as in the export, so
    /// a run is most of it, written in one piece.
    runs: Vec<Range<u32>>,
    count: usize,
    /// The new entries of each block, kept as they were made (copying
    /// them into one list cost as much again).
    new: Vec<Vec<u8>>,
    /// Where each of `new` starts, in them all.
    starts: Vec<usize>,
    new_len: usize,
    reused: usize,
    /// An entry could not be placed (over 2 GiB): the memo stops there.
    full: bool,
}

const NEW: u32 = 1 << 31;

impl Fresh {
    pub fn new(old: Arc<Memo>) -> Fresh {
        Fresh {
            old,
            runs: Vec::new(),
            count: 0,
            new: Vec::new(),
            starts: Vec::new(),
            new_len: 0,
            reused: 0,
            full: false,
        }
    }

    /// The next line has the entry `at` of the old memo ([`Entry::at`]).
    pub fn keep(&mut self, at: Range<u32>) {
        if self.push(at, false) {
            self.reused += 1;
        }
    }

    /// Takes a block's new entries, which [`Self::add`] then names.
    pub fn take_block(&mut self, entries: Vec<u8>) {
        if !entries.is_empty() {
            self.starts.push(self.new_len);
            self.new_len += entries.len();
            self.new.push(entries);
        }
    }

    /// The next line has the new entry at `r` in the entries of the block
    /// last taken.
    pub fn add(&mut self, r: Range<usize>) {
        let Some(&base) = self.starts.last() else {
            self.full = true;
            return;
        };
        let at = u32::try_from(base + r.start).ok();
        let end = u32::try_from(base + r.end).ok();
        match (at, end) {
            (Some(at), Some(end)) => {
                self.push(at..end, true);
            }
            _ => self.full = true,
        }
    }

    /// Appends an entry to the runs; whether it was.
    fn push(&mut self, r: Range<u32>, new: bool) -> bool {
        if self.full || r.end >= NEW || r.start > r.end {
            self.full = true;
            return false;
        }
        let flag = if new { NEW } else { 0 };
        let r = r.start | flag..r.end | flag;
        match self.runs.last_mut() {
            Some(last) if last.end == r.start => last.end = r.end,
            _ => self.runs.push(r),
        }
        self.count += 1;
        true
    }

    /// Lines recalled from the old memo.
    pub fn reused(&self) -> usize {
        self.reused
    }

    /// Lines in the memo written.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Writes the memo file.
    pub fn write(&self, w: &mut impl Write) -> io::Result<()> {
        let mut w = Summed {
            w,
            sum: Xxh3Default::new(),
        };
        w.put(MAGIC)?;
        w.put(&VERSION.to_le_bytes())?;
        w.put(&self.old.context.to_le_bytes())?;
        let count = u32::try_from(self.count).map_err(io::Error::other)?;
        w.put(&count.to_le_bytes())?;
        let cut = || io::Error::other("a memo entry is out of place");
        for run in &self.runs {
            if run.start & NEW == 0 {
                let bytes = self.old.bytes.get(run.start as usize..run.end as usize);
                w.put(bytes.ok_or_else(cut)?)?;
                continue;
            }
            // New entries, maybe over several blocks.
            let (mut at, end) = ((run.start & !NEW) as usize, (run.end & !NEW) as usize);
            while at < end {
                let block = self.starts.partition_point(|&s| s <= at).checked_sub(1);
                let block = block.ok_or_else(cut)?;
                let start = self.starts[block];
                let bytes = &self.new[block];
                let to = end.min(start + bytes.len());
                w.put(bytes.get(at - start..to - start).ok_or_else(cut)?)?;
                at = to;
            }
        }
        let sum = w.sum.digest();
        w.w.write_all(&sum.to_le_bytes())
    }
}

impl std::fmt::Debug for Fresh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fresh")
            .field("lines", &self.count)
            .field("reused", &self.reused)
            .finish()
    }
}

/// A writer that sums what goes through it.
struct Summed<'w, W: Write> {
    w: &'w mut W,
    sum: Xxh3Default,
}

impl<W: Write> Summed<'_, W> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.sum.update(bytes);
        self.w.write_all(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"id": "a1", "url": "https://ex.org/a/", "title": "Titre", "categories": ["Tech", "Web"]}"#;

    fn date(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    /// The glance of `line`, its values borrowed from it where `find` says.
    fn quick<'a>(line: &'a str, categories: &[&str]) -> Quick<'a> {
        let find = |s: &str| Cow::Borrowed(&line[line.find(s).unwrap()..][..s.len()]);
        Quick {
            id: Cow::Borrowed(&line[8..10]),
            url: find("https://ex.org/a/"),
            published: date("2026-11-20T08:00:00.5+01:00"),
            updated: date("2026-11-21T09:30:00+01:00"),
            title: find("Titre"),
            categories: categories.iter().map(|c| find(c)).collect(),
        }
    }

    fn written(fresh: &Fresh) -> Vec<u8> {
        let mut file = Vec::new();
        fresh.write(&mut file).unwrap();
        file
    }

    /// A memo of `lines`, each glanced with the categories given.
    fn memo_of(context: u128, lines: &[(&str, &[&str])]) -> Vec<u8> {
        let mut fresh = Fresh::new(Arc::new(Memo::empty(context)));
        let memo = Memo::empty(context);
        for (line, categories) in lines {
            let mut out = Vec::new();
            let r = encode(
                memo.hash(line.as_bytes()),
                &quick(line, categories),
                line,
                &mut out,
            );
            fresh.take_block(out);
            fresh.add(r.unwrap());
        }
        written(&fresh)
    }

    #[test]
    fn an_entry_gives_back_the_spans_and_dates_of_its_line() {
        let other = LINE.replace("a1", "b2");
        let file = memo_of(7, &[(LINE, &["Tech", "Web"]), (&other, &[])]);
        let memo = Memo::decode(file, 7).unwrap();
        let pos = memo.find(memo.hash(LINE.as_bytes())).unwrap();
        let mut categories = Vec::new();
        let e = memo.entry(pos, &mut categories).unwrap();
        assert_eq!(&LINE[e.id], "a1");
        assert_eq!(&LINE[e.url], "https://ex.org/a/");
        assert_eq!(&LINE[e.title], "Titre");
        let names: Vec<&str> = categories.iter().map(|c| &LINE[c.clone()]).collect();
        assert_eq!(names, ["Tech", "Web"]);
        assert_eq!(e.published, date("2026-11-20T08:00:00.5+01:00"));
        assert_eq!(e.updated, date("2026-11-21T09:30:00+01:00"));
        let pos = memo.find(memo.hash(other.as_bytes())).unwrap();
        assert!(memo.entry(pos, &mut categories).is_some());
        assert!(categories.is_empty());
        // A line one byte away is not found.
        assert_eq!(
            memo.find(memo.hash(LINE.replace("a1", "a2").as_bytes())),
            None
        );
    }

    #[test]
    fn a_damaged_or_foreign_memo_is_no_memo() {
        let file = memo_of(7, &[(LINE, &["Tech"])]);
        assert!(Memo::decode(file.clone(), 7).is_some());
        assert!(Memo::decode(file.clone(), 8).is_none());
        for i in 0..file.len() {
            let mut bad = file.clone();
            bad[i] ^= 0x01;
            assert!(Memo::decode(bad, 7).is_none(), "byte {i} flipped");
            assert!(Memo::decode(file[..i].to_vec(), 7).is_none(), "cut at {i}");
        }
        let empty = Memo::read(Path::new("/nonexistent/memo.bin"), 7);
        assert!(empty.is_empty());
    }

    #[test]
    fn values_not_borrowed_from_the_line_make_no_entry() {
        let mut q = quick(LINE, &["Tech"]);
        q.title = Cow::Owned("Titre".into());
        assert_eq!(encode(1, &q, LINE, &mut Vec::new()), None);
        // Borrowed, but from another string.
        let elsewhere = String::from("Tech");
        let mut q = quick(LINE, &[]);
        q.categories = vec![Cow::Borrowed(elsewhere.as_str())];
        assert_eq!(encode(1, &q, LINE, &mut Vec::new()), None);
        let mut q = quick(LINE, &[]);
        q.updated = date("2026-11-19T00:00:00Z");
        assert_eq!(encode(1, &q, LINE, &mut Vec::new()), None);
    }

    #[test]
    fn a_new_memo_keeps_old_entries_and_adds_new_ones_in_order() {
        let (b, c) = (LINE.replace("a1", "b2"), LINE.replace("a1", "c3"));
        let old = Arc::new(Memo::decode(memo_of(7, &[(LINE, &[]), (&b, &["Web"])]), 7).unwrap());
        let mut fresh = Fresh::new(old.clone());
        let mut out = Vec::new();
        let r = encode(old.hash(c.as_bytes()), &quick(&c, &[]), &c, &mut out).unwrap();
        fresh.take_block(out);
        fresh.add(r);
        let pos = old.find(old.hash(b.as_bytes())).unwrap();
        fresh.keep(old.entry(pos, &mut Vec::new()).unwrap().at);
        assert_eq!((fresh.len(), fresh.reused()), (2, 1));
        let memo = Memo::decode(written(&fresh), 7).unwrap();
        assert_eq!(memo.count, 2);
        assert!(memo.find(memo.hash(LINE.as_bytes())).is_none());
        let mut categories = Vec::new();
        for (line, n) in [(&c, 0), (&b, 1)] {
            let pos = memo.find(memo.hash(line.as_bytes())).unwrap();
            let e = memo.entry(pos, &mut categories).unwrap();
            assert_eq!(&line[e.id], &line[8..10]);
            assert_eq!(categories.len(), n);
        }
        // The same lines again: the same bytes.
        let again = Memo::decode(written(&fresh), 7).unwrap();
        assert_eq!(again.bytes, memo.bytes);
    }

    #[test]
    fn runs_of_entries_across_blocks_are_written_whole_and_in_order() {
        let lines: Vec<String> = (0..6)
            .map(|i| LINE.replace("a1", &format!("a{i}")))
            .collect();
        let old = Arc::new(Memo::decode(memo_of(7, &[(&lines[5], &["Web"])]), 7).unwrap());
        let mut fresh = Fresh::new(old.clone());
        // Two blocks of two new entries, their runs meeting across them,
        // then the old entry, then a new one again.
        for block in [&lines[0..2], &lines[2..4]] {
            let mut out = Vec::new();
            let made: Vec<_> = block
                .iter()
                .map(|l| encode(old.hash(l.as_bytes()), &quick(l, &[]), l, &mut out).unwrap())
                .collect();
            fresh.take_block(out);
            for r in made {
                fresh.add(r);
            }
        }
        let pos = old.find(old.hash(lines[5].as_bytes())).unwrap();
        fresh.keep(old.entry(pos, &mut Vec::new()).unwrap().at);
        let mut out = Vec::new();
        let r = encode(
            old.hash(lines[4].as_bytes()),
            &quick(&lines[4], &[]),
            &lines[4],
            &mut out,
        );
        fresh.take_block(out);
        fresh.add(r.unwrap());
        assert_eq!((fresh.len(), fresh.reused(), fresh.runs.len()), (6, 1, 3));
        let memo = Memo::decode(written(&fresh), 7).unwrap();
        assert_eq!(memo.count, 6);
        let mut at = 0;
        for i in [0, 1, 2, 3, 5, 4] {
            let pos = memo.find(memo.hash(lines[i].as_bytes())).unwrap();
            assert_eq!(pos as usize, at, "line {i} in its place");
            at = memo.entry(pos, &mut Vec::new()).unwrap().at.end as usize;
        }
    }
}
