//! `matinale init`: a starter site, so that a first `matinale build` works
//! at once.
//!
//! In an empty folder: a commented `feed.toml` with the keys a site needs,
//! and `content/` with one example article dated within the first
//! newsletter edition's window, so that the build makes the feeds and an
//! edition. With a feed (`--from-feed`, a path or an http(s) URL): a
//! `feed.toml` whose source is that feed, its title, link, description and
//! language taken from it (RSS-to-email in one command).
//!
//! Never overwrites: every file is created only if it does not exist, and
//! any file already there stops the run before anything is written. A
//! `content/` folder that already holds files (a Hugo or Jekyll site's) is
//! left as it is, without an example.

use crate::config::Config;
use crate::error::{Error, Problem, Problems};
use chrono::{DateTime, Utc};
use std::io::Write;
use std::path::{Path, PathBuf};
use url::Url;

/// Where a new site's articles come from.
#[derive(Debug, Clone, Copy)]
pub enum Source<'a> {
    /// `content/`, with an example article.
    Example,
    /// An existing feed: a path (relative to the current folder) or an
    /// http(s) URL.
    Feed(&'a str),
}

/// What `init` did.
#[derive(Debug)]
pub struct Report {
    /// The files written, in order.
    pub written: Vec<PathBuf>,
    /// A `content/` that was already there, with files: no example added.
    pub kept_content: Option<PathBuf>,
    /// With a feed source: its items.
    pub items: Option<usize>,
}

/// What the new feed.toml says of the site.
struct SiteFields {
    title: String,
    url: String,
    description: String,
    language: String,
}

impl SiteFields {
    fn example() -> SiteFields {
        SiteFields {
            title: "My site".to_owned(),
            url: "https://www.example.com/".to_owned(),
            description: "News, every morning".to_owned(),
            language: "en".to_owned(),
        }
    }
}

/// Writes a starter site whose feed.toml is `config_path`. `now` dates the
/// example article.
pub fn init(config_path: &Path, source: Source<'_>, now: DateTime<Utc>) -> Result<Report, Error> {
    let root = config_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(PathBuf::new, Path::to_path_buf);
    refuse_existing(config_path)?;
    let (site, content, items) = match source {
        Source::Example => (SiteFields::example(), None, None),
        Source::Feed(feed) => {
            let (site, items) = read_feed(feed, config_path)?;
            (site, Some(feed_path(feed, &root)), Some(items))
        }
    };
    let text = feed_toml(&site, content.as_deref());
    // The starter must be a valid site: checked as a build would read it.
    let config =
        Config::parse(&text, config_path).map_err(|problems| Error::Invalid { problems })?;
    let mut written = Vec::new();
    let mut kept_content = None;
    if content.is_none() {
        let dir = &config.content.path;
        let has_files = std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some());
        if has_files {
            kept_content = Some(dir.clone());
        } else {
            let (name, article) = example_article(&config, now);
            let path = dir.join(name);
            refuse_existing(&path)?;
            std::fs::create_dir_all(dir).map_err(|source| Error::Write {
                path: dir.clone(),
                source,
            })?;
            create(&path, &article)?;
            written.push(path);
        }
    }
    // Last: a run stopped midway leaves no feed.toml, so it can run again.
    create(config_path, &text)?;
    written.insert(0, config_path.to_path_buf());
    Ok(Report {
        written,
        kept_content,
        items,
    })
}

fn refuse_existing(path: &Path) -> Result<(), Error> {
    if std::fs::symlink_metadata(path).is_ok() {
        return Err(Error::Exists {
            path: path.to_path_buf(),
        });
    }
    Ok(())
}

/// Creates `path` with `text`; a file that appeared meanwhile is kept.
fn create(path: &Path, text: &str) -> Result<(), Error> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Exists {
                    path: path.to_path_buf(),
                }
            } else {
                Error::Write {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| Error::Write {
            path: path.to_path_buf(),
            source,
        })
}

/// A local feed's path as feed.toml names it: relative to feed.toml's
/// folder when given relative to the current one.
fn feed_path(feed: &str, root: &Path) -> String {
    let remote = feed.starts_with("http://") || feed.starts_with("https://");
    if remote || root.as_os_str().is_empty() || Path::new(feed).is_absolute() {
        return feed.to_owned();
    }
    std::path::absolute(feed).map_or_else(|_| feed.to_owned(), |p| p.display().to_string())
}

/// Reads or fetches the feed, checks that matinale reads it, and takes the
/// site's fields from it.
fn read_feed(feed: &str, config_path: &Path) -> Result<(SiteFields, usize), Error> {
    let remote = feed.starts_with("http://") || feed.starts_with("https://");
    let (bytes, base) = if remote {
        let url = Url::parse(feed).map_err(|e| invalid(feed, format!("not a URL ({e})")))?;
        // No copy kept yet: the site's state folder does not exist.
        let nowhere = crate::layout::SourceCopy {
            body: PathBuf::new(),
            meta: PathBuf::new(),
        };
        let agent = format!("matinale/{} (init)", env!("CARGO_PKG_VERSION"));
        let fetched =
            crate::fetch::fetch(&url, std::time::Duration::from_secs(20), &agent, &nowhere)?;
        let body = match fetched {
            crate::fetch::Fetched::Fresh { body, .. }
            | crate::fetch::Fetched::Kept { body, .. } => body,
        };
        (body, Some(crate::fetch::without_credentials(&url)))
    } else {
        let bytes = std::fs::read(feed).map_err(|source| Error::ReadContent {
            path: PathBuf::from(feed),
            source,
        })?;
        (bytes, None)
    };
    let shown = crate::fetch::redact(feed).into_owned();
    let records =
        crate::content::foreign::parse(&bytes, base.as_ref()).map_err(|(line, message)| {
            Error::Invalid {
                problems: Problems(vec![Problem::new(Path::new(&shown), line, "", message)]),
            }
        })?;
    // Read without a guard: the guarded parse above succeeded on these
    // very bytes.
    let parsed = feed_rs::parser::parse(bytes.as_slice())
        .map_err(|e| invalid(&shown, format!("not a readable feed ({e})")))?;
    let mut site = SiteFields::example();
    if let Some(t) = parsed
        .title
        .as_ref()
        .map(|t| crate::text::plain(&t.content).into_owned())
    {
        if !t.is_empty() {
            site.title = t;
        }
    }
    let home = parsed
        .links
        .iter()
        .filter(|l| l.rel.as_deref().is_none_or(|r| r == "alternate"))
        .filter_map(|l| Url::parse(&l.href).ok())
        .find(|u| {
            matches!(u.scheme(), "http" | "https")
                && Some(u.as_str()) != base.as_ref().map(Url::as_str)
        })
        .or_else(|| base.as_ref().and_then(|b| b.join("/").ok()));
    if let Some(home) = home {
        site.url = home.to_string();
    }
    if let Some(d) = parsed.description.as_ref() {
        site.description = crate::text::plain(&d.content).into_owned();
    }
    if let Some(lang) = parsed.language.as_deref().map(str::trim) {
        let probe = format!(
            "[site]\ntitle = \"t\"\nurl = \"https://x.org/\"\nlanguage = {}\n",
            quoted(lang)
        );
        if Config::parse(&probe, config_path).is_ok() {
            site.language = lang.to_owned();
        }
    }
    Ok((site, records.len()))
}

fn invalid(what: &str, message: String) -> Error {
    Error::Invalid {
        problems: Problems(vec![Problem::new(Path::new(what), None, "", message)]),
    }
}

/// `s` as a TOML string.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// The commented feed.toml of a new site; `feed` is a feed source's path
/// or URL, `None` for the example's `content/`.
fn feed_toml(site: &SiteFields, feed: Option<&str>) -> String {
    let content = match feed {
        None => "source = \"markdown\"     # \"markdown\": a folder of .md files | \"jsonl\": a JSON Lines export | \"feed\": an RSS, Atom or JSON feed (a path or an http(s) URL)\npath = \"content\"\n# permalink = \"/{year}/{month}/{day}/{slug}/\"   # the URL of an article that gives none (Hugo, Jekyll sites)".to_owned(),
        Some(f) => format!(
            "source = \"feed\"         # RSS-to-email: the articles are this feed's items\npath = {}\ntimeout_s = 20          # for a feed fetched over http(s)",
            quoted(f)
        ),
    };
    format!(
        r#"# The configuration of this site, read by `matinale build` (and check,
# serve, send-test…). Paths are relative to this file. Every key except
# the site's title and url has a default: matinale's README lists them
# all. The examples in comments are those of matinale's sample site.

[site]
title = {title}               # e.g. "Journal du Geek"
url = {url}     # the site's home page, e.g. "https://www.journaldugeek.com/"
description = {description}
language = {language}                  # dates and labels of the pages and the newsletter, e.g. "fr-FR"
timezone = "UTC"                 # an IANA name, e.g. "Europe/Paris": dates are read and written in it
subscribe_path = "subscribe/"    # the "how to subscribe" page, under public/ (the sample's: "abonnement/")

[content]
{content}
on_invalid = "fail"     # "fail": report every problem and write nothing | "skip": leave bad articles out

[feeds]
output_dir = "public"   # where the feeds, pages and snippets are written
max_items = 50          # entries per feed; 0: every article
full_content = true     # the whole article in each entry (false: the summary)
per_category = true     # a feed per category too, under public/category/

# Calls to action, in order: they close every entry and the newsletter.
[[cta]]
id = "newsletter"
text = "Our newsletter, every morning."
label = "Subscribe"
url = {newsletter_url}

[newsletter]
from = {from}   # e.g. "Journal du Geek <newsletter@journaldugeek.com>"
send_time = "07:00"     # each edition's cutoff, in the site's time zone
lookback_days = 7       # how far back a late article is still carried
max_articles = 12
output_dir = "out/newsletter"   # the master copies for the sending platform, and the ledger
# name = "La Matinale"
# unsubscribe_url = "https://www.journaldugeek.com/newsletter/desinscription?token={{{{ token }}}}"

# Where `matinale send-test --to ADDR` sends a test (without a host: into
# out/outbox/). The password is read from the variable named here.
# [smtp]
# host = "smtp.example.com"
# port = 587
# security = "starttls"
# username = "newsletter@example.com"
# password_env = "MATINALE_SMTP_PASSWORD"
"#,
        title = quoted(&site.title),
        url = quoted(&site.url),
        description = quoted(&site.description),
        language = quoted(&site.language),
        newsletter_url = quoted(&format!("{}newsletter/", with_slash(&site.url))),
        from = quoted(&sender(site)),
    )
}

/// The newsletter's sender: the site's name, in the characters an
/// address's display name takes without quoting, at its domain.
fn sender(site: &SiteFields) -> String {
    let name: String = site
        .title
        .chars()
        .filter(|c| c.is_alphanumeric() || " -'.!&".contains(*c))
        .collect();
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let domain = Url::parse(&site.url)
        .ok()
        .and_then(|u| {
            u.host_str()
                .map(|h| h.trim_start_matches("www.").to_owned())
        })
        .unwrap_or_else(|| "example.com".to_owned());
    if name.is_empty() {
        format!("newsletter@{domain}")
    } else {
        format!("{name} <newsletter@{domain}>")
    }
}

fn with_slash(url: &str) -> String {
    if url.ends_with('/') {
        url.to_owned()
    } else {
        format!("{url}/")
    }
}

/// The example article's file name and text, dated an hour before the
/// cutoff of the edition due at `now`: inside the first edition's window.
fn example_article(config: &Config, now: DateTime<Utc>) -> (String, String) {
    let date = crate::newsletter::latest_due(config, now);
    let cutoff = crate::newsletter::cutoff(config, date);
    let published = (cutoff - chrono::Duration::hours(1)).with_timezone(&config.site.timezone);
    let day = published.format("%Y-%m-%d");
    let url = format!(
        "{}{day}/first-article/",
        with_slash(config.site.url.as_str())
    );
    let text = format!(
        r#"+++
# An article: TOML fields between the `+++` lines, then its body in
# Markdown. YAML between `---` lines works too, with Hugo's and Jekyll's
# field names (date, tags, description…).
title = "Our first article"
url = "{url}"
published = {published}
authors = ["The newsroom"]
categories = ["News"]
summary = "What this site is about, in one sentence: the standfirst that feeds and the newsletter show."
+++
This is the body of the article, in **Markdown**. Feeds carry it whole,
closed by the site's calls to action; the newsletter shows the summary.

Write the next article beside this one, then run `matinale build`.
"#,
        published = published.format("%Y-%m-%dT%H:%M:%S%:z"),
    );
    (format!("{day}-first-article.md"), text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starter_is_a_valid_site_whatever_the_feed_says() {
        for site in [
            SiteFields::example(),
            SiteFields {
                title: "L'\"Écho\" \\ du soir\n".to_owned(),
                url: "https://echo.example/".to_owned(),
                description: "a = \"b\"".to_owned(),
                language: "fr".to_owned(),
            },
        ] {
            for feed in [
                None,
                Some("https://echo.example/feed.xml"),
                Some("feeds/a \"b\".xml"),
            ] {
                let text = feed_toml(&site, feed);
                Config::parse(&text, Path::new("feed.toml"))
                    .unwrap_or_else(|e| panic!("{e}\n{text}"));
            }
        }
    }
}
