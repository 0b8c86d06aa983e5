//! An edition as an email: subject, HTML (CSS inlined) and text parts, and
//! the MIME message with the list headers mailbox providers require.
//!
//! Pure: templates come in loaded, the date and the articles come in
//! decided; the same edition always gives the same bytes (Date is the
//! edition's cutoff, the Message-ID and MIME boundary derive from it). A
//! test send is the one new message each time: its time and the random
//! part of its Message-ID come in from the caller ([`Sent`]).
//!
//! An email stays under [`HTML_LIMIT`] on any day, however many articles
//! it carries: it shows less and less of them ([`Cut`]) until it fits; the
//! web copy shows everything.
//!
//! The web copy ([`Recipient::Web`]) is a web page, not the email: it
//! carries the signup form and what a shared link shows, and none of what
//! only a subscriber's email says (its own address, why it came, how to
//! leave). The email asks no subscriber to subscribe: the newsletter's
//! call to action is left out, and forwarding the edition offered.

use super::Layout;
use crate::config::Config;
use crate::content::Article;
use crate::error::{Error, Problem, Problems};
use crate::stable_hash::fnv1a64;
use crate::templates::Templates;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
use serde::Serialize;
use std::collections::BTreeMap;

/// The id of the call to action that asks readers to subscribe.
const NEWSLETTER_CTA: &str = "newsletter";

/// Gmail clips a message at about 102 KB of source; stay well under.
pub const HTML_LIMIT: usize = 80 * 1024;

/// The most characters of a title the subject carries: relays refuse a
/// header line over 998 octets, and lettre folds a header only between
/// words; mail clients show far less anyway.
pub const SUBJECT_TITLE_CHARS: usize = 200;

/// Who a rendering is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// The master copy for the sending platform: the token is its merge tag.
    Platform,
    /// The web copy: no personal link.
    Web,
    /// A test send to this address.
    Test(String),
}

/// One rendered edition.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
    /// The edition's preheader, plain text.
    pub preheader: String,
    /// How much the email had to be cut to stay under [`HTML_LIMIT`].
    pub cut: Cut,
    /// Still over [`HTML_LIMIT`] at the last cut: texts that no cut
    /// shortens (the site's own template, its calls to action, URLs) are
    /// too long.
    pub over_limit: bool,
    shown: Shown,
    /// The unsubscribe link in the body, which the List-Unsubscribe header
    /// repeats.
    pub unsubscribe: String,
}

#[derive(Serialize, Clone)]
struct ArticleCtx {
    title: String,
    url: String,
    summary: String,
    category: String,
    authors: String,
    time: String,
    image: Option<ImageCtx>,
}

#[derive(Serialize, Clone)]
struct ImageCtx {
    url: String,
    alt: String,
    width: u32,
    height: u32,
}

#[derive(Serialize, Clone)]
struct Link {
    title: String,
    url: String,
}

fn utm_url(config: &Config, a: &Article, date: NaiveDate) -> String {
    let mut url = a.url.clone();
    if !config.newsletter.utm.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in &config.newsletter.utm {
            pairs.append_pair(
                &format!("utm_{k}"),
                &v.replace("{{ date }}", &date.to_string()),
            );
        }
    }
    url.to_string()
}

fn article_ctx(config: &Config, a: &Article, date: NaiveDate) -> ArticleCtx {
    ArticleCtx {
        title: a.title.clone(),
        url: utm_url(config, a, date),
        summary: a.summary.clone().unwrap_or_default(),
        category: a.categories.first().cloned().unwrap_or_default(),
        authors: a
            .authors
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        time: a
            .published
            .with_timezone(&config.site.timezone)
            .format("%H:%M")
            .to_string(),
        image: a.image.as_ref().map(|i| ImageCtx {
            url: i.url.to_string(),
            alt: i.alt.clone(),
            // Width and height are required on every image of the email;
            // without them, assume the usual 16:9 of a news photo.
            width: i.width.unwrap_or(1200),
            height: i.height.unwrap_or_else(|| i.width.unwrap_or(1200) * 9 / 16),
        }),
    }
}

/// The unsubscribe link for a recipient.
pub fn unsubscribe_url(
    config: &Config,
    templates: &Templates,
    to: &Recipient,
) -> Result<String, Error> {
    // Handed to a list engine with no unsubscribe page of its own: its
    // leave address.
    if let (Some(link), Recipient::Platform | Recipient::Test(_)) = (
        config
            .delivery
            .as_ref()
            .and_then(|d| d.unsubscribe_link.as_ref()),
        to,
    ) {
        return Ok(link.clone());
    }
    let token = match to {
        Recipient::Platform => config.newsletter.token_placeholder.clone(),
        Recipient::Web => return Ok(newsletter_page(config)),
        Recipient::Test(addr) => format!("test-{:016x}", fnv1a64(addr.as_bytes())),
    };
    let env = minijinja::Environment::new();
    env.render_str(
        &config.newsletter.unsubscribe_url,
        minijinja::context! { token => token },
    )
    .map_err(|e| templates.invalid("feed.toml [newsletter] unsubscribe_url", &e))
}

/// Where the web copy's unsubscribe link goes: the newsletter's call to
/// action when there is one, else the subscribe page.
fn newsletter_page(config: &Config) -> String {
    config
        .ctas
        .iter()
        .find(|c| c.id == NEWSLETTER_CTA)
        .map(|c| c.url.to_string())
        .unwrap_or_else(|| {
            config
                .feeds
                .base_url
                .join(&config.site.subscribe_path)
                .map(|u| u.to_string())
                .unwrap_or_else(|_| config.site.url.to_string())
        })
}

/// How much of an edition an email shows. Each cut shows less than the
/// one before; the first whose HTML is under [`HTML_LIMIT`] is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Every section in full.
    None,
    /// The sections' articles listed by title, before the "also published"
    /// ones.
    Titles,
    /// Titles only, and in the HTML the texts an article may make as long
    /// as it likes (the top story's title, standfirst, authors and
    /// category, each listed title) shortened, and the top image left out.
    Short,
}

/// Titles listed under "also published" in an email at most: each costs
/// some 350 bytes of HTML. The others are counted, with a link to the web
/// copy, which lists them all.
pub const ALSO_SHOWN: usize = 30;

/// The cuts tried in turn, with the titles listed at most. At the last
/// one, what comes before the footer no longer grows with the number of
/// articles nor with the length of their texts (only a site's template,
/// its calls to action and its URLs can still push the footer, and its
/// unsubscribe link, past where Gmail clips).
const STEPS: [(Cut, usize); 5] = [
    (Cut::None, ALSO_SHOWN),
    (Cut::Titles, ALSO_SHOWN),
    (Cut::Titles, 10),
    (Cut::Short, 10),
    (Cut::Short, 0),
];

/// What [`Cut::Short`] leaves of each text, in characters.
const SHORT_TITLE: usize = 150;
const SHORT_SUMMARY: usize = 300;
const SHORT_NAMES: usize = 80;

/// Next headlines the default preheader names.
const PREHEADER_HEADLINES: usize = 3;

/// What an email shows of its edition, whatever the cut that got there.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Shown {
    /// Texts shortened.
    short: bool,
    /// Sections in full.
    sections: bool,
    /// Titles listed.
    titles: usize,
}

/// The most characters of a preheader: an inbox shows about half as many.
const PREHEADER_CHARS: usize = 300;

/// Renders the edition of `date` for `to`: the web copy whole, an email
/// cut as little as it takes to stay under [`HTML_LIMIT`].
pub fn render(
    config: &Config,
    templates: &Templates,
    date: NaiveDate,
    layout: &Layout,
    to: &Recipient,
) -> Result<Rendered, Error> {
    if *to == Recipient::Web {
        return render_once(config, templates, date, layout, to, Cut::None, usize::MAX);
    }
    let sectioned: usize = layout.sections.iter().map(|(_, v)| v.len()).sum();
    let mut last: Option<Rendered> = None;
    for (cut, also_shown) in STEPS {
        // A cut that would show what the last one showed is not tried
        // again (rendering a heavy edition takes time).
        let titles = layout.also.len() + if cut == Cut::None { 0 } else { sectioned };
        let shown = Shown {
            short: cut == Cut::Short,
            sections: sectioned > 0 && cut == Cut::None,
            titles: also_shown.min(titles),
        };
        if last.as_ref().is_some_and(|r| r.shown == shown) {
            continue;
        }
        let mut r = render_once(config, templates, date, layout, to, cut, also_shown)?;
        r.shown = shown;
        if r.html.len() <= HTML_LIMIT {
            return Ok(r);
        }
        last = Some(r);
    }
    let mut r = last.expect("there are cuts to try");
    r.over_limit = true;
    Ok(r)
}

/// The default preheader: the headlines after the top story ("Aussi : X,
/// Y et Z"), or with none, the top story's standfirst. Plain text.
fn preheader(labels: &Labels, layout: &Layout) -> String {
    let next: Vec<&str> = layout
        .articles()
        .skip(1)
        .take(PREHEADER_HEADLINES)
        .map(|a| a.title.as_str())
        .collect();
    let Some((last, first)) = next.split_last() else {
        let summary = layout.top.summary.as_deref().unwrap_or_default();
        return shorten(summary, PREHEADER_CHARS);
    };
    let list = if first.is_empty() {
        (*last).to_owned()
    } else {
        format!("{} {} {last}", first.join(", "), labels.get("and"))
    };
    shorten(
        &format!("{} {list}", labels.get("preheader_also")),
        PREHEADER_CHARS,
    )
}

/// The words of `labels.toml` in the site's language; a word a site's own
/// labels.toml lacks (written before the word existed) is the built-in one.
struct Labels {
    words: BTreeMap<String, String>,
    builtin: BTreeMap<String, String>,
}

impl Labels {
    fn new(templates: &Templates, language: &str) -> Result<Labels, Error> {
        Ok(Labels {
            words: templates.labels(language)?,
            builtin: Templates::builtin().labels(language)?,
        })
    }

    fn get(&self, key: &str) -> &str {
        self.words
            .get(key)
            .or_else(|| self.builtin.get(key))
            .map_or("", String::as_str)
    }

    /// Every word, the built-in ones under the site's.
    fn all(&self) -> BTreeMap<String, String> {
        let mut all = self.builtin.clone();
        all.extend(self.words.clone());
        all
    }
}

/// `n` written as the site's language writes a count: `1 458` in French
/// (a no-break space between groups), `1,458` otherwise.
fn count_text(n: usize, french: bool) -> String {
    let digits = n.to_string();
    let sep = if french { '\u{a0}' } else { ',' };
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(sep);
        }
        out.push(c);
    }
    out
}

/// Every text of an email's context as the reader sees it: French
/// typography for a French site, and with [`Cut::Short`], shortened.
struct Texts {
    french: bool,
    short: bool,
}

impl Texts {
    fn text(&self, s: &str) -> String {
        if self.french {
            super::typography::french(s).into_owned()
        } else {
            s.to_owned()
        }
    }

    /// A text that [`Cut::Short`] bounds to `max` characters.
    fn bounded(&self, s: &str, max: usize) -> String {
        if self.short {
            self.text(&shorten(s, max))
        } else {
            self.text(s)
        }
    }
}

fn render_once(
    config: &Config,
    templates: &Templates,
    date: NaiveDate,
    layout: &Layout,
    to: &Recipient,
    cut: Cut,
    also_shown: usize,
) -> Result<Rendered, Error> {
    let n = &config.newsletter;
    let labels = Labels::new(templates, &config.site.language)?;
    let date_long = crate::templates::long_date(&config.site.language, date);
    let top = article_ctx(config, &layout.top, date);
    let titled = |a: &std::sync::Arc<Article>| Link {
        title: a.title.clone(),
        url: utm_url(config, a, date),
    };
    let (sections, mut also): (Vec<(String, Vec<ArticleCtx>)>, Vec<Link>) = if cut == Cut::None {
        let sections = layout
            .sections
            .iter()
            .map(|(name, v)| {
                (
                    name.clone(),
                    v.iter().map(|a| article_ctx(config, a, date)).collect(),
                )
            })
            .collect();
        (sections, Vec::new())
    } else {
        let also = layout
            .sections
            .iter()
            .flat_map(|(_, v)| v.iter())
            .map(titled)
            .collect();
        (Vec::new(), also)
    };
    also.extend(layout.also.iter().map(titled));
    let hidden = also.len().saturating_sub(also_shown);
    also.truncate(also_shown);
    let view_in_browser = config.layout.url(&config.layout.web_copy(date)).to_string();
    let count = layout.count();
    let subject_env = minijinja::Environment::new();
    let subject_top = ArticleCtx {
        title: shorten(&top.title, SUBJECT_TITLE_CHARS),
        ..top.clone()
    };
    let mut subject = subject_env
        .render_str(
            &n.subject,
            minijinja::context! {
                name => n.name.clone(), date => date.to_string(), date_long => date_long.clone(),
                top => minijinja::Value::from(minijinja::value::Serde(&subject_top)), count => count,
            },
        )
        .map_err(|e| templates.invalid("feed.toml [newsletter] subject", &e))?;
    subject = crate::text::plain(&subject).into_owned();
    if let Recipient::Test(_) = to {
        subject = format!("[TEST] {subject}");
    }
    let preheader = crate::text::plain(&preheader(&labels, layout)).into_owned();
    let unsubscribe = unsubscribe_url(config, templates, to)?;
    let french = super::typography::applies(&config.site.language);
    let more = (hidden > 0).then(|| {
        let label = labels.get(if hidden == 1 { "more_one" } else { "more_many" });
        More {
            count: hidden,
            text: label.replace("{n}", &count_text(hidden, french)),
            url: view_in_browser.clone(),
        }
    });
    let parts = Parts {
        config,
        labels: &labels,
        date,
        date_long: &date_long,
        count,
        subject: &subject,
        preheader: &preheader,
        top: &top,
        sections: &sections,
        also: &also,
        more: more.as_ref(),
        view_in_browser: &view_in_browser,
        unsubscribe: &unsubscribe,
        web_copy: *to == Recipient::Web,
    };
    let env = templates.environment()?;
    let render = |name: &str, ctx: &minijinja::Value| {
        env.get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| templates.invalid(name, &e))
    };
    let whole = parts.context(&Texts {
        french,
        short: false,
    });
    let text = render("newsletter.txt.j2", &whole)?;
    // The text part is not what Gmail clips: it keeps every text whole.
    let html_ctx = if cut == Cut::Short {
        parts.context(&Texts {
            french,
            short: true,
        })
    } else {
        whole
    };
    let raw_html = render("newsletter.html.j2", &html_ctx)?;
    let inliner = css_inline::CSSInliner::options()
        .keep_at_rules(true)
        .load_remote_stylesheets(false)
        .build();
    let html = inliner.inline(&raw_html).map_err(|e| Error::Invalid {
        problems: Problems(vec![Problem::new(
            std::path::Path::new("newsletter.html.j2"),
            None,
            "",
            format!("the rendered HTML cannot be inlined: {e}"),
        )]),
    })?;
    Ok(Rendered {
        subject,
        preheader,
        html: charset_first(html),
        text: normalize_text(&text),
        cut,
        over_limit: false,
        shown: Shown::default(),
        unsubscribe,
    })
}

/// The link to the titles an email leaves out.
#[derive(Serialize)]
struct More {
    count: usize,
    text: String,
    url: String,
}

/// What the context of both templates is made of, before the texts are
/// set as the reader sees them.
struct Parts<'p> {
    config: &'p Config,
    labels: &'p Labels,
    date: NaiveDate,
    date_long: &'p str,
    count: usize,
    subject: &'p str,
    preheader: &'p str,
    top: &'p ArticleCtx,
    sections: &'p [(String, Vec<ArticleCtx>)],
    also: &'p [Link],
    more: Option<&'p More>,
    view_in_browser: &'p str,
    unsubscribe: &'p str,
    web_copy: bool,
}

impl Parts<'_> {
    fn context(&self, t: &Texts) -> minijinja::Value {
        use minijinja::value::{Serde, Value};
        let config = self.config;
        let n = &config.newsletter;
        let article = |a: &ArticleCtx| ArticleCtx {
            title: t.text(&a.title),
            summary: t.text(&a.summary),
            category: t.text(&a.category),
            authors: t.text(&a.authors),
            image: a.image.as_ref().map(|i| ImageCtx {
                alt: t.text(&i.alt),
                ..i.clone()
            }),
            ..a.clone()
        };
        let mut top = article(self.top);
        if t.short {
            let a = self.top;
            top.title = t.bounded(&a.title, SHORT_TITLE);
            top.summary = t.bounded(&a.summary, SHORT_SUMMARY);
            top.category = t.bounded(&a.category, SHORT_NAMES);
            top.authors = t.bounded(&a.authors, SHORT_NAMES);
            top.image = None;
        }
        let sections: Vec<BTreeMap<&str, Value>> = self
            .sections
            .iter()
            .map(|(name, articles)| {
                let articles: Vec<ArticleCtx> = articles.iter().map(article).collect();
                BTreeMap::from([
                    ("name", Value::from(t.text(name))),
                    ("articles", Value::from(Serde(&articles))),
                ])
            })
            .collect();
        let also: Vec<Link> = self
            .also
            .iter()
            .map(|l| Link {
                title: t.bounded(&l.title, SHORT_TITLE),
                url: l.url.clone(),
            })
            .collect();
        let labels: BTreeMap<String, String> = self
            .labels
            .all()
            .into_iter()
            .map(|(k, v)| {
                let v = t.text(&v);
                (k, v)
            })
            .collect();
        // The email goes to subscribers: no call to action asks them to
        // subscribe (they are offered to forward it instead).
        let ctas: Vec<BTreeMap<&str, String>> = crate::templates::cta_values(&config.ctas)
            .into_iter()
            .filter(|c| self.web_copy || c.get("id").is_none_or(|id| id != NEWSLETTER_CTA))
            .map(|mut c| {
                for key in ["text", "label"] {
                    if let Some(v) = c.get_mut(key) {
                        *v = t.text(v);
                    }
                }
                c
            })
            .collect();
        minijinja::context! {
            site => minijinja::context! {
                title => t.text(&config.site.title), url => config.site.url.to_string(),
                language => config.site.language.clone(), logo => config.site.logo.as_ref().map(|u| u.to_string()),
            },
            newsletter => minijinja::context! { name => t.text(&n.name), postal_address => t.text(&n.postal_address) },
            edition => minijinja::context! {
                date => self.date.to_string(), date_long => t.text(self.date_long), count => self.count,
            },
            subject => self.subject,
            preheader => t.text(self.preheader),
            labels => labels,
            top => Value::from(Serde(&top)),
            sections => sections,
            also => Value::from(Serde(&also)),
            more => self.more.map(Serde),
            web_copy => self.web_copy,
            ctas => ctas,
            // A form is for a web page: the web copy carries it, the email
            // never (mail clients refuse or break forms).
            signup => n.signup.as_ref().filter(|_| self.web_copy).map(crate::templates::signup_value),
            links => minijinja::context! {
                view_in_browser => self.view_in_browser,
                forward => self.view_in_browser,
                unsubscribe => self.unsubscribe,
            },
        }
    }
}

/// `html` with its `<meta charset>` first in its `<head>`: css-inline puts
/// the `@media` rules it keeps at the head's start, which pushed the
/// charset past the first 1024 bytes, where a browser stops looking for it.
/// A template without one gets one.
fn charset_first(html: String) -> String {
    let lower = html.to_ascii_lowercase();
    let tag_end = |start: usize| Some(start + lower[start..].find('>')? + 1);
    let head = lower
        .match_indices("<head")
        .map(|(i, _)| i)
        .find(|&i| {
            matches!(
                lower.as_bytes().get(i + 5),
                Some(b'>' | b' ' | b'\t' | b'\n')
            )
        })
        .and_then(tag_end);
    let Some(head) = head else {
        return html;
    };
    let meta = lower
        .find("<meta charset")
        .and_then(|i| Some((i, tag_end(i)?)));
    let (tag, rest) = match meta {
        Some((start, _)) if start <= head => return html,
        Some((start, end)) => {
            // Its line goes with it.
            let after = if html[end..].starts_with('\n') {
                end + 1
            } else {
                end
            };
            (
                html[start..end].to_owned(),
                [&html[head..start], &html[after..]].concat(),
            )
        }
        None => (
            "<meta charset=\"utf-8\">".to_owned(),
            html[head..].to_owned(),
        ),
    };
    [&html[..head], &tag, &rest].concat()
}

/// `s` cut to at most `max` characters, at a word boundary when there is
/// one in its second half, with "…" at the end of what was cut.
fn shorten(s: &str, max: usize) -> String {
    let Some((end, _)) = s.char_indices().nth(max) else {
        return s.to_owned();
    };
    // Room for the ellipsis.
    let end = s[..end].char_indices().last().map_or(0, |(i, _)| i);
    let head = &s[..end];
    let at_space = head
        .rfind(char::is_whitespace)
        .filter(|&i| head[..i].chars().count() >= max / 2);
    let kept = at_space.map_or(head, |i| &head[..i]);
    format!("{}…", kept.trim_end())
}

/// CRLF-free text with one final newline and no trailing spaces.
fn normalize_text(text: &str) -> String {
    let mut out: String = text
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    while out.ends_with('\n') {
        out.pop();
    }
    out.push('\n');
    out
}

/// When a message is dated, and what makes its Message-ID its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// The stored edition: dated at its cutoff, its Message-ID made of
    /// the date, so that the same edition is always the same bytes.
    Cutoff(DateTime<Utc>),
    /// A test send: dated when it is sent, with a Message-ID of its own,
    /// so that a mail client never takes a second test for the first.
    Sent(Sent),
}

/// A test send's own time and random number, read by the caller (the
/// library reads no clock and draws no number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sent {
    /// When the message is sent: its Date.
    pub at: DateTime<Utc>,
    /// Random: makes its Message-ID one of its own.
    pub nonce: u64,
}

impl Stamp {
    fn at(self) -> DateTime<Utc> {
        match self {
            Stamp::Cutoff(at) | Stamp::Sent(Sent { at, .. }) => at,
        }
    }
}

/// The Message-ID of the edition of `date` for `to`: the master copy's is
/// the edition's own, a test's is its own.
pub fn message_id(config: &Config, date: NaiveDate, to: &Recipient) -> String {
    stamped_message_id(config, date, to, None)
}

/// [`message_id`], a test send's made its own by its random number.
fn stamped_message_id(
    config: &Config,
    date: NaiveDate,
    to: &Recipient,
    nonce: Option<u64>,
) -> String {
    let id_part = match (to, nonce) {
        (Recipient::Test(_), Some(nonce)) => format!("test-{nonce:016x}"),
        (Recipient::Test(addr), None) => format!("test-{:016x}", fnv1a64(addr.as_bytes())),
        _ => "edition".to_owned(),
    };
    format!(
        "<{date}.{id_part}.{}@{}>",
        config.newsletter.list_id.replace(['<', '>', '@', ' '], ""),
        config.site.domain()
    )
}

/// The edition as a MIME message (multipart/alternative: text, then HTML).
pub fn message(
    config: &Config,
    date: NaiveDate,
    stamp: Stamp,
    rendered: &Rendered,
    to: &Recipient,
) -> Result<Vec<u8>, Error> {
    let n = &config.newsletter;
    let at = stamp.at();
    // lettre writes the Date header as an HTTP date, which holds these
    // years only (and panics outside them).
    const DATE_YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;
    if !DATE_YEARS.contains(&at.year()) || !DATE_YEARS.contains(&date.year()) {
        return Err(Error::Invalid {
            problems: Problems(vec![Problem::new(
                &n.output_dir.join(format!("{date}.eml")),
                None,
                "Date",
                format!(
                    "the edition of {date} is due at {}, outside the years {} to {} that an email's Date header can hold here",
                    at.to_rfc3339(),
                    DATE_YEARS.start(),
                    DATE_YEARS.end()
                ),
            )]),
        });
    }
    let to_box: Mailbox = match to {
        Recipient::Test(addr) => addr.parse().map_err(|e| bad_address(addr, e))?,
        _ => n.from.clone(),
    };
    let nonce = match stamp {
        Stamp::Sent(Sent { nonce, .. }) => Some(nonce),
        Stamp::Cutoff(_) => None,
    };
    let message_id = stamped_message_id(config, date, to, nonce);
    let unsubscribe = &rendered.unsubscribe;
    let mut list_unsubscribe = format!("<{unsubscribe}>");
    match &n.unsubscribe_mailto {
        Some(mailto) if !unsubscribe.starts_with("mailto:") => {
            list_unsubscribe.push_str(&format!(", <mailto:{mailto}?subject=unsubscribe>"));
        }
        _ => {}
    }
    let header = |name: &'static str, value: String| {
        HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
    };
    let mut builder = lettre::Message::builder()
        .from(n.from.clone())
        .to(to_box)
        .subject(rendered.subject.clone())
        // Replaced below: lettre adds a Date of its own when there is none.
        .date(std::time::SystemTime::from(at))
        .message_id(Some(message_id))
        .raw_header(header(
            "List-Id",
            format!("\"{}\" <{}>", n.name.replace(['"', '\\'], ""), n.list_id),
        ))
        .raw_header(header("List-Unsubscribe", list_unsubscribe));
    // One-click unsubscription (RFC 8058) is a POST to an https URL: with
    // none to post to, the header would promise what no one honours.
    if unsubscribe.starts_with("https://") {
        builder = builder.raw_header(header(
            "List-Unsubscribe-Post",
            "List-Unsubscribe=One-Click".to_owned(),
        ));
    }
    if let Some(r) = &n.reply_to {
        builder = builder.reply_to(r.clone());
    }
    let body = MultiPart::alternative()
        .boundary(format!("matinale-{date}-alternative"))
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_PLAIN)
                .body(part_body(&rendered.text)),
        )
        .singlepart(
            SinglePart::builder()
                .header(ContentType::TEXT_HTML)
                .body(part_body(&rendered.html)),
        );
    let mut message = builder.multipart(body).map_err(|e| Error::Invalid {
        problems: Problems(vec![Problem::new(
            &config.path,
            None,
            "newsletter",
            format!("cannot build the message: {e}"),
        )]),
    })?;
    // lettre writes every Date in UTC (+0000); the reader's client shows
    // the site's own time better from the site's offset.
    let local = at
        .with_timezone(&config.site.timezone)
        .fixed_offset()
        .to_rfc2822();
    message
        .headers_mut()
        .insert_raw(HeaderValue::dangerous_new_pre_encoded(
            HeaderName::new_from_ascii_str("Date"),
            local.clone(),
            local,
        ));
    Ok(message.formatted())
}

/// A part's body, encoded as lettre would encode `text` but in linear time:
/// lettre turns line endings into CRLF by inserting each CR in place, which
/// is quadratic in the number of lines (a 10 MB summary wrapped at 78
/// columns took seconds). The encoding is chosen on `text` as it is, as
/// lettre chooses it, so the bytes are the same as lettre's.
fn part_body(text: &str) -> Body {
    use email_encoding::body::Encoding;
    let crlf = crlf(text);
    match Encoding::choose(text, false) {
        // lettre's own encoding leaves 7bit and 8bit bodies as they are.
        Encoding::SevenBit => {
            Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::SevenBit)
        }
        Encoding::EightBit => {
            Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::EightBit)
        }
        Encoding::QuotedPrintable => {
            quoted_or_base64(crlf, ContentTransferEncoding::QuotedPrintable)
        }
        Encoding::Base64 => quoted_or_base64(crlf, ContentTransferEncoding::Base64),
    }
}

/// lettre finds no LF to convert in `crlf`. Quoted-printable and base64
/// take any text, so the fallback (base64 of the bytes) is never taken.
fn quoted_or_base64(crlf: String, encoding: ContentTransferEncoding) -> Body {
    Body::new_with_encoding(crlf, encoding).unwrap_or_else(Body::new)
}

/// `text` with every LF not after a CR turned into CRLF, as lettre does.
fn crlf(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 16);
    for line in text.split_inclusive('\n') {
        match line.strip_suffix('\n') {
            Some(l) if !l.ends_with('\r') => {
                out.push_str(l);
                out.push_str("\r\n");
            }
            _ => out.push_str(line),
        }
    }
    out
}

fn bad_address(addr: &str, e: impl std::fmt::Display) -> Error {
    Error::Invalid {
        problems: Problems(vec![Problem::new(
            std::path::Path::new("--to"),
            None,
            "",
            format!("`{addr}` is not an email address ({e})"),
        )]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_charset_goes_first_in_the_head() {
        assert_eq!(
            charset_first(
                "<!DOCTYPE html><html><head><style>x</style>\n<meta charset=\"utf-8\">\n<title>t</title></head></html>".into()
            ),
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><style>x</style>\n<title>t</title></head></html>"
        );
        // Already first, or no head: as it is; none: one is added.
        for html in [
            "<html><head><meta charset=\"utf-8\"><title>t</title></head></html>",
            "<html><header><meta charset=\"utf-8\"></header></html>",
        ] {
            assert_eq!(charset_first(html.into()), html);
        }
        assert_eq!(
            charset_first("<html><HEAD lang=\"fr\"><title>t</title></HEAD></html>".into()),
            "<html><HEAD lang=\"fr\"><meta charset=\"utf-8\"><title>t</title></HEAD></html>"
        );
    }

    #[test]
    fn counts_are_grouped_as_the_language_writes_them() {
        assert_eq!(count_text(7, true), "7");
        assert_eq!(count_text(458, true), "458");
        assert_eq!(count_text(1458, true), "1\u{a0}458");
        assert_eq!(count_text(1_234_567, false), "1,234,567");
    }
}
