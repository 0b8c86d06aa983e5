//! Cleaning article bodies.
//!
//! Bodies come from the site's CMS, from Markdown that may hold raw HTML, or
//! (later) from foreign feeds: all go through one ammonia allowlist, which
//! removes scripts, styles, iframes, event handlers and `javascript:` URLs,
//! and makes relative `href`/`src` absolute against the article's URL so
//! they work in a feed reader or a mailbox. Cleaning is the most expensive
//! step of a build, so it is done once per article and shared by all formats.

use std::borrow::Cow;
use std::cell::RefCell;
use url::Url;

thread_local! {
    // ammonia's relative-URL hook is fixed when the Builder is made, but the
    // base differs per article; building a Builder per article costs more
    // than the cleaning itself. So the hook reads the base of the article
    // being cleaned on this thread.
    static BASE: RefCell<Option<Url>> = const { RefCell::new(None) };
}

/// The HTML cleaner, built once per run and shared between threads.
pub struct Cleaner {
    builder: ammonia::Builder<'static>,
}

impl Default for Cleaner {
    fn default() -> Self {
        Cleaner::new()
    }
}

impl Cleaner {
    pub fn new() -> Cleaner {
        let mut builder = ammonia::Builder::default();
        builder
            .link_rel(None)
            .add_tag_attributes("img", ["width", "height", "loading", "srcset"])
            .add_tags(["figure", "figcaption", "picture", "source"])
            .add_tag_attributes("source", ["srcset", "type", "media"])
            .add_tag_attributes("td", ["colspan", "rowspan"])
            .add_tag_attributes("th", ["colspan", "rowspan"])
            .url_relative(ammonia::UrlRelative::Custom(Box::new(absolutize)));
        Cleaner { builder }
    }

    /// Cleans `html`, resolving relative URLs against `base`.
    pub fn clean(&self, html: &str, base: &Url) -> String {
        let html = crate::text::strip_xml_illegal(html);
        BASE.with(|b| *b.borrow_mut() = Some(base.clone()));
        let out = self.builder.clean(&html).to_string();
        BASE.with(|b| *b.borrow_mut() = None);
        out
    }
}

fn absolutize(url: &str) -> Option<Cow<'_, str>> {
    BASE.with(|b| {
        let base = b.borrow();
        let joined = base.as_ref()?.join(url).ok()?;
        matches!(joined.scheme(), "http" | "https").then(|| Cow::Owned(joined.into()))
    })
}

/// Renders a Markdown body to (uncleaned) HTML.
pub fn markdown_to_html(md: &str) -> String {
    use pulldown_cmark::{html, Options, Parser};
    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_SMART_PUNCTUATION;
    let mut out = String::with_capacity(md.len() * 3 / 2);
    html::push_html(&mut out, Parser::new_ext(md, opts));
    out
}

/// The text of the first non-empty paragraph of cleaned HTML, used as the
/// summary of an article that has none. Falls back to the whole text.
pub fn first_paragraph_text(clean_html: &str) -> String {
    let mut rest = clean_html;
    while let Some(start) = rest.find("<p") {
        let after = &rest[start + 2..];
        // `<p>` or `<p attr…>`, not `<pre>`.
        if !after.starts_with('>') && !after.starts_with(' ') {
            rest = after;
            continue;
        }
        let open_end = after.find('>').map_or(after.len(), |i| i + 1);
        let after = &after[open_end..];
        let end = after.find("</p>").unwrap_or(after.len());
        let text = html_to_text(&after[..end]);
        if !text.is_empty() {
            return text;
        }
        rest = &after[end..];
    }
    html_to_text(clean_html)
}

/// The text of untrusted HTML (a foreign feed's title or excerpt): scripts
/// and styles dropped with their content, tags turned into spaces.
pub fn text_of_html(html: &str) -> String {
    html_to_text(&ammonia::Builder::default().clean(html).to_string())
}

/// Tags removed and the entities html5ever's serialiser writes decoded
/// (only correct on ammonia's output, which is all this sees).
fn html_to_text(fragment: &str) -> String {
    let mut text = String::with_capacity(fragment.len());
    let mut in_tag = false;
    for c in fragment.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&nbsp;", "\u{a0}")
        .replace("&quot;", "\"")
        .replace("&amp;", "&");
    let text = crate::text::plain(&text).into_owned();
    // Tags between words were replaced by a space; none belongs before
    // closing punctuation.
    text.replace(" .", ".").replace(" ,", ",")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://news.example/2026/11/25/a/").unwrap()
    }

    #[test]
    fn removes_active_content_and_absolutizes() {
        let c = Cleaner::new();
        let out = c.clean(
            r#"<p onclick="x()">Hi <a href="/guides/vpn/">g</a> <a href="javascript:alert(1)">j</a><img src="img.png" alt="a" width="10" height="5"></p><script>alert(1)</script><style>p{}</style><iframe src="https://evil"></iframe>"#,
            &base(),
        );
        assert_eq!(
            out,
            r#"<p>Hi <a href="https://news.example/guides/vpn/">g</a> <a>j</a><img src="https://news.example/2026/11/25/a/img.png" alt="a" width="10" height="5"></p>"#
        );
    }

    #[test]
    fn cleaning_is_idempotent_and_xml_safe() {
        let c = Cleaner::new();
        let once = c.clean("<p>a\u{1}b ]]&gt; <b>x</p>", &base());
        assert_eq!(once, "<p>ab ]]&gt; <b>x</b></p>");
        assert_eq!(c.clean(&once, &base()), once);
    }

    #[test]
    fn first_paragraph_is_plain_text() {
        let html = "<pre>code</pre><p></p><p>Un <em>bon</em> article &amp; <code>Vec&lt;u8&gt;</code>.</p><p>deux</p>";
        assert_eq!(first_paragraph_text(html), "Un bon article & Vec<u8>.");
    }
}
