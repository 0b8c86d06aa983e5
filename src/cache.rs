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
//! nothing else, about 110 bytes per article.
//!
//! A wrong cache must never change a byte of output, so it is only ever a
//! miss: the index is read whole and checked (magic, version, checksum,
//! context); a feed file it points at is used only if its device, inode,
//! size and modification time are those recorded when it was written (the
//! index is committed with the feeds, so a run killed between the two
//! leaves an index whose files do not match); and a reused entry must
//! have the [`checksum`] recorded with it and start and end like an entry
//! of its format, or the article is rendered afresh.
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

/// Where an entry lies: a byte range of one of the indexed files, and the
/// [`checksum`] of its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub file: u32,
    pub offset: u64,
    pub len: u64,
    pub sum: u64,
}

/// A checksum of an entry's bytes, to tell them from anything else at
/// their place (a file rewritten since, whatever its inode and times say).
/// Fast, for it reads every byte a build copies; it does not resist a
/// forger, who would need to write `.matinale/` anyway. Each step is a
/// bijection of the state, so two inputs that differ in one 16-byte block
/// always differ.
pub fn checksum(bytes: &[u8]) -> u64 {
    const K1: u64 = 0x9E37_79B9_7F4A_7C15;
    const K2: u64 = 0xC2B2_AE3D_27D4_EB4F;
    let mut a = 0x243F_6A88_85A3_08D3 ^ bytes.len() as u64;
    let mut b = 0x1319_8A2E_0370_7344;
    let mut blocks = bytes.chunks_exact(16);
    for block in &mut blocks {
        let (x, y) = block.split_at(8);
        let x = u64::from_le_bytes(x.try_into().expect("8 bytes"));
        let y = u64::from_le_bytes(y.try_into().expect("8 bytes"));
        a = (a ^ x).wrapping_mul(K1).rotate_left(31);
        b = (b ^ y).wrapping_mul(K2).rotate_left(29);
    }
    let mut tail = [0u8; 16];
    let rest = blocks.remainder();
    tail[..rest.len()].copy_from_slice(rest);
    let (x, y) = tail.split_at(8);
    a = (a ^ u64::from_le_bytes(x.try_into().expect("8 bytes"))).wrapping_mul(K1);
    b = (b ^ u64::from_le_bytes(y.try_into().expect("8 bytes"))).wrapping_mul(K2);
    // The finaliser of MurmurHash3, over both lanes.
    let mut h = a ^ b.rotate_left(32);
    h ^= h >> 33;
    h = h.wrapping_mul(0xFF51_AFD7_ED55_8CCD);
    h ^= h >> 33;
    h = h.wrapping_mul(0xC4CE_B9FE_1A85_EC53);
    h ^ (h >> 33)
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

    /// The index at `path`, for a build of `context`, trusting only the
    /// files `readable` accepts. Anything missing, unreadable or not
    /// matching gives an empty cache.
    pub fn load(path: &Path, context: Option<Key>, readable: impl Fn(&Path) -> bool) -> Previous {
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
            if !readable(path) {
                files.push(None);
                continue;
            }
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

/// One entry as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub key: Key,
    /// Where it starts in its file.
    pub offset: u64,
    pub len: u64,
    /// The [`checksum`] of its bytes.
    pub sum: u64,
}

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
        for e in entries {
            let (_, spans) = self
                .records
                .entry(e.key)
                .or_insert_with(|| (facts(e.key), [None; 3]));
            spans[f].get_or_insert(Span {
                file,
                offset: e.offset,
                len: e.len,
                sum: e.sum,
            });
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
                put_u64(&mut out, s.sum);
            }
        }
        let sum = index_sum(&out);
        put_u64(&mut out, sum);
        out
    }
}

/// The index's own checksum (SipHash: the index is small).
fn index_sum(bytes: &[u8]) -> u64 {
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
        if index_sum(body) != u64::from_le_bytes(sum.try_into().ok()?) {
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
        let n = r.count(16 + 8 + 1 + 3 * 28)?;
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
                sum: 0,
            }; 3];
            for s in &mut spans {
                *s = Span {
                    file: r.u32()?,
                    offset: r.u64()?,
                    len: r.u64()?,
                    sum: r.u64()?,
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

    fn written(key: Key, offset: u64, len: u64) -> Written {
        Written {
            key,
            offset,
            len,
            sum: offset * 7,
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
                &[written(1, 10, 20), written(2, 30, 40)],
                facts,
            );
        }
        // Only in RSS: not recorded.
        r.add(
            Format::Rss,
            Path::new("c.xml"),
            identity(9),
            &[written(3, 0, 9)],
            facts,
        );
        r
    }

    #[test]
    fn a_checksum_tells_any_changed_byte() {
        let base: Vec<u8> = (0..100u8).collect();
        let sum = checksum(&base);
        for i in 0..base.len() {
            for bit in 0..8 {
                let mut other = base.clone();
                other[i] ^= 1 << bit;
                assert_ne!(checksum(&other), sum, "byte {i} bit {bit}");
            }
        }
        assert_ne!(checksum(&base[..99]), sum);
        assert_ne!(checksum(b""), checksum(b"\0"));
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
                len: 40,
                sum: 210,
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

    #[test]
    fn only_files_the_caller_trusts_and_that_are_unchanged_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let feed = dir.path().join("feed.xml");
        std::fs::write(&feed, "\n    <item>a</item>").unwrap();
        let id = Identity::of(&std::fs::metadata(&feed).unwrap()).unwrap();
        let mut r = Recorder::new();
        for format in Format::ALL {
            let entry = Written {
                key: 5,
                offset: 0,
                len: 19,
                sum: checksum(b"\n    <item>a</item>"),
            };
            r.add(format, &feed, id, &[entry], |_| Facts::default());
        }
        let index = dir.path().join("index");
        std::fs::write(&index, r.encode(1)).unwrap();

        let trusted = Previous::load(&index, Some(1), |_| true);
        let reused = trusted.find(5).expect("recorded");
        let mut buf = Vec::new();
        trusted.read(reused.span(Format::Atom), &mut buf).unwrap();
        assert_eq!(buf, b"\n    <item>a</item>");
        assert!(Previous::load(&index, Some(1), |_| false).find(5).is_none());
        assert!(Previous::load(&index, Some(2), |_| true).find(5).is_none());
        assert!(Previous::load(&index, None, |_| true).context().is_none());
        // Rewritten since, same size: another identity, or (the same inode
        // reused within the clock's tick) bytes whose checksum differs.
        std::fs::remove_file(&feed).unwrap();
        std::fs::write(&feed, "\n    <item>b</item>").unwrap();
        let after = Previous::load(&index, Some(1), |_| true);
        if let Some(r) = after.find(5) {
            let span = r.span(Format::Rss);
            let mut bytes = Vec::new();
            after.read(span, &mut bytes).unwrap();
            assert_ne!(checksum(&bytes), span.sum);
        }
    }
}
