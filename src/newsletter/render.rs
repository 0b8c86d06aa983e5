//! An edition as an email: subject, HTML (CSS inlined) and text parts, and
//! the MIME message with the list headers mailbox providers require.
//!
//! Pure: templates come in loaded, the date and the articles come in
//! decided; the same edition always gives the same bytes (Date is the
//! edition's cutoff, the Message-ID and MIME boundary derive from it).

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
    /// The edition had to be cut to titles only to stay under [`HTML_LIMIT`].
    pub trimmed: bool,
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

#[derive(Serialize)]
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
        .find(|c| c.id == "newsletter")
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

/// Renders the edition of `date` for `to`.
pub fn render(
    config: &Config,
    templates: &Templates,
    date: NaiveDate,
    layout: &Layout,
    to: &Recipient,
) -> Result<Rendered, Error> {
    let first = render_once(config, templates, date, layout, to, false)?;
    if first.html.len() <= HTML_LIMIT {
        return Ok(first);
    }
    let mut cut = render_once(config, templates, date, layout, to, true)?;
    cut.trimmed = true;
    Ok(cut)
}

fn render_once(
    config: &Config,
    templates: &Templates,
    date: NaiveDate,
    layout: &Layout,
    to: &Recipient,
    titles_only: bool,
) -> Result<Rendered, Error> {
    let n = &config.newsletter;
    let labels = templates.labels(&config.site.language)?;
    let date_long = crate::templates::long_date(&config.site.language, date);
    let top = article_ctx(config, &layout.top, date);
    let (sections, mut also): (Vec<(String, Vec<ArticleCtx>)>, Vec<Link>) = if titles_only {
        let also = layout
            .sections
            .iter()
            .flat_map(|(_, v)| v.iter())
            .map(|a| Link {
                title: a.title.clone(),
                url: utm_url(config, a, date),
            })
            .collect();
        (Vec::new(), also)
    } else {
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
    };
    also.extend(layout.also.iter().map(|a| Link {
        title: a.title.clone(),
        url: utm_url(config, a, date),
    }));
    let sections: Vec<BTreeMap<&str, minijinja::Value>> = sections
        .into_iter()
        .map(|(name, articles)| {
            BTreeMap::from([
                ("name", minijinja::Value::from(name)),
                (
                    "articles",
                    minijinja::Value::from(minijinja::value::Serde(&articles)),
                ),
            ])
        })
        .collect();
    let view_in_browser = config.layout.url(&config.layout.web_copy(date)).to_string();
    let ctas = crate::templates::cta_values(&config.ctas);
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
    let unsubscribe = unsubscribe_url(config, templates, to)?;
    let ctx = minijinja::context! {
        site => minijinja::context! {
            title => config.site.title.clone(), url => config.site.url.to_string(),
            language => config.site.language.clone(), logo => config.site.logo.as_ref().map(|u| u.to_string()),
        },
        newsletter => minijinja::context! { name => n.name.clone(), postal_address => n.postal_address.clone() },
        edition => minijinja::context! { date => date.to_string(), date_long => date_long, count => count },
        subject => subject.clone(),
        preheader => top.summary.clone(),
        labels => labels,
        top => minijinja::Value::from(minijinja::value::Serde(&top)),
        sections => sections,
        also => minijinja::Value::from(minijinja::value::Serde(&also)),
        ctas => ctas,
        links => minijinja::context! {
            view_in_browser => view_in_browser,
            unsubscribe => unsubscribe.clone(),
        },
    };
    let env = templates.environment()?;
    let render = |name: &str| {
        env.get_template(name)
            .and_then(|t| t.render(&ctx))
            .map_err(|e| templates.invalid(name, &e))
    };
    let raw_html = render("newsletter.html.j2")?;
    let text = render("newsletter.txt.j2")?;
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
        html,
        text: normalize_text(&text),
        trimmed: false,
        unsubscribe,
    })
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

/// The Message-ID of the edition of `date` for `to`: the master copy's is
/// the edition's own, a test's is its own.
pub fn message_id(config: &Config, date: NaiveDate, to: &Recipient) -> String {
    let id_part = match to {
        Recipient::Test(addr) => format!("test-{:016x}", fnv1a64(addr.as_bytes())),
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
    cutoff: DateTime<Utc>,
    rendered: &Rendered,
    to: &Recipient,
) -> Result<Vec<u8>, Error> {
    let n = &config.newsletter;
    // lettre writes the Date header as an HTTP date, which holds these
    // years only (and panics outside them).
    const DATE_YEARS: std::ops::RangeInclusive<i32> = 1970..=9999;
    if !DATE_YEARS.contains(&cutoff.year()) || !DATE_YEARS.contains(&date.year()) {
        return Err(Error::Invalid {
            problems: Problems(vec![Problem::new(
                &n.output_dir.join(format!("{date}.eml")),
                None,
                "Date",
                format!(
                    "the edition of {date} is due at {}, outside the years {} to {} that an email's Date header can hold here",
                    cutoff.to_rfc3339(),
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
    let message_id = message_id(config, date, to);
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
        .date(std::time::SystemTime::from(cutoff))
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
    let message = builder.multipart(body).map_err(|e| Error::Invalid {
        problems: Problems(vec![Problem::new(
            &config.path,
            None,
            "newsletter",
            format!("cannot build the message: {e}"),
        )]),
    })?;
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
