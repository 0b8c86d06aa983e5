//! Stage two of configuration: each table of the [`raw`](super::raw) file
//! checked into its typed table, defaults applied and paths resolved.
//!
//! One function per table, each given its raw table and the [`Validator`]
//! that collects problems with their lines. A refused value is reported and
//! stands in as its default meanwhile, so that the rest of the table, and
//! the tables that derive defaults from it, are still checked: one run
//! reports every problem, and [`super::Config::from_raw`] refuses the file
//! if there was any.

use super::locate::key_line;
use super::raw::{
    Integer, RawContent, RawCta, RawDelivery, RawFeeds, RawNewsletter, RawSignup, RawSite,
    RawSitemaps, RawSmtp,
};
use super::{
    is_safe_relative, Content, Cta, Delivery, DeliveryMethod, Feeds, Newsletter, OnInvalid,
    Security, Signup, Site, Sitemaps, Smtp, SourceKind,
};
use crate::error::{Problem, Problems};
use crate::layout::{Layout, Page};
use crate::text::plain;
use chrono_tz::Tz;
use lettre::message::Mailbox;
use std::collections::BTreeSet;
use std::fmt::Display;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use url::Url;

/// The range of every whole number of `feed.toml`, with what it counts.
/// Each bound is one a site may really want; past it, a value is a typo
/// (or a test of the program), and it would reach date arithmetic,
/// network deadlines (an `Instant` plus `u64::MAX` seconds panics) or
/// allocations where nothing of that size makes sense.
mod ranges {
    use std::ops::RangeInclusive;

    /// `[content] timeout_s`, `[feeds] websub_timeout_s`, `[smtp]
    /// timeout_s`: one hour is already longer than any morning job waits.
    pub const TIMEOUT_S: RangeInclusive<u64> = 1..=3600;
    /// `[newsletter] lookback_days`: up to a year late.
    pub const LOOKBACK_DAYS: RangeInclusive<u64> = 1..=366;
    /// `[feeds] max_items`, `0` meaning every article.
    pub const MAX_ITEMS: RangeInclusive<u64> = 0..=1_000_000;
    /// `[newsletter] max_articles`: shown in full in one email.
    pub const MAX_ARTICLES: RangeInclusive<u64> = 1..=500;
    /// `[smtp] port`.
    pub const PORT: RangeInclusive<u64> = 1..=65535;
}

/// The token an `unsubscribe_url` is tried with: what it makes must be a
/// URL for any token, so for this one.
const SAMPLE_TOKEN: &str = "matinale-sample-token";

/// Collects the problems of one file, each located at its key's line.
pub(super) struct Validator<'a> {
    src: &'a str,
    path: &'a Path,
    problems: Vec<Problem>,
}

impl<'a> Validator<'a> {
    pub(super) fn new(src: &'a str, path: &'a Path) -> Validator<'a> {
        Validator {
            src,
            path,
            problems: Vec::new(),
        }
    }

    /// Every problem found, sorted by line; `Ok` when there was none.
    pub(super) fn finish(self) -> Result<(), Problems> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(Problems(self.problems).sorted())
        }
    }

    fn err(&mut self, table: &str, index: Option<usize>, key: &str, msg: impl Into<String>) {
        let line = key_line(self.src, table, index, key);
        let field = match index {
            Some(i) => format!("{table}[{i}].{key}"),
            None => format!("{table}.{key}"),
        };
        self.err_at(line, field, msg);
    }

    /// A problem at `line`, for a field that is not one `key = …` line.
    fn err_at(&mut self, line: Option<usize>, field: String, msg: impl Into<String>) {
        // A message is one line, even when it quotes a value holding a
        // line break: that is shown as `\n`.
        let mut shown = String::new();
        for c in msg.into().chars() {
            if c.is_control() {
                shown.extend(c.escape_default());
            } else {
                shown.push(c);
            }
        }
        self.problems
            .push(Problem::new(self.path, line, field, shown));
    }

    fn http_url(&mut self, table: &str, index: Option<usize>, key: &str, s: &str) -> Option<Url> {
        match Url::parse(s.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Some(u),
            Ok(_) | Err(_) => {
                self.err(
                    table,
                    index,
                    key,
                    format!(
                        "`{}` is not an absolute http(s) URL; expected e.g. \"https://www.example.com/\"",
                        crate::fetch::redact(s)
                    ),
                );
                None
            }
        }
    }

    /// A whole number within `range`, or `default` when absent; one out of
    /// range is reported and stands in as `default`.
    fn whole(
        &mut self,
        table: &str,
        key: &str,
        value: Option<Integer>,
        default: u64,
        range: RangeInclusive<u64>,
        what: &str,
    ) -> u64 {
        let Some(Integer(n)) = value else {
            return default;
        };
        match u64::try_from(n) {
            Ok(n) if range.contains(&n) => n,
            _ => {
                self.err(
                    table,
                    None,
                    key,
                    format!(
                        "must be between {} and {} ({what}), not {n}",
                        range.start(),
                        range.end()
                    ),
                );
                default
            }
        }
    }

    /// A link a reader follows: an absolute http(s) URL, or a `mailto:`
    /// URL to one address.
    fn link_url(&mut self, table: &str, index: Option<usize>, key: &str, s: &str) -> Option<Url> {
        let refused = |v: &mut Validator| {
            v.err(
                table,
                index,
                key,
                format!(
                    "`{}` is neither an absolute http(s) URL nor a mailto: link to one address; expected e.g. \"https://www.example.com/\" or \"mailto:redaction@example.com\"",
                    crate::fetch::redact(s)
                ),
            );
            None
        };
        match Url::parse(s.trim()) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Some(u),
            Ok(u) if u.scheme() == "mailto" => {
                let to =
                    String::from_utf8_lossy(&crate::fetch::percent_decode(u.path())).into_owned();
                if to.parse::<lettre::Address>().is_ok() {
                    Some(u)
                } else {
                    refused(self)
                }
            }
            Ok(_) | Err(_) => refused(self),
        }
    }

    /// Text that goes into a header of the email (or into a URL of one):
    /// a control character there, a line break above all, would end the
    /// header and start another. Reports it and says whether `s` is clean.
    fn header_safe(&mut self, key: &str, s: &str) -> bool {
        if s.chars().any(char::is_control) {
            self.err(
                "newsletter",
                None,
                key,
                "must not contain control characters such as line breaks: it goes into the email's headers",
            );
            false
        } else {
            true
        }
    }

    fn optional_url(&mut self, table: &str, key: &str, s: Option<&str>) -> Option<Url> {
        match s.map(str::trim) {
            None | Some("") => None,
            Some(s) => self.http_url(table, None, key, s),
        }
    }

    /// An optional address of `[newsletter]`; empty is none.
    fn optional_address<A>(&mut self, key: &str, s: Option<&str>) -> Option<A>
    where
        A: FromStr,
        A::Err: Display,
    {
        match s.map(str::trim) {
            None | Some("") => None,
            Some(a) if !self.header_safe(key, a) => None,
            Some(a) => a
                .parse::<A>()
                .map_err(|e| {
                    self.err(
                        "newsletter",
                        None,
                        key,
                        format!("`{a}` is not an address ({e})"),
                    );
                })
                .ok(),
        }
    }
}

/// What a required URL that was refused (and reported) stands for while
/// the rest is checked. Its host is the one [`Site::domain`] falls back to,
/// so the defaults derived from it are those of a site without a URL.
fn refused_url() -> Url {
    Url::parse("http://localhost/").expect("a valid URL")
}

/// `[site]`.
pub(super) fn site(s: RawSite, v: &mut Validator) -> Site {
    let title = plain(&s.title).into_owned();
    if title.is_empty() {
        v.err("site", None, "title", "must not be empty");
    }
    let url = v
        .http_url("site", None, "url", &s.url)
        .unwrap_or_else(refused_url);
    let language = s.language.unwrap_or_else(|| "en".to_owned());
    if !is_language_tag(&language) {
        v.err(
            "site",
            None,
            "language",
            format!("`{language}` is not a language tag; expected e.g. \"fr-FR\" or \"en\""),
        );
    }
    let tz_name = s.timezone.unwrap_or_else(|| "UTC".to_owned());
    let timezone = match tz_name.parse::<Tz>() {
        Ok(tz) => tz,
        Err(_) => {
            v.err(
                "site",
                None,
                "timezone",
                format!(
                    "unknown time zone `{tz_name}`; expected an IANA name such as \"Europe/Paris\""
                ),
            );
            Tz::UTC
        }
    };
    Site {
        title,
        url,
        description: plain(s.description.as_deref().unwrap_or("")).into_owned(),
        language,
        timezone,
        logo: v.optional_url("site", "logo", s.logo.as_deref()),
        icon: v.optional_url("site", "icon", s.icon.as_deref()),
        subscribe_path: subscribe_path(s.subscribe_path, v),
    }
}

/// `[site] subscribe_path`, as a relative folder ending with `/`.
fn subscribe_path(raw: Option<String>, v: &mut Validator) -> String {
    let subscribe_path = raw.unwrap_or_else(|| "abonnement/".to_owned());
    // Used as a file path and as a relative URL: plain path segments only
    // (no scheme, query or fragment, no backslash or control character,
    // nothing that climbs out); non-ASCII is percent-encoded in URLs.
    // A segment with spaces at its ends would be trimmed by URL parsing,
    // and " /" would become the root of the site.
    let url_safe = !subscribe_path.contains([':', '?', '#', '\\', '%'])
        && !subscribe_path.chars().any(char::is_control)
        && subscribe_path.split('/').all(|seg| seg.trim() == seg);
    if !url_safe || !is_safe_relative(&subscribe_path) {
        v.err(
            "site",
            None,
            "subscribe_path",
            format!("`{subscribe_path}` must be a relative folder inside the output folder, made of plain path segments, e.g. \"abonnement/\""),
        );
    }
    let segments: Vec<&str> = subscribe_path
        .split('/')
        .filter(|s| !s.is_empty() && *s != ".")
        .collect();
    if segments.is_empty() {
        return "abonnement/".to_owned();
    }
    let subscribe_path = format!("{}/", segments.join("/"));
    // Those folders hold the category feeds, the newsletter archive and
    // the partials: the page must not land on top of them.
    let top = subscribe_path.split('/').next().unwrap_or("");
    if crate::layout::Layout::reserved_folders().contains(&top) {
        v.err(
            "site",
            None,
            "subscribe_path",
            format!("`{top}/` is where matinale writes other files; choose another folder, e.g. \"abonnement/\""),
        );
    }
    subscribe_path
}

/// The output folders, once resolved: each apart from the site's own
/// folder, its parents, the system's folders and the sources, and apart
/// from each other, so that no two outputs share a path and no run
/// writes over what it reads.
pub(super) fn folders(
    root: &Path,
    content: &Content,
    feeds: &Feeds,
    newsletter: &Newsletter,
    v: &mut Validator,
) {
    let site = normalized(root);
    let state = site.join(".matinale");
    let source = (content.remote.is_none()).then(|| normalized(&content.path));
    let outputs = [
        ("feeds", normalized(&feeds.output_dir)),
        ("newsletter", normalized(&newsletter.output_dir)),
    ];
    for (table, dir) in &outputs {
        let shown = dir.display();
        let refused = if dir.parent().is_none() {
            Some("is the file system's root".to_owned())
        } else if *dir == site {
            Some("is the site's own folder, where feed.toml lives".to_owned())
        } else if site.starts_with(dir) {
            Some("holds the site's own folder".to_owned())
        } else if is_system_folder(dir) {
            Some("is a system folder".to_owned())
        } else if dir.starts_with(&state) {
            Some("is inside .matinale/, matinale's state".to_owned())
        } else if source
            .as_ref()
            .is_some_and(|s| s.starts_with(dir) || dir.starts_with(s))
        {
            Some("overlaps [content] path, where the articles are read".to_owned())
        } else {
            None
        };
        if let Some(why) = refused {
            v.err(
                table,
                None,
                "output_dir",
                format!(
                    "`{shown}` {why}; choose a folder of its own, e.g. \"{}\"",
                    default_dir(table)
                ),
            );
        }
    }
    let (feeds_dir, news_dir) = (&outputs[0].1, &outputs[1].1);
    if feeds_dir.starts_with(news_dir) || news_dir.starts_with(feeds_dir) {
        v.err(
            "newsletter",
            None,
            "output_dir",
            format!(
                "`{}` and [feeds] output_dir `{}` overlap: the master copies and the ledger are not for the web, and two outputs would share a path; use separate folders, e.g. \"out/newsletter\" and \"public\"",
                news_dir.display(),
                feeds_dir.display()
            ),
        );
    }
}

fn default_dir(table: &str) -> &'static str {
    if table == "feeds" {
        "public"
    } else {
        "out/newsletter"
    }
}

/// `path` made absolute (against the current folder) and with `.` and
/// `..` resolved lexically: the folder a run would write in, before any
/// of it exists.
fn normalized(path: &Path) -> PathBuf {
    let base = if path.as_os_str().is_empty() {
        Path::new(".")
    } else {
        path
    };
    let absolute = std::path::absolute(base).unwrap_or_else(|_| base.to_path_buf());
    let mut out = PathBuf::new();
    for c in absolute.components() {
        match c {
            std::path::Component::ParentDir => {
                out.pop();
            }
            std::path::Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// Folders of the operating system that no site writes into.
fn is_system_folder(dir: &Path) -> bool {
    const UNDER: [&str; 9] = [
        "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/sbin", "/sys",
    ];
    const EXACTLY: [&str; 7] = ["/home", "/root", "/run", "/srv", "/tmp", "/usr", "/var"];
    // /dev/shm is a memory file system for anyone's files (CI, tests).
    let shared_memory = dir.starts_with("/dev/shm") && dir != Path::new("/dev/shm");
    (UNDER.iter().any(|d| dir.starts_with(d)) && !shared_memory)
        || EXACTLY.iter().any(|d| dir == Path::new(d))
}

/// `[content]`; a local path is resolved against `root`.
pub(super) fn content(c: RawContent, root: &Path, v: &mut Validator) -> Content {
    let source = match c.source.as_deref().unwrap_or("markdown") {
        "markdown" => SourceKind::Markdown,
        "jsonl" => SourceKind::Jsonl,
        "feed" => SourceKind::Feed,
        other => {
            v.err(
                "content",
                None,
                "source",
                format!("unknown source `{other}`; expected \"markdown\", \"jsonl\" or \"feed\""),
            );
            SourceKind::Markdown
        }
    };
    let on_invalid = match c.on_invalid.as_deref().unwrap_or("fail") {
        "fail" => OnInvalid::Fail,
        "skip" => OnInvalid::Skip,
        other => {
            v.err(
                "content",
                None,
                "on_invalid",
                format!("unknown value `{other}`; expected \"fail\" or \"skip\""),
            );
            OnInvalid::Fail
        }
    };
    let timeout_s = v.whole(
        "content",
        "timeout_s",
        c.timeout_s,
        20,
        ranges::TIMEOUT_S,
        "seconds",
    );
    let raw_path = c.path.unwrap_or_else(|| "content".to_owned());
    let remote = if raw_path.starts_with("http://") || raw_path.starts_with("https://") {
        if source == SourceKind::Feed {
            v.http_url("content", None, "path", &raw_path)
        } else {
            v.err(
                "content",
                None,
                "path",
                "a URL is only read with source = \"feed\"; the other sources are local files",
            );
            None
        }
    } else {
        None
    };
    let permalink = match c.permalink.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(_) if source != SourceKind::Markdown => {
            v.err(
                "content",
                None,
                "permalink",
                "only used with source = \"markdown\": the other sources give each article's URL",
            );
            None
        }
        Some(p) => super::permalink::Permalink::parse(p)
            .map_err(|e| v.err("content", None, "permalink", e))
            .ok(),
    };
    Content {
        source,
        path_line: key_line(v.src, "content", None, "path"),
        permalink,
        path: match &remote {
            Some(u) => PathBuf::from(crate::fetch::redacted(u)),
            None => root.join(raw_path),
        },
        on_invalid,
        timeout_s,
        remote,
    }
}

/// `[feeds]`; the base URL defaults to the site's.
pub(super) fn feeds(f: RawFeeds, site: &Site, root: &Path, v: &mut Validator) -> Feeds {
    let mut base_url = match f.base_url.as_deref() {
        Some(u) => v
            .http_url("feeds", None, "base_url", u)
            .unwrap_or_else(refused_url),
        None => site.url.clone(),
    };
    if !base_url.path().ends_with('/') {
        let p = format!("{}/", base_url.path());
        base_url.set_path(&p);
    }
    let websub_hub = v.optional_url("feeds", "websub_hub", f.websub_hub.as_deref());
    let websub_timeout_s = v.whole(
        "feeds",
        "websub_timeout_s",
        f.websub_timeout_s,
        10,
        ranges::TIMEOUT_S,
        "seconds",
    );
    let max_items = v.whole(
        "feeds",
        "max_items",
        f.max_items,
        50,
        ranges::MAX_ITEMS,
        "entries per feed; 0 means every article",
    );
    Feeds {
        output_dir: root.join(f.output_dir.unwrap_or_else(|| "public".to_owned())),
        base_url,
        max_items: match max_items {
            0 => None,
            n => Some(usize::try_from(n).unwrap_or(usize::MAX)),
        },
        full_content: f.full_content.unwrap_or(true),
        per_category: f.per_category.unwrap_or(true),
        websub_hub,
        websub_timeout_s,
    }
}

/// The `[[cta]]` tables, in order; one with a refused URL is left out.
pub(super) fn ctas(raw: Vec<RawCta>, v: &mut Validator) -> Vec<Cta> {
    let mut ctas = Vec::new();
    let mut ids = BTreeSet::new();
    for (i, c) in raw.into_iter().enumerate() {
        let id_ok = !c.id.is_empty()
            && c.id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !id_ok {
            v.err(
                "cta",
                Some(i),
                "id",
                format!(
                    "`{}` must be made of ASCII letters, digits, `_` or `-`",
                    c.id
                ),
            );
        } else if !ids.insert(c.id.clone()) {
            v.err(
                "cta",
                Some(i),
                "id",
                format!("`{}` is used by an earlier [[cta]]", c.id),
            );
        }
        let text = plain(&c.text).into_owned();
        if text.is_empty() {
            v.err("cta", Some(i), "text", "must not be empty");
        }
        let label = c
            .label
            .map(|l| plain(&l).into_owned())
            .filter(|l| !l.is_empty());
        if let Some(url) = v.link_url("cta", Some(i), "url", &c.url) {
            ctas.push(Cta {
                id: c.id,
                text,
                label,
                url,
            });
        }
    }
    ctas
}

/// `[newsletter]`; its name, sender, list id and unsubscribe link default
/// to the site's.
pub(super) fn newsletter(
    n: RawNewsletter,
    site: &Site,
    root: &Path,
    v: &mut Validator,
) -> Newsletter {
    let domain = site.domain().to_owned();
    let send_time_text = n.send_time.unwrap_or_else(|| "07:00".to_owned());
    let send_time = time_of_day(&send_time_text).unwrap_or_else(|| {
        v.err(
            "newsletter",
            None,
            "send_time",
            format!("`{send_time_text}` is not a time of day; expected HH:MM from 00:00 to 23:59, such as \"07:00\""),
        );
        chrono::NaiveTime::MIN
    });
    let from_text = n.from.unwrap_or_else(|| {
        format!(
            "{} <newsletter@{domain}>",
            site.title.replace(['<', '>', '"'], "")
        )
    });
    let from = match from_text.parse::<Mailbox>() {
        _ if !v.header_safe("from", &from_text) => None,
        Ok(m) => Some(m),
        Err(e) => {
            v.err("newsletter", None, "from", format!("`{from_text}` is not an address ({e}); expected e.g. \"Site <newsletter@example.com>\""));
            None
        }
    }
    .unwrap_or_else(|| {
        Mailbox::new(None, lettre::Address::new("newsletter", "localhost").expect("valid"))
    });
    let token_placeholder = n
        .token_placeholder
        .unwrap_or_else(|| "*|UNSUB_TOKEN|*".to_owned());
    if token_placeholder.is_empty() {
        v.err(
            "newsletter",
            None,
            "token_placeholder",
            "must not be empty: it is the sending platform's merge tag for a subscriber's token, e.g. \"*|UNSUB_TOKEN|*\"",
        );
    } else if !fits_a_link(&token_placeholder) {
        v.err(
            "newsletter",
            None,
            "token_placeholder",
            format!("`{token_placeholder}` cannot go into the unsubscribe URL and the List-Unsubscribe header: a merge tag without spaces, control characters, `<`, `>` or `\"` is needed, e.g. \"*|UNSUB_TOKEN|*\""),
        );
    }
    let unsubscribe_url = n.unsubscribe_url.unwrap_or_else(|| {
        format!(
            "{}newsletter/?unsubscribe={{{{ token }}}}",
            site.url.as_str()
        )
    });
    unsubscribe_link(&unsubscribe_url, v);
    let subject = n.subject.unwrap_or_else(|| "{{ top.title }}".to_owned());
    if let Err(e) = minijinja::Environment::new().template_from_str(&subject) {
        v.err(
            "newsletter",
            None,
            "subject",
            format!("is not a valid template: {}", template_error(&e)),
        );
    }
    let default_list_id = format!("newsletter.{domain}");
    let list_id = match n.list_id {
        Some(id) => {
            if !is_list_id(&id) {
                v.err(
                    "newsletter",
                    None,
                    "list_id",
                    format!("`{id}` is not a list id (RFC 2919): expected labels of ASCII letters, digits and `-` joined by dots, with at least one dot and at most 255 characters, e.g. \"matinale.example.com\""),
                );
            }
            id
        }
        // A site at an IP address (or a host with `_`) has no domain to
        // name its list after: it is then a local list, as RFC 2919 says.
        None if is_list_id(&default_list_id) => default_list_id,
        None => "newsletter.localhost".to_owned(),
    };
    let max_articles = v.whole(
        "newsletter",
        "max_articles",
        n.max_articles,
        12,
        ranges::MAX_ARTICLES,
        "articles shown in full",
    );
    let lookback_days = v.whole(
        "newsletter",
        "lookback_days",
        n.lookback_days,
        7,
        ranges::LOOKBACK_DAYS,
        "days",
    );
    Newsletter {
        // Plain text: it goes into the List-Id header, which is one line.
        name: n
            .name
            .map(|s| plain(&s).into_owned())
            .unwrap_or_else(|| site.title.clone()),
        send_time,
        lookback_days: u32::try_from(lookback_days).unwrap_or(7),
        from,
        reply_to: v.optional_address("reply_to", n.reply_to.as_deref()),
        subject,
        max_articles: usize::try_from(max_articles).unwrap_or(12),
        category_order: n.category_order.unwrap_or_default(),
        token_placeholder,
        unsubscribe_url,
        unsubscribe_mailto: v
            .optional_address("unsubscribe_mailto", n.unsubscribe_mailto.as_deref()),
        list_id,
        postal_address: plain(n.postal_address.as_deref().unwrap_or("")).into_owned(),
        utm: n.utm.unwrap_or_default(),
        output_dir: root.join(n.output_dir.unwrap_or_else(|| "out/newsletter".to_owned())),
        signup: n.signup.and_then(|s| signup(s, v)),
    }
}

/// `[newsletter.signup]`: the platform's signup endpoint, the names of its
/// fields and a list engine's join address. The names go into `name="…"`
/// attributes of a form, the values into hidden fields: names are held to
/// the characters platforms use (Mailchimp's `b_…`, PHP's `list[]`),
/// values to plain text. `None` (after reporting) when the action is
/// refused: no form posts to a wrong place.
fn signup(s: RawSignup, v: &mut Validator) -> Option<Signup> {
    const TABLE: &str = "newsletter.signup";
    let field_name = |name: &str| {
        !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'[' | b']' | b'.'))
    };
    const NAMES: &str = "letters, digits, `_`, `-`, `[`, `]` or `.`";
    let action = v.http_url(TABLE, None, "action", &s.action);
    let email_field = s.email_field.unwrap_or_else(|| "email".to_owned());
    if !field_name(&email_field) {
        v.err(
            TABLE,
            None,
            "email_field",
            format!("`{email_field}` is not a form field name: expected one or more {NAMES}, e.g. \"email\" or \"EMAIL\""),
        );
    }
    let fields = s.fields.unwrap_or_default();
    for (name, value) in &fields {
        // Written as a table of its own, each field has its line; written
        // inline, the line of `fields`.
        let line = key_line(v.src, &format!("{TABLE}.fields"), None, name)
            .or_else(|| key_line(v.src, TABLE, None, "fields"));
        let field = format!("{TABLE}.fields");
        if !field_name(name) {
            v.err_at(
                line,
                field,
                format!("`{name}` is not a form field name: expected one or more {NAMES}, e.g. \"list\""),
            );
        } else if *name == email_field {
            v.err_at(
                line,
                field,
                format!("`{name}` is already the e-mail field (email_field): a hidden field of the same name would send the platform two values"),
            );
        } else if value.chars().any(char::is_control) {
            v.err_at(
                line,
                field,
                format!("the value of `{name}` must be plain text, without control characters such as line breaks"),
            );
        }
    }
    let mailto = match s.mailto.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(a) => match a.parse::<lettre::Address>() {
            Ok(address) => Some(address),
            Err(e) => {
                v.err(
                    TABLE,
                    None,
                    "mailto",
                    format!("`{a}` is not an address ({e}); expected a list's join address, e.g. \"matinale-join@lists.example.com\""),
                );
                None
            }
        },
    };
    Some(Signup {
        action: action?,
        email_field,
        fields,
        mailto,
    })
}

/// With a signup form, the call to action whose id is `newsletter` leads to
/// it: when it points at one of the pages that carry the form (the archive
/// or the subscribe page) and no further (no fragment), it points at the
/// form on that page. A URL of the site's own is kept.
pub(super) fn newsletter_cta_to_form(ctas: &mut [Cta], layout: &Layout) {
    for cta in ctas.iter_mut().filter(|c| c.id == "newsletter") {
        if cta.url.fragment().is_some() {
            continue;
        }
        for page in [Page::Archive, Page::Subscribe] {
            let form = layout.signup_url(page);
            let mut page_url = form.clone();
            page_url.set_fragment(None);
            if cta.url == page_url {
                cta.url = form;
                break;
            }
        }
    }
}

/// `[newsletter] send_time`: `HH:MM` (or `H:MM`), 00:00 to 23:59. Minutes
/// take two digits (is `7:5` 07:05 or 07:50?) and there are no seconds:
/// an edition is due at a minute.
fn time_of_day(s: &str) -> Option<chrono::NaiveTime> {
    let (h, m) = s.split_once(':')?;
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !(1..=2).contains(&h.len()) || m.len() != 2 || !digits(h) || !digits(m) {
        return None;
    }
    chrono::NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

/// `[newsletter] unsubscribe_url`: a template that, given a subscriber's
/// token, makes an absolute http(s) URL holding it, fit for the
/// List-Unsubscribe header (no space, control character or `<>"`).
fn unsubscribe_link(template: &str, v: &mut Validator) {
    let key = "unsubscribe_url";
    let rendered = minijinja::Environment::new()
        .render_str(template, minijinja::context! { token => SAMPLE_TOKEN });
    let url = match rendered {
        Ok(url) => url,
        Err(e) => {
            v.err(
                "newsletter",
                None,
                key,
                format!("is not a valid template: {}", template_error(&e)),
            );
            return;
        }
    };
    let absolute = Url::parse(&url)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
    if !url.contains(SAMPLE_TOKEN) {
        v.err(
            "newsletter",
            None,
            key,
            "must contain `{{ token }}`, where each subscriber's token goes",
        );
    } else if !fits_a_link(&url) || !absolute {
        v.err(
            "newsletter",
            None,
            key,
            format!(
                "`{template}` is not an absolute http(s) URL without spaces; expected e.g. \"https://www.example.com/newsletter/unsubscribe?token={{{{ token }}}}\""
            ),
        );
    }
}

/// Whether `s` can stand, as it is, in a URL between the `<` and `>` of
/// the List-Unsubscribe header: lettre would encode a control character
/// (or fold the line at a space) and break the link.
fn fits_a_link(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '<' | '>' | '"'))
}

/// A MiniJinja error in one line, without the template name, which is the
/// key the problem is reported at.
fn template_error(e: &minijinja::Error) -> String {
    let mut msg = e.kind().to_string();
    if let Some(d) = e.detail() {
        msg = format!("{msg}: {d}");
    }
    msg
}

/// RFC 2919's list-id, `list-label.namespace`, narrowed to what every
/// platform reads: labels of ASCII letters, digits and `-`, at least two,
/// 255 characters in all.
fn is_list_id(s: &str) -> bool {
    s.len() <= 255
        && s.contains('.')
        && s.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

/// `[smtp]`; the port defaults to the security's usual one.
pub(super) fn smtp(m: RawSmtp, root: &Path, v: &mut Validator) -> Smtp {
    let security = match m.security.as_deref().unwrap_or("starttls") {
        "tls" => Security::Tls,
        "starttls" => Security::StartTls,
        "none" => Security::None,
        other => {
            v.err(
                "smtp",
                None,
                "security",
                format!("unknown value `{other}`; expected \"tls\", \"starttls\" or \"none\""),
            );
            Security::StartTls
        }
    };
    let host = m
        .host
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty());
    let allow_plaintext = m.allow_plaintext.unwrap_or(false);
    if let Some(h) = &host {
        if h.chars().any(|c| c.is_control() || c.is_whitespace()) {
            v.err(
                "smtp",
                None,
                "host",
                format!(
                    "`{h}` is not a host name; expected e.g. \"smtp.example.com\" or \"127.0.0.1\""
                ),
            );
        }
        let loopback = h == "localhost"
            || h.parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if security == Security::None && !loopback && !allow_plaintext {
            v.err("smtp", None, "security", format!("\"none\" would send the message and password in clear text to {h}; use \"starttls\" or \"tls\", or set allow_plaintext = true if you really mean it"));
        }
    }
    let usual_port: u16 = match security {
        Security::Tls => 465,
        Security::StartTls => 587,
        Security::None => 25,
    };
    let port = v.whole(
        "smtp",
        "port",
        m.port,
        usual_port.into(),
        ranges::PORT,
        "a TCP port",
    );
    let timeout_s = v.whole(
        "smtp",
        "timeout_s",
        m.timeout_s,
        30,
        ranges::TIMEOUT_S,
        "seconds",
    );
    let password_env = m
        .password_env
        .unwrap_or_else(|| "MATINALE_SMTP_PASSWORD".to_owned());
    let env_name = password_env
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && password_env
            .bytes()
            .next()
            .is_some_and(|b| !b.is_ascii_digit());
    if !env_name {
        v.err(
            "smtp",
            None,
            "password_env",
            // Not quoted: it may be the password itself, written here by
            // mistake, and a password is never printed.
            "must be the name of an environment variable (letters, digits and `_`, not starting with a digit), e.g. \"MATINALE_SMTP_PASSWORD\"; the password itself never goes in feed.toml",
        );
    }
    Smtp {
        port: u16::try_from(port).unwrap_or(usual_port),
        host,
        security,
        username: m
            .username
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty()),
        password_env,
        timeout_s,
        ca_file: m
            .ca_file
            .filter(|c| !c.trim().is_empty())
            .map(|c| root.join(c)),
        allow_plaintext,
    }
}

/// `[sitemaps]`; the publication's name defaults to the site's title.
pub(super) fn sitemaps(s: RawSitemaps, site: &Site, v: &mut Validator) -> Sitemaps {
    let publication_name = match s.publication_name {
        None => site.title.clone(),
        Some(name) => {
            let name = plain(&name).into_owned();
            if name.is_empty() {
                v.err(
                    "sitemaps",
                    None,
                    "publication_name",
                    "must not be empty; leave it out to use [site] title, or give the name Google News shows, e.g. \"Journal du Geek\"",
                );
            }
            name
        }
    };
    Sitemaps {
        enabled: s.enabled.unwrap_or(true),
        news: s.news.unwrap_or(true),
        publication_name,
    }
}

/// `[delivery]`. The relay or the command must be there, and the edition
/// handed to a list engine must carry an unsubscribe link it honours.
pub(super) fn delivery(
    d: RawDelivery,
    newsletter: &Newsletter,
    unsubscribe_url_set: bool,
    smtp: &Smtp,
    v: &mut Validator,
) -> Delivery {
    let example_to = "\"matinale@lists.example.org\"";
    let method = match (d.method.as_deref().unwrap_or("smtp"), d.command) {
        ("smtp", None) => {
            if smtp.host.is_none() {
                v.err(
                    "delivery",
                    None,
                    "method",
                    "\"smtp\" hands the edition to the [smtp] relay, but [smtp] host is not set; set it (e.g. the site's Postfix, \"127.0.0.1\"), or use method = \"command\"",
                );
            }
            DeliveryMethod::Smtp
        }
        ("smtp", Some(_)) => {
            v.err(
                "delivery",
                None,
                "command",
                "is only run with method = \"command\"; remove it, or set method = \"command\"",
            );
            DeliveryMethod::Smtp
        }
        ("command", command) => {
            let command = command.unwrap_or_default();
            if command.first().is_none_or(|p| p.trim().is_empty()) {
                v.err(
                    "delivery",
                    None,
                    "command",
                    "must name the program that takes the message on its standard input, e.g. [\"/usr/sbin/sendmail\", \"-t\", \"-i\"]",
                );
            }
            DeliveryMethod::Command(command)
        }
        (other, _) => {
            v.err(
                "delivery",
                None,
                "method",
                format!("unknown method `{other}`; expected \"smtp\" or \"command\""),
            );
            DeliveryMethod::Smtp
        }
    };
    let fallback = || lettre::Address::new("newsletter", "localhost").expect("valid");
    let to = match d.to.as_deref().map(str::trim) {
        None | Some("") => {
            v.err(
                "delivery",
                None,
                "to",
                format!("must be set: the list's posting address, e.g. {example_to}, or the platform's inbound address"),
            );
            fallback()
        }
        Some(a) => a.parse::<lettre::Address>().unwrap_or_else(|e| {
            v.err(
                "delivery",
                None,
                "to",
                format!("`{a}` is not an address ({e}); expected e.g. {example_to}"),
            );
            fallback()
        }),
    };
    let max_delay_hours = d.max_delay_hours.unwrap_or(6);
    if !(1..=8760).contains(&max_delay_hours) {
        v.err(
            "delivery",
            None,
            "max_delay_hours",
            format!("must be between 1 and 8760 (hours: a year at most), not {max_delay_hours}"),
        );
    }
    // A list engine has no page that reads the default link's token: its
    // subscribers leave by writing to its leave address.
    let unsubscribe_link = match (&newsletter.unsubscribe_mailto, unsubscribe_url_set) {
        (_, true) => None,
        (Some(mailto), false) => Some(format!("mailto:{mailto}?subject=unsubscribe")),
        (None, false) => {
            v.err(
                "newsletter",
                None,
                "unsubscribe_mailto",
                "must be set with [delivery] when unsubscribe_url is not: the edition's unsubscribe link would be a page of the site that no list engine answers; set it to the list's leave address, e.g. \"matinale-leave@lists.example.org\", or set unsubscribe_url to the platform's unsubscribe page",
            );
            None
        }
    };
    Delivery {
        method,
        to,
        max_delay_hours,
        unsubscribe_link,
    }
}

fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let first = parts.next().unwrap_or("");
    (2..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn parse(extra: &str) -> Result<Config, Problems> {
        let src = format!("[site]\ntitle = \"T\"\nurl = \"https://ex.org/\"\n{extra}");
        Config::parse(&src, Path::new("feed.toml"))
    }

    fn problems(extra: &str) -> Vec<String> {
        parse(extra)
            .unwrap_err()
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_send_time_is_hours_and_two_digit_minutes() {
        let at = |h, m| chrono::NaiveTime::from_hms_opt(h, m, 0);
        for (text, time) in [
            ("07:00", at(7, 0)),
            ("7:05", at(7, 5)),
            ("00:00", at(0, 0)),
            ("23:59", at(23, 59)),
            ("24:00", None),
            ("7:5", None),
            ("07:60", None),
            ("07:00:00", None),
            ("07:0a", None),
            ("+7:00", None),
            ("007:00", None),
            (":00", None),
            ("", None),
        ] {
            assert_eq!(time_of_day(text), time, "{text:?}");
        }
    }

    #[test]
    fn a_list_id_is_dotted_labels() {
        for ok in ["a.b", "matinale.journaldugeek.com", "news-1.ex-ample.org"] {
            assert!(is_list_id(ok), "{ok}");
        }
        let long = format!("{}.org", "a".repeat(252));
        for bad in [
            "",
            "a",
            ".a",
            "a.",
            "a..b",
            "a b.c",
            "<a.b>",
            "a@b.c",
            "a_b.c",
            "é.fr",
            long.as_str(),
        ] {
            assert!(!is_list_id(bad), "{bad}");
        }
        assert!(is_list_id(&long[1..]));
    }

    #[test]
    fn the_default_list_id_is_always_one() {
        for (url, id) in [
            ("https://ex.org/", "newsletter.ex.org"),
            ("http://127.0.0.1:8080/", "newsletter.127.0.0.1"),
            ("http://[::1]/", "newsletter.localhost"),
            ("https://xn--caf-dma.fr/", "newsletter.xn--caf-dma.fr"),
        ] {
            // (The default sender, on that host, is no address at an IPv6
            // one: it is given.)
            let src = format!(
                "[site]\ntitle = \"T\"\nurl = \"{url}\"\n[newsletter]\nfrom = \"n@ex.org\"\n"
            );
            let c = Config::parse(&src, Path::new("feed.toml")).unwrap();
            assert_eq!(c.newsletter.list_id, id);
        }
    }

    #[test]
    fn a_call_to_action_links_to_the_web_or_to_one_address() {
        let cta = |url: &str| format!("[[cta]]\nid = \"a\"\ntext = \"x\"\nurl = \"{url}\"\n");
        for url in [
            "https://ex.org/",
            "mailto:redaction@ex.org",
            "mailto:redaction%40ex.org?subject=Bonjour",
        ] {
            let c = parse(&cta(url)).unwrap();
            assert_eq!(c.ctas[0].url.as_str(), url);
        }
        for url in [
            "mailto:",
            "mailto:a@ex.org,b@ex.org",
            "mailto:nobody",
            "ftp://ex.org/",
            "javascript:alert(1)",
        ] {
            assert_eq!(
                problems(&cta(url)),
                [format!("feed.toml:7: cta[0].url: `{url}` is neither an absolute http(s) URL nor a mailto: link to one address; expected e.g. \"https://www.example.com/\" or \"mailto:redaction@example.com\"")]
            );
        }
    }

    #[test]
    fn the_newsletters_call_to_action_leads_to_the_signup_form() {
        const SIGNUP: &str = "[newsletter.signup]\naction = \"https://lists.ex.org/join\"\n";
        let url_of = |ctas: &str, signup: &str| {
            let c = parse(&format!("{ctas}{signup}")).unwrap();
            c.ctas.iter().map(|c| c.url.to_string()).collect::<Vec<_>>()
        };
        let cta = |id: &str, url: &str| {
            format!("[[cta]]\nid = \"{id}\"\ntext = \"x\"\nurl = \"{url}\"\n")
        };
        // The archive or the subscribe page: the form on it.
        for (url, form) in [
            (
                "https://ex.org/newsletter/",
                "https://ex.org/newsletter/#inscription",
            ),
            (
                "https://ex.org/abonnement/",
                "https://ex.org/abonnement/#inscription",
            ),
            // Anywhere else, or already to a place on the page: as it is.
            ("https://ex.org/la-matinale/", "https://ex.org/la-matinale/"),
            (
                "https://ex.org/newsletter/#top",
                "https://ex.org/newsletter/#top",
            ),
        ] {
            assert_eq!(url_of(&cta("newsletter", url), SIGNUP), [form], "{url}");
            // Without a form, or for another call to action: as it is.
            assert_eq!(url_of(&cta("newsletter", url), ""), [url], "{url}");
            assert_eq!(url_of(&cta("news", url), SIGNUP), [url], "{url}");
        }
        let c = parse(SIGNUP).unwrap();
        let signup = c.newsletter.signup.unwrap();
        assert_eq!(signup.email_field, "email");
        assert!(signup.fields.is_empty() && signup.mailto.is_none());
    }

    #[test]
    fn a_value_holding_a_line_break_is_quoted_on_one_line() {
        assert_eq!(
            problems("[newsletter]\nlist_id = \"a.b\\r\\nBcc: x@y.z\"\n"),
            ["feed.toml:5: newsletter.list_id: `a.b\\r\\nBcc: x@y.z` is not a list id (RFC 2919): expected labels of ASCII letters, digits and `-` joined by dots, with at least one dot and at most 255 characters, e.g. \"matinale.example.com\""]
        );
    }

    #[test]
    fn the_postal_address_is_one_line_of_plain_text() {
        let c =
            parse("[newsletter]\npostal_address = \"1 rue X\\r\\n75000  Paris\\u0007\"\n").unwrap();
        assert_eq!(c.newsletter.postal_address, "1 rue X 75000 Paris");
    }

    #[test]
    fn a_password_env_that_is_no_variable_name_is_not_quoted() {
        assert_eq!(
            problems("[smtp]\npassword_env = \"hunter2 secret\"\n"),
            ["feed.toml:5: smtp.password_env: must be the name of an environment variable (letters, digits and `_`, not starting with a digit), e.g. \"MATINALE_SMTP_PASSWORD\"; the password itself never goes in feed.toml"]
        );
    }
}
