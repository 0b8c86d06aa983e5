//! Where every output and state file of a site goes.
//!
//! This module is the only one that spells a file or folder name. The
//! feeds' folder holds the feeds (one folder per feed: the site's at the
//! top, each category's under `category/<slug>/`, the newsletter's editions
//! under `newsletter/`), the subscribe page, the archive, the web copies
//! and the partials; the newsletter's folder holds each edition's master
//! copy, the ledger, the record of deliveries and the memory of a feed
//! source; the state folder (`.matinale/`, beside feed.toml) holds the run
//! lock, the ping record and the copy of a remote source.
//!
//! The sitemaps sit at the top of the feeds' folder, beside the site's
//! feed; the lines that announce them, among the partials.
//!
//! Paths under the feeds' folder are kept relative and in URL form
//! (`category/tech/feed.xml`): [`Layout::file`] makes a file path of one,
//! [`Layout::url`] the absolute URL where it is served. Adding a format is
//! one variant of [`Format`]; adding an output is one method here.
//!
//! Pure: it computes paths from the [`Config`](crate::Config) and never
//! touches the disk.

use chrono::NaiveDate;
use std::path::{Path, PathBuf};
use url::Url;

/// The three feed formats, each written from the same feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Rss, Format::Atom, Format::Json];

    /// The feed's file name in its folder.
    pub fn file_name(self) -> &'static str {
        match self {
            Format::Rss => "feed.xml",
            Format::Atom => "atom.xml",
            Format::Json => "feed.json",
        }
    }

    /// The media type readers expect, for `<link rel="alternate">` and
    /// for serving the file.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml",
            Format::Atom => "application/atom+xml",
            Format::Json => "application/feed+json",
        }
    }

    /// The format of a file matinale writes under this name.
    pub fn of_file_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.file_name() == name)
    }

    /// The file names of all formats, for messages: "feed.xml, atom.xml, feed.json".
    pub fn file_names() -> String {
        Format::ALL.map(Format::file_name).join(", ")
    }
}

/// The self links of one feed, one per format.
#[derive(Debug, Clone)]
pub struct FeedUrls {
    pub rss: Url,
    pub atom: Url,
    pub json: Url,
}

impl FeedUrls {
    pub fn get(&self, format: Format) -> &Url {
        match format {
            Format::Rss => &self.rss,
            Format::Atom => &self.atom,
            Format::Json => &self.json,
        }
    }
}

/// The parts of one edition in the newsletter's folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditionPart {
    /// The HTML of the master copy.
    Html,
    /// Its plain-text part.
    Text,
    /// The whole message handed to the sending platform.
    Eml,
}

impl EditionPart {
    pub const ALL: [EditionPart; 3] = [EditionPart::Html, EditionPart::Text, EditionPart::Eml];

    fn extension(self) -> &'static str {
        match self {
            EditionPart::Html => "html",
            EditionPart::Text => "txt",
            EditionPart::Eml => "eml",
        }
    }
}

/// The site's pages and snippets under the feeds' folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    /// How to subscribe: every feed, the calls to action.
    Subscribe,
    /// The newsletter's archive: every edition.
    Archive,
    /// `<link rel="alternate">` tags for the site's `<head>`.
    HeadPartial,
    /// The calls-to-action block for the site's article pages.
    CtaPartial,
    /// The newsletter's signup form for the site's article pages.
    SignupPartial,
}

impl Page {
    pub const ALL: [Page; 5] = [
        Page::Subscribe,
        Page::Archive,
        Page::HeadPartial,
        Page::CtaPartial,
        Page::SignupPartial,
    ];
}

/// The fragment of the signup form on the pages that carry it (the
/// subscribe page, the archive, each web copy): `…/newsletter/#inscription`.
pub const SIGNUP_ANCHOR: &str = "inscription";

/// The sitemaps under the feeds' folder, and the lines that announce them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SitemapFile {
    /// Every article and page: a `urlset`, or the `sitemapindex` of the
    /// parts when one file cannot hold them.
    Site,
    /// Part `n` (from 1) of a site's sitemap too large for one file.
    Part(usize),
    /// The Google News sitemap: the articles of the last 48 hours.
    News,
    /// The `Sitemap:` lines for the site's own robots.txt.
    RobotsPartial,
}

/// Where the copy of a remote feed source is kept: its body, and beside
/// it its URL and validators (ETag, Last-Modified).
#[derive(Debug, Clone)]
pub struct SourceCopy {
    pub body: PathBuf,
    pub meta: PathBuf,
}

/// Folder of the category feeds, under the feeds' folder.
const CATEGORIES: &str = "category/";
/// Folder of the newsletter's archive, web copies and feed of editions.
const EDITIONS: &str = "newsletter/";
/// Folder of the snippets the site's templates include.
const PARTIALS: &str = "_partials/";
/// The page a folder serves.
const INDEX: &str = "index.html";
/// The site's sitemap; its parts are `sitemap-1.xml`, `sitemap-2.xml`, …
const SITEMAP: (&str, &str) = ("sitemap", ".xml");

/// Every path and URL of one site's outputs and state.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The feeds' output folder (`[feeds] output_dir`).
    feeds: PathBuf,
    /// Where the feeds' folder is served; ends with `/`.
    base_url: Url,
    /// The newsletter's folder (`[newsletter] output_dir`).
    newsletter: PathBuf,
    /// The folder of feed.toml.
    root: PathBuf,
    /// The subscribe page's folder, relative, ending with `/`.
    subscribe: String,
}

impl Layout {
    /// The layout of a site whose feed.toml is in `root`. Every folder is
    /// as the configuration resolved it.
    pub fn new(
        root: &Path,
        feeds: &Path,
        base_url: &Url,
        newsletter: &Path,
        subscribe: &str,
    ) -> Layout {
        Layout {
            feeds: feeds.to_path_buf(),
            base_url: base_url.clone(),
            newsletter: newsletter.to_path_buf(),
            root: root.to_path_buf(),
            subscribe: subscribe.to_owned(),
        }
    }

    /// The folder the top-level names of the feeds' folder are reserved
    /// for, so that the subscribe page does not land on them.
    pub fn reserved_folders() -> [&'static str; 3] {
        [CATEGORIES, EDITIONS, PARTIALS].map(|d| d.trim_end_matches('/'))
    }

    // ---- the feeds' folder ----

    /// The feeds' output folder.
    pub fn feeds_dir(&self) -> &Path {
        &self.feeds
    }

    /// The file at `rel` (URL form) under the feeds' folder.
    pub fn file(&self, rel: &str) -> PathBuf {
        let mut path = self.feeds.clone();
        path.extend(rel.split('/').filter(|s| !s.is_empty()));
        path
    }

    /// The absolute URL of `rel` under the feeds' folder.
    pub fn url(&self, rel: &str) -> Url {
        self.base_url
            .join(rel)
            .expect("paths under the output folder are relative URLs")
    }

    /// The `rel` path (URL form) of a file under the feeds' folder.
    pub fn relative(&self, path: &Path) -> Option<String> {
        let rel = path.strip_prefix(&self.feeds).ok()?;
        let parts: Vec<_> = rel.iter().map(|c| c.to_string_lossy()).collect();
        Some(parts.join("/"))
    }

    /// The site's feed folder: the top of the feeds' folder.
    pub fn site_feed_dir(&self) -> String {
        String::new()
    }

    /// The folder of the feed of one category.
    pub fn category_feed_dir(&self, slug: &str) -> String {
        format!("{CATEGORIES}{slug}/")
    }

    /// The folder holding every category feed.
    pub fn categories_dir(&self) -> PathBuf {
        self.file(CATEGORIES)
    }

    /// The slug of the category whose feed is in `dir`.
    pub fn category_of<'d>(&self, dir: &'d str) -> Option<&'d str> {
        dir.strip_prefix(CATEGORIES)
            .map(|d| d.trim_end_matches('/'))
    }

    /// The folder of the feed of editions.
    pub fn editions_feed_dir(&self) -> String {
        EDITIONS.to_owned()
    }

    /// One feed file, relative.
    pub fn feed_file(&self, dir: &str, format: Format) -> String {
        format!("{dir}{}", format.file_name())
    }

    /// The self links of the feed in `dir`.
    pub fn feed_urls(&self, dir: &str) -> FeedUrls {
        let url = |f: Format| self.url(&self.feed_file(dir, f));
        FeedUrls {
            rss: url(Format::Rss),
            atom: url(Format::Atom),
            json: url(Format::Json),
        }
    }

    /// Whether `rel` is a category feed whose category is not in `current`
    /// (slugs).
    pub fn is_stale_category_feed(
        &self,
        rel: &str,
        current: &std::collections::BTreeSet<String>,
    ) -> bool {
        let Some((dir, file)) = rel.rsplit_once('/') else {
            return false;
        };
        Format::of_file_name(file).is_some()
            && self.category_of(&format!("{dir}/")).is_some_and(|slug| {
                !slug.is_empty() && !slug.contains('/') && !current.contains(slug)
            })
    }

    /// Whether `path` is a feed file matinale writes.
    pub fn is_feed_file(&self, path: &Path) -> bool {
        path.file_name()
            .and_then(|n| n.to_str())
            .and_then(Format::of_file_name)
            .is_some()
    }

    /// A feed file under the feeds' folder, with no `..` on the way: the
    /// only files the incremental cache may copy entries from, whatever
    /// its index says.
    pub fn is_output_feed(&self, path: &Path) -> bool {
        self.is_feed_file(path)
            && path.strip_prefix(&self.feeds).is_ok_and(|rel| {
                rel.components()
                    .all(|c| matches!(c, std::path::Component::Normal(_)))
            })
    }

    /// A page's folder, relative (what a link to it names).
    pub fn page_dir(&self, page: Page) -> String {
        match page {
            Page::Subscribe => self.subscribe.clone(),
            Page::Archive => EDITIONS.to_owned(),
            Page::HeadPartial | Page::CtaPartial | Page::SignupPartial => PARTIALS.to_owned(),
        }
    }

    /// A page's file, relative.
    pub fn page(&self, page: Page) -> String {
        let name = match page {
            Page::Subscribe | Page::Archive => INDEX,
            Page::HeadPartial => "head.html",
            Page::CtaPartial => "cta.html",
            Page::SignupPartial => "signup.html",
        };
        format!("{}{name}", self.page_dir(page))
    }

    /// The signup form on `page` (the subscribe page or the archive).
    pub fn signup_url(&self, page: Page) -> Url {
        let mut url = self.url(&self.page_dir(page));
        url.set_fragment(Some(SIGNUP_ANCHOR));
        url
    }

    /// The folder of the partials.
    pub fn partials_dir(&self) -> PathBuf {
        self.file(PARTIALS)
    }

    /// One of the sitemaps, relative.
    pub fn sitemap(&self, file: SitemapFile) -> String {
        let (stem, ext) = SITEMAP;
        match file {
            SitemapFile::Site => format!("{stem}{ext}"),
            SitemapFile::Part(n) => format!("{stem}-{n}{ext}"),
            SitemapFile::News => format!("news-{stem}{ext}"),
            SitemapFile::RobotsPartial => format!("{PARTIALS}robots.txt"),
        }
    }

    /// Whether `rel` is a name [`Layout::sitemap`] gives, so that one
    /// matinale wrote earlier and no longer writes can be pruned.
    pub fn is_sitemap_file(&self, rel: &str) -> bool {
        let (stem, ext) = SITEMAP;
        let part = rel
            .strip_prefix(stem)
            .and_then(|r| r.strip_prefix('-'))
            .and_then(|r| r.strip_suffix(ext))
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&n| n > 0);
        [
            SitemapFile::Site,
            SitemapFile::News,
            SitemapFile::RobotsPartial,
        ]
        .into_iter()
        .any(|f| self.sitemap(f) == rel)
            || part.is_some_and(|n| self.sitemap(SitemapFile::Part(n)) == rel)
    }

    /// The web copy of the edition of `date`, relative.
    pub fn web_copy(&self, date: NaiveDate) -> String {
        format!("{EDITIONS}{date}.html")
    }

    // ---- the newsletter's folder ----

    /// The newsletter's output folder.
    pub fn newsletter_dir(&self) -> &Path {
        &self.newsletter
    }

    /// One part of the master copy of the edition of `date`.
    pub fn edition(&self, date: NaiveDate, part: EditionPart) -> PathBuf {
        self.newsletter.join(format!("{date}.{}", part.extension()))
    }

    /// The three parts of an edition, for messages: `D.{html,txt,eml}`.
    pub fn edition_parts(&self, date: NaiveDate) -> PathBuf {
        let exts = EditionPart::ALL.map(EditionPart::extension).join(",");
        self.newsletter.join(format!("{date}.{{{exts}}}"))
    }

    /// The record of the editions made.
    pub fn ledger(&self) -> PathBuf {
        self.newsletter.join("ledger.json")
    }

    /// The record of each edition's hand-off to the engine that sends it
    /// (`deliver`), beside the ledger of the editions made.
    pub fn deliveries(&self) -> PathBuf {
        self.newsletter.join("deliveries.json")
    }

    /// The memory of a feed source's items.
    pub fn seen(&self) -> PathBuf {
        self.newsletter.join("seen.jsonl")
    }

    /// Where a test send goes when no relay is set.
    pub fn outbox(&self) -> PathBuf {
        self.root.join("out").join("outbox")
    }

    // ---- beside feed.toml ----

    /// The site's own templates, each overriding a built-in one.
    pub fn templates_dir(&self) -> PathBuf {
        self.root.join("templates")
    }

    /// The site's state: the run lock, the ping record, the copy of a
    /// remote source.
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(".matinale")
    }

    /// The lock that serialises runs on the site.
    pub fn lock(&self) -> PathBuf {
        self.state_dir().join("lock")
    }

    /// What matinale wrote under the feeds' folder (see
    /// [`crate::output::Manifest`]).
    pub fn manifest(&self) -> PathBuf {
        self.state_dir().join("manifest.json")
    }

    /// The incremental cache's index: where the feeds hold each article's
    /// entries (see [`crate::cache`]).
    pub fn entry_index(&self) -> PathBuf {
        self.state_dir().join("cache").join("feed-entries.bin")
    }

    /// What the last build found of the lines of a JSON Lines export
    /// (see [`crate::content::memo`]).
    pub fn glance_memo(&self) -> PathBuf {
        self.state_dir().join("cache").join("glanced-lines.bin")
    }

    /// How many published articles the last successful build read, so that
    /// a source that suddenly yields far fewer is caught.
    pub fn last_build(&self) -> PathBuf {
        self.state_dir().join("last-build.json")
    }

    /// Where a message waits for a `[delivery] command` to read it (unlinked
    /// as soon as it is opened; each hand-off adds a random suffix).
    pub fn handoff_spool(&self) -> PathBuf {
        self.state_dir().join(".handoff.eml")
    }

    /// The folders a run writes in: nothing outside them, and no link
    /// below them.
    pub fn writable(&self) -> Vec<PathBuf> {
        vec![
            self.feeds.clone(),
            self.newsletter.clone(),
            self.state_dir(),
        ]
    }

    /// The feeds whose bytes changed since the hub was last told.
    pub fn ping_record(&self) -> PathBuf {
        self.state_dir().join("ping.json")
    }

    /// The last copy of a remote feed source, and its HTTP validators.
    pub fn source_copy(&self) -> SourceCopy {
        let dir = self.state_dir().join("cache");
        SourceCopy {
            body: dir.join("source.body"),
            meta: dir.join("source.json"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout() -> Layout {
        Layout::new(
            Path::new("site"),
            Path::new("site/public"),
            &Url::parse("https://ex.org/feeds/").unwrap(),
            Path::new("site/out/newsletter"),
            "abonnement/",
        )
    }

    #[test]
    fn feed_paths_and_urls_agree() {
        let l = layout();
        let dir = l.category_feed_dir("jeux-video");
        assert_eq!(l.category_of(&dir), Some("jeux-video"));
        let rel = l.feed_file(&dir, Format::Atom);
        assert_eq!(rel, "category/jeux-video/atom.xml");
        assert_eq!(
            l.file(&rel),
            Path::new("site/public/category/jeux-video/atom.xml")
        );
        assert_eq!(
            l.feed_urls(&dir).get(Format::Atom).as_str(),
            "https://ex.org/feeds/category/jeux-video/atom.xml"
        );
        assert_eq!(l.relative(&l.file(&rel)).as_deref(), Some(rel.as_str()));
        assert!(l.is_feed_file(&l.file(&rel)));
    }

    #[test]
    fn every_page_has_its_own_path() {
        let l = layout();
        let mut paths: Vec<String> = Page::ALL.iter().map(|&p| l.page(p)).collect();
        paths.push(l.web_copy(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()));
        assert_eq!(
            paths,
            [
                "abonnement/index.html",
                "newsletter/index.html",
                "_partials/head.html",
                "_partials/cta.html",
                "_partials/signup.html",
                "newsletter/2026-11-26.html"
            ]
        );
        assert_eq!(
            l.signup_url(Page::Archive).as_str(),
            "https://ex.org/feeds/newsletter/#inscription"
        );
    }

    #[test]
    fn sitemaps_are_recognised_by_their_own_names_only() {
        let l = layout();
        let names = [
            SitemapFile::Site,
            SitemapFile::Part(1),
            SitemapFile::Part(12),
            SitemapFile::News,
            SitemapFile::RobotsPartial,
        ]
        .map(|f| l.sitemap(f));
        assert_eq!(
            names,
            [
                "sitemap.xml",
                "sitemap-1.xml",
                "sitemap-12.xml",
                "news-sitemap.xml",
                "_partials/robots.txt"
            ]
        );
        assert!(names.iter().all(|n| l.is_sitemap_file(n)));
        for other in [
            "sitemap-0.xml",
            "sitemap-01.xml",
            "sitemap-x.xml",
            "sitemap-+1.xml",
            "category/tech/sitemap.xml",
            "robots.txt",
            "feed.xml",
        ] {
            assert!(!l.is_sitemap_file(other), "{other}");
        }
        assert_eq!(
            l.url(&l.sitemap(SitemapFile::News)).as_str(),
            "https://ex.org/feeds/news-sitemap.xml"
        );
    }

    #[test]
    fn edition_parts_sit_in_the_newsletter_folder() {
        let l = layout();
        let d = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(
            l.edition(d, EditionPart::Eml),
            Path::new("site/out/newsletter/2026-11-26.eml")
        );
        assert_eq!(
            l.edition_parts(d),
            Path::new("site/out/newsletter/2026-11-26.{html,txt,eml}")
        );
        assert_eq!(l.ledger(), Path::new("site/out/newsletter/ledger.json"));
        assert_eq!(
            l.deliveries(),
            Path::new("site/out/newsletter/deliveries.json")
        );
    }
}
