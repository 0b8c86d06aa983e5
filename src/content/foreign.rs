//! A foreign feed as the source (RSS-to-email): RSS 0.9x/1.0/2.0, Atom 1.0
//! or JSON Feed 1.0/1.1, as WordPress, Ghost, Substack or Hugo publish them.
//!
//! feed-rs reads the document; what it drops is read again from the same
//! bytes: each item's line (for messages), `slash:comments` / `thr:total`,
//! and JSON Feed's `image`. Each item becomes a record of our article shape
//! and goes through the same checks as the site's own articles.
//!
//! A feed shows only its newest items, so the items of earlier fetches are
//! remembered (`seen.jsonl`, beside the ledger): an article that scrolled
//! out of the feed before the morning is still in the edition. Only items
//! seen published are remembered: one dated in the future is the source's
//! to withdraw until its time comes, so it is published only if a run
//! still finds it listed then, never from memory.

use super::raw::{RawArticle, RawAuthor, RawComments, RawDate, RawImage, RawPerson};
use super::{check, Article, Body, Checked, Origin, Validator};
use crate::content::ArticleSink;
use crate::error::Problem;
use crate::text::line_of;
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use std::cell::Cell;
use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use url::Url;

/// What feed-rs gives an item without an id of its own: the item's link
/// is its id then, as readers do.
const NO_ID: &str = "\u{0}no id";

/// One item of a foreign feed, in our article shape.
pub struct Record {
    pub raw: RawArticle<'static, String>,
    /// Line of the item in the document (XML; 0 for JSON), for messages.
    pub line: usize,
    /// Its rank in the feed, from 1.
    pub item: usize,
}

/// What the XML says of each item that feed-rs does not keep.
#[derive(Debug, Default, Clone)]
struct Extra {
    line: usize,
    comments: Option<u64>,
    /// The first `media:thumbnail` (feed-rs keeps it only inside a group).
    thumbnail: Option<FoundImage>,
}

thread_local! {
    /// Whether this thread is inside [`parse`]'s guard.
    static GUARDED: Cell<bool> = const { Cell::new(false) };
}

/// Whether the current thread is parsing a feed document under the guard
/// that turns a panic of the XML parser into an error. A panic hook
/// (the binary sets one) stays silent then: the panic is not a crash, and
/// its message and backtrace would only bury the error that reports it.
pub fn quiet_panic() -> bool {
    GUARDED.with(Cell::get)
}

/// Parses a feed document. `base` resolves relative links (the feed's URL,
/// or none for a file); an `xml:base` in the document wins.
/// On error: the line (when the XML breaks at one) and what is wrong.
pub fn parse(bytes: &[u8], base: Option<&Url>) -> Result<Vec<Record>, (Option<usize>, String)> {
    // feed-rs, through quick-xml, panics on some broken documents (a second
    // XML declaration inside an item, found by fuzzing): a hostile feed
    // must be a clean error, not a crash. The panic hook is the process's,
    // not the library's to change: this thread's flag tells it to keep quiet.
    let outer = GUARDED.with(|g| g.replace(true));
    let parsed = std::panic::catch_unwind(|| parse_unguarded(bytes, base));
    GUARDED.with(|g| g.set(outer));
    parsed.unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err((
            xml_error_line(bytes),
            format!("not a readable feed: the XML parser gave up on it ({why})"),
        ))
    })
}

fn parse_unguarded(
    bytes: &[u8],
    base: Option<&Url>,
) -> Result<Vec<Record>, (Option<usize>, String)> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(base.map(Url::as_str))
        .id_generator(|_, _, _| NO_ID.to_owned())
        .build();
    let feed = parser.parse(bytes).map_err(|e| describe(&e, bytes))?;
    let json = feed.feed_type == feed_rs::model::FeedType::JSON;
    let extras = if json { Vec::new() } else { scan_xml(bytes) };
    let extras = if extras.len() == feed.entries.len() {
        extras
    } else {
        vec![Extra::default(); feed.entries.len()]
    };
    let json_images = if json { json_images(bytes) } else { Vec::new() };
    let feed_base = feed
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .and_then(|l| Url::parse(&l.href).ok())
        .or_else(|| base.cloned());
    Ok(feed
        .entries
        .into_iter()
        .zip(extras)
        .enumerate()
        .map(|(i, (entry, extra))| Record {
            raw: record(
                entry,
                &extra,
                json_images.get(i).cloned().flatten(),
                feed_base.as_ref(),
            ),
            line: extra.line,
            item: i + 1,
        })
        .collect())
}

/// feed-rs's error, with the line where the XML breaks.
fn describe(e: &feed_rs::parser::ParseFeedError, bytes: &[u8]) -> (Option<usize>, String) {
    use feed_rs::parser::{ParseErrorKind, ParseFeedError};
    match e {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => {
            let start: String = String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
                .chars()
                .filter(|c| !c.is_control())
                .take(60)
                .collect();
            (
                None,
                format!("not a feed (no RSS, Atom or JSON Feed root); it begins with `{start}`"),
            )
        }
        other => {
            let at = xml_break(bytes);
            let mut message = format!("not a readable feed: {other}");
            if let Some(open) = at.as_ref().and_then(|b| b.unclosed.as_deref()) {
                message.push_str(&format!(
                    "; the document ends at this line with <{open}> still open: was it cut short?"
                ));
            }
            (at.map(|b| b.line), message)
        }
    }
}

/// `bytes` as UTF-8 for the second read: a document in another encoding
/// (a Netscape RSS 0.91 in ISO-8859-1) is read byte for character, which
/// keeps its elements, numbers and lines, all that read looks for.
fn as_utf8(bytes: &[u8]) -> Cow<'_, [u8]> {
    match std::str::from_utf8(bytes) {
        Ok(_) => Cow::Borrowed(bytes),
        Err(_) => Cow::Owned(
            bytes
                .iter()
                .map(|&b| char::from(b))
                .collect::<String>()
                .into_bytes(),
        ),
    }
}

/// Where XML breaks in `bytes`, if it is XML that breaks.
struct XmlBreak {
    line: usize,
    /// The innermost element still open where a document cut short ends.
    unclosed: Option<String>,
}

/// Where the parser stops in `bytes`, or for a document cut short (its
/// elements still open at its end, which the parser does not report), its
/// last line.
fn xml_break(bytes: &[u8]) -> Option<XmlBreak> {
    use quick_xml::events::Event;
    let bytes = &*as_utf8(bytes);
    let mut reader = quick_xml::reader::Reader::from_reader(bytes);
    reader.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    let mut open: Vec<String> = Vec::new();
    loop {
        match reader.read_event_into(&mut buf) {
            Ok(Event::Eof) => {
                let last = bytes.iter().rposition(|b| !b.is_ascii_whitespace());
                return open.pop().map(|name| XmlBreak {
                    line: line_of(bytes, last.unwrap_or(0)),
                    unclosed: Some(name),
                });
            }
            Ok(event) => {
                match event {
                    Event::Start(e) => open.push(e.name().into_inner().to_owned()),
                    Event::End(_) => {
                        open.pop();
                    }
                    _ => {}
                }
                buf.clear();
            }
            Err(_) => {
                let at = usize::try_from(reader.error_position()).unwrap_or(0);
                return Some(XmlBreak {
                    line: line_of(bytes, at),
                    unclosed: None,
                });
            }
        }
    }
}

/// The line of the first XML error in `bytes` (see [`xml_break`]).
fn xml_error_line(bytes: &[u8]) -> Option<usize> {
    xml_break(bytes).map(|b| b.line)
}

fn record(
    entry: feed_rs::model::Entry,
    extra: &Extra,
    json_image: Option<String>,
    feed_base: Option<&Url>,
) -> RawArticle<'static, String> {
    let link = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .or_else(|| entry.links.first())
        .map(|l| l.href.trim().to_owned())
        .filter(|h| !h.is_empty());
    // Relative links: against the feed's site (feed-rs already applied
    // xml:base and the feed's own URL when it had them).
    let url = link.map(|h| match feed_base.and_then(|b| b.join(&h).ok()) {
        Some(u) => u.to_string(),
        None => h,
    });
    let title = entry.title.map(|t| text_of(&t));
    let body = entry.content.and_then(|c| {
        let body = c.body.filter(|b| !b.trim().is_empty())?;
        // JSON Feed's content_text: plain text, one paragraph per line.
        Some(if c.content_type.subty() == "plain" {
            body.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|l| format!("<p>{}</p>", crate::text::escape_html(l)))
                .collect::<Vec<_>>()
                .join("\n")
        } else {
            body
        })
    });
    let summary = entry.summary.map(|s| without_read_more(&text_of(&s)));
    let published = entry.published.or(entry.updated);
    let authors: Vec<RawAuthor<'static>> = entry
        .authors
        .into_iter()
        .filter_map(|p| {
            // An RSS <author> is "email (Name)": feed-rs leaves the name
            // in its parentheses. dc:creator is a name.
            let name = p.name?;
            let name = name.trim();
            let name = name
                .strip_prefix('(')
                .and_then(|n| n.strip_suffix(')'))
                .unwrap_or(name)
                .trim()
                .to_owned();
            if name.is_empty() {
                return None;
            }
            let email = p.email.filter(|e| super::is_plausible_email(e.trim()));
            let uri = p
                .uri
                .filter(|u| Url::parse(u).is_ok_and(|u| u.scheme().starts_with("http")));
            Some(RawAuthor::Full(RawPerson {
                name: Cow::Owned(name),
                email: email.map(Cow::Owned),
                url: uri.map(Cow::Owned),
            }))
        })
        .collect();
    let categories: Vec<Cow<'static, str>> = entry
        .categories
        .into_iter()
        .map(|c| Cow::Owned(c.label.unwrap_or(c.term)))
        .collect();
    let comments_url = entry
        .links
        .iter()
        .find(|l| {
            l.rel.as_deref() == Some("replies")
                && l.media_type.as_deref().is_none_or(|t| t == "text/html")
        })
        .or_else(|| {
            entry
                .links
                .iter()
                .find(|l| l.target == Some(feed_rs::model::LinkTarget::Comments))
        })
        .map(|l| Cow::Owned(l.href.clone()));
    let image = best_image(&entry.media)
        .or_else(|| atom_enclosure(&entry.links))
        .or_else(|| thumbnail_of(&entry.media))
        .or_else(|| extra.thumbnail.clone())
        .or_else(|| json_image.map(FoundImage::at))
        .or_else(|| body.as_deref().and_then(first_img))
        .map(|i| RawImage {
            url: Cow::Owned(i.url),
            // Media elements have no alt text: the title says what the
            // picture is about.
            alt: Cow::Owned(
                i.alt
                    .filter(|a| !a.is_empty())
                    .or_else(|| title.clone())
                    .unwrap_or_default(),
            ),
            width: i.width,
            height: i.height,
            mime_type: i.mime.map(Cow::Owned),
            length: None,
        });
    RawArticle {
        id: Some(entry.id)
            .filter(|id| id != NO_ID && !id.trim().is_empty())
            .map(Cow::Owned),
        title: title.map(Cow::Owned),
        url: url.map(Cow::Owned),
        published: published.map(|d| RawDate(Cow::Owned(d.to_rfc3339()))),
        updated: entry
            .updated
            .filter(|_| entry.published.is_some())
            .map(|d| RawDate(Cow::Owned(d.to_rfc3339()))),
        authors: Some(authors),
        categories: Some(categories),
        summary: summary.map(Cow::Owned),
        content_html: body,
        image,
        comments: extra.comments.map(|count| RawComments {
            count,
            url: comments_url,
        }),
        featured: None,
        draft: None,
    }
}

/// The text of a feed's text construct. RSS descriptions come typed as HTML
/// even when they are plain text, and a plain-text `C++ <template>` must
/// keep its words: only text that looks like HTML is read as HTML.
fn text_of(t: &feed_rs::model::Text) -> String {
    let s = t.content.as_str();
    let html = t.content_type.subty() == "html" || t.content_type.subty() == "xhtml";
    if html && looks_like_html(s) {
        super::html::text_of_html(s)
    } else if looks_escaped(s) {
        // A CMS that escapes twice (`Tom &amp;amp; Jerry`) means the text
        // `Tom & Jerry`, as feed readers show it.
        crate::text::plain(&crate::text::decode_entities(s)).into_owned()
    } else {
        crate::text::plain(s).into_owned()
    }
}

/// Text holding a character reference (`&amp;`, `&#8217;`).
fn looks_escaped(s: &str) -> bool {
    s.match_indices('&').any(|(i, _)| {
        let rest = &s[i + 1..];
        let end = rest.find(';').filter(|&e| e > 0 && e <= 10);
        end.is_some_and(|e| {
            let name = &rest[..e];
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '#')
        })
    })
}

fn looks_like_html(s: &str) -> bool {
    s.contains("</")
        || s.contains("/>")
        || [
            "<p", "<br", "<img", "<a ", "<em", "<strong", "<b>", "<i>", "<span", "<div",
        ]
        .iter()
        .any(|t| s.contains(t))
        || (s.contains('&') && s.contains(';'))
}

/// Removes what CMSs add after an excerpt: WordPress's « […] » and its
/// "The post … appeared first on …" line (and the French one).
fn without_read_more(text: &str) -> String {
    let mut t = text.trim().to_owned();
    for marker in [" appeared first on ", " est apparu en premier sur "] {
        if let Some(at) = t.rfind(marker) {
            let start = ["The post ", "L’article ", "L'article ", "Cet article "]
                .iter()
                .filter_map(|p| t[..at].rfind(p))
                .max();
            if let Some(start) = start {
                t.truncate(start);
            }
        }
    }
    let mut t = t.trim_end().to_owned();
    for tail in [
        "[…]",
        "[...]",
        "[&hellip;]",
        "[&#8230;]",
        "Lire la suite",
        "Continue reading",
    ] {
        if let Some(stripped) = t.strip_suffix(tail) {
            t = stripped.trim_end().to_owned();
        }
    }
    t
}

/// An item's image, wherever the feed put it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct FoundImage {
    url: String,
    width: Option<u32>,
    height: Option<u32>,
    mime: Option<String>,
    alt: Option<String>,
}

impl FoundImage {
    fn at(url: String) -> FoundImage {
        FoundImage {
            url,
            ..FoundImage::default()
        }
    }
}

/// The widest image of the `media:content` and RSS `enclosure` elements
/// (feed-rs holds both as media content).
fn best_image(media: &[feed_rs::model::MediaObject]) -> Option<FoundImage> {
    let is_image = |c: &feed_rs::model::MediaContent| {
        let by_type = c.content_type.as_ref().map(|t| t.ty() == "image");
        let url = c.url.as_ref().map(|u| u.path().to_ascii_lowercase());
        by_type.unwrap_or_else(|| {
            url.is_some_and(|p| {
                [".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif"]
                    .iter()
                    .any(|e| p.ends_with(e))
            })
        })
    };
    let content = media
        .iter()
        .flat_map(|m| m.content.iter())
        .filter(|c| c.url.is_some() && is_image(c))
        // The widest; on a tie the first, as the feed listed them.
        .fold(
            None::<&feed_rs::model::MediaContent>,
            |best, c| match best {
                Some(b) if b.width.unwrap_or(0) >= c.width.unwrap_or(0) => Some(b),
                _ => Some(c),
            },
        );
    content.map(|c| FoundImage {
        url: c.url.as_ref().expect("filtered").to_string(),
        width: c.width,
        height: c.height,
        mime: c.content_type.as_ref().map(|t| t.to_string()),
        alt: None,
    })
}

/// An Atom `link rel="enclosure"` to an image.
fn atom_enclosure(links: &[feed_rs::model::Link]) -> Option<FoundImage> {
    links
        .iter()
        .find(|l| {
            l.rel.as_deref() == Some("enclosure")
                && l.media_type
                    .as_deref()
                    .is_some_and(|t| t.starts_with("image/"))
        })
        .map(|l| FoundImage {
            mime: l.media_type.clone(),
            ..FoundImage::at(l.href.clone())
        })
}

/// The first `media:thumbnail` feed-rs kept (inside a `media:group`).
fn thumbnail_of(media: &[feed_rs::model::MediaObject]) -> Option<FoundImage> {
    media
        .iter()
        .flat_map(|m| m.thumbnails.iter())
        .next()
        .map(|t| FoundImage {
            width: t.image.width,
            height: t.image.height,
            ..FoundImage::at(t.image.uri.clone())
        })
}

/// The first `<img>` of an HTML body: its `src`, `width`, `height`, `alt`.
fn first_img(html: &str) -> Option<FoundImage> {
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find("<img") {
        let start = from + i + 4;
        let end = lower[start..].find('>').map_or(lower.len(), |e| start + e);
        let tag = &html[start..end];
        let src = attr(tag, "src").filter(|v| !v.is_empty() && !v.starts_with("data:"));
        if let Some(src) = src {
            let number = |name| attr(tag, name).and_then(|v| v.parse().ok());
            return Some(FoundImage {
                width: number("width"),
                height: number("height"),
                alt: attr(tag, "alt"),
                ..FoundImage::at(src)
            });
        }
        from = end;
    }
    None
}

/// The value of attribute `name` in the inside of a tag, entities decoded.
fn attr(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name) {
        let at = from + i;
        from = at + name.len();
        let before = lower[..at].chars().next_back();
        let rest = lower[from..].trim_start();
        if !before.is_some_and(char::is_whitespace) || !rest.starts_with('=') {
            continue;
        }
        let value_start = tag.len() - rest.len() + 1;
        let value = tag[value_start..].trim_start();
        let raw = match value.chars().next()? {
            q @ ('"' | '\'') => value[1..].split(q).next()?,
            _ => value.split([' ', '\t', '\n', '/']).next()?,
        };
        return Some(crate::text::decode_entities(raw.trim()));
    }
    None
}

/// JSON Feed `image` (else `banner_image`) of each item, in order.
fn json_images(bytes: &[u8]) -> Vec<Option<String>> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(bytes) else {
        return Vec::new();
    };
    v["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    i["image"]
                        .as_str()
                        .or(i["banner_image"].as_str())
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Each item's (or entry's) line and comment count, in document order.
fn scan_xml(bytes: &[u8]) -> Vec<Extra> {
    use quick_xml::events::Event;
    use quick_xml::name::ResolveResult;
    const SLASH: &str = "http://purl.org/rss/1.0/modules/slash/";
    const THREAD: &str = "http://purl.org/syndication/thread/1.0";
    const MEDIA: &str = "http://search.yahoo.com/mrss/";
    let thumbnail = |ns: &ResolveResult, e: &quick_xml::events::BytesStart| -> Option<FoundImage> {
        let is_thumb = matches!(ns, ResolveResult::Bound(n) if n.as_ref() == MEDIA)
            && e.local_name().as_ref() == "thumbnail";
        if !is_thumb {
            return None;
        }
        let get = |name: &str| {
            e.attributes()
                .flatten()
                .find(|a| a.key.as_ref() == name)
                .and_then(|a| {
                    a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .ok()
                        .map(|v| v.into_owned())
                })
        };
        let number = |name: &str| get(name).and_then(|v| v.trim().parse().ok());
        Some(FoundImage {
            width: number("width"),
            height: number("height"),
            ..FoundImage::at(get("url")?)
        })
    };
    let bytes = &*as_utf8(bytes);
    let mut reader = quick_xml::reader::NsReader::from_reader(bytes);
    let mut items: Vec<Extra> = Vec::new();
    let mut depth = 0usize;
    let mut item_depth = None;
    let mut counting = false;
    let mut buf = Vec::new();
    loop {
        let at = usize::try_from(reader.buffer_position()).unwrap_or(0);
        let Ok((ns, event)) = reader.read_resolved_event_into(&mut buf) else {
            break;
        };
        let opens = matches!(event, Event::Start(_));
        match event {
            Event::Start(e) | Event::Empty(e) => {
                if opens {
                    depth += 1;
                }
                let local = e.local_name();
                let local = local.as_ref();
                if item_depth.is_none() && (local == "item" || local == "entry") {
                    if opens {
                        item_depth = Some(depth);
                    }
                    items.push(Extra {
                        line: line_of(bytes, at),
                        ..Extra::default()
                    });
                } else if item_depth.is_some() {
                    if let (Some(item), Some(t)) = (items.last_mut(), thumbnail(&ns, &e)) {
                        item.thumbnail.get_or_insert(t);
                    }
                    let in_ns =
                        |uri: &str| matches!(&ns, ResolveResult::Bound(n) if n.as_ref() == uri);
                    counting = opens
                        && ((local == "comments" && in_ns(SLASH))
                            || (local == "total" && in_ns(THREAD)));
                }
            }
            Event::Text(t) if counting => {
                if let Some(item) = items.last_mut() {
                    let text = t.into_inner();
                    item.comments = text.trim().parse().ok();
                }
            }
            Event::End(_) => {
                counting = false;
                if item_depth == Some(depth) {
                    item_depth = None;
                }
                depth = depth.saturating_sub(1);
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    items
}

/// The memory's first line: which source it remembers. Another source's
/// items (feed.toml now names another feed) are not this one's.
fn memory_header(key: &str) -> String {
    serde_json::json!({ "matinale_seen_from": key }).to_string()
}

/// Admits the items of a feed, then the remembered items it no longer
/// shows; returns the new memory: a header naming the source, then every
/// valid item published between `horizon` and now, newest first, as JSON
/// Lines.
/// `key` names the source in the memory (as feed.toml does).
pub fn admit_all(
    records: Vec<Record>,
    source: &Path,
    key: &str,
    remembered: Option<(&Path, &str)>,
    horizon: DateTime<Utc>,
    v: &mut Validator,
    sink: &mut dyn ArticleSink,
) -> String {
    let path: Arc<Path> = Arc::from(source);
    let mut ids = BTreeSet::new();
    let mut memory: Vec<(DateTime<Utc>, String, String)> = Vec::new();
    for rec in records {
        let origin = Origin {
            path: path.clone(),
            line: rec.line,
        };
        let body = rec.raw.content_html.clone();
        let has_body = body.is_some();
        let mut checked = check(rec.raw, has_body, &origin, &|_| None, v.tz());
        if let Checked::Valid { article, .. } = &checked {
            if !ids.insert(article.id.clone()) {
                // A feed listing an item twice: the first one counts.
                v.report.warnings.push(Problem::new(
                    source,
                    Some(rec.line),
                    "id",
                    format!(
                        "`{}` is listed twice in the feed; the first one is kept",
                        article.id
                    ),
                ));
                continue;
            }
            if article.published >= horizon && article.published <= v.now() {
                memory.push(remember(article, body.as_deref()));
            }
        }
        // Invalid items are reported by admit; a feed's reader knows them
        // by their rank, and "missing" means the feed has no such element.
        if let Checked::Invalid { problems, .. } = &mut checked {
            for p in problems.iter_mut() {
                p.line = (rec.line > 0).then_some(rec.line);
                if p.message.starts_with("missing") {
                    p.message = match p.field.as_str() {
                        "published" => "the item has no date (pubDate, dc:date, published or updated); it is left out, not guessed".to_owned(),
                        "url" => "the item has no link; it is left out, not guessed".to_owned(),
                        _ => p.message.clone(),
                    };
                }
                p.message = format!("{} (item {} of the feed)", p.message, rec.item);
            }
        }
        v.admit(checked, || Ok(body.map(Body::Html)), sink);
    }
    let header = memory_header(key);
    let remembered = remembered.filter(|(_, text)| text.lines().next() == Some(header.as_str()));
    if let Some((seen_path, text)) = remembered {
        let seen: Arc<Path> = Arc::from(seen_path);
        for (n, line) in text.lines().enumerate().skip(1) {
            let Ok(raw) = serde_json::from_str::<RawArticle<'_, String>>(line) else {
                // The memory is ours; a damaged line only loses that item.
                continue;
            };
            let origin = Origin {
                path: seen.clone(),
                line: n + 1,
            };
            let body = raw.content_html.clone();
            let checked = check(raw, body.is_some(), &origin, &|_| Some(n + 1), v.tz());
            let Checked::Valid { article, .. } = &checked else {
                continue;
            };
            // A scheduled item in a memory written before it was kept
            // for published items only: not seen published, so forgotten.
            if article.published < horizon
                || article.published > v.now()
                || !ids.insert(article.id.clone())
            {
                continue;
            }
            memory.push(remember(article, body.as_deref()));
            v.admit(checked, || Ok(body.map(Body::Html)), sink);
        }
    }
    memory.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    std::iter::once(header)
        .chain(memory.into_iter().map(|(_, _, line)| line))
        .map(|line| line + "\n")
        .collect()
}

/// An article as one line of the JSON Lines input format.
fn remember(a: &Article, body: Option<&str>) -> (DateTime<Utc>, String, String) {
    let mut o = serde_json::json!({
        "id": a.id,
        "title": a.title,
        "url": a.url.as_str(),
        "published": a.published.to_rfc3339(),
        "updated": a.updated.to_rfc3339(),
    });
    if let Some(s) = &a.summary {
        o["summary"] = s.clone().into();
    }
    if let Some(b) = body {
        o["content_html"] = b.into();
    }
    if !a.authors.is_empty() {
        o["authors"] = a
            .authors
            .iter()
            .map(|p| {
                let mut v = serde_json::json!({ "name": p.name });
                if let Some(e) = &p.email {
                    v["email"] = e.clone().into();
                }
                if let Some(u) = &p.url {
                    v["url"] = u.as_str().into();
                }
                v
            })
            .collect();
    }
    if !a.categories.is_empty() {
        o["categories"] = a.categories.clone().into();
    }
    if let Some(i) = &a.image {
        let mut v = serde_json::json!({ "url": i.url.as_str(), "alt": i.alt });
        if let Some(w) = i.width {
            v["width"] = w.into();
        }
        if let Some(h) = i.height {
            v["height"] = h.into();
        }
        if let Some(t) = &i.mime_type {
            v["type"] = t.clone().into();
        }
        o["image"] = v;
    }
    if let Some(c) = &a.comments {
        let mut v = serde_json::json!({ "count": c.count });
        if let Some(u) = &c.url {
            v["url"] = u.as_str().into();
        }
        o["comments"] = v;
    }
    (a.published, a.id.clone(), o.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_more_tails_are_removed() {
        assert_eq!(without_read_more("Un résumé […]"), "Un résumé");
        assert_eq!(without_read_more("Un résumé [...]"), "Un résumé");
        assert_eq!(
            without_read_more("Texte. The post Titre appeared first on Site."),
            "Texte."
        );
        assert_eq!(
            without_read_more("Texte. L’article Titre est apparu en premier sur Site."),
            "Texte."
        );
        assert_eq!(without_read_more("C++ <template>"), "C++ <template>");
    }

    #[test]
    fn first_img_reads_quoted_and_bare_attributes() {
        assert_eq!(
            first_img(
                r#"<p>x</p><IMG alt="Un &quot;chat&quot;" data-src="no.jpg" SRC="/a.jpg?x=1&amp;y=2" width="800" height=450>"#
            ),
            Some(FoundImage {
                url: "/a.jpg?x=1&y=2".into(),
                width: Some(800),
                height: Some(450),
                mime: None,
                alt: Some("Un \"chat\"".into())
            })
        );
        assert_eq!(
            first_img("<img src=b.png>"),
            Some(FoundImage::at("b.png".into()))
        );
        assert_eq!(
            first_img(r#"<img src="data:x"><img src='c.gif' alt=''>"#),
            Some(FoundImage {
                alt: Some(String::new()),
                ..FoundImage::at("c.gif".into())
            })
        );
        assert_eq!(first_img("<p>none</p>"), None);
    }

    #[test]
    fn rss_authors_double_escapes_and_atom_enclosures() {
        let rss = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><link>https://e.example/</link>
<item><title>Tom &amp;amp; Jerry</title><link>https://e.example/a</link>
<author>jane@edge.example (Jane Doe)</author><pubDate>Wed, 25 Nov 2026 20:00:00 +0000</pubDate></item>
</channel></rss>"#;
        let items = parse(rss.as_bytes(), None).unwrap();
        let raw = &items[0].raw;
        assert_eq!(raw.title.as_deref(), Some("Tom & Jerry"));
        let Some(RawAuthor::Full(p)) = raw.authors.as_ref().and_then(|a| a.first()) else {
            panic!("an author");
        };
        assert_eq!(
            (p.name.as_ref(), p.email.as_deref()),
            ("Jane Doe", Some("jane@edge.example"))
        );

        let atom = r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>x</id><updated>2026-11-25T20:00:00Z</updated>
<entry><title>C++ &lt;template&gt;</title><id>e1</id><updated>2026-11-25T20:00:00Z</updated>
<link rel="alternate" href="https://e.example/e1"/><link rel="enclosure" type="image/png" href="https://e.example/enc.png"/></entry></feed>"#;
        let items = parse(atom.as_bytes(), None).unwrap();
        let raw = &items[0].raw;
        assert_eq!(raw.title.as_deref(), Some("C++ <template>"));
        assert_eq!(
            raw.image.as_ref().map(|i| i.url.as_ref()),
            Some("https://e.example/enc.png")
        );
        assert_eq!(
            raw.image.as_ref().and_then(|i| i.mime_type.as_deref()),
            Some("image/png")
        );
    }

    #[test]
    fn a_document_that_makes_the_parser_panic_is_a_clean_error() {
        let doc = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<rss version=\"2.0\"><channel><title>t</title>\n\
                   <item><title>a</title><description>x<?xml version=\"1.0\" encoding=\"utf-8\"?></description></item>\n\
                   </channel></rss>";
        let Err((_, message)) = parse(doc.as_bytes(), None) else {
            panic!("a broken document parsed");
        };
        assert!(message.starts_with("not a readable feed: "), "{message}");
        // The guard is over: a panic from here on is a crash again.
        assert!(!quiet_panic());
    }
}
