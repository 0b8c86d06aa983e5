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
use super::raw::{RawContent, RawCta, RawDelivery, RawFeeds, RawNewsletter, RawSite, RawSmtp};
use super::{
    is_safe_relative, Content, Cta, Delivery, DeliveryMethod, Feeds, Newsletter, OnInvalid,
    Security, Site, Smtp, SourceKind,
};
use crate::error::{Problem, Problems};
use crate::text::plain;
use chrono_tz::Tz;
use lettre::message::Mailbox;
use std::collections::BTreeSet;
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use url::Url;

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
        self.problems
            .push(Problem::new(self.path, line, field, msg.into()));
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
    // nothing that climbs out; no space at either end of a segment, which
    // a URL parser strips, turning " /x/" into "/x/", out of the feeds'
    // base URL); non-ASCII is percent-encoded in URLs.
    let url_safe = !subscribe_path.contains([':', '?', '#', '\\', '%'])
        && !subscribe_path.chars().any(char::is_control)
        && subscribe_path.split('/').all(|s| s == s.trim());
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
    UNDER.iter().any(|d| dir.starts_with(d)) || EXACTLY.iter().any(|d| dir == Path::new(d))
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
    let timeout_s = c.timeout_s.unwrap_or(20);
    if timeout_s == 0 {
        v.err("content", None, "timeout_s", "must be at least 1 (seconds)");
    }
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
    Content {
        source,
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
    let websub_timeout_s = f.websub_timeout_s.unwrap_or(10);
    if websub_timeout_s == 0 {
        v.err(
            "feeds",
            None,
            "websub_timeout_s",
            "must be at least 1 (seconds)",
        );
    }
    Feeds {
        output_dir: root.join(f.output_dir.unwrap_or_else(|| "public".to_owned())),
        base_url,
        max_items: match f.max_items.unwrap_or(50) {
            0 => None,
            n => Some(n),
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
        if let Some(url) = v.http_url("cta", Some(i), "url", &c.url) {
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
    let send_time =
        chrono::NaiveTime::parse_from_str(&send_time_text, "%H:%M").unwrap_or_else(|_| {
            v.err(
                "newsletter",
                None,
                "send_time",
                format!("`{send_time_text}` is not a time; expected HH:MM such as \"07:00\""),
            );
            chrono::NaiveTime::MIN
        });
    let from_text = n.from.unwrap_or_else(|| {
        format!(
            "{} <newsletter@{domain}>",
            site.title.replace(['<', '>', '"'], "")
        )
    });
    let from = from_text.parse::<Mailbox>().unwrap_or_else(|e| {
        v.err("newsletter", None, "from", format!("`{from_text}` is not an address ({e}); expected e.g. \"Site <newsletter@example.com>\""));
        Mailbox::new(None, lettre::Address::new("newsletter", "localhost").expect("valid"))
    });
    let unsubscribe_url = n.unsubscribe_url.unwrap_or_else(|| {
        format!(
            "{}newsletter/?unsubscribe={{{{ token }}}}",
            site.url.as_str()
        )
    });
    if !unsubscribe_url.contains("token") {
        v.err(
            "newsletter",
            None,
            "unsubscribe_url",
            "must contain `{{ token }}`, where each subscriber's token goes",
        );
    }
    let max_articles = n.max_articles.unwrap_or(12);
    if max_articles == 0 {
        v.err("newsletter", None, "max_articles", "must be at least 1");
    }
    Newsletter {
        name: n
            .name
            .map(|s| plain(&s).into_owned())
            .unwrap_or_else(|| site.title.clone()),
        send_time,
        lookback_days: n.lookback_days.unwrap_or(7).max(1),
        from,
        reply_to: v.optional_address("reply_to", n.reply_to.as_deref()),
        subject: n
            .subject
            .unwrap_or_else(|| "{{ name }} : {{ top.title }}".to_owned()),
        max_articles,
        category_order: n.category_order.unwrap_or_default(),
        token_placeholder: n
            .token_placeholder
            .unwrap_or_else(|| "*|UNSUB_TOKEN|*".to_owned()),
        unsubscribe_url,
        unsubscribe_mailto: v
            .optional_address("unsubscribe_mailto", n.unsubscribe_mailto.as_deref()),
        list_id: n.list_id.unwrap_or_else(|| format!("newsletter.{domain}")),
        postal_address: n.postal_address.unwrap_or_default(),
        utm: n.utm.unwrap_or_default(),
        output_dir: root.join(n.output_dir.unwrap_or_else(|| "out/newsletter".to_owned())),
    }
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
        let loopback = h == "localhost"
            || h.parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if security == Security::None && !loopback && !allow_plaintext {
            v.err("smtp", None, "security", format!("\"none\" would send the message and password in clear text to {h}; use \"starttls\" or \"tls\", or set allow_plaintext = true if you really mean it"));
        }
    }
    Smtp {
        port: m.port.unwrap_or(match security {
            Security::Tls => 465,
            Security::StartTls => 587,
            Security::None => 25,
        }),
        host,
        security,
        username: m
            .username
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty()),
        password_env: m
            .password_env
            .unwrap_or_else(|| "MATINALE_SMTP_PASSWORD".to_owned()),
        timeout_s: m.timeout_s.unwrap_or(30).max(1),
        ca_file: m
            .ca_file
            .filter(|c| !c.trim().is_empty())
            .map(|c| root.join(c)),
        allow_plaintext,
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
    if max_delay_hours == 0 {
        v.err(
            "delivery",
            None,
            "max_delay_hours",
            "must be at least 1 (hours)",
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
