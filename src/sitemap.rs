//! Sitemaps: the site's (every published article, the subscribe page and
//! the newsletter archive), Google News's (the articles of the last 48
//! hours) and the `Sitemap:` lines that announce them in robots.txt.
//!
//! What Google reads beside the feeds. The rules written here are those of
//! the sitemaps.org 0.9 protocol and of Google's news sitemaps: at most
//! 50,000 URLs and 50 MB (uncompressed) per file, past which the site's
//! sitemap becomes an index of parts; URLs of less than 2,048 characters,
//! entity-escaped; W3C date-times (here in the site's offset); a news
//! sitemap of at most 1,000 articles, all published in the last two days,
//! each with its publication's name and ISO 639 language code.
//!
//! [`Listing`] is what a build keeps of every article for them while the
//! content streams in: its URL and dates, and the title of those in the
//! news window, never a body. The writers stream XML straight to their
//! output (no document tree), so a build holds the listing and nothing
//! more. Pure: the caller writes the files ([`crate::build`]).

use crate::content::{Article, Glance, Origin};
use crate::error::Problem;
use crate::text::escape_html;
use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use chrono_tz::Tz;
use hashbrown::HashTable;
use std::collections::hash_map::RandomState;
use std::collections::BTreeSet;
use std::hash::BuildHasher;
use std::io::{self, Write};
use std::ops::Range;
use url::Url;

/// URLs in one sitemap file.
pub const MAX_URLS: usize = 50_000;
/// Bytes of one sitemap file, uncompressed (50 MiB, as sitemaps.org says).
pub const MAX_BYTES: usize = 52_428_800;
/// Articles in a news sitemap.
pub const NEWS_MAX_URLS: usize = 1_000;
/// How far back the news sitemap reaches.
pub const NEWS_WINDOW_HOURS: i64 = 48;
/// Google reads URLs of less than 2,048 characters.
pub const MAX_LOC_LEN: usize = 2_047;

const NS: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NS_NEWS: &str = "http://www.google.com/schemas/sitemap-news/0.9";
const XML_DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";

/// Length of a W3C date-time with seconds and offset,
/// `2026-11-26T07:12:00+01:00`, for years 0 to 9999.
const W3C_LEN: usize = 25;

/// One article of the site's sitemap: its URL and dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub url: Box<str>,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

/// One article of the news sitemap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewsListed {
    pub url: Box<str>,
    pub published: DateTime<Utc>,
    pub title: Box<str>,
}

/// Articles for the site's sitemap, each with the hash of its URL.
///
/// The hash is taken as the article is listed, while its URL is at hand:
/// finding a hundred thousand URLs again afterwards to hash them, on the
/// thread the build then waits for, was most of laying out the sitemap.
#[derive(Debug, Default)]
pub struct SiteArticles {
    articles: Vec<Listed>,
    /// `hashes[i]`: the hash of `articles[i].url`.
    hashes: Vec<u64>,
    /// Keyed per process: a table whose collisions the export's URLs
    /// could choose would make the layout quadratic.
    hasher: RandomState,
}

impl SiteArticles {
    fn push(&mut self, listed: Listed) {
        self.hashes.push(self.hasher.hash_one(&*listed.url));
        self.articles.push(listed);
    }
}

impl From<Vec<Listed>> for SiteArticles {
    fn from(articles: Vec<Listed>) -> SiteArticles {
        let mut site = SiteArticles::default();
        for a in articles {
            site.push(a);
        }
        site
    }
}

/// Every published article as the sitemaps need it, gathered while the
/// content is read: about 50 bytes and the URL per article.
#[derive(Debug)]
pub struct Listing {
    /// Articles published from then on are news; `None`: no news sitemap.
    news_since: Option<DateTime<Utc>>,
    all: SiteArticles,
    /// The news window's articles; trimmed to the newest
    /// [`NEWS_MAX_URLS`] whenever it doubles, so a day of a hundred
    /// thousand articles still holds few titles.
    news: Vec<NewsListed>,
    /// Articles left out of the sitemaps, each with why.
    warnings: Vec<Problem>,
}

impl Listing {
    /// A listing for a build at `now`; `news`: gather the news window too.
    pub fn new(now: DateTime<Utc>, news: bool) -> Listing {
        Listing {
            news_since: news.then(|| now - chrono::Duration::hours(NEWS_WINDOW_HOURS)),
            all: SiteArticles::default(),
            news: Vec::new(),
            warnings: Vec::new(),
        }
    }

    /// Lists one valid, published article.
    pub fn push(&mut self, a: &Article) {
        self.push_parts(&a.origin, a.url.as_str(), a.published, a.updated, &a.title);
    }

    /// Lists one valid, published article seen through a glance.
    pub fn push_glance(&mut self, g: &Glance<'_>) {
        self.push_parts(g.origin, g.url, g.published, g.updated, g.title);
    }

    fn push_parts(
        &mut self,
        origin: &Origin,
        url: &str,
        published: DateTime<Utc>,
        updated: DateTime<Utc>,
        title: &str,
    ) {
        if url.len() > MAX_LOC_LEN {
            self.warnings.push(Problem::new(
                &origin.path,
                Some(origin.line),
                "url",
                format!(
                    "{} characters: left out of the sitemaps, where Google reads URLs of less than 2,048",
                    url.len()
                ),
            ));
            return;
        }
        self.all.push(Listed {
            url: url.into(),
            published,
            updated,
        });
        if self.news_since.is_some_and(|since| published >= since) {
            self.news.push(NewsListed {
                url: url.into(),
                published,
                title: title.into(),
            });
            if self.news.len() >= 2 * NEWS_MAX_URLS {
                newest_news(&mut self.news, NEWS_MAX_URLS);
            }
        }
    }

    /// Whether the news sitemap is to be written.
    pub fn has_news(&self) -> bool {
        self.news_since.is_some()
    }

    /// The articles left out, for the build's warnings.
    pub fn take_warnings(&mut self) -> Vec<Problem> {
        std::mem::take(&mut self.warnings)
    }

    /// Every article listed, and the news sitemap's (newest first, at most
    /// [`NEWS_MAX_URLS`], each URL once).
    pub fn into_parts(self) -> (SiteArticles, Vec<NewsListed>) {
        let mut news = self.news;
        newest_news(&mut news, NEWS_MAX_URLS);
        (self.all, news)
    }
}

/// Keeps the `limit` newest of `news` (ties: by URL), each URL once
/// (its newest).
fn newest_news(news: &mut Vec<NewsListed>, limit: usize) {
    news.sort_by(|a, b| {
        b.published
            .cmp(&a.published)
            .then_with(|| a.url.cmp(&b.url))
    });
    let mut seen = BTreeSet::new();
    news.retain(|n| seen.len() < limit && seen.insert(n.url.clone()));
}

/// How much one sitemap file may hold.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub urls: usize,
    pub bytes: usize,
}

impl Limits {
    /// The protocol's.
    pub const SITEMAP: Limits = Limits {
        urls: MAX_URLS,
        bytes: MAX_BYTES,
    };
}

/// One URL of the site's sitemap.
#[derive(Debug)]
struct Entry {
    loc: Box<str>,
    lastmod: Option<DateTime<Utc>>,
}

const URLSET_OPEN: &str = "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";
const URLSET_CLOSE: &str = "</urlset>\n";
const URL_OPEN: &str = "  <url>\n    <loc>";
const LOC_CLOSE: &str = "</loc>\n";
const LASTMOD_OPEN: &str = "    <lastmod>";
const LASTMOD_CLOSE: &str = "</lastmod>\n";
const URL_CLOSE: &str = "  </url>\n";

impl Entry {
    /// Its bytes in a `urlset`, as [`Entry::write`] writes them.
    fn len(&self, tz: Tz) -> usize {
        URL_OPEN.len()
            + if plain(&self.loc) {
                self.loc.len()
            } else {
                escape_html(&self.loc).len()
            }
            + LOC_CLOSE.len()
            + self.lastmod.map_or(0, |d| {
                LASTMOD_OPEN.len() + w3c_len(d, tz) + LASTMOD_CLOSE.len()
            })
            + URL_CLOSE.len()
    }

    fn write(&self, tz: Tz, w: &mut impl Write) -> io::Result<()> {
        w.write_all(URL_OPEN.as_bytes())?;
        if plain(&self.loc) {
            w.write_all(self.loc.as_bytes())?;
        } else {
            w.write_all(escape_html(&self.loc).as_bytes())?;
        }
        w.write_all(LOC_CLOSE.as_bytes())?;
        if let Some(d) = self.lastmod {
            w.write_all(LASTMOD_OPEN.as_bytes())?;
            write_w3c(d, tz, w)?;
            w.write_all(LASTMOD_CLOSE.as_bytes())?;
        }
        w.write_all(URL_CLOSE.as_bytes())
    }
}

/// The site's sitemap, laid out in files: one `urlset` when it fits,
/// else parts of an index.
///
/// Order: the pages first, then the articles by publication date, oldest
/// first, ties by URL; parts are filled in that order, each as full as
/// the limits allow. A new article is the newest, so it lands in the last
/// part: every other part keeps its bytes from one build to the next (and
/// its file is not rewritten), until an old article is updated (its own
/// part changes), or deleted or back-dated (the parts from it on shift).
/// Newest first would rewrite every part at every new article.
#[derive(Debug)]
pub struct SiteMap {
    entries: Vec<Entry>,
    parts: Vec<Range<usize>>,
    /// The site's time zone, in which dates are written.
    tz: Tz,
}

impl SiteMap {
    /// `pages` (without a date) and every article listed, each URL once:
    /// an article listed twice under one URL keeps its first publication
    /// and its last update.
    pub fn new(
        pages: &[Url],
        articles: impl Into<SiteArticles>,
        tz: Tz,
        limits: Limits,
    ) -> SiteMap {
        let (mut articles, page_locs) = unique(articles.into(), pages);
        // An export usually lists the newest first: reversed, it is nearly
        // in order, which the (stable, run-detecting) sort takes in
        // about linear time.
        if articles
            .first()
            .zip(articles.last())
            .is_some_and(|(first, last)| first.published > last.published)
        {
            articles.reverse();
        }
        articles.sort_by(by_date_then_url);
        // Mapped in place (an entry is smaller than a listing), then the
        // pages put first: no second array of 100,000 entries.
        let mut entries: Vec<Entry> = articles
            .into_iter()
            .map(|a| Entry {
                loc: a.url,
                lastmod: Some(a.updated),
            })
            .collect();
        entries.splice(
            0..0,
            page_locs
                .into_iter()
                .map(|loc| Entry { loc, lastmod: None }),
        );
        let parts = partition(&entries, tz, limits);
        SiteMap { entries, parts, tz }
    }

    /// URLs in the sitemap.
    pub fn urls(&self) -> usize {
        self.entries.len()
    }

    /// Files its URLs take: 1 is a single `urlset`, more are the parts of
    /// an index.
    pub fn parts(&self) -> usize {
        self.parts.len()
    }

    /// The `urlset` of part `index` (from 0; the only one when
    /// [`SiteMap::parts`] is 1).
    pub fn write_part(&self, index: usize, w: &mut impl Write) -> io::Result<()> {
        w.write_all(XML_DECL.as_bytes())?;
        w.write_all(URLSET_OPEN.as_bytes())?;
        for e in &self.entries[self.parts[index].clone()] {
            e.write(self.tz, w)?;
        }
        w.write_all(URLSET_CLOSE.as_bytes())
    }

    /// The `sitemapindex` of the parts, at `locs` (one per part, in order);
    /// each part's `lastmod` is the newest of its URLs'.
    pub fn write_index(&self, locs: &[Url], w: &mut impl Write) -> io::Result<()> {
        w.write_all(XML_DECL.as_bytes())?;
        writeln!(w, "<sitemapindex xmlns=\"{NS}\">")?;
        for (loc, part) in locs.iter().zip(&self.parts) {
            writeln!(w, "  <sitemap>")?;
            writeln!(w, "    <loc>{}</loc>", escape_html(loc.as_str()))?;
            let newest = self.entries[part.clone()]
                .iter()
                .filter_map(|e| e.lastmod)
                .max();
            if let Some(d) = newest {
                writeln!(w, "    <lastmod>{}</lastmod>", w3c(d, self.tz))?;
            }
            writeln!(w, "  </sitemap>")?;
        }
        w.write_all(b"</sitemapindex>\n")
    }
}

/// Whether `s` holds nothing [`escape_html`] escapes: checked without an
/// early exit, which the compiler turns into a few vector instructions for
/// a URL, twice per entry.
fn plain(s: &str) -> bool {
    !s.bytes().fold(false, |any, b| {
        any | matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'')
    })
}

/// The sitemap's order of articles (each URL once): oldest first, ties
/// by URL.
fn by_date_then_url(a: &Listed, b: &Listed) -> std::cmp::Ordering {
    a.published
        .cmp(&b.published)
        .then_with(|| a.url.cmp(&b.url))
}

/// `articles` each URL once, in the order of their first listing, the one
/// kept holding the earliest publication and the latest update of its
/// URL; and the locations of `pages` that are no article, each once.
///
/// A hash table finds the duplicates: sorting 100,000 URLs, which share
/// long prefixes, cost more than the rest of the sitemap. Its order never
/// reaches the output.
fn unique(site: SiteArticles, pages: &[Url]) -> (Vec<Listed>, Vec<Box<str>>) {
    let SiteArticles {
        mut articles,
        hashes,
        hasher,
    } = site;
    // (kept, duplicate) pairs, by index into `articles`.
    let mut merges = Vec::new();
    let mut page_locs: Vec<Box<str>> = Vec::new();
    {
        // Indices of the first article of each URL.
        let mut first: HashTable<usize> = HashTable::with_capacity(articles.len());
        for (i, (a, &hash)) in articles.iter().zip(&hashes).enumerate() {
            let same = |&k: &usize| articles[k].url == a.url;
            if let Some(&kept) = first.find(hash, same) {
                merges.push((kept, i));
            } else {
                first.insert_unique(hash, i, |&k| hashes[k]);
            }
        }
        for p in pages {
            let loc = p.as_str();
            let listed = first
                .find(hasher.hash_one(loc), |&k| *articles[k].url == *loc)
                .is_some();
            if !listed && !page_locs.iter().any(|l| **l == *loc) {
                page_locs.push(loc.into());
            }
        }
    }
    if merges.is_empty() {
        return (articles, page_locs);
    }
    let mut duplicate = vec![false; articles.len()];
    for &(kept, i) in &merges {
        let (published, updated) = (articles[i].published, articles[i].updated);
        let k = &mut articles[kept];
        k.published = k.published.min(published);
        k.updated = k.updated.max(updated);
        duplicate[i] = true;
    }
    let mut is_duplicate = duplicate.into_iter();
    articles.retain(|_| !is_duplicate.next().unwrap_or(false));
    (articles, page_locs)
}

/// Splits `entries` into runs that each fit in one file, filling each in
/// turn: a part's extent depends only on the entries up to it.
fn partition(entries: &[Entry], tz: Tz, limits: Limits) -> Vec<Range<usize>> {
    let shell = XML_DECL.len() + URLSET_OPEN.len() + URLSET_CLOSE.len();
    let mut parts = Vec::new();
    let mut start = 0;
    let mut bytes = shell;
    for (i, e) in entries.iter().enumerate() {
        let len = e.len(tz);
        if i > start && (i - start >= limits.urls || bytes + len > limits.bytes) {
            parts.push(start..i);
            start = i;
            bytes = shell;
        }
        bytes += len;
    }
    // An empty site still has its (empty) sitemap.
    parts.push(start..entries.len());
    parts
}

/// The publication as Google News knows it.
#[derive(Debug, Clone, Copy)]
pub struct Publication<'a> {
    pub name: &'a str,
    /// `<news:language>`, see [`news_language`].
    pub language: &'a str,
}

/// The news sitemap of `news` (as [`Listing::into_parts`] gives them):
/// a valid, empty `urlset` when there is none.
pub fn write_news(
    news: &[NewsListed],
    publication: Publication<'_>,
    tz: Tz,
    w: &mut impl Write,
) -> io::Result<()> {
    let name = escape_html(publication.name);
    w.write_all(XML_DECL.as_bytes())?;
    writeln!(w, "<urlset xmlns=\"{NS}\" xmlns:news=\"{NS_NEWS}\">")?;
    for n in news {
        writeln!(w, "  <url>")?;
        writeln!(w, "    <loc>{}</loc>", escape_html(&n.url))?;
        writeln!(w, "    <news:news>")?;
        writeln!(w, "      <news:publication>")?;
        writeln!(w, "        <news:name>{name}</news:name>")?;
        writeln!(
            w,
            "        <news:language>{}</news:language>",
            publication.language
        )?;
        writeln!(w, "      </news:publication>")?;
        writeln!(
            w,
            "      <news:publication_date>{}</news:publication_date>",
            w3c(n.published, tz)
        )?;
        writeln!(
            w,
            "      <news:title>{}</news:title>",
            escape_html(&n.title)
        )?;
        writeln!(w, "    </news:news>")?;
        writeln!(w, "  </url>")?;
    }
    w.write_all(b"</urlset>\n")
}

/// The `<news:language>` of a BCP 47 tag: its ISO 639 language code in
/// lower case (`fr-FR` → `fr`), except Chinese, which Google names by
/// script: `zh-cn` (simplified) or `zh-tw` (traditional). A script subtag
/// decides (`zh-Hans`, `zh-Hant-HK`), else the region: Taiwan, Hong Kong
/// and Macao write traditional characters, the others simplified.
pub fn news_language(tag: &str) -> String {
    let mut subtags = tag.split(['-', '_']).map(str::to_ascii_lowercase);
    let language = subtags.next().unwrap_or_default();
    if language != "zh" {
        return language;
    }
    let rest: Vec<String> = subtags.collect();
    let has = |s: &str| rest.iter().any(|r| r == s);
    let traditional = if has("hant") {
        true
    } else if has("hans") {
        false
    } else {
        has("tw") || has("hk") || has("mo")
    };
    if traditional { "zh-tw" } else { "zh-cn" }.to_owned()
}

/// The robots.txt lines naming `sitemaps` (absolute URLs).
pub fn robots_lines(sitemaps: &[Url]) -> String {
    let mut text =
        String::from("# The sitemaps matinale writes: add these lines to the site's robots.txt.\n");
    for s in sitemaps {
        text.push_str(&format!("Sitemap: {s}\n"));
    }
    text
}

/// A W3C date-time (RFC 3339) with seconds, in `tz`'s offset at that
/// moment: `2026-11-26T07:12:00+01:00`.
pub fn w3c(d: DateTime<Utc>, tz: Tz) -> String {
    d.with_timezone(&tz)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// Writes [`w3c`] of `d` without its allocation and formatting machinery:
/// a sitemap writes 100,000 dates.
fn write_w3c(d: DateTime<Utc>, tz: Tz, w: &mut impl Write) -> io::Result<()> {
    match w3c_digits(d, tz) {
        Some(bytes) => w.write_all(&bytes),
        None => w.write_all(w3c(d, tz).as_bytes()),
    }
}

/// [`w3c`] of `d` set digit by digit; `None` where chrono's rules go past
/// the common case (a year outside 0–9999, a leap second, an offset with
/// seconds), which [`w3c`] then writes.
fn w3c_digits(d: DateTime<Utc>, tz: Tz) -> Option<[u8; W3C_LEN]> {
    use chrono::{Offset, Timelike};
    let local = d.with_timezone(&tz);
    let offset = local.offset().fix().local_minus_utc();
    let n = local.naive_local();
    let year = u32::try_from(n.year()).ok().filter(|y| *y <= 9999)?;
    if offset % 60 != 0 || n.nanosecond() >= 1_000_000_000 {
        return None;
    }
    let mut b = *b"0000-00-00T00:00:00+00:00";
    let mut two = |at: usize, v: u32| {
        // Every value here is below 100.
        b[at] = b'0' + (v / 10) as u8;
        b[at + 1] = b'0' + (v % 10) as u8;
    };
    two(0, year / 100);
    two(2, year % 100);
    two(5, n.month());
    two(8, n.day());
    two(11, n.hour());
    two(14, n.minute());
    two(17, n.second());
    let minutes = offset.unsigned_abs() / 60;
    two(20, minutes / 60);
    two(23, minutes % 60);
    if offset < 0 {
        b[19] = b'-';
    }
    Some(b)
}

fn w3c_len(d: DateTime<Utc>, tz: Tz) -> usize {
    // An offset moves a date out of the four-digit years only at their
    // very edges: those are measured.
    if (1..=9998).contains(&d.year()) {
        W3C_LEN
    } else {
        w3c(d, tz).len()
    }
}

/// What a build wrote of the sitemaps, for its report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// URLs in the site's sitemap.
    pub urls: usize,
    /// The parts of its index, relative; empty when it is one `urlset`.
    pub parts: Vec<String>,
    /// The site's sitemap, relative.
    pub site: String,
    /// The news sitemap, relative, and its number of articles.
    pub news: Option<(String, usize)>,
    /// The robots.txt lines, relative.
    pub robots: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn listed(url: &str, published: &str) -> Listed {
        Listed {
            url: url.into(),
            published: at(published),
            updated: at(published),
        }
    }

    fn text(write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>) -> String {
        let mut out = Vec::new();
        write(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn language_codes_follow_google_news() {
        let cases = [
            ("fr-FR", "fr"),
            ("en", "en"),
            ("EN-gb", "en"),
            ("pt-BR", "pt"),
            ("fil", "fil"),
            ("zh", "zh-cn"),
            ("zh-CN", "zh-cn"),
            ("zh-Hans", "zh-cn"),
            ("zh-Hans-HK", "zh-cn"),
            ("zh-SG", "zh-cn"),
            ("zh-TW", "zh-tw"),
            ("zh-Hant", "zh-tw"),
            ("zh-HK", "zh-tw"),
            ("zh-Hant-CN", "zh-tw"),
            ("zh-MO", "zh-tw"),
        ];
        for (tag, code) in cases {
            assert_eq!(news_language(tag), code, "{tag}");
        }
    }

    #[test]
    fn dates_carry_the_offset_of_their_moment() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        assert_eq!(
            w3c(at("2026-11-26T06:12:00Z"), paris),
            "2026-11-26T07:12:00+01:00"
        );
        assert_eq!(
            w3c(at("2026-07-01T06:12:00.75Z"), paris),
            "2026-07-01T08:12:00+02:00"
        );
        assert_eq!(w3c(at("2026-07-01T06:12:00Z"), Tz::UTC).len(), W3C_LEN);
    }

    #[test]
    fn a_small_site_is_one_urlset_pages_first_then_oldest_first() {
        let pages = [Url::parse("https://ex.org/abonnement/").unwrap()];
        let articles = vec![
            listed("https://ex.org/b?x=1&y='2'", "2026-11-25T10:00:00Z"),
            listed("https://ex.org/a", "2026-11-25T10:00:00Z"),
            listed("https://ex.org/0", "2026-11-24T10:00:00Z"),
        ];
        let map = SiteMap::new(&pages, articles, Tz::UTC, Limits::SITEMAP);
        assert_eq!((map.urls(), map.parts()), (4, 1));
        let xml = text(|w| map.write_part(0, w));
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">
  <url>
    <loc>https://ex.org/abonnement/</loc>
  </url>
  <url>
    <loc>https://ex.org/0</loc>
    <lastmod>2026-11-24T10:00:00+00:00</lastmod>
  </url>
  <url>
    <loc>https://ex.org/a</loc>
    <lastmod>2026-11-25T10:00:00+00:00</lastmod>
  </url>
  <url>
    <loc>https://ex.org/b?x=1&amp;y=&#39;2&#39;</loc>
    <lastmod>2026-11-25T10:00:00+00:00</lastmod>
  </url>
</urlset>
"
        );
    }

    #[test]
    fn a_url_listed_twice_is_written_once_with_its_last_update() {
        let mut again = listed("https://ex.org/a", "2026-11-25T10:00:00Z");
        again.updated = at("2026-11-26T09:00:00Z");
        let articles = vec![
            listed("https://ex.org/a", "2026-11-24T10:00:00Z"),
            listed("https://ex.org/b", "2026-11-24T12:00:00Z"),
            again,
        ];
        let pages = [Url::parse("https://ex.org/b").unwrap()];
        let map = SiteMap::new(&pages, articles, Tz::UTC, Limits::SITEMAP);
        let xml = text(|w| map.write_part(0, w));
        assert_eq!(map.urls(), 2);
        assert!(
            xml.contains(
                "<loc>https://ex.org/a</loc>\n    <lastmod>2026-11-26T09:00:00+00:00</lastmod>"
            ),
            "{xml}"
        );
        assert_eq!(xml.matches("<loc>https://ex.org/b</loc>").count(), 1);
    }

    #[test]
    fn parts_respect_both_limits_and_keep_their_bytes_as_articles_arrive() {
        let articles: Vec<Listed> = (0..25)
            .map(|i| {
                let long = "x".repeat(i % 7 * 10);
                listed(
                    &format!("https://ex.org/{i:02}/{long}"),
                    &format!("2026-11-{:02}T10:00:00Z", 1 + i),
                )
            })
            .collect();
        let limits = Limits {
            urls: 4,
            bytes: 700,
        };
        let map = SiteMap::new(&[], articles.clone(), Tz::UTC, limits);
        assert!(map.parts() > 25 / 4, "{}", map.parts());
        let mut urls = 0;
        let mut parts = Vec::new();
        for i in 0..map.parts() {
            let xml = text(|w| map.write_part(i, w));
            let n = xml.matches("<url>").count();
            assert!((1..=4).contains(&n) && xml.len() <= 700, "part {i}: {xml}");
            // The computed size is the written one.
            let range = map.parts[i].clone();
            let computed: usize = XML_DECL.len()
                + URLSET_OPEN.len()
                + URLSET_CLOSE.len()
                + map.entries[range]
                    .iter()
                    .map(|e| e.len(Tz::UTC))
                    .sum::<usize>();
            assert_eq!(computed, xml.len());
            urls += n;
            parts.push(xml);
        }
        assert_eq!(urls, 25);
        // One more, newer article: only the last part changes.
        let mut more = articles;
        more.push(listed("https://ex.org/new", "2026-11-30T10:00:00Z"));
        let next = SiteMap::new(&[], more, Tz::UTC, limits);
        let last = parts.len() - 1;
        for (i, before) in parts.iter().enumerate().take(last) {
            assert_eq!(&text(|w| next.write_part(i, w)), before);
        }
    }

    #[test]
    fn the_index_names_each_part_with_its_newest_lastmod() {
        let mut a = listed("https://ex.org/a", "2026-11-01T10:00:00Z");
        a.updated = at("2026-11-20T10:00:00Z");
        let articles = vec![
            a,
            listed("https://ex.org/b", "2026-11-02T10:00:00Z"),
            listed("https://ex.org/c", "2026-11-03T10:00:00Z"),
        ];
        let pages = [Url::parse("https://ex.org/p/").unwrap()];
        let limits = Limits {
            urls: 1,
            bytes: MAX_BYTES,
        };
        let map = SiteMap::new(&pages, articles, Tz::UTC, limits);
        assert_eq!(map.parts(), 4);
        let locs: Vec<Url> = (1..=4)
            .map(|i| Url::parse(&format!("https://ex.org/sitemap-{i}.xml")).unwrap())
            .collect();
        let xml = text(|w| map.write_index(&locs, w));
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">
  <sitemap>
    <loc>https://ex.org/sitemap-1.xml</loc>
  </sitemap>
  <sitemap>
    <loc>https://ex.org/sitemap-2.xml</loc>
    <lastmod>2026-11-20T10:00:00+00:00</lastmod>
  </sitemap>
  <sitemap>
    <loc>https://ex.org/sitemap-3.xml</loc>
    <lastmod>2026-11-02T10:00:00+00:00</lastmod>
  </sitemap>
  <sitemap>
    <loc>https://ex.org/sitemap-4.xml</loc>
    <lastmod>2026-11-03T10:00:00+00:00</lastmod>
  </sitemap>
</sitemapindex>
"
        );
    }

    #[test]
    fn news_keeps_the_newest_of_each_url_up_to_the_limit() {
        let n = |url: &str, published: &str| NewsListed {
            url: url.into(),
            published: at(published),
            title: "T".into(),
        };
        let mut news = vec![
            n("https://ex.org/a", "2026-11-25T10:00:00Z"),
            n("https://ex.org/c", "2026-11-25T11:00:00Z"),
            n("https://ex.org/b", "2026-11-25T11:00:00Z"),
            n("https://ex.org/a", "2026-11-25T12:00:00Z"),
            n("https://ex.org/d", "2026-11-24T12:00:00Z"),
        ];
        newest_news(&mut news, 3);
        let kept: Vec<(&str, String)> = news
            .iter()
            .map(|n| (&*n.url, n.published.to_rfc3339()))
            .collect();
        assert_eq!(
            kept,
            [
                ("https://ex.org/a", "2026-11-25T12:00:00+00:00".to_owned()),
                ("https://ex.org/b", "2026-11-25T11:00:00+00:00".to_owned()),
                ("https://ex.org/c", "2026-11-25T11:00:00+00:00".to_owned()),
            ]
        );
    }

    /// The order and merging of duplicates as they were first written:
    /// sorted by URL to merge, then by date.
    fn reference(pages: &[Url], mut articles: Vec<Listed>) -> Vec<(String, Option<DateTime<Utc>>)> {
        articles.sort_by(|a, b| a.url.cmp(&b.url).then(a.published.cmp(&b.published)));
        articles.dedup_by(|later, first| {
            let same = later.url == first.url;
            if same {
                first.updated = first.updated.max(later.updated);
            }
            same
        });
        let mut page_locs: Vec<String> = Vec::new();
        for p in pages {
            let loc = p.as_str();
            let is_article = articles.binary_search_by(|a| (*a.url).cmp(loc)).is_ok();
            if !is_article && !page_locs.iter().any(|l| l == loc) {
                page_locs.push(loc.to_owned());
            }
        }
        articles.sort_by(|a, b| a.published.cmp(&b.published).then(a.url.cmp(&b.url)));
        page_locs
            .into_iter()
            .map(|l| (l, None))
            .chain(
                articles
                    .into_iter()
                    .map(|a| (a.url.into(), Some(a.updated))),
            )
            .collect()
    }

    fn laid_out(map: &SiteMap) -> Vec<(String, Option<DateTime<Utc>>)> {
        map.entries
            .iter()
            .map(|e| (e.loc.to_string(), e.lastmod))
            .collect()
    }

    proptest::proptest! {
        #[test]
        fn order_and_merges_are_those_of_sorting_by_url(
            raw in proptest::collection::vec((0u8..12, 0i64..6, 0i64..4), 0..60),
            pages in proptest::collection::vec(0u8..14, 0..4),
            newest_first in proptest::bool::ANY,
        ) {
            // Few URLs and few dates: duplicates and ties in plenty.
            let base = at("2026-03-28T12:00:00Z");
            let mut articles: Vec<Listed> = raw
                .iter()
                .map(|&(u, p, later)| {
                    let published = base + chrono::Duration::hours(p * 6);
                    Listed {
                        url: format!("https://ex.org/{u}").into(),
                        published,
                        updated: published + chrono::Duration::hours(later * 5),
                    }
                })
                .collect();
            if newest_first {
                articles.sort_by_key(|a| std::cmp::Reverse(a.published));
            }
            let pages: Vec<Url> = pages
                .iter()
                .map(|u| Url::parse(&format!("https://ex.org/{u}")).unwrap())
                .collect();
            let map = SiteMap::new(&pages, articles.clone(), Tz::UTC, Limits::SITEMAP);
            proptest::prop_assert_eq!(laid_out(&map), reference(&pages, articles));
        }

        #[test]
        fn dates_set_by_digits_are_chronos(
            secs in -2_300_000_000i64..4_200_000_000,
            nanos in 0u32..1_000_000_000,
            zone in 0usize..6,
        ) {
            let zones = [
                "Europe/Paris",
                "America/New_York",
                "Asia/Kathmandu",
                "Australia/Lord_Howe",
                "America/St_Johns",
                "UTC",
            ];
            let tz: Tz = zones[zone].parse().unwrap();
            let d = DateTime::from_timestamp(secs, nanos).unwrap();
            let mut out = Vec::new();
            write_w3c(d, tz, &mut out).unwrap();
            proptest::prop_assert_eq!(String::from_utf8(out).unwrap(), w3c(d, tz));
        }
    }

    #[test]
    fn a_url_listed_newest_first_keeps_its_first_publication() {
        // As an export lists them: newest first, one article twice.
        let mut again = listed("https://ex.org/a", "2026-11-26T10:00:00Z");
        again.updated = at("2026-11-26T11:00:00Z");
        let articles = vec![
            again,
            listed("https://ex.org/c", "2026-11-25T10:00:00Z"),
            listed("https://ex.org/b", "2026-11-25T10:00:00Z"),
            listed("https://ex.org/a", "2026-11-24T10:00:00Z"),
        ];
        let map = SiteMap::new(&[], articles, Tz::UTC, Limits::SITEMAP);
        assert_eq!(
            laid_out(&map),
            [
                (
                    "https://ex.org/a".to_owned(),
                    Some(at("2026-11-26T11:00:00Z"))
                ),
                (
                    "https://ex.org/b".to_owned(),
                    Some(at("2026-11-25T10:00:00Z"))
                ),
                (
                    "https://ex.org/c".to_owned(),
                    Some(at("2026-11-25T10:00:00Z"))
                ),
            ]
        );
    }

    #[test]
    fn lastmods_across_a_change_of_offset_carry_each_its_own() {
        let paris: Tz = "Europe/Paris".parse().unwrap();
        // Summer time starts at 01:00 UTC on 2026-03-29.
        let articles = vec![
            listed("https://ex.org/before", "2026-03-29T00:59:59Z"),
            listed("https://ex.org/after", "2026-03-29T01:00:00Z"),
            listed("https://ex.org/autumn", "2026-10-25T01:00:00Z"),
        ];
        let map = SiteMap::new(&[], articles, paris, Limits::SITEMAP);
        let xml = text(|w| map.write_part(0, w));
        let lastmods: Vec<&str> = xml
            .lines()
            .filter_map(|l| l.trim().strip_prefix("<lastmod>"))
            .collect();
        assert_eq!(
            lastmods,
            [
                "2026-03-29T01:59:59+01:00</lastmod>",
                "2026-03-29T03:00:00+02:00</lastmod>",
                "2026-10-25T02:00:00+01:00</lastmod>",
            ]
        );
        // Paris's local mean time (+00:09:21) is chrono's to write.
        let old = at("1890-06-01T12:00:00Z");
        let mut out = Vec::new();
        write_w3c(old, paris, &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), w3c(old, paris));
        assert_eq!(w3c_digits(old, paris), None);
    }

    #[test]
    fn plain_urls_are_those_escaping_leaves_alone() {
        for url in [
            "https://ex.org/a",
            "https://ex.org/b?x=1&y=2",
            "https://ex.org/'q'",
            "https://ex.org/<>",
            "https://ex.org/\"",
            "https://ex.org/é",
            "",
        ] {
            assert_eq!(plain(url), escape_html(url) == url, "{url}");
        }
    }

    #[test]
    fn a_part_ends_exactly_at_its_limit() {
        let articles: Vec<Listed> = (0..6)
            .map(|i| {
                listed(
                    &format!("https://ex.org/{i}"),
                    &format!("2026-11-0{}T10:00:00Z", i + 1),
                )
            })
            .collect();
        let pages = [Url::parse("https://ex.org/p/").unwrap()];
        let limits = Limits {
            urls: 7,
            bytes: MAX_BYTES,
        };
        let map = SiteMap::new(&pages, articles.clone(), Tz::UTC, limits);
        assert_eq!((map.parts.len(), map.parts[0].clone()), (1, 0..7));
        let mut more = articles;
        // A duplicate adds no URL.
        more.push(listed("https://ex.org/0", "2026-11-09T10:00:00Z"));
        let map = SiteMap::new(&pages, more.clone(), Tz::UTC, limits);
        assert_eq!((map.parts.len(), map.parts[0].clone()), (1, 0..7));
        more.push(listed("https://ex.org/6", "2026-11-09T10:00:00Z"));
        let map = SiteMap::new(&pages, more, Tz::UTC, limits);
        assert_eq!(map.parts, [0..7, 7..8]);
        assert_eq!(
            text(|w| map.write_part(1, w)),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">
  <url>
    <loc>https://ex.org/6</loc>
    <lastmod>2026-11-09T10:00:00+00:00</lastmod>
  </url>
</urlset>
"
        );
    }

    #[test]
    fn an_empty_news_sitemap_is_a_valid_empty_urlset() {
        let p = Publication {
            name: "Le Fil & Co",
            language: "fr",
        };
        assert_eq!(
            text(|w| write_news(&[], p, Tz::UTC, w)),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>
<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">
</urlset>
"
        );
    }
}
