//! The article model, and reading it from the site's sources.
//!
//! Loaders ([`markdown`], [`jsonl`], [`foreign`] for a feed) parse the source into [`raw`] records;
//! [`Validator::article`] turns a record into an [`Article`] or into
//! problems naming the file, line and field. Articles are handed one at a
//! time to an [`ArticleSink`], which keeps what it needs: a daily feed over a
//! 100,000-article export keeps a few hundred, never the whole file.
//! Bodies are cleaned later ([`html::Cleaner`]), only for the articles kept.
//! A sink may also take a [`Glance`] of an article it does not want: the
//! few values that decide where it goes, from a record that [`glance`]
//! found as valid as [`check`] would, without building the article.

pub mod date;
pub mod foreign;
pub mod html;
pub mod jsonl;
pub mod markdown;
pub mod memo;
pub mod raw;
mod seen;

// The text helpers' public path before they moved up to the crate's
// `text` module (config uses them too): code that names
// `matinale::content::text` still compiles.
pub use crate::text;

use crate::config::{Config, SourceKind};
use crate::error::{Error, Problem};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use raw::{RawArticle, RawAuthor, RawComments, RawDate, RawImage};
use std::borrow::Cow;
use std::path::Path;
use std::sync::Arc;
use url::Url;

/// Where an article was read: a file, and the line of its record (JSON
/// Lines) or of its front matter (Markdown).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub path: Arc<Path>,
    pub line: usize,
}

/// A valid, published article.
#[derive(Debug, Clone)]
pub struct Article {
    pub origin: Origin,
    pub id: String,
    pub title: String,
    pub url: Url,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub authors: Vec<Author>,
    /// The first is the primary category.
    pub categories: Vec<String>,
    pub summary: Option<String>,
    pub body: Option<Body>,
    pub image: Option<Image>,
    pub comments: Option<Comments>,
    pub featured: bool,
}

/// An article body, not yet cleaned.
#[derive(Debug, Clone)]
pub enum Body {
    Html(String),
    Markdown(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub name: String,
    pub email: Option<String>,
    pub url: Option<Url>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    pub url: Url,
    pub alt: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub mime_type: Option<String>,
    pub length: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comments {
    pub count: u64,
    pub url: Option<Url>,
}

/// An article with its body cleaned: what every output is built from.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub article: Arc<Article>,
    /// The standfirst, or the first paragraph of the body.
    pub summary: String,
    /// Cleaned HTML body, if the article has one.
    pub content_html: Option<String>,
}

impl Prepared {
    /// Cleans the body. Warnings (XML-illegal characters removed, elements
    /// nested too deep flattened) are returned for the caller to report.
    pub fn new(article: Arc<Article>, cleaner: &html::Cleaner) -> (Prepared, Option<Problem>) {
        let (content_html, warning) = match &article.body {
            None => (None, None),
            Some(body) => {
                let (raw, md_flattened) = match body {
                    Body::Html(h) => (std::borrow::Cow::Borrowed(h.as_str()), 0),
                    Body::Markdown(md) => {
                        let (h, n) = html::markdown_to_html(md);
                        (std::borrow::Cow::Owned(h), n)
                    }
                };
                let removed = crate::text::count_xml_illegal(&raw);
                let (clean, flattened) = cleaner.clean_counting(&raw, &article.url);
                let warning = body_warning(removed, md_flattened + flattened).map(|message| {
                    Problem::new(
                        &article.origin.path,
                        Some(article.origin.line),
                        "content",
                        message,
                    )
                });
                (Some(clean).filter(|h| !h.trim().is_empty()), warning)
            }
        };
        let summary = match &article.summary {
            Some(s) => s.clone(),
            None => content_html
                .as_deref()
                .map(html::first_paragraph_text)
                .unwrap_or_default(),
        };
        (
            Prepared {
                article,
                summary,
                content_html,
            },
            warning,
        )
    }
}

/// What cleaning a body changed, if anything.
fn body_warning(removed: usize, flattened: usize) -> Option<String> {
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let mut said = Vec::new();
    if removed > 0 {
        said.push(format!(
            "removed {removed} character{} that XML 1.0 forbids",
            plural(removed)
        ));
    }
    if flattened > 0 {
        said.push(format!(
            "flattened {flattened} element{} nested deeper than {} levels (their text is kept)",
            plural(flattened),
            html::nesting::MAX_DEPTH
        ));
    }
    (!said.is_empty()).then(|| said.join("; "))
}

/// Receives valid, published articles from a loader.
pub trait ArticleSink {
    /// Whether this article could be kept. Asked before its body is
    /// decoded, so that bodies nobody needs cost nothing.
    fn wants(&self, article: &Article) -> bool;
    /// Whether every article will be kept: bodies are then decoded
    /// without asking.
    fn wants_everything(&self) -> bool {
        false
    }
    fn accept(&mut self, article: Article);
    /// Sees every valid, published article, kept or not (its body only
    /// when kept): for what lists the whole site, compactly (sitemaps).
    fn list(&mut self, _article: &Article) {}
    /// Whether a loader may hand this sink [`Glance`]s of the articles it
    /// does not want instead of building them (see [`Glance`]).
    fn glances(&self) -> bool {
        false
    }
    /// [`ArticleSink::wants`] for the article `glance` shows: the same
    /// answer the built article would get.
    fn wants_glance(&self, _glance: &Glance<'_>) -> bool {
        true
    }
    /// [`ArticleSink::list`] for an article not wanted, seen through a
    /// glance.
    fn list_glance(&mut self, _glance: &Glance<'_>) {}
    /// A date before which few articles are wanted (the sink's guess);
    /// `None` while most may be. Loaders use it to guess which articles
    /// to build at once and which to glance at (building a wanted one
    /// again): it changes what a load costs, never what the sink gets.
    fn floor(&self) -> Option<DateTime<Utc>> {
        None
    }
}

/// What decides where a valid article goes, taken from a record whose
/// every field was checked by [`glance`] and found clean: the same values
/// [`check`] would give the built article, read without building it (no
/// URL object, no copied text). The bulk of a large export is articles
/// that no feed will show: for them this is all the sink and the sitemaps
/// need.
#[derive(Debug, Clone)]
pub struct Glance<'a> {
    pub origin: &'a Origin,
    pub id: &'a str,
    /// As [`Url`] writes it: [`glance`] takes only URLs that it leaves
    /// as they are.
    pub url: &'a str,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub title: &'a str,
    /// The categories as plain text, each once, in the source's order.
    pub categories: &'a [&'a str],
}

/// What a load found, besides the articles handed to the sink.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Invalid articles: each was left out.
    pub problems: Vec<Problem>,
    /// Articles kept with a change (characters removed, …).
    pub warnings: Vec<Problem>,
    /// Valid, published articles read.
    pub published: usize,
    pub drafts: usize,
    /// Articles dated after "now", left out until their time comes.
    pub scheduled: usize,
    /// With a feed source: what to remember of its items (see [`foreign`]).
    pub remember: Option<String>,
    /// With a JSON Lines source read by glances: the memo to leave (see
    /// [`memo`]).
    pub memo: Option<memo::Fresh>,
}

/// A feed source's document, read or fetched once per run.
#[derive(Debug)]
pub struct Input {
    /// The file or URL, as messages name it.
    pub name: std::path::PathBuf,
    base: Option<Url>,
    bytes: Vec<u8>,
    /// The server failed: the copy fetched before is used.
    warning: Option<String>,
    /// A new copy of a remote source, to keep once it parsed.
    pub fresh: Option<crate::fetch::Meta>,
}

impl Input {
    /// Reads or fetches the configured feed source; `None` for the other
    /// sources, which their loaders read as they go.
    pub fn open(config: &Config) -> Result<Option<Input>, Error> {
        if config.content.source != SourceKind::Feed {
            return Ok(None);
        }
        Input::open_feed(config).map(Some)
    }

    fn open_feed(config: &Config) -> Result<Input, Error> {
        let c = &config.content;
        let Some(url) = &c.remote else {
            source_exists(config)?;
            let bytes = std::fs::read(&c.path).map_err(|source| Error::ReadContent {
                path: c.path.clone(),
                source,
            })?;
            return Ok(Input {
                name: c.path.clone(),
                base: None,
                bytes,
                warning: None,
                fresh: None,
            });
        };
        let fetched = crate::fetch::fetch(
            url,
            std::time::Duration::from_secs(c.timeout_s),
            &config.site.user_agent(),
            &config.layout.source_copy(),
        )?;
        let (bytes, warning, fresh) = match fetched {
            crate::fetch::Fetched::Fresh { body, meta } => (body, None, Some(meta)),
            crate::fetch::Fetched::Kept { body, warning } => (body, warning, None),
        };
        Ok(Input {
            name: c.path.clone(),
            // Links resolved against it must not carry its credentials.
            base: Some(crate::fetch::without_credentials(url)),
            bytes,
            warning,
            fresh,
        })
    }

    /// The document's bytes (to keep as the new copy).
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// Reads every article of the configured source into `sink`; `input` is
/// the feed source opened by [`Input::open`], if the caller did (else it is
/// opened here).
pub fn load(
    config: &Config,
    now: DateTime<Utc>,
    input: Option<&Input>,
    sink: &mut dyn ArticleSink,
) -> Result<LoadReport, Error> {
    source_exists(config)?;
    let mut v = Validator::new(config.site.timezone, now);
    match config.content.source {
        SourceKind::Markdown => {
            let settings = markdown::Settings {
                dir: &config.content.path,
                site_url: &config.site.url,
                permalink: config.content.permalink.as_ref(),
            };
            markdown::load(&settings, &mut v, sink)?;
        }
        SourceKind::Jsonl => {
            let memo = crate::cache::context(config).map(|c| (config.layout.glance_memo(), c));
            let at = memo.as_ref().map(|(path, c)| (path.as_path(), *c));
            let fresh = jsonl::load(&config.content.path, &mut v, sink, at)?;
            v.report.memo = fresh;
        }
        SourceKind::Feed => {
            // A build opens a feed source once for its several loads; for
            // a caller that did not, it is opened here.
            let opened;
            let input = match input {
                Some(input) => input,
                None => {
                    opened = Input::open_feed(config)?;
                    &opened
                }
            };
            let records =
                foreign::parse(&input.bytes, input.base.as_ref()).map_err(|(line, message)| {
                    Error::Invalid {
                        problems: crate::error::Problems(vec![Problem::new(
                            &input.name,
                            line,
                            "",
                            message,
                        )]),
                    }
                })?;
            if let Some(w) = &input.warning {
                v.report
                    .warnings
                    .push(Problem::new(&input.name, None, "", w.clone()));
            }
            let seen_path = config.layout.seen();
            let seen = match std::fs::read_to_string(&seen_path) {
                Ok(text) => Some(text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(source) => {
                    return Err(Error::ReadContent {
                        path: seen_path,
                        source,
                    })
                }
            };
            let horizon = crate::newsletter::before(
                now,
                chrono::Duration::days(i64::from(config.newsletter.lookback_days) + 1),
            );
            // The same source whatever folder matinale runs from.
            let key = input.name.strip_prefix(&config.root).unwrap_or(&input.name);
            let memory = foreign::admit_all(
                records,
                &input.name,
                &key.to_string_lossy(),
                seen.as_deref().map(|t| (seen_path.as_path(), t)),
                horizon,
                &mut v,
                sink,
            );
            v.report.remember = Some(memory);
        }
    }
    Ok(v.report)
}

/// A local source that is missing, or a file where a folder is read (or
/// the reverse), is a problem of `[content] path`, said with its line in
/// feed.toml and what to do.
fn source_exists(config: &Config) -> Result<(), Error> {
    let c = &config.content;
    if c.remote.is_some() {
        return Ok(());
    }
    let shown = c.path.display();
    let folder = c.source == SourceKind::Markdown;
    let message = match (std::fs::metadata(&c.path), folder) {
        (Err(e), true) if e.kind() == std::io::ErrorKind::NotFound => format!(
            "the folder `{shown}` does not exist; create it and write the articles in it (Markdown files with front matter), or set path to the folder that holds them"
        ),
        (Err(e), false) if e.kind() == std::io::ErrorKind::NotFound => format!(
            "the file `{shown}` does not exist; set path to {}",
            if c.source == SourceKind::Jsonl {
                "your export (JSON Lines, one article per line)"
            } else {
                "your feed (a file, or an http(s) URL)"
            }
        ),
        (Ok(m), true) if !m.is_dir() => format!(
            "`{shown}` is a file, and source = \"markdown\" reads a folder of .md files; set path to that folder, or source to \"jsonl\" or \"feed\" for one file"
        ),
        (Ok(m), false) if m.is_dir() => format!(
            "`{shown}` is a folder, and source = \"{}\" reads one file; set path to the file, or source to \"markdown\" for a folder of .md files",
            if c.source == SourceKind::Jsonl { "jsonl" } else { "feed" }
        ),
        // Other failures (permissions) are said when the source is read.
        _ => return Ok(()),
    };
    Err(Error::Invalid {
        problems: crate::error::Problems(vec![Problem::new(
            &config.path,
            c.path_line,
            "content.path",
            message,
        )]),
    })
}

/// Turns checked records into articles, in source order; remembers ids to
/// refuse duplicates, and counts what it saw.
pub struct Validator {
    tz: Tz,
    now: DateTime<Utc>,
    seen: seen::Seen,
    pub report: LoadReport,
}

/// One record checked on its own, without knowing the others: the part of
/// validation that loaders may run on several threads.
#[derive(Debug)]
// Nearly every record is `Valid`: boxing the article would cost an
// allocation per line for nothing.
#[allow(clippy::large_enum_variant)]
pub enum Checked {
    Draft,
    Invalid {
        problems: Vec<Problem>,
        warnings: Vec<Problem>,
    },
    Valid {
        article: Article,
        warnings: Vec<Problem>,
        /// Line to blame if the id turns out to be a duplicate.
        id_line: usize,
    },
}

impl Checked {
    /// Moves every line number down by `lines` (records checked in a block
    /// of a file know their line within the block only).
    pub fn shift(&mut self, lines: usize) {
        let shift_all = |ps: &mut Vec<Problem>| {
            for p in ps {
                p.line = p.line.map(|l| l + lines);
            }
        };
        match self {
            Checked::Draft => {}
            Checked::Invalid { problems, warnings } => {
                shift_all(problems);
                shift_all(warnings);
            }
            Checked::Valid {
                article,
                warnings,
                id_line,
            } => {
                article.origin.line += lines;
                *id_line += lines;
                shift_all(warnings);
            }
        }
    }
}

impl Validator {
    pub fn new(tz: Tz, now: DateTime<Utc>) -> Validator {
        Validator {
            tz,
            now,
            seen: seen::Seen::default(),
            report: LoadReport::default(),
        }
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    /// The run's "now": an article dated after it is scheduled.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    pub fn problem(&mut self, origin: &Origin, field: &str, message: impl Into<String>) {
        self.report.problems.push(Problem::new(
            &origin.path,
            Some(origin.line),
            field,
            message,
        ));
    }

    /// Takes a glanced record (see [`glance`]) in source order, as
    /// [`Validator::admit`] takes the article it shows when the sink does
    /// not want it: refuses a duplicate id (blamed on the glance's line),
    /// counts a scheduled or a published article, and lists the latter.
    /// The caller asks [`ArticleSink::wants_glance`] first, and builds and
    /// admits the article instead when it is wanted.
    pub fn admit_glance(&mut self, glance: &Glance<'_>, sink: &mut dyn ArticleSink) {
        if let Err(earlier) = self.seen.insert(glance.id, glance.origin) {
            let o = &glance.origin;
            self.report.problems.push(Problem::new(
                &o.path,
                Some(o.line),
                "id",
                duplicate(glance.id, &earlier),
            ));
            return;
        }
        if glance.published > self.now {
            self.report.scheduled += 1;
            return;
        }
        self.report.published += 1;
        sink.list_glance(glance);
    }

    /// Takes a checked record in source order: refuses a duplicate id,
    /// leaves scheduled articles out, and hands the article to `sink` if it
    /// wants it, with the body from `body` (only then decoded).
    pub fn admit(
        &mut self,
        checked: Checked,
        body: impl FnOnce() -> Result<Option<Body>, String>,
        sink: &mut dyn ArticleSink,
    ) {
        let (mut article, warnings, id_line) = match checked {
            Checked::Draft => {
                self.report.drafts += 1;
                return;
            }
            Checked::Invalid { problems, warnings } => {
                self.report.problems.extend(problems);
                self.report.warnings.extend(warnings);
                return;
            }
            Checked::Valid {
                article,
                warnings,
                id_line,
            } => (article, warnings, id_line),
        };
        self.report.warnings.extend(warnings);
        if let Err(earlier) = self.seen.insert(&article.id, &article.origin) {
            self.report.problems.push(Problem::new(
                &article.origin.path,
                Some(id_line),
                "id",
                duplicate(&article.id, &earlier),
            ));
            return;
        }
        if article.published > self.now {
            self.report.scheduled += 1;
            return;
        }
        self.report.published += 1;
        if !sink.wants(&article) {
            sink.list(&article);
            return;
        }
        match body() {
            Ok(b) => article.body = b,
            Err(e) => {
                let o = &article.origin;
                self.report
                    .problems
                    .push(Problem::new(&o.path, Some(o.line), "content_html", e));
                return;
            }
        }
        // Listed only now: an article left out for its body is left out
        // of everything.
        sink.list(&article);
        sink.accept(article);
    }
}

/// The problem of an id read before, at `earlier`.
fn duplicate(id: &str, earlier: &Origin) -> String {
    format!(
        "`{id}` is already the id of the article at {}:{}; ids must be unique",
        earlier.path.display(),
        earlier.line
    )
}

/// What [`glance`] read of a clean record: the values of a [`Glance`].
#[derive(Debug)]
pub struct Quick<'a> {
    pub id: Cow<'a, str>,
    pub url: Cow<'a, str>,
    pub published: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub title: Cow<'a, str>,
    pub categories: Vec<Cow<'a, str>>,
}

/// The record's [`Quick`] values if [`check`] would find it valid, with no
/// warning, and they are cheap to tell without building the article;
/// `None` otherwise (a draft, a problem, a warning, a URL that [`Url`]
/// would rewrite, …): the caller then runs [`check`], which says what it
/// finds. `published` is the record's publication date, already parsed.
///
/// Each test here is the one of [`check`], or a stricter one: what passes
/// here passes there and gives the same values (a test runs both on every
/// kind of record).
pub fn glance<'a, C>(
    raw: &RawArticle<'a, C>,
    has_body: bool,
    published: DateTime<Utc>,
    tz: Tz,
) -> Option<Quick<'a>> {
    // Text that loses characters XML 1.0 forbids is a warning.
    let clean = |s: &str| !crate::text::has_xml_illegal(s);
    let plain = |s: &Cow<'a, str>| -> Option<Cow<'a, str>> {
        // Text that `plain` leaves alone is clean too: one scan, not two.
        if crate::text::is_plain(s) {
            return Some(s.clone());
        }
        if !clean(s) {
            return None;
        }
        Some(match s {
            Cow::Borrowed(b) => crate::text::plain(b),
            Cow::Owned(o) => Cow::Owned(crate::text::plain(o).into_owned()),
        })
    };
    if raw.draft == Some(true) {
        return None;
    }
    let title = plain(raw.title.as_ref()?)?;
    if title.is_empty() {
        return None;
    }
    let url = raw.url.as_ref()?;
    if !is_canonical_http_url(url) {
        return None;
    }
    let updated = match &raw.updated {
        None => published,
        Some(d) => date::parse(&d.0, tz).ok()?.max(published),
    };
    if raw.summary.as_ref().is_some_and(|s| !clean(s)) {
        return None;
    }
    let has_summary = raw.summary.as_ref().is_some_and(|s| !blank(s));
    if !has_summary && !has_body {
        return None;
    }
    for a in raw.authors.iter().flatten() {
        let (name, email, author_url) = match a {
            RawAuthor::Name(n) => (n, None, None),
            RawAuthor::Full(p) => (&p.name, p.email.as_ref(), p.url.as_ref()),
        };
        if !clean(name) || blank(name) {
            return None;
        }
        if let Some(e) = email.map(|e| e.trim()).filter(|e| !e.is_empty()) {
            if !is_plausible_email(e) {
                return None;
            }
        }
        if author_url.is_some_and(|u| !is_canonical_http_url(u)) {
            return None;
        }
    }
    let mut categories: Vec<Cow<'a, str>> = Vec::new();
    for c in raw.categories.iter().flatten() {
        let c = plain(c)?;
        if !c.is_empty() && !categories.contains(&c) {
            categories.push(c);
        }
    }
    if let Some(i) = &raw.image {
        if !is_canonical_http_url(&i.url) || !clean(&i.alt) {
            return None;
        }
    }
    if let Some(c) = &raw.comments {
        if c.url.as_ref().is_some_and(|u| !is_canonical_http_url(u)) {
            return None;
        }
    }
    let id = match &raw.id {
        None => url.clone(),
        Some(id) => {
            let trimmed = match id {
                Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
                Cow::Owned(o) => Cow::Owned(o.trim().to_owned()),
            };
            if trimmed.is_empty() {
                return None;
            }
            plain(&trimmed)?
        }
    };
    Some(Quick {
        id,
        url: url.clone(),
        published,
        updated,
        title,
        categories,
    })
}

/// Whether [`crate::text::plain`] makes `s` empty, `s` holding no
/// character that XML 1.0 forbids: whether it is all whitespace.
fn blank(s: &str) -> bool {
    s.chars().all(|c| {
        matches!(
            c,
            ' ' | '\t' | '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'
        )
    })
}

/// Whether `s` is an absolute http(s) URL that [`Url::parse`] accepts and
/// writes back unchanged (and that [`Url::join`] takes as is, whatever the
/// base): a lower-case scheme and host of plain labels, an explicit path,
/// and only characters that the URL standard neither escapes nor
/// rewrites. Conservative: a URL it refuses may well be fine, and is then
/// parsed.
pub fn is_canonical_http_url(s: &str) -> bool {
    let b = s.as_bytes();
    let rest = match b {
        [b'h', b't', b't', b'p', b's', b':', b'/', b'/', rest @ ..] => rest,
        [b'h', b't', b't', b'p', b':', b'/', b'/', rest @ ..] => rest,
        _ => return false,
    };
    // The host: plain DNS labels up to the path's `/`; the last starts
    // with a letter, so that the host is not read as an IPv4 address; no
    // `xn--` label, which would be checked as Punycode.
    let mut label = 0;
    let mut i = 0;
    loop {
        match rest.get(i) {
            Some(b'a'..=b'z' | b'0'..=b'9' | b'-') => {}
            Some(&c @ (b'.' | b'/')) => {
                let l = &rest[label..i];
                if l.is_empty() || l.starts_with(b"xn--") {
                    return false;
                }
                if c == b'/' {
                    if !l[0].is_ascii_lowercase() {
                        return false;
                    }
                    break;
                }
                label = i + 1;
            }
            _ => return false,
        }
        i += 1;
    }
    // The path, query and fragment: characters kept as they are. Dot
    // segments of the path are resolved (`%2e` is a dot there too).
    let tail = &rest[i..];
    // Every URL of every line comes here: one folded pass the compiler
    // vectorises, then the dot segments only where there may be one.
    if !tail.iter().fold(true, |all, &c| all & url_kept(c)) {
        return false;
    }
    if memchr::memchr2(b'.', b'%', tail).is_none() {
        return true;
    }
    let mut in_path = true;
    let mut dots = 0;
    let mut segment = 0;
    for (j, &c) in tail.iter().enumerate() {
        if !in_path {
            break;
        }
        match c {
            b'/' | b'?' | b'#' => {
                if dots > 0 && dots == j - segment {
                    return false;
                }
                in_path = c == b'/';
                segment = j + 1;
                dots = 0;
            }
            b'.' => dots += 1,
            b'%' if matches!(tail.get(j + 1..j + 3), Some(b"2e" | b"2E")) => return false,
            _ => {}
        }
    }
    !(in_path && dots > 0 && dots == tail.len() - segment)
}

/// Whether the URL standard keeps byte `c` as it is in the path, query
/// and fragment of an http(s) URL (and it ends no part but its own):
/// ASCII letters and digits and `-._~!$&()*+,;=:@/?#%`. Compares rather
/// than a table look-up, so that a scan of a whole URL vectorises.
fn url_kept(c: u8) -> bool {
    (0x21..=0x7E).contains(&c)
        & !matches!(
            c,
            b'"' | b'\'' | b'<' | b'>' | b'[' | b'\\' | b']' | b'^' | b'`' | b'{' | b'|' | b'}'
        )
}

/// Checks one record. `field_line` maps a field name to its own line, where
/// the source knows it; `has_body` says whether the record has a body to
/// take a missing summary from.
pub fn check<C>(
    raw: RawArticle<'_, C>,
    has_body: bool,
    origin: &Origin,
    field_line: &dyn Fn(&str) -> Option<usize>,
    tz: Tz,
) -> Checked {
    if raw.draft == Some(true) {
        return Checked::Draft;
    }
    let mut f = Findings::default();
    let title = raw
        .title
        .as_deref()
        .map(|t| f.plain("title", t))
        .unwrap_or_default();
    if title.is_empty() {
        f.problem("title", "missing or empty; expected the article's title");
    }
    let url = article_url(raw.url.as_deref(), &mut f);
    let published = match &raw.published {
        None => {
            f.problem(
                "published",
                "missing; expected an RFC 3339 date-time such as \"2026-11-26T07:00:00+01:00\"",
            );
            None
        }
        Some(d) => f.date("published", d, tz),
    };
    let updated = raw.updated.as_ref().and_then(|d| f.date("updated", d, tz));
    let summary = raw
        .summary
        .as_deref()
        .map(|s| f.plain("summary", s))
        .filter(|s| !s.is_empty());
    if summary.is_none() && !has_body {
        f.problem(
            "summary",
            "missing, and there is no body to take the first paragraph from",
        );
    }
    let authors = article_authors(raw.authors.unwrap_or_default(), url.as_ref(), &mut f);
    let categories = article_categories(raw.categories.unwrap_or_default(), &mut f);
    let image = raw
        .image
        .and_then(|i| article_image(i, url.as_ref(), &mut f));
    let comments = raw
        .comments
        .and_then(|c| article_comments(c, url.as_ref(), &mut f));
    let id = article_id(raw.id.as_deref(), url.as_ref(), &mut f);

    let at = |field: &str| Some(field_line(field).unwrap_or(origin.line));
    let warnings: Vec<Problem> = f
        .removed
        .into_iter()
        .map(|field| {
            Problem::new(
                &origin.path,
                at(field),
                field,
                "removed characters that XML 1.0 forbids",
            )
        })
        .collect();
    let (Some(url), Some(published), Some(id), true) = (url, published, id, f.problems.is_empty())
    else {
        return Checked::Invalid {
            problems: f
                .problems
                .into_iter()
                .map(|(field, msg)| Problem::new(&origin.path, at(field), field, msg))
                .collect(),
            warnings,
        };
    };
    Checked::Valid {
        article: Article {
            origin: origin.clone(),
            id,
            title,
            url,
            published,
            updated: updated.map_or(published, |u| u.max(published)),
            authors,
            categories,
            summary,
            body: None,
            image,
            comments,
            featured: raw.featured.unwrap_or(false),
        },
        warnings,
        id_line: field_line("id")
            .or_else(|| field_line("url"))
            .unwrap_or(origin.line),
    }
}

/// What [`check`] found in one record so far: the problems, by field, and
/// the fields that lost characters XML 1.0 forbids (a warning each), in
/// the order found.
#[derive(Default)]
struct Findings {
    problems: Vec<(&'static str, String)>,
    removed: Vec<&'static str>,
}

impl Findings {
    fn problem(&mut self, field: &'static str, message: impl Into<String>) {
        self.problems.push((field, message.into()));
    }

    /// `s` as plain text; notes when `field` lost characters.
    fn plain(&mut self, field: &'static str, s: &str) -> String {
        if crate::text::count_xml_illegal(s) > 0 && !self.removed.contains(&field) {
            self.removed.push(field);
        }
        crate::text::plain(s).into_owned()
    }

    fn date(&mut self, field: &'static str, d: &RawDate<'_>, tz: Tz) -> Option<DateTime<Utc>> {
        date::parse(&d.0, tz)
            .map_err(|e| self.problem(field, e))
            .ok()
    }
}

/// The article's own URL: required, absolute, http(s).
fn article_url(raw: Option<&str>, f: &mut Findings) -> Option<Url> {
    let Some(u) = raw else {
        f.problem(
            "url",
            "missing; expected the absolute http(s) URL of the article page",
        );
        return None;
    };
    match Url::parse(u.trim()) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
            Some(url)
        }
        _ => {
            f.problem("url", format!("`{u}` is not an absolute http(s) URL"));
            None
        }
    }
}

/// The authors with a name; their links resolved against the article's URL.
fn article_authors(raw: Vec<RawAuthor<'_>>, base: Option<&Url>, f: &mut Findings) -> Vec<Author> {
    let mut authors = Vec::new();
    for a in raw {
        let (name, email, author_url) = match a {
            RawAuthor::Name(n) => (n, None, None),
            RawAuthor::Full(p) => (p.name, p.email, p.url),
        };
        let name = f.plain("authors", &name);
        if name.is_empty() {
            f.problem("authors", "an author has an empty name");
            continue;
        }
        let email = email.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty());
        if let Some(e) = &email {
            if !is_plausible_email(e) {
                f.problem("authors", format!("`{e}` is not an email address"));
            }
        }
        let author_url = author_url.and_then(|u| match absolute(base, &u) {
            Some(u) => Some(u),
            None => {
                f.problem("authors", format!("`{u}` is not an http(s) URL"));
                None
            }
        });
        authors.push(Author {
            name,
            email,
            url: author_url,
        });
    }
    authors
}

/// The categories as plain text, each once, in the source's order.
fn article_categories(raw: Vec<Cow<'_, str>>, f: &mut Findings) -> Vec<String> {
    let mut categories: Vec<String> = Vec::new();
    for c in raw {
        let c = f.plain("categories", &c);
        if !c.is_empty() && !categories.contains(&c) {
            categories.push(c);
        }
    }
    categories
}

/// The image, resolved against the article's URL; its type guessed from
/// the file name when the source gives none.
fn article_image(i: RawImage<'_>, base: Option<&Url>, f: &mut Findings) -> Option<Image> {
    let Some(img_url) = absolute(base, &i.url) else {
        f.problem("image", format!("`{}` is not an http(s) URL", i.url));
        return None;
    };
    let mime_type = i
        .mime_type
        .map(|t| t.trim().to_ascii_lowercase())
        .filter(|t| !t.is_empty())
        .or_else(|| mime_from_path(img_url.path()).map(str::to_owned));
    Some(Image {
        alt: f.plain("image", &i.alt),
        url: img_url,
        width: i.width,
        height: i.height,
        mime_type,
        length: i.length,
    })
}

/// The comment count, and its page resolved against the article's URL.
fn article_comments(c: RawComments<'_>, base: Option<&Url>, f: &mut Findings) -> Option<Comments> {
    let url = match c.url {
        None => None,
        Some(u) => match absolute(base, &u) {
            Some(u) => Some(u),
            None => {
                f.problem("comments", format!("`{u}` is not an http(s) URL"));
                return None;
            }
        },
    };
    Some(Comments {
        count: c.count,
        url,
    })
}

/// The id as given, else the article's URL.
fn article_id(raw: Option<&str>, url: Option<&Url>, f: &mut Findings) -> Option<String> {
    match raw.map(str::trim) {
        Some("") => {
            f.problem("id", "empty; leave it out to use the URL");
            None
        }
        Some(id) => Some(f.plain("id", id)),
        None => url.map(|u| u.to_string()),
    }
}

/// `s` as an absolute http(s) URL, resolved against the article's URL.
fn absolute(base: Option<&Url>, s: &str) -> Option<Url> {
    let s = s.trim();
    let u = match base {
        Some(b) => b.join(s).ok()?,
        None => Url::parse(s).ok()?,
    };
    matches!(u.scheme(), "http" | "https").then_some(u)
}

pub(crate) fn is_plausible_email(e: &str) -> bool {
    match e.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !e.contains(char::is_whitespace)
                && !e.contains(['<', '>', '"', '(', ')'])
        }
        None => false,
    }
}

fn mime_from_path(path: &str) -> Option<&'static str> {
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_kept_is_the_set_the_url_standard_keeps() {
        for c in 0..=255u8 {
            let kept = c.is_ascii_alphanumeric() || b"-._~!$&()*+,;=:@/?#%".contains(&c);
            assert_eq!(url_kept(c), kept, "{c:#04x}");
        }
    }
}
