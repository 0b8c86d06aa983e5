//! RSS 2.0, written with the `rss` crate.
//!
//! The crate declares only the namespaces of the extensions it models
//! itself: `media`, `slash`, `sy` and `fh` are declared here, and `sy:` is
//! silently dropped without its declaration. Plain text `&` and `<` are
//! written as hexadecimal references, as the RSS Best Practices Profile
//! asks (see [`BestPracticeEscapes`]).

use super::{Feed, GENERATOR};
use ::rss::extension::dublincore::DublinCoreExtension;
use ::rss::extension::syndication::{SyndicationExtension, UpdatePeriod};
use ::rss::extension::{Extension, ExtensionMap};
use ::rss::{Category, Channel, Enclosure, Guid, Image, Item};
use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::Arc;

const NS_MEDIA: &str = "http://search.yahoo.com/mrss/";
const NS_SLASH: &str = "http://purl.org/rss/1.0/modules/slash/";
const NS_SY: &str = "http://purl.org/rss/1.0/modules/syndication/";
const NS_FH: &str = "http://purl.org/syndication/history/1.0";
const NS_ATOM: &str = "http://www.w3.org/2005/Atom";
const NS_CONTENT: &str = "http://purl.org/rss/1.0/modules/content/";
const NS_DC: &str = "http://purl.org/dc/elements/1.1/";

/// Renders `feed`, with `entries` as its items, as an RSS 2.0 document.
pub fn render(feed: &Feed, entries: &[Arc<super::Item>], buf: Vec<u8>) -> io::Result<Vec<u8>> {
    let channel = channel(feed, entries);
    // quick-xml writes piece by piece; the escapes scan whole blocks.
    let escaped = io::BufWriter::with_capacity(1 << 16, BestPracticeEscapes::new(buf));
    let escaped = channel
        .pretty_write_to(escaped, b' ', 2)
        .map_err(|e| super::io_error(&e))?;
    escaped.into_inner().map_err(|e| e.into_error())?.finish()
}

fn channel(feed: &Feed, entries: &[Arc<super::Item>]) -> Channel {
    let config = feed.config;
    let site = &config.site;
    let tz = feed.tz();
    let mut namespaces = BTreeMap::new();
    // Declared whether or not these entries use them, so that every part
    // of a feed rendered in parts has the same root element.
    for (prefix, ns) in [
        ("media", NS_MEDIA),
        ("slash", NS_SLASH),
        ("sy", NS_SY),
        ("atom", NS_ATOM),
        ("content", NS_CONTENT),
        ("dc", NS_DC),
    ] {
        namespaces.insert(prefix.to_owned(), ns.to_owned());
    }
    let mut extensions = ExtensionMap::new();
    if feed.complete {
        namespaces.insert("fh".to_owned(), NS_FH.to_owned());
        extensions.insert(
            "fh".to_owned(),
            ext_map(ext("fh:complete", Some(String::new()), Vec::new())),
        );
    }
    let mut atom_links = vec![::atom_syndication::Link {
        href: feed.urls.rss.to_string(),
        rel: "self".into(),
        mime_type: Some(super::Format::Rss.content_type().into()),
        ..Default::default()
    }];
    if let Some(hub) = &config.feeds.websub_hub {
        atom_links.push(::atom_syndication::Link {
            href: hub.to_string(),
            rel: "hub".into(),
            ..Default::default()
        });
    }
    let updated = feed.updated.map(|u| crate::content::date::writable(u, tz));
    Channel {
        title: feed.title.clone(),
        link: feed.home.to_string(),
        // Read as HTML by readers, like an item's: the same escapes.
        description: description(if site.description.is_empty() {
            &feed.title
        } else {
            &site.description
        }),
        language: Some(site.language.clone()),
        generator: Some(GENERATOR.to_owned()),
        last_build_date: updated.map(|u| u.to_rfc2822()),
        image: site.logo.as_ref().map(|logo| Image {
            url: logo.to_string(),
            title: feed.title.clone(),
            link: feed.home.to_string(),
            ..Default::default()
        }),
        atom_ext: Some(::rss::extension::atom::AtomExtension { links: atom_links }),
        syndication_ext: Some(SyndicationExtension {
            period: UpdatePeriod::Hourly,
            frequency: 1,
            base: updated.map_or_else(
                || "2000-01-01T00:00:00+00:00".to_owned(),
                |u| u.to_rfc3339(),
            ),
        }),
        namespaces,
        extensions,
        items: entries.iter().map(|i| item(feed, i)).collect(),
        ..Default::default()
    }
}

fn item(feed: &Feed, item: &super::Item) -> Item {
    let a = &item.article;
    let url = a.url.as_str();
    let mut extensions = ExtensionMap::new();
    if let Some(c) = &a.comments {
        extensions.insert(
            "slash".into(),
            ext_map(ext("slash:comments", Some(c.count.to_string()), Vec::new())),
        );
    }
    if let Some(img) = &a.image {
        let mut content = ext("media:content", None, super::media_content_attrs(img));
        if !img.alt.is_empty() {
            content.children.insert(
                "media:description".into(),
                vec![ext(
                    "media:description",
                    Some(img.alt.clone()),
                    vec![("type", "plain".into())],
                )],
            );
        }
        extensions.insert("media".into(), ext_map(content));
    }
    Item {
        title: Some(a.title.clone()),
        link: Some(url.to_owned()),
        description: Some(description(&item.summary)),
        categories: a
            .categories
            .iter()
            .map(|c| Category {
                name: c.clone(),
                domain: None,
            })
            .collect(),
        comments: a
            .comments
            .as_ref()
            .and_then(|c| c.url.as_ref())
            .map(|u| u.as_str().to_owned()),
        enclosure: a.image.as_ref().and_then(|img| {
            Some(Enclosure {
                url: img.url.as_str().to_owned(),
                length: img.length?.to_string(),
                mime_type: img.mime_type.clone()?,
            })
        }),
        guid: Some(Guid {
            value: a.id.clone(),
            permalink: a.id == url,
        }),
        pub_date: Some(crate::content::date::writable(a.published, feed.tz()).to_rfc2822()),
        content: item.content.clone(),
        dublin_core_ext: (!a.authors.is_empty()).then(|| DublinCoreExtension {
            creators: a.authors.iter().map(|p| p.name.clone()).collect(),
            ..Default::default()
        }),
        extensions,
        ..Default::default()
    }
}

/// RSS `description`, of an item (in CDATA) or of the channel, is HTML:
/// plain text's `&` and `<` become hexadecimal references, so
/// `C++ <template>` is not read as a tag, as the RSS Best Practices Profile
/// asks.
fn description(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 16);
    let mut from = 0;
    for at in memchr::memchr2_iter(b'&', b'<', b) {
        out.push_str(&text[from..at]);
        out.push_str(if b[at] == b'&' { "&#x26;" } else { "&#x3C;" });
        from = at + 1;
    }
    out.push_str(&text[from..]);
    out
}

/// An extension element; its attributes are moved, not copied, and
/// inserted one by one (collecting sorts them through a vector first: this
/// runs for every item's image).
fn ext(name: &str, value: Option<String>, attrs: Vec<(&str, String)>) -> Extension {
    let mut map = BTreeMap::new();
    for (k, v) in attrs {
        map.insert(k.to_owned(), v);
    }
    Extension {
        name: name.to_owned(),
        value,
        attrs: map,
        children: BTreeMap::new(),
    }
}

fn ext_map(e: Extension) -> BTreeMap<String, Vec<Extension>> {
    let local = e
        .name
        .split_once(':')
        .map_or(e.name.as_str(), |(_, l)| l)
        .to_owned();
    let mut map = BTreeMap::new();
    map.insert(local, vec![e]);
    map
}

/// Rewrites, outside CDATA sections, the `&amp;` and `&lt;` that quick-xml
/// writes as `&#x26;` and `&#x3C;`: the RSS Best Practices Profile asks for
/// hexadecimal references in plain text, and the W3C validator warns on
/// `&lt;` followed by a letter. Streams, so a 300 MB archive feed is never
/// held twice in memory.
pub struct BestPracticeEscapes<W: Write> {
    inner: W,
    in_cdata: bool,
    /// Bytes that may be the start of a token split across writes.
    carry: Vec<u8>,
}

const CDATA_OPEN: &[u8] = b"<![CDATA[";
const CDATA_CLOSE: &[u8] = b"]]>";

impl<W: Write> BestPracticeEscapes<W> {
    pub fn new(inner: W) -> Self {
        BestPracticeEscapes {
            inner,
            in_cdata: false,
            carry: Vec::new(),
        }
    }

    /// Writes what is held back and returns the inner writer.
    pub fn finish(mut self) -> io::Result<W> {
        let carry = std::mem::take(&mut self.carry);
        self.inner.write_all(&carry)?;
        self.inner.flush()?;
        Ok(self.inner)
    }

    fn process(&mut self, data: &[u8]) -> io::Result<()> {
        let mut i = 0;
        let mut plain_start = 0;
        while i < data.len() {
            if self.in_cdata {
                match find(&data[i..], CDATA_CLOSE) {
                    Some(p) => {
                        i += p + CDATA_CLOSE.len();
                        self.in_cdata = false;
                    }
                    None => {
                        // Keep back what could be the start of `]]>`.
                        let keep = (data.len() - i).min(CDATA_CLOSE.len() - 1);
                        let end = data.len() - keep;
                        self.inner.write_all(&data[plain_start..end])?;
                        self.carry.extend_from_slice(&data[end..]);
                        return Ok(());
                    }
                }
                continue;
            }
            let Some(p) = memchr::memchr2(b'&', b'<', &data[i..]) else {
                break;
            };
            i += p;
            let rest = &data[i..];
            // Every tag starts with `<`: the first byte picks the tokens
            // worth comparing.
            let (token, replacement): (&[u8], &[u8]) = match rest[0] {
                b'&' if rest.starts_with(b"&amp;") => (b"&amp;", b"&#x26;"),
                b'&' if rest.starts_with(b"&lt;") => (b"&lt;", b"&#x3C;"),
                b'<' if rest.starts_with(CDATA_OPEN) => (CDATA_OPEN, CDATA_OPEN),
                b'&' | b'<'
                    if [&b"&amp;"[..], b"&lt;", CDATA_OPEN]
                        .iter()
                        .any(|t| t.starts_with(rest)) =>
                {
                    // An incomplete token at the end of this write.
                    self.inner.write_all(&data[plain_start..i])?;
                    self.carry.extend_from_slice(rest);
                    return Ok(());
                }
                _ => {
                    i += 1;
                    continue;
                }
            };
            self.inner.write_all(&data[plain_start..i])?;
            self.inner.write_all(replacement)?;
            i += token.len();
            plain_start = i;
            if token == CDATA_OPEN {
                self.in_cdata = true;
            }
        }
        self.inner.write_all(&data[plain_start..])
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

impl<W: Write> Write for BestPracticeEscapes<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.carry.is_empty() {
            self.process(buf)?;
        } else {
            let mut data = std::mem::take(&mut self.carry);
            data.extend_from_slice(buf);
            self.process(&data)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(chunks: &[&str]) -> String {
        let mut w = BestPracticeEscapes::new(Vec::new());
        for c in chunks {
            w.write_all(c.as_bytes()).unwrap();
        }
        String::from_utf8(w.finish().unwrap()).unwrap()
    }

    #[test]
    fn hex_references_outside_cdata_only() {
        let src =
            "<t>AT&amp;T &lt;b&gt;</t><d><![CDATA[a &amp; b &lt; ]]]]><![CDATA[> c]]></d>&amp;";
        let want =
            "<t>AT&#x26;T &#x3C;b&gt;</t><d><![CDATA[a &amp; b &lt; ]]]]><![CDATA[> c]]></d>&#x26;";
        assert_eq!(rewrite(&[src]), want);
        // Same result whatever the split points.
        for i in 0..src.len() {
            for j in i..src.len() {
                assert_eq!(
                    rewrite(&[&src[..i], &src[i..j], &src[j..]]),
                    want,
                    "split {i} {j}"
                );
            }
        }
    }
}
