//! Feeds: one format-neutral model, written as RSS 2.0, Atom 1.0 and
//! JSON Feed 1.1.
//!
//! [`FeedSet::build`] turns the selected articles into [`Item`]s (body
//! cleaned once, calls to action appended once) and the list of feeds to
//! write: the site's, and one per category. The format modules ([`rss`],
//! [`atom`], [`json`]) only translate a [`Feed`] into their crate's model and
//! write it; they share every decision made here.

pub mod atom;
pub mod json;
pub mod rss;
pub mod select;
pub mod slug;

use crate::cache::{self, Facts, Key, Previous, Reused};
use crate::config::{Config, Cta, OnInvalid};
use crate::content::html::Cleaner;
use crate::content::{Article, Origin, Prepared};
use crate::error::Problem;
use crate::text::escape_html;
use chrono::{DateTime, Utc};
use select::FeedSelection;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;
use url::Url;

pub use crate::layout::{FeedUrls, Format};

/// The generator named in every feed.
pub const GENERATOR: &str = concat!("matinale ", env!("CARGO_PKG_VERSION"));
pub const GENERATOR_URI: &str = "https://crates.io/crates/matinale";

/// What Google News reads of a feed, and of one article in it.
pub const GOOGLE_NEWS_FEED_LIMIT: u64 = 2 * 1024 * 1024;
pub const GOOGLE_NEWS_ARTICLE_LIMIT: usize = 1024 * 1024;

/// An article ready for every feed.
#[derive(Debug)]
pub struct Item {
    pub article: Arc<Article>,
    /// Plain text standfirst.
    pub summary: String,
    /// Full HTML content closed by the calls to action; `None` when the
    /// feeds carry summaries only (`full_content = false`).
    pub content: Option<String>,
    /// Its identity in the incremental cache (0 when nothing is cached).
    pub key: Key,
    /// What preparing it reported.
    pub facts: Facts,
    /// Where the last build wrote its entries, when they are reused: then
    /// `summary` and `content` are left empty, and are made again only if
    /// those bytes cannot be read.
    pub reused: Option<Arc<Reused>>,
}

impl Item {
    /// An item of `prepared`, rendered afresh.
    pub fn new(config: &Config, p: Prepared) -> Item {
        let content = config.feeds.full_content.then(|| {
            let mut html = p
                .content_html
                .unwrap_or_else(|| format!("<p>{}</p>", escape_html(&p.summary)));
            append_ctas(&mut html, &config.ctas);
            html
        });
        Item {
            article: p.article,
            facts: Facts {
                size: (content.as_ref().map_or(0, String::len) + p.summary.len()) as u64,
                warning: None,
            },
            summary: p.summary,
            content,
            key: 0,
            reused: None,
        }
    }
}

/// One feed, in no particular format.
#[derive(Debug)]
pub struct Feed<'a> {
    pub config: &'a Config,
    /// Path of the feed's folder under the output folder (`""` or
    /// `category/<slug>/`).
    pub dir: String,
    pub title: String,
    /// The category of a category feed.
    pub category: Option<String>,
    /// The page the feed is about: the site, or the newsletter archive.
    pub home: Url,
    pub urls: FeedUrls,
    /// Newest entry's `updated`; `None` for a feed without entries.
    pub updated: Option<DateTime<Utc>>,
    /// Every article is in it (RFC 5005 complete feed).
    pub complete: bool,
    pub entries: Vec<Arc<Item>>,
    /// Category slugs by name, for Atom category terms.
    pub slugs: Arc<BTreeMap<String, String>>,
}

/// Every feed of a build.
#[derive(Debug)]
pub struct FeedSet<'a> {
    pub feeds: Vec<Feed<'a>>,
    /// With `on_invalid = "skip"`: the articles left out of a category
    /// feed, because their category's name shares its slug with another's.
    pub problems: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

impl<'a> FeedSet<'a> {
    /// Prepares the selected articles (in parallel when there are many) and
    /// lays out the feeds. When two categories share a slug, fails, or with
    /// [`OnInvalid::Skip`] leaves the later name's category out.
    pub fn build(
        config: &'a Config,
        selection: FeedSelection,
        on_invalid: OnInvalid,
        previous: &Previous,
    ) -> Result<FeedSet<'a>, Vec<Problem>> {
        let main = selection.main.into_sorted();
        let mut categories: Vec<(String, Vec<Arc<Article>>)> = selection
            .categories
            .into_iter()
            .map(|(name, n)| (name, n.into_sorted()))
            .collect();
        let (slugs, problems) = category_slugs(&selection.first_use, &categories, on_invalid);
        if on_invalid == OnInvalid::Fail && !problems.is_empty() {
            return Err(problems);
        }
        categories.retain(|(name, _)| slugs.contains_key(name));

        // Each article is prepared once, whatever the number of feeds it is in.
        let mut unique: BTreeMap<*const Article, Arc<Article>> = BTreeMap::new();
        for a in main
            .iter()
            .chain(categories.iter().flat_map(|(_, v)| v.iter()))
        {
            unique.entry(Arc::as_ptr(a)).or_insert_with(|| a.clone());
        }
        // In the source's order, so that warnings come in that order.
        let mut unique: Vec<Arc<Article>> = unique.into_values().collect();
        unique.sort_by(|a, b| {
            (&a.origin.path, a.origin.line, &a.id).cmp(&(&b.origin.path, b.origin.line, &b.id))
        });
        let (items, mut warnings) = prepare_all(config, unique, previous, &slugs);
        let by_ptr: BTreeMap<*const Article, Arc<Item>> = items
            .into_iter()
            .map(|i| (Arc::as_ptr(&i.article), Arc::new(i)))
            .collect();
        let lookup = |v: &[Arc<Article>]| -> Vec<Arc<Item>> {
            v.iter().map(|a| by_ptr[&Arc::as_ptr(a)].clone()).collect()
        };
        for item in by_ptr.values() {
            let size = item.facts.size as usize + item.article.title.len();
            if size > GOOGLE_NEWS_ARTICLE_LIMIT {
                let o = &item.article.origin;
                warnings.push(Problem::new(
                    &o.path,
                    Some(o.line),
                    "content",
                    format!(
                        "{} KB: over the 1 MB of an article that Google News reads",
                        size / 1024
                    ),
                ));
            }
        }

        let slugs = Arc::new(slugs);
        let complete = config.feeds.max_items.is_none();
        let site = &config.site;
        let mut feeds = vec![Feed::new(
            config,
            config.layout.site_feed_dir(),
            site.title.clone(),
            lookup(&main),
            complete,
            &slugs,
        )];
        if config.feeds.per_category {
            for (name, articles) in &categories {
                let dir = config.layout.category_feed_dir(&slugs[name]);
                let title = format!("{} — {}", site.title, name);
                let mut feed = Feed::new(config, dir, title, lookup(articles), complete, &slugs);
                feed.category = Some(name.clone());
                feeds.push(feed);
            }
        }
        Ok(FeedSet {
            feeds,
            problems,
            warnings,
        })
    }
}

impl<'a> Feed<'a> {
    /// A feed of `entries` in the folder `dir` (`""` or ending in `/`) of
    /// the output folder, about the site's home page.
    pub fn new(
        config: &'a Config,
        dir: String,
        title: String,
        entries: Vec<Arc<Item>>,
        complete: bool,
        slugs: &Arc<BTreeMap<String, String>>,
    ) -> Feed<'a> {
        Feed {
            config,
            category: None,
            home: config.site.url.clone(),
            urls: config.layout.feed_urls(&dir),
            dir,
            title,
            updated: entries.iter().map(|i| i.article.updated).max(),
            complete,
            entries,
            slugs: slugs.clone(),
        }
    }

    /// The site's time zone, in which every date is written.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.config.site.timezone
    }
}

/// Slug of every category name. A name whose slug is another's, used
/// first, is a problem on each of its articles, and gets no slug: with
/// [`OnInvalid::Skip`] its category is left out.
fn category_slugs(
    first_use: &BTreeMap<String, Origin>,
    categories: &[(String, Vec<Arc<Article>>)],
    on_invalid: OnInvalid,
) -> (BTreeMap<String, String>, Vec<Problem>) {
    let mut by_slug: BTreeMap<String, &String> = BTreeMap::new();
    let mut slugs = BTreeMap::new();
    let mut problems = Vec::new();
    // In order of first use, so the report points at the later name.
    let mut names: Vec<(&String, &Origin)> = first_use.iter().collect();
    names.sort_by(|a, b| (&a.1.path, a.1.line, a.0).cmp(&(&b.1.path, b.1.line, b.0)));
    for (name, _) in names {
        let s = slug::slugify(name);
        if let Some(other) = by_slug.get(&s) {
            let first = &first_use[*other];
            let mut message = format!(
                "« {name} » would be published under category/{s}/, like « {other} » (first used at {}:{}); use one spelling",
                first.path.display(),
                first.line
            );
            if on_invalid == OnInvalid::Skip {
                message.push_str("; the article is left out of that category feed");
            }
            let articles = categories
                .iter()
                .find(|(n, _)| n == name)
                .map_or(&[][..], |(_, v)| v.as_slice());
            let mut origins: Vec<&Origin> = articles.iter().map(|a| &a.origin).collect();
            origins.sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
            for o in origins {
                problems.push(Problem::new(&o.path, Some(o.line), "categories", &message));
            }
            continue;
        }
        by_slug.insert(s.clone(), name);
        slugs.insert(name.clone(), s);
    }
    (slugs, problems)
}

/// The cores to use, asked once: `std` reads the cgroup's quota from
/// files at every call, and every feed written asks.
fn cores() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Articles to prepare from which [`prepare_all`] uses every core.
const PARALLEL_FROM: usize = 32;

/// Cleans bodies and appends the calls to action, using every core when
/// the work is large enough to be worth a thread. An article whose entries
/// the last build wrote (same key) is not prepared: its entries are
/// reused, and its warning told again.
fn prepare_all(
    config: &Config,
    articles: Vec<Arc<Article>>,
    previous: &Previous,
    slugs: &BTreeMap<String, String>,
) -> (Vec<Item>, Vec<Problem>) {
    let cleaner = Cleaner::new();
    let one = |a: &Arc<Article>| -> (Item, Option<Problem>) {
        let key = previous
            .context()
            .map_or(0, |c| cache::key(c, a, |name| category_slug(slugs, name)));
        if let Some(reused) = previous.context().and_then(|_| previous.find(key)) {
            let o = &a.origin;
            let warning = reused
                .facts
                .warning
                .as_ref()
                .map(|message| Problem::new(&o.path, Some(o.line), "content", message.clone()));
            let item = Item {
                article: a.clone(),
                summary: String::new(),
                content: None,
                key,
                facts: reused.facts.clone(),
                reused: Some(reused),
            };
            return (item, warning);
        }
        let (p, warning) = Prepared::new(a.clone(), &cleaner);
        let mut item = Item::new(config, p);
        item.key = key;
        item.facts.warning = warning.as_ref().map(|w| w.message.clone());
        (item, warning)
    };
    let work = |chunk: &[Arc<Article>]| -> Vec<(Item, Option<Problem>)> {
        chunk.iter().map(one).collect()
    };
    let threads = cores();
    // Cleaning a body takes a tenth of a millisecond or more, starting a
    // thread a twentieth: a daily build's few hundred articles (the
    // newest of each feed) are worth the second core.
    let results: Vec<(Item, Option<Problem>)> = if threads < 2 || articles.len() < PARALLEL_FROM {
        work(&articles)
    } else {
        let chunk = articles.len().div_ceil(threads);
        std::thread::scope(|s| {
            let handles: Vec<_> = articles
                .chunks(chunk)
                .map(|c| s.spawn(move || work(c)))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("preparing an article does not panic"))
                .collect()
        })
    };
    let mut warnings = Vec::new();
    let items = results
        .into_iter()
        .map(|(i, w)| {
            warnings.extend(w);
            i
        })
        .collect();
    (items, warnings)
}

/// The slug a category is published under (Atom's category term).
pub fn category_slug(slugs: &BTreeMap<String, String>, name: &str) -> String {
    slugs
        .get(name)
        .cloned()
        .unwrap_or_else(|| slug::slugify(name))
}

/// Entries per part when a large feed is rendered in parts (see
/// [`Format::write`]): big enough that the document shell is noise, small
/// enough that a part's crate model stays a few megabytes.
pub const PART_SIZE: usize = 1000;

/// Writing: the format's name, file and media type are the layout's
/// ([`crate::layout::Format`]); how each is rendered is here.
impl Format {
    /// A whole document holding `entries`.
    pub fn render(self, feed: &Feed, entries: &[Arc<Item>]) -> std::io::Result<Vec<u8>> {
        self.render_into(feed, entries, Vec::new())
    }

    /// [`Format::render`] into `buf` (cleared first), so that parts of a
    /// large feed reuse their buffers instead of faulting in new pages.
    fn render_into(
        self,
        feed: &Feed,
        entries: &[Arc<Item>],
        mut buf: Vec<u8>,
    ) -> std::io::Result<Vec<u8>> {
        buf.clear();
        match self {
            Format::Rss => rss::render(feed, entries, buf),
            Format::Atom => atom::render(feed, entries, buf),
            Format::Json => json::render(feed, entries, buf),
        }
    }

    /// Where the entries of a rendered document start and end. Entries
    /// are the last children of their parent in all three formats, and
    /// nothing before the first one can contain its opening tag (text is
    /// escaped, JSON quotes inside strings are escaped).
    fn entries_span(self, doc: &[u8]) -> Option<(usize, usize)> {
        let find = |needle: &[u8]| memchr::memmem::find(doc, needle);
        let rfind = |needle: &[u8]| memchr::memmem::rfind(doc, needle);
        match self {
            Format::Rss | Format::Atom => {
                let (open, close): (&[u8], &[u8]) = match self {
                    Format::Rss => (b"<item>", b"</item>"),
                    _ => (b"<entry>", b"</entry>"),
                };
                let first = find(open)?;
                let start = doc[..first].iter().rposition(|&b| b == b'\n')?;
                Some((start, rfind(close)? + close.len()))
            }
            Format::Json => {
                let open = b"\"items\": [";
                Some((find(open)? + open.len(), rfind(b"\n  ]")?))
            }
        }
    }

    /// How every entry starts in a document (a line of its own, at its
    /// depth) and how it ends.
    fn entry_marks(self) -> (&'static [u8], &'static [u8]) {
        match self {
            Format::Rss => (b"\n    <item>", b"</item>"),
            Format::Atom => (b"\n  <entry>", b"</entry>"),
            Format::Json => (b"\n    {", b"}"),
        }
    }

    /// What comes before the entries of `feed` and after them, cut out of
    /// a document holding one blank entry (in Atom, the feed's extensions
    /// follow its entries: a document without entries does not show where
    /// they go).
    fn shell(self, feed: &Feed) -> std::io::Result<(Vec<u8>, Vec<u8>)> {
        let blank = Article {
            origin: Origin {
                path: Arc::from(std::path::Path::new("")),
                line: 0,
            },
            id: String::new(),
            title: String::new(),
            url: feed.home.clone(),
            published: DateTime::UNIX_EPOCH,
            updated: DateTime::UNIX_EPOCH,
            authors: Vec::new(),
            categories: Vec::new(),
            summary: None,
            body: None,
            image: None,
            comments: None,
            featured: false,
        };
        let blank = Arc::new(Item {
            article: Arc::new(blank),
            summary: String::new(),
            content: None,
            key: 0,
            facts: Facts::default(),
            reused: None,
        });
        let doc = self.render(feed, &[blank])?;
        let (start, end) = self
            .entries_span(&doc)
            .ok_or_else(|| std::io::Error::other("a blank entry cannot be found (a bug)"))?;
        Ok((doc[..start].to_vec(), doc[end..].to_vec()))
    }

    /// The byte ranges of each entry of a rendered document, each from its
    /// line's start to its end (a JSON entry without the comma that
    /// follows). `None` unless they are exactly `count`: an entry that
    /// held another's opening mark (a newline and a tag in an attribute)
    /// would make more, and the caller renders entries one at a time.
    fn entry_ranges(self, doc: &[u8], count: usize) -> Option<Vec<Range<usize>>> {
        let (start, end) = self.entries_span(doc)?;
        let (open, close) = self.entry_marks();
        let starts: Vec<usize> = memchr::memmem::find_iter(&doc[start..end], open)
            .map(|p| start + p)
            .collect();
        if starts.len() != count || starts.first() != Some(&start) {
            return None;
        }
        let mut ranges = Vec::with_capacity(count);
        for (i, &s) in starts.iter().enumerate() {
            let e = match starts.get(i + 1) {
                Some(&next) if self == Format::Json => next.checked_sub(1)?,
                Some(&next) => next,
                None => end,
            };
            if !doc[s..e].ends_with(close) {
                return None;
            }
            ranges.push(s..e);
        }
        Some(ranges)
    }

    /// Writes the feed, rendering what `previous` does not hold. Entries
    /// are made in parts of `part` by one worker per core while this
    /// thread writes the finished parts in order, between the head and
    /// the tail of the document: memory stays that of a few parts, not of
    /// the whole archive, and the bytes are those of a single render.
    /// Returns where each entry was written, for the next build's cache.
    pub fn write<W: std::io::Write>(
        self,
        feed: &Feed,
        mut out: W,
        part: usize,
        previous: &Previous,
    ) -> std::io::Result<(W, Vec<cache::Written>)> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::mpsc::sync_channel;
        use std::sync::Mutex;

        if feed.entries.is_empty() {
            out.write_all(&self.render(feed, &[])?)?;
            return Ok((out, Vec::new()));
        }
        let (head, tail) = self.shell(feed)?;
        let mut sink = EntrySink {
            format: self,
            out,
            at: 0,
            written: Vec::with_capacity(feed.entries.len()),
        };
        sink.raw(&head)?;
        let parts: Vec<&[Arc<Item>]> = feed.entries.chunks(part.max(1)).collect();
        let threads = cores();
        if parts.len() == 1 || threads < 2 {
            let mut buf = Vec::new();
            for p in parts {
                let done = self.render_part(feed, p, previous, buf)?;
                sink.part(p, &done)?;
                buf = done.bytes;
            }
        } else {
            let last = parts.len() - 1;
            let next = AtomicUsize::new(0);
            let spare: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
            std::thread::scope(|s| -> std::io::Result<()> {
                // Bounded: a worker waits when it is this far ahead of the writer.
                let (done, finished) = sync_channel::<(usize, std::io::Result<Part>)>(threads * 2);
                for _ in 0..threads {
                    let done = done.clone();
                    let (parts, next, spare) = (&parts, &next, &spare);
                    s.spawn(move || loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= parts.len() {
                            break;
                        }
                        let buf = spare
                            .lock()
                            .map(|mut v| v.pop())
                            .ok()
                            .flatten()
                            .unwrap_or_default();
                        if done
                            .send((i, self.render_part(feed, parts[i], previous, buf)))
                            .is_err()
                        {
                            break;
                        }
                    });
                }
                drop(done);
                let mut waiting = BTreeMap::new();
                let mut index = 0;
                while index <= last {
                    let done = match waiting.remove(&index) {
                        Some(done) => done,
                        None => match finished.recv() {
                            Ok((i, done)) => {
                                waiting.insert(i, done);
                                continue;
                            }
                            Err(_) => {
                                return Err(std::io::Error::other("a feed part was lost (a bug)"))
                            }
                        },
                    };
                    let done = done?;
                    sink.part(parts[index], &done)?;
                    if let Ok(mut v) = spare.lock() {
                        v.push(done.bytes);
                    }
                    index += 1;
                }
                Ok(())
            })?;
        }
        sink.raw(&tail)?;
        Ok((sink.out, sink.written))
    }

    /// The entries of `items`, one after the other: the bytes the last
    /// build wrote for those `previous` holds, read in runs where they
    /// follow each other, and the others rendered in one document and cut
    /// out of it.
    fn render_part(
        self,
        feed: &Feed,
        items: &[Arc<Item>],
        previous: &Previous,
        buf: Vec<u8>,
    ) -> std::io::Result<Part> {
        let spans: Vec<Option<cache::Span>> = items
            .iter()
            .map(|i| i.reused.as_ref().map(|r| r.span(self)))
            .collect();
        if spans.iter().all(Option::is_none) {
            // A cold build: the part's document is the part.
            let doc = self.render_into(feed, items, buf)?;
            if let Some(ranges) = self.entry_ranges(&doc, items.len()) {
                return Ok(Part::new(doc, ranges));
            }
            let (bytes, ranges) = self.render_entries(feed, items)?;
            return Ok(Part::new(bytes, ranges));
        }
        let fresh: Vec<Arc<Item>> = items
            .iter()
            .zip(&spans)
            .filter(|(_, s)| s.is_none())
            .map(|(i, _)| i.clone())
            .collect();
        let (fresh_doc, fresh_ranges) = self.render_entries(feed, &fresh)?;
        let mut fresh_ranges = fresh_ranges.into_iter();
        let mut part = Part {
            bytes: buf,
            ranges: Vec::with_capacity(items.len()),
            sums: Vec::with_capacity(items.len()),
        };
        part.bytes.clear();
        let mut i = 0;
        while i < items.len() {
            let Some(first) = spans[i] else {
                let r = fresh_ranges
                    .next()
                    .ok_or_else(|| std::io::Error::other("an entry was not rendered (a bug)"))?;
                part.push(&fresh_doc[r]);
                i += 1;
                continue;
            };
            // The run of entries that follow each other in the same file
            // (in JSON, a comma apart), read at once.
            let gap = self.separator().len() as u64;
            let mut j = i + 1;
            let mut run = first;
            while let Some(Some(s)) = spans.get(j) {
                if s.file != run.file || s.offset != run.offset + run.len + gap {
                    break;
                }
                run.len += gap + s.len;
                j += 1;
            }
            let start = part.bytes.len();
            let read = previous.read(run, &mut part.bytes).is_ok();
            let run_ranges: Vec<Range<usize>> = spans[i..j]
                .iter()
                .flatten()
                .map(|s| {
                    let at = start + (s.offset - first.offset) as usize;
                    at..at + s.len as usize
                })
                .collect();
            let intact = read
                && run_ranges
                    .iter()
                    .zip(spans[i..j].iter().flatten())
                    .all(|(r, s)| self.intact(&part.bytes[r.clone()], s));
            if intact {
                part.sums
                    .extend(spans[i..j].iter().flatten().map(|s| s.sum));
                part.ranges.extend(run_ranges);
            } else {
                // Not what the index says: each entry on its own, rendered
                // afresh when its bytes are not right.
                part.bytes.truncate(start);
                for k in i..j {
                    let span = spans[k].expect("a run holds reused entries only");
                    let mut bytes = Vec::new();
                    if previous.read(span, &mut bytes).is_err() || !self.intact(&bytes, &span) {
                        let item = Arc::new(prepare_again(feed.config, &items[k]));
                        let (doc, r) = self.render_entries(feed, &[item])?;
                        bytes = doc[r[0].clone()].to_vec();
                    }
                    part.push(&bytes);
                }
            }
            i = j;
        }
        Ok(part)
    }

    /// `items` rendered, and the range of each one's entry in the bytes.
    fn render_entries(
        self,
        feed: &Feed,
        items: &[Arc<Item>],
    ) -> std::io::Result<(Vec<u8>, Vec<Range<usize>>)> {
        if items.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let doc = self.render(feed, items)?;
        if let Some(ranges) = self.entry_ranges(&doc, items.len()) {
            return Ok((doc, ranges));
        }
        let mut bytes = Vec::with_capacity(doc.len());
        let mut ranges = Vec::with_capacity(items.len());
        for item in items {
            let doc = self.render(feed, std::slice::from_ref(item))?;
            let (s, e) = self
                .entries_span(&doc)
                .ok_or_else(|| std::io::Error::other("a rendered entry cannot be found (a bug)"))?;
            let at = bytes.len();
            bytes.extend_from_slice(&doc[s..e]);
            ranges.push(at..bytes.len());
        }
        Ok((bytes, ranges))
    }

    /// What stands between two entries.
    fn separator(self) -> &'static [u8] {
        match self {
            Format::Json => b",",
            Format::Rss | Format::Atom => b"",
        }
    }

    /// Whether `bytes`, read where `span` says, are the entry the index
    /// recorded there: its checksum, and the marks of an entry.
    fn intact(self, bytes: &[u8], span: &cache::Span) -> bool {
        let (open, close) = self.entry_marks();
        bytes.len() >= open.len() + close.len()
            && bytes.starts_with(open)
            && bytes.ends_with(close)
            && cache::checksum(bytes) == span.sum
    }
}

/// An item whose reused entry could not be read, prepared again from its
/// article.
fn prepare_again(config: &Config, item: &Item) -> Item {
    let (p, _) = Prepared::new(item.article.clone(), &Cleaner::new());
    let mut again = Item::new(config, p);
    again.key = item.key;
    again.facts = item.facts.clone();
    again
}

/// The entries of a part, in order.
struct Part {
    bytes: Vec<u8>,
    /// Where each entry is in `bytes`.
    ranges: Vec<Range<usize>>,
    /// The checksum of each (made by the workers, not the writer).
    sums: Vec<u64>,
}

impl Part {
    fn new(bytes: Vec<u8>, ranges: Vec<Range<usize>>) -> Part {
        let sums = ranges
            .iter()
            .map(|r| cache::checksum(&bytes[r.clone()]))
            .collect();
        Part {
            bytes,
            ranges,
            sums,
        }
    }

    fn push(&mut self, entry: &[u8]) {
        let at = self.bytes.len();
        self.bytes.extend_from_slice(entry);
        self.ranges.push(at..self.bytes.len());
        self.sums.push(cache::checksum(entry));
    }
}

/// Writes entries in order and remembers where each went.
struct EntrySink<W> {
    format: Format,
    out: W,
    /// Bytes written so far.
    at: u64,
    written: Vec<cache::Written>,
}

impl<W: std::io::Write> EntrySink<W> {
    fn raw(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.out.write_all(bytes)?;
        self.at += bytes.len() as u64;
        Ok(())
    }

    /// Writes a part's entries, in as few writes as their places allow:
    /// a write larger than the buffer goes to the file without a copy.
    fn part(&mut self, items: &[Arc<Item>], part: &Part) -> std::io::Result<()> {
        let sep = self.format.separator();
        let mut chunk: Option<Range<usize>> = None;
        for ((item, range), &sum) in items.iter().zip(&part.ranges).zip(&part.sums) {
            let first = self.written.is_empty();
            let at = self.at
                + chunk.as_ref().map_or(0, |c| c.len() as u64)
                + if first { 0 } else { sep.len() as u64 };
            self.written.push(cache::Written {
                key: item.key,
                offset: at,
                len: range.len() as u64,
                sum,
            });
            let follows = chunk.as_ref().is_some_and(|c| {
                c.end + sep.len() == range.start && &part.bytes[c.end..range.start] == sep
            });
            match &mut chunk {
                Some(c) if follows => c.end = range.end,
                _ => {
                    if let Some(c) = chunk.take() {
                        self.raw(&part.bytes[c])?;
                    }
                    if !first {
                        self.raw(sep)?;
                    }
                    chunk = Some(range.clone());
                }
            }
        }
        if let Some(c) = chunk {
            self.raw(&part.bytes[c])?;
        }
        Ok(())
    }
}

/// The attributes of an image's Media RSS `media:content`, the same in
/// RSS and Atom (each crate has its own extension type).
fn media_content_attrs(img: &crate::content::Image) -> Vec<(&'static str, String)> {
    let mut attrs = vec![
        ("url", img.url.as_str().to_owned()),
        ("medium", "image".to_owned()),
    ];
    if let Some(t) = &img.mime_type {
        attrs.push(("type", t.clone()));
    }
    if let Some(w) = img.width {
        attrs.push(("width", w.to_string()));
    }
    if let Some(h) = img.height {
        attrs.push(("height", h.to_string()));
    }
    attrs
}

/// The I/O error under a feed crate's error (a full disk must read as
/// one), or the error's text.
fn io_error(e: &(dyn std::error::Error + 'static)) -> std::io::Error {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if let Some(io) = c.downcast_ref::<std::io::Error>() {
            return std::io::Error::new(io.kind(), io.to_string());
        }
        cause = c.source();
    }
    std::io::Error::other(e.to_string())
}

/// Closes `html` with the calls to action, each as its text and its link,
/// leaving out one that the content already links: to the same URL once
/// normalised, never to one its URL starts or is part of, and never
/// because the text mentions it.
pub fn append_ctas(html: &mut String, ctas: &[Cta]) {
    let linked = linked_urls(html);
    let missing: Vec<&Cta> = ctas
        .iter()
        .filter(|c| !linked.contains(c.url.as_str()))
        .collect();
    if missing.is_empty() {
        return;
    }
    // Written aside, then added at the exact size: pushing onto a body
    // whose string is exactly full doubled it, and the feeds hold every
    // body until they are written.
    let mut tail = String::from("\n<hr>\n");
    for c in missing {
        let url = escape_html(c.url.as_str());
        match &c.label {
            Some(label) => tail.push_str(&format!(
                "<p>{} <a href=\"{url}\">{}</a></p>\n",
                escape_html(&c.text),
                escape_html(label)
            )),
            None => tail.push_str(&format!(
                "<p><a href=\"{url}\">{}</a></p>\n",
                escape_html(&c.text)
            )),
        }
    }
    html.reserve_exact(tail.len());
    html.push_str(&tail);
}

/// The URLs that the `href` attributes of `html` hold, normalised as
/// [`Url`] writes them (case of the scheme and host, default port, dot
/// segments, percent-encoding); an attribute that is no absolute URL is
/// left out (the content's links were made absolute when it was cleaned).
fn linked_urls(html: &str) -> std::collections::BTreeSet<String> {
    let mut urls = std::collections::BTreeSet::new();
    let b = html.as_bytes();
    let mut i = 0;
    while let Some(lt) = memchr::memchr(b'<', &b[i..]).map(|p| i + p) {
        i = lt + 1;
        if html[i..].starts_with("!--") {
            i = html[i..].find("-->").map_or(b.len(), |e| i + e + 3);
            continue;
        }
        if !b.get(i).is_some_and(u8::is_ascii_alphabetic) {
            continue;
        }
        // The tag's name, then its attributes up to the closing `>`; a
        // quoted value may hold a `>`.
        while b
            .get(i)
            .is_some_and(|c| !c.is_ascii_whitespace() && *c != b'>')
        {
            i += 1;
        }
        loop {
            while b
                .get(i)
                .is_some_and(|c| c.is_ascii_whitespace() || *c == b'/')
            {
                i += 1;
            }
            match b.get(i) {
                None => return urls,
                Some(b'>') => {
                    i += 1;
                    break;
                }
                Some(_) => {}
            }
            let name_start = i;
            while b
                .get(i)
                .is_some_and(|c| !c.is_ascii_whitespace() && !matches!(c, b'=' | b'>' | b'/'))
            {
                i += 1;
            }
            let name = &html[name_start..i];
            while b.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            if b.get(i) != Some(&b'=') {
                continue;
            }
            i += 1;
            while b.get(i).is_some_and(u8::is_ascii_whitespace) {
                i += 1;
            }
            let value = match b.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let end = memchr::memchr(q, &b[i + 1..]).map_or(b.len(), |e| i + 1 + e);
                    let v = &html[i + 1..end];
                    i = (end + 1).min(b.len());
                    v
                }
                _ => {
                    let start = i;
                    while b
                        .get(i)
                        .is_some_and(|c| !c.is_ascii_whitespace() && *c != b'>')
                    {
                        i += 1;
                    }
                    &html[start..i]
                }
            };
            if name.eq_ignore_ascii_case("href") {
                let href = crate::text::decode_entities(value);
                if let Ok(url) = Url::parse(href.trim()) {
                    urls.insert(String::from(url));
                }
            }
        }
    }
    urls
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cta(id: &str, url: &str) -> Cta {
        Cta {
            id: id.to_owned(),
            text: format!("Texte {id}"),
            label: None,
            url: Url::parse(url).unwrap(),
        }
    }

    fn ids_added(body: &str) -> Vec<&'static str> {
        let ctas = [
            cta("news", "https://news.google.com/publications/EXAMPLE"),
            cta("letter", "https://www.journaldugeek.com/newsletter/"),
        ];
        let mut html = body.to_owned();
        append_ctas(&mut html, &ctas);
        ["news", "letter"]
            .into_iter()
            .filter(|id| html[body.len()..].contains(&format!("Texte {id}")))
            .collect()
    }

    #[test]
    fn a_cta_is_left_out_only_when_its_url_is_linked_as_is() {
        // A link to a page under the CTA's URL, or text holding a longer
        // URL, leave the CTA in.
        assert_eq!(
            ids_added(
                "<p><a href=\"https://www.journaldugeek.com/newsletter/2026-11-20.html\">édition</a> \
                 https://news.google.com/publications/EXAMPLE2</p>"
            ),
            ["news", "letter"]
        );
        // The same URLs, written otherwise: linked.
        assert_eq!(
            ids_added(
                "<a class=x href='HTTPS://News.Google.com:443/publications/./EXAMPLE'>g</a>\
                 <a title=\"a > b\" href=https://www.journaldugeek.com/newsletter/>n</a>"
            ),
            Vec::<&str>::new()
        );
        // Text, a comment or another attribute naming the URL is no link.
        assert_eq!(
            ids_added(
                "<p data-x=\"https://www.journaldugeek.com/newsletter/\">https://news.google.com/publications/EXAMPLE</p>\
                 <!-- <a href=\"https://www.journaldugeek.com/newsletter/\"> -->"
            ),
            ["news", "letter"]
        );
        assert_eq!(
            ids_added("<a href=\"https://news.google.com/publications/EXAMPLE?a=1&amp;b=2\">x</a>"),
            ["news", "letter"]
        );
    }

    #[test]
    fn hrefs_are_read_whole_and_unescaped() {
        let urls = linked_urls(
            "<a href=\"https://ex.org/?a=1&amp;b=2\">x</a><area HREF = \"https://ex.org/b\"><a href=\"/relative\">",
        );
        assert_eq!(
            urls.into_iter().collect::<Vec<_>>(),
            ["https://ex.org/?a=1&b=2", "https://ex.org/b"]
        );
        // Unclosed tags and quotes end the scan, without a panic.
        for broken in [
            "<a href=\"https://ex.org/",
            "<a href=",
            "<a",
            "<",
            "<!--",
            "<a b c",
        ] {
            let _ = linked_urls(broken);
        }
    }
}
