//! Configuration: `feed.toml` read in two stages.
//!
//! Stage one ([`raw`]) is the serde shape of the file, with unknown keys
//! refused. Stage two ([`Config::from_raw`], one function per table in
//! `validate`) checks values and resolves defaults and paths into a typed
//! `Config` that the rest of matinale trusts without re-checking. Every
//! problem of both stages is reported as `feed.toml:LINE: table.key:
//! message` (`locate` finds the line), all of them in one run.
//!
//! Of the rest of the crate, configuration uses only [`crate::error`] (the
//! problem report), [`crate::text`], the folder names of [`crate::layout`]
//! (and the URL of its signup form, where the newsletter's call to action
//! leads), and the URL helpers of [`crate::fetch`] (credentials hidden, escapes
//! decoded): every other module may depend on it.

mod locate;
pub mod permalink;
pub mod raw;
mod validate;

use crate::error::{Error, Problem, Problems};
use crate::layout::Layout;
use crate::text::line_of;
use chrono_tz::Tz;
use raw::RawConfig;
use std::path::{Component, Path, PathBuf};
use url::Url;
use validate::Validator;

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
    pub sitemaps: Sitemaps,
    /// How `deliver` hands each edition over; `None`: it does not.
    pub delivery: Option<Delivery>,
    /// Where every output and state file goes, computed from the above.
    pub layout: Layout,
}

/// The sitemaps for search engines and Google News (`[sitemaps]`).
#[derive(Debug, Clone)]
pub struct Sitemaps {
    /// `false`: no sitemap and no robots.txt lines are written, and those
    /// an earlier build wrote are deleted.
    pub enabled: bool,
    /// The Google News sitemap too (with `enabled`).
    pub news: bool,
    /// `<news:name>`: the name Google News knows the publication by.
    pub publication_name: String,
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

/// How `deliver` hands each edition to the engine that sends it to the
/// subscribers (`[delivery]`): a list server behind the site's MTA, or a
/// platform's inbound address.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub method: DeliveryMethod,
    /// The list's posting address, or the platform's inbound address: the
    /// envelope's recipient and the `To:` of the copy handed over.
    pub to: lettre::Address,
    /// An edition this late past its send time is not delivered unless
    /// named with `--date`.
    pub max_delay_hours: u32,
    /// The body's unsubscribe link when `[newsletter] unsubscribe_url` is
    /// not set: the list engine's leave address, as a `mailto:` link.
    pub unsubscribe_link: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryMethod {
    /// Through the `[smtp]` relay, to [`Delivery::to`].
    Smtp,
    /// The message on the standard input of this program and its
    /// arguments (e.g. `sendmail -t -i`).
    Command(Vec<String>),
}

impl DeliveryMethod {
    pub fn name(&self) -> &'static str {
        match self {
            DeliveryMethod::Smtp => "smtp",
            DeliveryMethod::Command(_) => "command",
        }
    }
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
    /// Where readers sign up; `None`: no form is drawn anywhere.
    pub signup: Option<Signup>,
}

/// The sending platform's signup endpoint (`[newsletter.signup]`): the
/// form every page and web copy carries posts there. matinale keeps no
/// subscriber itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signup {
    /// Where the form posts.
    pub action: Url,
    /// The name of the e-mail field the platform reads.
    pub email_field: String,
    /// Hidden fields the platform needs (a list id…), by name.
    pub fields: std::collections::BTreeMap<String, String>,
    /// A list engine's join address, offered as a `mailto:` link.
    pub mailto: Option<lettre::Address>,
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
    /// messages.
    pub remote: Option<Url>,
    /// The line of `path` in feed.toml (none when it is the default), for
    /// a source that turns out to be missing.
    pub path_line: Option<usize>,
    /// The URL of a Markdown article without `url`.
    pub permalink: Option<permalink::Permalink>,
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
    /// Reads and validates `feed.toml`.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let src = std::fs::read_to_string(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                Error::NoConfig {
                    path: path.to_path_buf(),
                }
            } else {
                Error::ReadConfig {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        Config::parse(&src, path).map_err(|problems| Error::Invalid { problems })
    }

    /// Parses and validates the text of a config file; `path` is used for
    /// messages and to resolve relative paths.
    pub fn parse(src: &str, path: &Path) -> Result<Config, Problems> {
        let raw: RawConfig = toml::from_str(src).map_err(|e| {
            let line = e.span().map(|s| line_of(src, s.start));
            let field = locate::toml_error_field(src, line, e.message());
            Problems(vec![Problem::new(path, line, field, e.message().trim())])
        })?;
        Config::from_raw(raw, src, path)
    }

    /// Stage two: every value checked, defaults applied, paths resolved,
    /// one table after the other.
    pub fn from_raw(raw: RawConfig, src: &str, path: &Path) -> Result<Config, Problems> {
        let mut v = Validator::new(src, path);
        let root = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            // `feed.toml` in the current folder: keep paths relative, as
            // the user wrote them, for readable messages.
            _ => PathBuf::new(),
        };
        let site = validate::site(raw.site, &mut v);
        let content = validate::content(raw.content, &root, &mut v);
        let feeds = validate::feeds(raw.feeds, &site, &root, &mut v);
        let mut ctas = validate::ctas(raw.cta, &mut v);
        // Whether the body's unsubscribe link is the site's own page, before
        // the default fills it in.
        let unsubscribe_url_set = raw
            .newsletter
            .unsubscribe_url
            .as_deref()
            .is_some_and(|u| !u.trim().is_empty());
        let newsletter = validate::newsletter(raw.newsletter, &site, &root, &mut v);
        let smtp = validate::smtp(raw.smtp, &root, &mut v);
        let sitemaps = validate::sitemaps(raw.sitemaps, &site, &mut v);
        let delivery = raw
            .delivery
            .map(|d| validate::delivery(d, &newsletter, unsubscribe_url_set, &smtp, &mut v));
        validate::folders(&root, &content, &feeds, &newsletter, &mut v);
        v.finish()?;
        let layout = Layout::new(
            &root,
            &feeds.output_dir,
            &feeds.base_url,
            &newsletter.output_dir,
            &site.subscribe_path,
        );
        if newsletter.signup.is_some() {
            validate::newsletter_cta_to_form(&mut ctas, &layout);
        }
        Ok(Config {
            path: path.to_path_buf(),
            site,
            content,
            feeds,
            ctas,
            newsletter,
            smtp,
            sitemaps,
            delivery,
            layout,
            root,
        })
    }
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
        assert!(c.sitemaps.enabled && c.sitemaps.news);
        assert_eq!(c.sitemaps.publication_name, "T");
    }

    #[test]
    fn a_subscribe_path_with_spaces_at_a_segment_s_end_is_refused() {
        for path in [" ", " /x/", "x /"] {
            let src = format!("{MINIMAL}subscribe_path = \"{path}\"\n");
            let e = Config::parse(&src, Path::new("feed.toml")).unwrap_err();
            assert_eq!(
                e.to_string(),
                format!("feed.toml:4: site.subscribe_path: `{path}` must be a relative folder inside the output folder, made of plain path segments, e.g. \"abonnement/\"")
            );
        }
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
    fn a_refused_site_url_still_lets_the_defaults_derived_from_the_site_be_checked() {
        // The default sender is made of the title and, without a usable
        // site URL, `localhost`: a title that breaks it is reported too.
        let src = "[site]\ntitle = \"Le Fil, matin\"\nurl = \"nope\"\n";
        let e = Config::parse(src, Path::new("f.toml")).unwrap_err();
        let lines: Vec<String> = e.0.iter().map(|p| p.to_string()).collect();
        assert_eq!(
            lines,
            vec![
                "f.toml: newsletter.from: `Le Fil, matin <newsletter@localhost>` is not an address (Invalid input); expected e.g. \"Site <newsletter@example.com>\"",
                "f.toml:3: site.url: `nope` is not an absolute http(s) URL; expected e.g. \"https://www.example.com/\"",
            ]
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
                "f.toml:14: cta[1].url: `nope` is neither an absolute http(s) URL nor a mailto: link to one address; expected e.g. \"https://www.example.com/\" or \"mailto:redaction@example.com\"",
            ]
        );
    }
}
