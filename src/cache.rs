//! The incremental cache: where the last build's feeds hold each article's
//! entries, so that a build renders only the articles that changed.
//!
//! Cleaning a body and rendering its entries is nearly all of a build's
//! work, and depends only on the article and the site's settings. Those
//! entries are already on disk, in the feeds the last build wrote; this
//! cache is their index. For each article it keeps a [`Key`] (a 128-bit
//! hash of the article, the slugs of its categories and the build's
//! [`context`]: the configuration and the matinale binary that rendered
//! it), where its entry lies in each format's file, and what cleaning its
//! body reported ([`Facts`]). A build copies the bytes of an unchanged
//! article's entries and renders only the others.
//!
//! Keeping the entries in the outputs rather than in a second copy costs a
//! cold build nothing (the feeds of a 100,000-article archive are 850 MB),
//! and bounds the cache by construction: it indexes the current feeds and
//! nothing else, about 100 bytes per article.
//!
//! A wrong cache must never change a byte of output, so it is only ever a
//! miss: the index is read whole and checked (magic, version, checksum,
//! context); a feed file it points at is used only if its device, inode,
//! size and modification time are those recorded when it was written (the
//! index is committed with the feeds, so a run killed between the two
//! leaves an index whose files do not match); and a reused entry must
//! still start and end like an entry of its format, or the article is
//! rendered afresh.
//!
//! This module reads the index and the old feeds; the index is written
//! through [`crate::output::Staging`] like every output.

use crate::config::Config;
use crate::content::{Article, Body};
use crate::layout::Format;
use std::collections::BTreeMap;
use std::fs::File;
use std::hash::Hasher;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An article's identity for the cache: equal keys, equal entries.
pub type Key = u128;

/// The first bytes of an index; the version changes with its layout or
/// with what a key covers.
const MAGIC: &[u8] = b"matinale feed entries\n";
const VERSION: u32 = 1;

/// A 128-bit hash: two SipHash-1-3 lanes with fixed keys (`std`'s
/// `DefaultHasher`). Its values may change with the Rust release, which
/// is harmless: a key is only compared with keys made by the same binary
/// (the binary is part of the [`context`]).
struct Hash128 {
    a: std::hash::DefaultHasher,
    b: std::hash::DefaultHasher,
}

impl Hash128 {
    fn new() -> Hash128 {
        let mut b = std::hash::DefaultHasher::new();
        b.write_u8(0x9e);
        Hash128 {
            a: std::hash::DefaultHasher::new(),
            b,
        }
    }

    fn bytes(&mut self, bytes: &[u8]) {
        self.a.write(bytes);
        self.b.write(bytes);
    }

    fn u64(&mut self, n: u64) {
        self.bytes(&n.to_le_bytes());
    }

    /// Length first, so that two strings never read as one.
    fn str(&mut self, s: &str) {
        self.u64(s.len() as u64);
        self.bytes(s.as_bytes());
    }

    fn opt_str(&mut self, s: Option<&str>) {
        match s {
            None => self.bytes(&[0]),
            Some(s) => {
                self.bytes(&[1]);
                self.str(s);
            }
        }
    }

    fn opt_u64(&mut self, n: Option<u64>) {
        match n {
            None => self.bytes(&[0]),
            Some(n) => {
                self.bytes(&[1]);
                self.u64(n);
            }
        }
    }

    fn finish(&self) -> Key {
        (u128::from(self.a.finish()) << 64) | u128::from(self.b.finish())
    }
}

/// What every entry of a build depends on besides its article: the whole
/// configuration, and the binary (its version, size and modification
/// time, so that a rebuilt matinale never reuses what another rendered).
/// `None` when the binary cannot be found: then nothing is cached.
pub fn context(config: &Config) -> Option<Key> {
    let exe = std::env::current_exe().ok()?;
    let meta = std::fs::metadata(exe).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    let mut h = Hash128::new();
    h.bytes(MAGIC);
    h.u64(u64::from(VERSION));
    h.str(env!("CARGO_PKG_VERSION"));
    h.u64(meta.len());
    h.u64(modified.as_secs());
    h.u64(u64::from(modified.subsec_nanos()));
    h.str(&format!("{config:?}"));
    Some(h.finish())
}

/// The key of `article`'s entries in a build of `context`, where its
/// categories have the slugs `slug` gives.
pub fn key(context: Key, article: &Article, slug: impl Fn(&str) -> String) -> Key {
    // Destructured so that a new field of `Article` cannot be forgotten
    // here: it would not compile.
    let Article {
        origin: _,
        id,
        title,
        url,
        published,
        updated,
        authors,
        categories,
        summary,
        body,
        image,
        comments,
        featured,
    } = article;
    let mut h = Hash128::new();
    h.bytes(&context.to_le_bytes());
    h.str(id);
    h.str(title);
    h.str(url.as_str());
    for d in [published, updated] {
        h.u64(d.timestamp() as u64);
        h.u64(u64::from(d.timestamp_subsec_nanos()));
    }
    h.u64(authors.len() as u64);
    for a in authors {
        h.str(&a.name);
        h.opt_str(a.email.as_deref());
        h.opt_str(a.url.as_ref().map(url::Url::as_str));
    }
    h.u64(categories.len() as u64);
    for c in categories {
        h.str(c);
        h.str(&slug(c));
    }
    h.opt_str(summary.as_deref());
    match body {
        None => h.bytes(&[0]),
        Some(Body::Html(s)) => {
            h.bytes(&[1]);
            h.str(s);
        }
        Some(Body::Markdown(s)) => {
            h.bytes(&[2]);
            h.str(s);
        }
    }
    match image {
        None => h.bytes(&[0]),
        Some(i) => {
            h.bytes(&[1]);
            h.str(i.url.as_str());
            h.str(&i.alt);
            h.opt_u64(i.width.map(u64::from));
            h.opt_u64(i.height.map(u64::from));
            h.opt_str(i.mime_type.as_deref());
            h.opt_u64(i.length);
        }
    }
    match comments {
        None => h.bytes(&[0]),
        Some(c) => {
            h.bytes(&[1]);
            h.u64(c.count);
            h.opt_str(c.url.as_ref().map(url::Url::as_str));
        }
    }
    h.bytes(&[u8::from(*featured)]);
    h.finish()
}

/// What a build reports of an article, kept so that reusing its entries
/// reports the same.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    /// Bytes of its summary and content in a feed (Google News reads 1 MB
    /// of an article).
    pub size: u64,
    /// What cleaning its body changed, without the article's place.
    pub warning: Option<String>,
}

/// Where an entry lies: a byte range of one of the indexed files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub file: u32,
    pub offset: u64,
    pub len: u64,
}

/// An article whose entries the last build wrote, in every format.
#[derive(Debug)]
pub struct Reused {
    pub facts: Facts,
    /// By [`Format::ALL`]'s order.
    pub spans: [Span; 3],
}

impl Reused {
    pub fn span(&self, format: Format) -> Span {
        self.spans[format_index(format)]
    }
}

fn format_index(format: Format) -> usize {
    match format {
        Format::Rss => 0,
        Format::Atom => 1,
        Format::Json => 2,
    }
}

/// A file's identity: what changes when anything rewrites it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Identity {
    dev: u64,
    ino: u64,
    len: u64,
    mtime_s: i64,
    mtime_ns: i64,
}

impl Identity {
    /// `None` where there is no inode (not Unix): nothing is cached there.
    pub fn of(meta: &std::fs::Metadata) -> Option<Identity> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Some(Identity {
                dev: meta.dev(),
                ino: meta.ino(),
                len: meta.len(),
                mtime_s: meta.mtime(),
                mtime_ns: meta.mtime_nsec(),
            })
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            None
        }
    }
}

/// The last build's entries, as far as they can be trusted.
#[derive(Debug, Default)]
pub struct Previous {
    context: Option<Key>,
    /// By their place in the index; `None`: changed since, or gone.
    files: Vec<Option<File>>,
    records: BTreeMap<Key, Arc<Reused>>,
}

impl Previous {
    /// Nothing to reuse, and no keys to compute.
    pub fn none() -> Previous {
        Previous::default()
    }

    /// Nothing to reuse yet, but a build of `context` whose entries will
    /// be recorded.
    pub fn empty(context: Option<Key>) -> Previous {
        Previous {
            context,
            ..Previous::default()
        }
    }

    /// The index at `path`, for a build of `context`. Anything missing,
    /// unreadable or not matching gives an empty cache.
    pub fn load(path: &Path, context: Option<Key>) -> Previous {
        let Some(ctx) = context else {
            return Previous::none();
        };
        let Ok(bytes) = std::fs::read(path) else {
            return Previous::empty(context);
        };
        let Some(index) = Index::decode(&bytes).filter(|i| i.context == ctx) else {
            return Previous::empty(context);
        };
        // A file that cannot be opened or has changed takes every record
        // pointing into it out.
        let mut files = Vec::with_capacity(index.files.len());
        for (path, identity) in &index.files {
            let file = File::open(path).ok().filter(|f| {
                f.metadata()
                    .ok()
                    .and_then(|m| Identity::of(&m))
                    .is_some_and(|id| id == *identity)
            });
            files.push(file);
        }
        let records = index
            .records
            .into_iter()
            .filter(|(_, r)| {
                r.spans.iter().all(|s| {
                    let f = s.file as usize;
                    files.get(f).is_some_and(Option::is_some)
                        && s.offset
                            .checked_add(s.len)
                            .is_some_and(|end| end <= index.files[f].1.len)
                })
            })
            .map(|(k, r)| (k, Arc::new(r)))
            .collect();
        Previous {
            context,
            files,
            records,
        }
    }

    /// The context keys are made in; `None`: no key is made.
    pub fn context(&self) -> Option<Key> {
        self.context
    }

    pub fn find(&self, key: Key) -> Option<Arc<Reused>> {
        self.records.get(&key).cloned()
    }

    /// Appends the bytes of `span` to `buf`.
    pub fn read(&self, span: Span, buf: &mut Vec<u8>) -> io::Result<()> {
        let file = self
            .files
            .get(span.file as usize)
            .and_then(Option::as_ref)
            .ok_or_else(|| io::Error::other("no such file in the index"))?;
        let len = usize::try_from(span.len).map_err(io::Error::other)?;
        let start = buf.len();
        buf.resize(start + len, 0);
        match read_exact_at(file, &mut buf[start..], span.offset) {
            Ok(()) => Ok(()),
            Err(e) => {
                buf.truncate(start);
                Err(e)
            }
        }
    }
}

#[cfg(unix)]
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

#[cfg(not(unix))]
fn read_exact_at(_: &File, _: &mut [u8], _: u64) -> io::Result<()> {
    Err(io::Error::other("no cache here"))
}

/// The index as stored.
struct Index {
    context: Key,
    files: Vec<(PathBuf, Identity)>,
    records: Vec<(Key, Reused)>,
}

/// The next build's index, filled as the feeds are written.
#[derive(Debug, Default)]
pub struct Recorder {
    files: Vec<(PathBuf, Identity)>,
    records: BTreeMap<Key, (Facts, [Option<Span>; 3])>,
}

/// One entry as written: its key, where it starts in its file, its length.
pub type Written = (Key, u64, u64);

impl Recorder {
    pub fn new() -> Recorder {
        Recorder::default()
    }

    /// Records the entries of one feed file. An article already recorded
    /// in that format (it is in the site's feed and a category's) keeps
    /// its first place.
    pub fn add(
        &mut self,
        format: Format,
        path: &Path,
        identity: Identity,
        entries: &[Written],
        facts: impl Fn(Key) -> Facts,
    ) {
        let Ok(file) = u32::try_from(self.files.len()) else {
            return;
        };
        self.files.push((path.to_path_buf(), identity));
        let f = format_index(format);
        for &(key, offset, len) in entries {
            let (_, spans) = self
                .records
                .entry(key)
                .or_insert_with(|| (facts(key), [None; 3]));
            spans[f].get_or_insert(Span { file, offset, len });
        }
    }

    /// The index to store for a build of `context`.
    pub fn encode(&self, context: Key) -> Vec<u8> {
        let mut out = Vec::with_capacity(64 + self.records.len() * 100);
        out.extend_from_slice(MAGIC);
        put_u32(&mut out, VERSION);
        out.extend_from_slice(&context.to_le_bytes());
        put_u64(&mut out, self.files.len() as u64);
        for (path, id) in &self.files {
            put_bytes(&mut out, path.as_os_str().as_encoded_bytes());
            for n in [
                id.dev,
                id.ino,
                id.len,
                id.mtime_s as u64,
                id.mtime_ns as u64,
            ] {
                put_u64(&mut out, n);
            }
        }
        let complete: Vec<_> = self
            .records
            .iter()
            .filter_map(|(k, (facts, spans))| {
                let [Some(a), Some(b), Some(c)] = spans else {
                    return None;
                };
                Some((k, facts, [a, b, c]))
            })
            .collect();
        put_u64(&mut out, complete.len() as u64);
        for (key, facts, spans) in complete {
            out.extend_from_slice(&key.to_le_bytes());
            put_u64(&mut out, facts.size);
            match &facts.warning {
                None => out.push(0),
                Some(w) => {
                    out.push(1);
                    put_bytes(&mut out, w.as_bytes());
                }
            }
            for s in spans {
                put_u32(&mut out, s.file);
                put_u64(&mut out, s.offset);
                put_u64(&mut out, s.len);
            }
        }
        let sum = checksum(&out);
        put_u64(&mut out, sum);
        out
    }
}

fn checksum(bytes: &[u8]) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    h.write(bytes);
    h.finish()
}

fn put_u32(out: &mut Vec<u8>, n: u32) {
    out.extend_from_slice(&n.to_le_bytes());
}

fn put_u64(out: &mut Vec<u8>, n: u64) {
    out.extend_from_slice(&n.to_le_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    put_u64(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Reads the stored index; `None` on anything unexpected.
struct Reader<'b> {
    rest: &'b [u8],
}

impl<'b> Reader<'b> {
    fn take(&mut self, n: usize) -> Option<&'b [u8]> {
        if n > self.rest.len() {
            return None;
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn u128(&mut self) -> Option<u128> {
        Some(u128::from_le_bytes(self.take(16)?.try_into().ok()?))
    }

    fn bytes(&mut self) -> Option<&'b [u8]> {
        let n = usize::try_from(self.u64()?).ok()?;
        self.take(n)
    }

    /// A count of items each at least `min` bytes long: never more than
    /// what is left could hold, so a corrupt count cannot allocate much.
    fn count(&mut self, min: usize) -> Option<usize> {
        let n = usize::try_from(self.u64()?).ok()?;
        (n <= self.rest.len() / min).then_some(n)
    }
}

impl Index {
    fn decode(bytes: &[u8]) -> Option<Index> {
        let (body, sum) = bytes.split_at_checked(bytes.len().checked_sub(8)?)?;
        if checksum(body) != u64::from_le_bytes(sum.try_into().ok()?) {
            return None;
        }
        let mut r = Reader { rest: body };
        if r.take(MAGIC.len())? != MAGIC || r.u32()? != VERSION {
            return None;
        }
        let context = r.u128()?;
        let n = r.count(48)?;
        let mut files = Vec::with_capacity(n);
        for _ in 0..n {
            let path = path_from_bytes(r.bytes()?)?;
            let id = Identity {
                dev: r.u64()?,
                ino: r.u64()?,
                len: r.u64()?,
                mtime_s: r.u64()? as i64,
                mtime_ns: r.u64()? as i64,
            };
            files.push((path, id));
        }
        let n = r.count(16 + 8 + 1 + 3 * 20)?;
        let mut records = Vec::with_capacity(n);
        for _ in 0..n {
            let key = r.u128()?;
            let size = r.u64()?;
            let warning = match r.u8()? {
                0 => None,
                1 => Some(String::from_utf8(r.bytes()?.to_vec()).ok()?),
                _ => return None,
            };
            let mut spans = [Span {
                file: 0,
                offset: 0,
                len: 0,
            }; 3];
            for s in &mut spans {
                *s = Span {
                    file: r.u32()?,
                    offset: r.u64()?,
                    len: r.u64()?,
                };
            }
            records.push((
                key,
                Reused {
                    facts: Facts { size, warning },
                    spans,
                },
            ));
        }
        r.rest.is_empty().then_some(Index {
            context,
            files,
            records,
        })
    }
}

#[cfg(unix)]
fn path_from_bytes(b: &[u8]) -> Option<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    Some(PathBuf::from(std::ffi::OsStr::from_bytes(b)))
}

#[cfg(not(unix))]
fn path_from_bytes(b: &[u8]) -> Option<PathBuf> {
    std::str::from_utf8(b).ok().map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(len: u64) -> Identity {
        Identity {
            dev: 1,
            ino: 2,
            len,
            mtime_s: 3,
            mtime_ns: 4,
        }
    }

    fn sample() -> Recorder {
        let mut r = Recorder::new();
        let facts = |k: Key| Facts {
            size: k as u64,
            warning: (k == 2).then(|| "flattened".to_owned()),
        };
        for (format, name) in [
            (Format::Rss, "feed.xml"),
            (Format::Atom, "atom.xml"),
            (Format::Json, "feed.json"),
        ] {
            r.add(
                format,
                Path::new(name),
                identity(100),
                &[(1, 10, 20), (2, 30, 40)],
                facts,
            );
        }
        // Only in RSS: not recorded.
        r.add(
            Format::Rss,
            Path::new("c.xml"),
            identity(9),
            &[(3, 0, 9)],
            facts,
        );
        r
    }

    #[test]
    fn an_index_reads_back_as_written() {
        let bytes = sample().encode(7);
        let index = Index::decode(&bytes).expect("decodes");
        assert_eq!(index.context, 7);
        assert_eq!(index.files.len(), 4);
        assert_eq!(index.files[1].0, PathBuf::from("atom.xml"));
        let keys: Vec<Key> = index.records.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, [1, 2]);
        let (_, two) = &index.records[1];
        assert_eq!(two.facts.warning.as_deref(), Some("flattened"));
        assert_eq!(
            two.spans,
            [0, 1, 2].map(|file| Span {
                file,
                offset: 30,
                len: 40
            })
        );
    }

    #[test]
    fn any_damage_makes_no_index() {
        let bytes = sample().encode(7);
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x20;
            assert!(Index::decode(&bad).is_none(), "byte {i} flipped");
        }
        for n in 0..bytes.len() {
            assert!(Index::decode(&bytes[..n]).is_none(), "cut at {n}");
        }
    }
}
