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

use crate::config::{Config, Cta, OnInvalid};
use crate::content::html::Cleaner;
use crate::content::{Article, Origin, Prepared};
use crate::error::Problem;
use crate::text::escape_html;
use chrono::{DateTime, Utc};
use select::FeedSelection;
use std::collections::BTreeMap;
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
        let unique: Vec<Arc<Article>> = unique.into_values().collect();
        let (items, mut warnings) = prepare_all(config, unique);
        let by_ptr: BTreeMap<*const Article, Arc<Item>> = items
            .into_iter()
            .map(|i| (Arc::as_ptr(&i.article), Arc::new(i)))
            .collect();
        let lookup = |v: &[Arc<Article>]| -> Vec<Arc<Item>> {
            v.iter().map(|a| by_ptr[&Arc::as_ptr(a)].clone()).collect()
        };
        for item in by_ptr.values() {
            let size = item.content.as_ref().map_or(0, String::len)
                + item.summary.len()
                + item.article.title.len();
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

/// Cleans bodies and appends the calls to action, using every core when
/// the work is large enough to be worth a thread.
fn prepare_all(config: &Config, articles: Vec<Arc<Article>>) -> (Vec<Item>, Vec<Problem>) {
    let cleaner = Cleaner::new();
    let work = |chunk: &[Arc<Article>]| -> Vec<(Item, Option<Problem>)> {
        chunk
            .iter()
            .map(|a| {
                let (p, w) = Prepared::new(a.clone(), &cleaner);
                (item(config, p), w)
            })
            .collect()
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let results: Vec<(Item, Option<Problem>)> = if threads < 2 || articles.len() < 512 {
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

fn item(config: &Config, p: Prepared) -> Item {
    let content = config.feeds.full_content.then(|| {
        let mut html = p
            .content_html
            .unwrap_or_else(|| format!("<p>{}</p>", escape_html(&p.summary)));
        append_ctas(&mut html, &config.ctas);
        html
    });
    Item {
        article: p.article,
        summary: p.summary,
        content,
    }
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
        let find = |needle: &[u8]| doc.windows(needle.len()).position(|w| w == needle);
        let rfind = |needle: &[u8]| doc.windows(needle.len()).rposition(|w| w == needle);
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

    /// Writes the feed. A feed of more than `part` entries is rendered in
    /// parts by one worker per core while this thread writes the finished
    /// parts in order, splicing their entries into one document: memory
    /// stays that of a few parts, not of the whole archive, and the bytes
    /// are those of a single render.
    pub fn write<W: std::io::Write>(
        self,
        feed: &Feed,
        mut out: W,
        part: usize,
    ) -> std::io::Result<W> {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::mpsc::sync_channel;
        use std::sync::Mutex;

        if feed.entries.len() <= part {
            out.write_all(&self.render(feed, &feed.entries)?)?;
            return Ok(out);
        }
        let parts: Vec<&[Arc<Item>]> = feed.entries.chunks(part).collect();
        let last = parts.len() - 1;
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let next = AtomicUsize::new(0);
        let spare: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
        std::thread::scope(|s| -> std::io::Result<W> {
            // Bounded: a worker waits when it is this far ahead of the writer.
            let (done, finished) = sync_channel::<(usize, std::io::Result<Vec<u8>>)>(threads * 2);
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
                        .send((i, self.render_into(feed, parts[i], buf)))
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
                let doc = match waiting.remove(&index) {
                    Some(doc) => doc,
                    None => match finished.recv() {
                        Ok((i, doc)) => {
                            waiting.insert(i, doc);
                            continue;
                        }
                        Err(_) => {
                            return Err(std::io::Error::other("a feed part was lost (a bug)"))
                        }
                    },
                };
                let doc = doc?;
                let (start, end) = self.entries_span(&doc).ok_or_else(|| {
                    std::io::Error::other("a rendered part of a feed has no entries (a bug)")
                })?;
                if index > 0 && self == Format::Json {
                    out.write_all(b",")?;
                }
                match index {
                    0 => out.write_all(&doc[..end])?,
                    i if i == last => out.write_all(&doc[start..])?,
                    _ => out.write_all(&doc[start..end])?,
                }
                if let Ok(mut v) = spare.lock() {
                    v.push(doc);
                }
                index += 1;
            }
            Ok(out)
        })
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
