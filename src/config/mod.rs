//! Configuration: `feed.toml` read in two stages.
//!
//! Stage one ([`raw`]) is the serde shape of the file, with unknown keys
//! refused. Stage two ([`Config::from_raw`]) checks values and resolves
//! defaults and paths into a typed `Config` that the rest of matinale
//! trusts without re-checking. Every problem of both stages is reported as
//! `feed.toml:LINE: table.key: message`, all of them in one run.

pub mod raw;

use crate::error::{Error, Problem, Problems};
use chrono_tz::Tz;
use raw::RawConfig;
use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use url::Url;

/// The validated configuration of one site.
#[derive(Debug, Clone)]
pub struct Config {
    /// Path of `feed.toml` as given, for messages.
    pub path: PathBuf,
    /// Folder holding `feed.toml`: every relative path is resolved against it.
    pub root: PathBuf,
    pub site: Site,
    pub content: Content,
    pub feeds: Feeds,
    pub ctas: Vec<Cta>,
    pub newsletter: Newsletter,
    pub smtp: Smtp,
}

/// How `send-test` reaches the SMTP relay (`[smtp]`).
#[derive(Debug, Clone)]
pub struct Smtp {
    /// `None`: no relay; a test send is written to `out/outbox/`.
    pub host: Option<String>,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    /// The NAME of the environment variable holding the password.
    pub password_env: String,
    pub timeout_s: u64,
    /// Extra trusted CA (PEM), absolute.
    pub ca_file: Option<PathBuf>,
    pub allow_plaintext: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// Implicit TLS (usually port 465).
    Tls,
    /// STARTTLS, required: never silently downgraded (usually 587).
    StartTls,
    /// No encryption: loopback relays, or `allow_plaintext = true`.
    None,
}

impl Security {
    pub fn name(self) -> &'static str {
        match self {
            Security::Tls => "tls",
            Security::StartTls => "starttls",
            Security::None => "none",
        }
    }
}

/// The morning newsletter (`[newsletter]`).
#[derive(Debug, Clone)]
pub struct Newsletter {
    pub name: String,
    /// Each edition's cutoff, in the site's time zone.
    pub send_time: chrono::NaiveTime,
    pub lookback_days: u32,
    pub from: lettre::message::Mailbox,
    pub reply_to: Option<lettre::message::Mailbox>,
    /// MiniJinja template of the subject.
    pub subject: String,
    pub max_articles: usize,
    pub category_order: Vec<String>,
    /// The sending platform's merge tag for a subscriber's token.
    pub token_placeholder: String,
    /// MiniJinja template with `{{ token }}`.
    pub unsubscribe_url: String,
    pub unsubscribe_mailto: Option<lettre::Address>,
    pub list_id: String,
    pub postal_address: String,
    /// UTM parameters added to article links; values are templates with
    /// `{{ date }}`.
    pub utm: std::collections::BTreeMap<String, String>,
    /// Absolute (resolved against [`Config::root`]).
    pub output_dir: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Site {
    pub title: String,
    pub url: Url,
    pub description: String,
    /// BCP 47 tag, e.g. `fr-FR`.
    pub language: String,
    pub timezone: Tz,
    pub logo: Option<Url>,
    pub icon: Option<Url>,
    /// Relative to the feeds' output folder, ends with `/`.
    pub subscribe_path: String,
}

impl Site {
    /// The site's host, used for `tag:` URIs and Message-IDs.
    pub fn domain(&self) -> &str {
        self.url.host_str().unwrap_or("localhost")
    }

    /// How matinale introduces itself to HTTP servers: publishers and hubs
    /// can tell whose job it is.
    pub fn user_agent(&self) -> String {
        format!("matinale/{} (+{})", env!("CARGO_PKG_VERSION"), self.url)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    Markdown,
    Jsonl,
    /// An RSS, Atom or JSON feed (RSS-to-email).
    Feed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnInvalid {
    /// Report every problem and write nothing.
    Fail,
    /// Report, leave the bad articles out, build the rest.
    Skip,
}

#[derive(Debug, Clone)]
pub struct Content {
    pub source: SourceKind,
    /// Absolute (resolved against [`Config::root`]).
    pub path: PathBuf,
    pub on_invalid: OnInvalid,
    pub timeout_s: u64,
    /// A feed source given as an http(s) URL; `path` is then that URL, for
    /// messages, with its credentials hidden.
    pub remote: Option<Url>,
}

#[derive(Debug, Clone)]
pub struct Feeds {
    /// Absolute (resolved against [`Config::root`]).
    pub output_dir: PathBuf,
    /// Where `output_dir` is served; always ends with `/`.
    pub base_url: Url,
    /// `None` means every article (a complete, RFC 5005 full-history feed).
    pub max_items: Option<usize>,
    pub full_content: bool,
    pub per_category: bool,
    pub websub_hub: Option<Url>,
    /// For each request to the hub.
    pub websub_timeout_s: u64,
}

/// A call to action ("follow us on Google News"), shown in every channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cta {
    pub id: String,
    pub text: String,
    /// Link text; when the config gives none, the text itself is the link.
    pub label: Option<String>,
    pub url: Url,
}

impl Config {
    /// The site's state, next to feed.toml: the run lock, the ping record,
    /// the copy of a remote source.
    pub fn state_dir(&self) -> PathBuf {
        self.root.join(".matinale")
    }

    /// Reads and validates `feed.toml`.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let src = std::fs::read_to_string(path).map_err(|source| Error::ReadConfig {
            path: path.to_path_buf(),
            source,
        })?;
        Config::parse(&src, path).map_err(|problems| Error::Invalid { problems })
    }

    /// Parses and validates the text of a config file; `path` is used for
    /// messages and to resolve relative paths.
    pub fn parse(src: &str, path: &Path) -> Result<Config, Problems> {
        let raw: RawConfig = toml::from_str(src).map_err(|e| {
            let line = e.span().map(|s| line_of(src, s.start));
            let field = toml_error_field(src, line, e.message());
            Problems(vec![Problem::new(path, line, field, e.message().trim())])
        })?;
        Config::from_raw(raw, src, path)
    }

    /// Stage two: every value checked, defaults applied, paths resolved.
    pub fn from_raw(raw: RawConfig, src: &str, path: &Path) -> Result<Config, Problems> {
        let mut v = Validator {
            src,
            path,
            problems: Vec::new(),
        };
        let root = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            // `feed.toml` in the current folder: keep paths relative, as
            // the user wrote them, for readable messages.
            _ => PathBuf::new(),
        };

        let s = raw.site;
        let title = crate::content::text::plain(&s.title).into_owned();
        if title.is_empty() {
            v.err("site", None, "title", "must not be empty");
        }
        let site_url = v.http_url("site", None, "url", &s.url);
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
                    format!("unknown time zone `{tz_name}`; expected an IANA name such as \"Europe/Paris\""),
                );
                Tz::UTC
            }
        };
        let logo = v.optional_url("site", "logo", s.logo.as_deref());
        let icon = v.optional_url("site", "icon", s.icon.as_deref());
        let subscribe_path = s.subscribe_path.unwrap_or_else(|| "abonnement/".to_owned());
        if !is_safe_relative(&subscribe_path) {
            v.err(
                "site",
                None,
                "subscribe_path",
                format!("`{subscribe_path}` must be a relative path inside the output folder, e.g. \"abonnement/\""),
            );
        }
        let subscribe_path = format!("{}/", subscribe_path.trim_matches('/'));
        // Those folders hold the category feeds, the newsletter archive and
        // the partials: the page must not land on top of them.
        let top = subscribe_path.split('/').next().unwrap_or("");
        if ["category", "newsletter", "_partials"].contains(&top) {
            v.err(
                "site",
                None,
                "subscribe_path",
                format!("`{top}/` is where matinale writes other files; choose another folder, e.g. \"abonnement/\""),
            );
        }

        let c = raw.content;
        let source = match c.source.as_deref().unwrap_or("markdown") {
            "markdown" => SourceKind::Markdown,
            "jsonl" => SourceKind::Jsonl,
            "feed" => SourceKind::Feed,
            other => {
                v.err(
                    "content",
                    None,
                    "source",
                    format!(
                        "unknown source `{other}`; expected \"markdown\", \"jsonl\" or \"feed\""
                    ),
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
        let content = Content {
            source,
            path: match &remote {
                Some(u) => PathBuf::from(crate::fetch::redacted(u)),
                None => root.join(raw_path),
            },
            on_invalid,
            timeout_s,
            remote,
        };

        let f = raw.feeds;
        let base_url = match f.base_url.as_deref() {
            Some(u) => v.http_url("feeds", None, "base_url", u),
            None => site_url.clone(),
        }
        .map(|mut u| {
            if !u.path().ends_with('/') {
                let p = format!("{}/", u.path());
                u.set_path(&p);
            }
            u
        });
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

        let mut ctas = Vec::new();
        let mut ids = BTreeSet::new();
        for (i, c) in raw.cta.into_iter().enumerate() {
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
            let text = crate::content::text::plain(&c.text).into_owned();
            if text.is_empty() {
                v.err("cta", Some(i), "text", "must not be empty");
            }
            let label = c
                .label
                .map(|l| crate::content::text::plain(&l).into_owned())
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

        let n = raw.newsletter;
        let domain = site_url
            .as_ref()
            .and_then(|u| u.host_str())
            .unwrap_or("localhost")
            .to_owned();
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
                title.replace(['<', '>', '"'], "")
            )
        });
        let from = from_text.parse::<lettre::message::Mailbox>().unwrap_or_else(|e| {
            v.err("newsletter", None, "from", format!("`{from_text}` is not an address ({e}); expected e.g. \"Site <newsletter@example.com>\""));
            lettre::message::Mailbox::new(None, lettre::Address::new("newsletter", "localhost").expect("valid"))
        });
        let reply_to = match n.reply_to.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(r) => r
                .parse::<lettre::message::Mailbox>()
                .map_err(|e| {
                    v.err(
                        "newsletter",
                        None,
                        "reply_to",
                        format!("`{r}` is not an address ({e})"),
                    );
                })
                .ok(),
        };
        let unsubscribe_mailto = match n.unsubscribe_mailto.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(a) => a
                .parse::<lettre::Address>()
                .map_err(|e| {
                    v.err(
                        "newsletter",
                        None,
                        "unsubscribe_mailto",
                        format!("`{a}` is not an address ({e})"),
                    );
                })
                .ok(),
        };
        let unsubscribe_url = n.unsubscribe_url.unwrap_or_else(|| {
            format!(
                "{}newsletter/?unsubscribe={{{{ token }}}}",
                site_url.as_ref().map_or("", |u| u.as_str())
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
        let newsletter = Newsletter {
            name: n
                .name
                .map(|s| crate::content::text::plain(&s).into_owned())
                .unwrap_or_else(|| title.clone()),
            send_time,
            lookback_days: n.lookback_days.unwrap_or(7).max(1),
            from,
            reply_to,
            subject: n
                .subject
                .unwrap_or_else(|| "{{ name }} : {{ top.title }}".to_owned()),
            max_articles,
            category_order: n.category_order.unwrap_or_default(),
            token_placeholder: n
                .token_placeholder
                .unwrap_or_else(|| "*|UNSUB_TOKEN|*".to_owned()),
            unsubscribe_url,
            unsubscribe_mailto,
            list_id: n.list_id.unwrap_or_else(|| format!("newsletter.{domain}")),
            postal_address: n.postal_address.unwrap_or_default(),
            utm: n.utm.unwrap_or_default(),
            output_dir: root.join(n.output_dir.unwrap_or_else(|| "out/newsletter".to_owned())),
        };

        let m = raw.smtp;
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
        let smtp = Smtp {
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
        };

        if !v.problems.is_empty() {
            return Err(Problems(v.problems).sorted());
        }
        let (Some(url), Some(base_url)) = (site_url, base_url) else {
            unreachable!("a missing URL was reported as a problem")
        };
        Ok(Config {
            path: path.to_path_buf(),
            site: Site {
                title,
                url,
                description: crate::content::text::plain(s.description.as_deref().unwrap_or(""))
                    .into_owned(),
                language,
                timezone,
                logo,
                icon,
                subscribe_path,
            },
            content,
            feeds: Feeds {
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
            },
            ctas,
            newsletter,
            smtp,
            root,
        })
    }
}

struct Validator<'a> {
    src: &'a str,
    path: &'a Path,
    problems: Vec<Problem>,
}

impl Validator<'_> {
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
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The header (`site`, `cta`) of the table a line belongs to.
fn table_at(src: &str, line: usize) -> Option<String> {
    src.lines()
        .take(line)
        .filter_map(table_header)
        .last()
        .map(str::to_owned)
}

fn table_header(line: &str) -> Option<&str> {
    let t = line.trim();
    if !t.starts_with('[') {
        return None;
    }
    let end = t.find(']')?;
    Some(t[..end].trim_start_matches('[').trim())
}

/// Names the field a TOML parse error is about, as `table.key` when the
/// message quotes the key (unknown or missing field).
fn toml_error_field(src: &str, line: Option<usize>, message: &str) -> String {
    let table = line.and_then(|l| table_at(src, l)).unwrap_or_default();
    let key = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split('`').next());
    match (table.is_empty(), key) {
        (false, Some(k)) => format!("{table}.{k}"),
        (true, Some(k)) => k.to_owned(),
        (false, None) => table,
        (true, None) => String::new(),
    }
}

/// Line of `key = …` in `[table]` (or in the `index`-th `[[table]]`).
fn key_line(src: &str, table: &str, index: Option<usize>, key: &str) -> Option<usize> {
    let mut current: Option<&str> = None;
    let mut seen = 0usize;
    let mut in_target = false;
    for (n, line) in src.lines().enumerate() {
        if let Some(h) = table_header(line) {
            current = Some(h);
            in_target = h == table
                && match index {
                    Some(i) => {
                        let hit = seen == i;
                        seen += 1;
                        hit
                    }
                    None => true,
                };
            continue;
        }
        if in_target && current.is_some() {
            let t = line.trim_start();
            if let Some(rest) = t.strip_prefix(key) {
                if rest.trim_start().starts_with('=') {
                    return Some(n + 1);
                }
            }
        }
    }
    None
}

fn is_language_tag(s: &str) -> bool {
    let mut parts = s.split('-');
    let first = parts.next().unwrap_or("");
    (2..=3).contains(&first.len())
        && first.bytes().all(|b| b.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// A path that stays inside the folder it is joined to.
pub(crate) fn is_safe_relative(s: &str) -> bool {
    let p = Path::new(s);
    !s.is_empty()
        && p.components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "[site]\ntitle = \"T\"\nurl = \"https://ex.org\"\n";

    #[test]
    fn defaults_apply() {
        let c = Config::parse(MINIMAL, Path::new("dir/feed.toml")).unwrap();
        assert_eq!(c.feeds.base_url.as_str(), "https://ex.org/");
        assert_eq!(c.feeds.max_items, Some(50));
        assert_eq!(c.content.path, Path::new("dir/content"));
        assert_eq!(c.site.timezone, Tz::UTC);
    }

    #[test]
    fn unknown_key_names_line_and_table() {
        let src = format!("{MINIMAL}\n[feeds]\nmax_itemz = 3\n");
        let e = Config::parse(&src, Path::new("feed.toml")).unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("feed.toml:6: feeds.max_itemz: unknown field `max_itemz`"),
            "{text}"
        );
    }

    #[test]
    fn every_value_problem_is_reported_once_with_its_line() {
        let src = "[site]\ntitle = \"\"\nurl = \"ftp://x\"\ntimezone = \"Mars/Olympus\"\n\n[[cta]]\nid = \"a\"\ntext = \"x\"\nurl = \"https://x.org\"\n\n[[cta]]\nid = \"a\"\ntext = \"y\"\nurl = \"nope\"\n";
        let e = Config::parse(src, Path::new("f.toml")).unwrap_err();
        let lines: Vec<String> = e.0.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            lines,
            vec![
                "f.toml:2: site.title: must not be empty",
                "f.toml:3: site.url: `ftp://x` is not an absolute http(s) URL; expected e.g. \"https://www.example.com/\"",
                "f.toml:4: site.timezone: unknown time zone `Mars/Olympus`; expected an IANA name such as \"Europe/Paris\"",
                "f.toml:12: cta[1].id: `a` is used by an earlier [[cta]]",
                "f.toml:14: cta[1].url: `nope` is not an absolute http(s) URL; expected e.g. \"https://www.example.com/\"",
            ]
        );
    }
}
