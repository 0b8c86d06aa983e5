//! The site's own pages and snippets: the subscribe page, the newsletter
//! archive and the feed of its editions, and the two partials the site's
//! templates include (`<head>` autodiscovery links, the calls-to-action
//! block).
//!
//! Browsers no longer render feeds (Chrome dropped XSLT), so the subscribe
//! page is where a reader learns to subscribe. Every page is rendered from
//! one context, built here from the feeds of the build, the ledger and
//! feed.toml: one source of truth for URLs and calls to action. Pure: the
//! caller writes the pages.

use crate::config::Config;
use crate::content::{Article, Origin};
use crate::error::Error;
use crate::feed::{self, Feed, FeedUrls, Item};
use crate::layout::Page as PageKind;
use crate::newsletter::ledger::{Entry, Ledger};
use crate::templates::long_date;
use crate::templates::Templates;
use crate::text::escape_html;
use minijinja::value::Serde;
use minijinja::Value;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::Arc;
use url::Url;

/// Headlines on the subscribe page.
const HEADLINES: usize = 10;

/// One page, by its path under the feeds' output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub path: String,
    pub html: String,
}

/// The subscribe page, the archive page and the partials.
pub fn render(
    config: &Config,
    templates: &Templates,
    feeds: &[Feed<'_>],
    ledger: &Ledger,
) -> Result<Vec<Page>, Error> {
    let ctx = context(config, templates, feeds, ledger)?;
    let env = templates.environment()?;
    PageKind::ALL
        .into_iter()
        .map(|page| {
            let mut html = templates.render(&env, template(page), &ctx)?;
            if !html.ends_with('\n') {
                html.push('\n');
            }
            Ok(Page {
                path: config.layout.page(page),
                html,
            })
        })
        .collect()
}

/// The built-in template (or the site's override) of each page.
fn template(page: PageKind) -> &'static str {
    match page {
        PageKind::Subscribe => "subscribe.html.j2",
        PageKind::Archive => "archive.html.j2",
        PageKind::HeadPartial => "head.html.j2",
        PageKind::CtaPartial => "cta.html.j2",
        PageKind::SignupPartial => "signup.html.j2",
    }
}

/// Absolute URL of a path under the output folder.
fn url_of(config: &Config, path: &str) -> Url {
    config.layout.url(path)
}

#[derive(Serialize)]
struct Readers {
    feedly: String,
    inoreader: String,
    netnewswire: String,
}

impl Readers {
    /// Links that open `feed` in the common readers.
    fn of(feed: &Url) -> Readers {
        let encoded: String =
            url::form_urlencoded::byte_serialize(feed.as_str().as_bytes()).collect();
        Readers {
            feedly: format!("https://feedly.com/i/subscription/feed%2F{encoded}"),
            inoreader: format!("https://www.inoreader.com/?add_feed={encoded}"),
            // NetNewsWire (and most desktop readers) register the feed: scheme.
            netnewswire: format!("feed:{feed}"),
        }
    }
}

#[derive(Serialize)]
struct FeedCtx {
    title: String,
    category: Option<String>,
    rss: String,
    atom: String,
    json: String,
    readers: Readers,
}

impl FeedCtx {
    fn new(title: &str, category: Option<String>, urls: &FeedUrls) -> FeedCtx {
        FeedCtx {
            title: title.to_owned(),
            category,
            rss: urls.rss.to_string(),
            atom: urls.atom.to_string(),
            json: urls.json.to_string(),
            readers: Readers::of(&urls.rss),
        }
    }
}

#[derive(Serialize)]
struct HeadlineCtx {
    title: String,
    url: String,
    datetime: String,
    date_long: String,
}

#[derive(Serialize)]
struct EditionCtx<'a> {
    date: String,
    date_long: String,
    subject: String,
    preheader: &'a str,
    url: String,
    count: usize,
    headlines: &'a [crate::newsletter::ledger::Headline],
}

/// The title of a past edition: its subject, or for an edition recorded
/// before subjects were, the newsletter's name and the date.
fn edition_title(config: &Config, e: &Entry) -> String {
    if e.subject.is_empty() {
        format!(
            "{} — {}",
            config.newsletter.name,
            long_date(&config.site.language, e.date)
        )
    } else {
        e.subject.clone()
    }
}

fn edition_ctx<'a>(config: &Config, e: &'a Entry) -> EditionCtx<'a> {
    EditionCtx {
        date: e.date.to_string(),
        date_long: long_date(&config.site.language, e.date),
        subject: edition_title(config, e),
        preheader: &e.preheader,
        url: url_of(config, &config.layout.web_copy(e.date)).to_string(),
        count: e.articles.len(),
        headlines: &e.headlines,
    }
}

/// The URLs of the feed of editions.
fn editions_urls(config: &Config) -> FeedUrls {
    config.layout.feed_urls(&config.layout.editions_feed_dir())
}

fn context(
    config: &Config,
    templates: &Templates,
    feeds: &[Feed<'_>],
    ledger: &Ledger,
) -> Result<Value, Error> {
    let site = &config.site;
    let tz = site.timezone;
    let feed_list: Vec<FeedCtx> = feeds
        .iter()
        .map(|f| FeedCtx::new(&f.title, f.category.clone(), &f.urls))
        .collect();
    let headlines: Vec<HeadlineCtx> = feeds
        .first()
        .map(|f| {
            f.entries
                .iter()
                .take(HEADLINES)
                .map(|i| {
                    let a = &i.article;
                    let local = a.published.with_timezone(&tz);
                    HeadlineCtx {
                        title: a.title.clone(),
                        url: a.url.to_string(),
                        datetime: local.to_rfc3339(),
                        date_long: long_date(&config.site.language, local.date_naive()),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let editions: Vec<EditionCtx> = ledger
        .editions
        .iter()
        .rev()
        .map(|e| edition_ctx(config, e))
        .collect();
    let latest = ledger.last().map(|e| {
        let c = edition_ctx(config, e);
        minijinja::context! { date => c.date, date_long => c.date_long, subject => c.subject, url => c.url }
    });
    let editions_urls = editions_urls(config);
    let newsletter = FeedCtx::new(&config.newsletter.name, None, &editions_urls);
    let ctas = crate::templates::cta_values(&config.ctas);
    let subscribe_url = url_of(config, &config.layout.page_dir(PageKind::Subscribe)).to_string();
    Ok(minijinja::context! {
        site => minijinja::context! {
            title => site.title.clone(),
            url => site.url.to_string(),
            description => site.description.clone(),
            language => site.language.clone(),
            lang => site.language.split('-').next().unwrap_or("en").to_ascii_lowercase(),
            logo => site.logo.as_ref().map(|u| u.to_string()),
            icon => site.icon.as_ref().map(|u| u.to_string()),
        },
        subscribe_url => subscribe_url,
        feeds => Value::from(Serde(&feed_list)),
        newsletter => minijinja::context! {
            name => newsletter.title,
            url => url_of(config, &config.layout.page_dir(PageKind::Archive)).to_string(),
            rss => newsletter.rss,
            atom => newsletter.atom,
            json => newsletter.json,
            readers => Value::from(Serde(&newsletter.readers)),
        },
        ctas => ctas,
        headlines => Value::from(Serde(&headlines)),
        latest => latest,
        editions => Value::from(Serde(&editions)),
        signup => config.newsletter.signup.as_ref().map(crate::templates::signup_value),
        labels => labels(templates, &site.language)?,
    })
}

/// The fixed words in the site's language; a word a site's own
/// labels.toml lacks (written before the word existed) is the built-in
/// one, so that a new word of the pages does not break its build.
fn labels(templates: &Templates, language: &str) -> Result<BTreeMap<String, String>, Error> {
    let mut all = Templates::builtin().labels(language)?;
    all.extend(templates.labels(language)?);
    Ok(all)
}

/// The feed of newsletter editions, newest first: each entry links the
/// edition's web copy and lists its headlines.
pub fn editions_feed<'a>(
    config: &'a Config,
    ledger: &Ledger,
    ledger_path: &std::path::Path,
    read_edition: &str,
) -> Feed<'a> {
    let origin = Origin {
        path: Arc::from(ledger_path),
        line: 0,
    };
    let shown = config.feeds.max_items.unwrap_or(usize::MAX);
    let entries: Vec<Arc<Item>> = ledger
        .editions
        .iter()
        .rev()
        .take(shown)
        .map(|e| {
            let url = url_of(config, &config.layout.web_copy(e.date));
            let mut html = String::new();
            if !e.preheader.is_empty() {
                html.push_str(&format!("<p>{}</p>\n", escape_html(&e.preheader)));
            }
            if !e.headlines.is_empty() {
                html.push_str("<ul>\n");
                for h in &e.headlines {
                    html.push_str(&format!(
                        "<li><a href=\"{}\">{}</a></li>\n",
                        escape_html(&h.url),
                        escape_html(&h.title)
                    ));
                }
                html.push_str("</ul>\n");
            }
            html.push_str(&format!(
                "<p><a href=\"{}\">{}</a></p>",
                escape_html(url.as_str()),
                escape_html(read_edition)
            ));
            let content = config.feeds.full_content.then(|| {
                feed::append_ctas(&mut html, &config.ctas);
                html
            });
            let summary = if e.preheader.is_empty() {
                edition_title(config, e)
            } else {
                e.preheader.clone()
            };
            Arc::new(Item {
                article: Arc::new(Article {
                    origin: origin.clone(),
                    id: url.to_string(),
                    title: edition_title(config, e),
                    url,
                    published: e.cutoff,
                    updated: e.cutoff,
                    // Feed-to-email tools name the sender after the
                    // author: the newsletter, not its site.
                    authors: vec![crate::content::Author {
                        name: config.newsletter.name.clone(),
                        email: None,
                        url: None,
                    }],
                    categories: Vec::new(),
                    summary: Some(summary.clone()),
                    body: None,
                    image: None,
                    comments: None,
                    featured: false,
                }),
                summary,
                content,
                key: 0,
                facts: Default::default(),
                reused: None,
            })
        })
        .collect();
    let mut f = Feed::new(
        config,
        config.layout.editions_feed_dir(),
        format!("{} — {}", config.site.title, config.newsletter.name),
        entries,
        shown >= ledger.editions.len(),
        &Arc::new(BTreeMap::new()),
    );
    f.home = url_of(config, &config.layout.page_dir(PageKind::Archive));
    f
}
