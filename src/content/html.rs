//! Cleaning article bodies.
//!
//! Bodies come from the site's CMS, from Markdown that may hold raw HTML, or
//! (later) from foreign feeds: all go through one ammonia allowlist, which
//! removes scripts, styles, iframes, event handlers and `javascript:` URLs,
//! and makes relative `href`/`src` absolute against the article's URL so
//! they work in a feed reader or a mailbox; each candidate of a `srcset`
//! is treated like a `src`. Elements nested too deep are flattened first
//! ([`nesting`]), which keeps the HTML5 parser linear. Cleaning is the most
//! expensive step of a build, so it is done once per article and shared by
//! all formats.

pub mod nesting;

use std::borrow::Cow;
use std::cell::RefCell;
use url::Url;

thread_local! {
    // ammonia's relative-URL hook is fixed when the Builder is made, but the
    // base differs per article; building a Builder per article costs more
    // than the cleaning itself. So the hook reads the base of the article
    // being cleaned on this thread.
    static BASE: RefCell<Option<Url>> = const { RefCell::new(None) };
    static SCRATCH: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// The largest scratch buffer kept between two articles.
const SCRATCH_KEPT: usize = 1 << 20;

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
            .url_relative(ammonia::UrlRelative::Custom(Box::new(absolutize)))
            .attribute_filter(|_, attribute, value| match attribute {
                "srcset" => srcset(value).map(Cow::Owned),
                _ => Some(Cow::Borrowed(value)),
            });
        Cleaner { builder }
    }

    /// Cleans `html`, resolving relative URLs against `base`.
    pub fn clean(&self, html: &str, base: &Url) -> String {
        self.clean_counting(html, base).0
    }

    /// Cleans `html`, resolving relative URLs against `base`; also says
    /// how many elements were flattened for nesting deeper than
    /// [`nesting::MAX_DEPTH`].
    pub fn clean_counting(&self, html: &str, base: &Url) -> (String, usize) {
        let html = crate::text::strip_xml_illegal(html);
        let (html, flattened) = nesting::cap(&html);
        BASE.with(|b| *b.borrow_mut() = Some(base.clone()));
        let doc = self.builder.clean(&html);
        BASE.with(|b| *b.borrow_mut() = None);
        // Serialised into this thread's scratch buffer, reused from article
        // to article, then copied once into a string of the exact size: the
        // string stays as small as the cleaned body (the feeds hold 100,000
        // of them), where `to_string` grew a fresh buffer from empty and
        // copied it again through `Display`.
        let out = SCRATCH.with(|scratch| {
            let mut scratch = scratch.borrow_mut();
            scratch.clear();
            doc.write_to(&mut *scratch)
                .expect("writing to memory fails only when memory runs out");
            // html5ever writes UTF-8; the check stays, but cannot fail.
            let out = match simdutf8::basic::from_utf8(&scratch) {
                Ok(s) => s.to_owned(),
                Err(_) => String::from_utf8_lossy(&scratch).into_owned(),
            };
            // One huge body does not keep its buffer for the thread's life.
            if scratch.capacity() > SCRATCH_KEPT {
                *scratch = Vec::new();
            }
            out
        });
        (out, flattened)
    }
}

fn absolutize(url: &str) -> Option<Cow<'_, str>> {
    BASE.with(|b| {
        let base = b.borrow();
        let joined = base.as_ref()?.join(url).ok()?;
        matches!(joined.scheme(), "http" | "https").then(|| Cow::Owned(joined.into()))
    })
}

/// A `srcset` whose candidates' URLs are cleaned like a `src`: made
/// absolute against the article, and left out unless http(s). `None` when
/// no candidate is left, to drop the attribute.
fn srcset(value: &str) -> Option<String> {
    let mut out = String::with_capacity(value.len());
    BASE.with(|b| {
        let base = b.borrow();
        for (url, descriptor) in srcset_candidates(value) {
            let url = match base.as_ref() {
                Some(base) => base.join(url),
                None => Url::parse(url),
            };
            let Some(url) = url.ok().filter(|u| matches!(u.scheme(), "http" | "https")) else {
                continue;
            };
            if !out.is_empty() {
                out.push_str(", ");
            }
            out.push_str(url.as_str());
            if !descriptor.is_empty() {
                out.push(' ');
                out.push_str(descriptor);
            }
        }
    });
    (!out.is_empty()).then_some(out)
}

/// The (URL, descriptor) candidates of a `srcset`, split as HTML does: a
/// URL runs to the next white space (a `data:` URL holds commas), a
/// descriptor to the next comma.
fn srcset_candidates(value: &str) -> impl Iterator<Item = (&str, &str)> {
    let mut rest = value;
    std::iter::from_fn(move || {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            return None;
        }
        let url_end = rest
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(rest.len());
        let url = &rest[..url_end];
        if let Some(url) = url.strip_suffix(',') {
            rest = &rest[url_end..];
            return Some((url.trim_end_matches(','), ""));
        }
        let after = &rest[url_end..];
        let descriptor_end = after.find(',').unwrap_or(after.len());
        let descriptor = after[..descriptor_end].trim();
        rest = &after[descriptor_end..];
        Some((url, descriptor))
    })
}

/// Renders a Markdown body to (uncleaned) HTML, and says how many elements
/// were flattened: those nested deeper than [`nesting::MAX_DEPTH`] (100 KB
/// of `>` is as many nested quotes) lose their tags, keeping their content.
pub fn markdown_to_html(md: &str) -> (String, usize) {
    use pulldown_cmark::{html, Event, Options, Parser};
    let opts = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_SMART_PUNCTUATION;
    let mut out = String::with_capacity(md.len() * 3 / 2);
    // Start and end events come in pairs: a count is the depth.
    let mut depth = 0usize;
    let mut flattened = 0;
    let events = Parser::new_ext(md, opts).filter(|e| match e {
        Event::Start(_) => {
            depth += 1;
            let keep = depth <= nesting::MAX_DEPTH;
            flattened += usize::from(!keep);
            keep
        }
        Event::End(_) => {
            depth = depth.saturating_sub(1);
            depth < nesting::MAX_DEPTH
        }
        _ => true,
    });
    html::push_html(&mut out, events);
    (out, flattened)
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
    let (html, _) = nesting::cap(html);
    html_to_text(&ammonia::Builder::default().clean(&html).to_string())
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
    fn srcset_candidates_are_cleaned_like_src() {
        let c = Cleaner::new();
        let out = c.clean(
            r#"<img src="a.jpg" srcset="a-300.jpg 300w, /img/a-1024.jpg 1024w,javascript:alert(1) 2x, data:image/png;base64,iVBOR,AAA 3x, https://cdn.example/a.jpg 4x"><picture><source srcset=" javascript:alert(1) 1x , data:image/gif;base64,R0lG "><img src="b.jpg" srcset="b.jpg,  b2.jpg 2x,,"></picture>"#,
            &base(),
        );
        assert_eq!(
            out,
            r#"<img src="https://news.example/2026/11/25/a/a.jpg" srcset="https://news.example/2026/11/25/a/a-300.jpg 300w, https://news.example/img/a-1024.jpg 1024w, https://cdn.example/a.jpg 4x"><picture><source><img src="https://news.example/2026/11/25/a/b.jpg" srcset="https://news.example/2026/11/25/a/b.jpg, https://news.example/2026/11/25/a/b2.jpg 2x"></picture>"#
        );
    }

    #[test]
    fn markdown_nested_too_deep_is_flattened() {
        let (html, flattened) = markdown_to_html(&(">".repeat(300) + " deep\n"));
        assert_eq!(flattened, 300 - nesting::MAX_DEPTH + 1);
        assert_eq!(
            html,
            "<blockquote>\n".repeat(nesting::MAX_DEPTH)
                + "deep"
                + &"</blockquote>\n".repeat(nesting::MAX_DEPTH)
        );
        assert_eq!(
            markdown_to_html("> a\n> > b\n"),
            (
                "<blockquote>\n<p>a</p>\n<blockquote>\n<p>b</p>\n</blockquote>\n</blockquote>\n"
                    .to_owned(),
                0
            )
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
