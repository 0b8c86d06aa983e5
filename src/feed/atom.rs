//! Atom 1.0, written with `atom_syndication`.
//!
//! Atom ids must be URIs: an article id that is not an absolute URI becomes
//! a `tag:` URI (RFC 4151) on the site's domain, the same on every build.
//! Comments use RFC 4685: a `replies` link and `thr:total` (the crate cannot
//! put `thr:count` on the link itself).

use super::{Feed, GENERATOR, GENERATOR_URI};
use ::atom_syndication::extension::{Extension, ExtensionMap};
use ::atom_syndication::{
    Category, Content, Entry, Feed as AtomFeed, FixedDateTime, Generator, Link, Person, Text,
    WriteConfig,
};
use chrono::{DateTime, Datelike, Utc};
use std::collections::BTreeMap;
use std::io;
use std::sync::Arc;

const NS_THR: &str = "http://purl.org/syndication/thread/1.0";
const NS_MEDIA: &str = "http://search.yahoo.com/mrss/";
const NS_FH: &str = "http://purl.org/syndication/history/1.0";

/// Renders `feed`, with `entries` as its entries, as an Atom 1.0 document.
pub fn render(feed: &Feed, entries: &[Arc<super::Item>], buf: Vec<u8>) -> io::Result<Vec<u8>> {
    let atom = build(feed, entries);
    let config = WriteConfig {
        write_document_declaration: true,
        indent_size: Some(2),
    };
    atom.write_with_config(buf, config)
        .map_err(|e| super::io_error(&e))
}

fn fixed(feed: &Feed, d: DateTime<Utc>) -> FixedDateTime {
    crate::content::date::writable(d, feed.tz())
}

/// The Atom id of an article: its id when that is an absolute URI, else a
/// `tag:` URI minted from the site's domain and the article's first year.
pub fn entry_id(domain: &str, id: &str, published: DateTime<Utc>) -> String {
    let is_uri = id.split_once(':').is_some_and(|(scheme, rest)| {
        !rest.is_empty()
            && scheme.len() > 1
            && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    }) && !id.contains(char::is_whitespace);
    if is_uri {
        return id.to_owned();
    }
    let specific: String = url::form_urlencoded::byte_serialize(id.as_bytes()).collect();
    format!("tag:{domain},{}:{specific}", published.year())
}

fn build(feed: &Feed, entries: &[Arc<super::Item>]) -> AtomFeed {
    let config = feed.config;
    let site = &config.site;
    let mut namespaces = BTreeMap::from([
        ("thr".to_owned(), NS_THR.to_owned()),
        ("media".to_owned(), NS_MEDIA.to_owned()),
    ]);
    let mut extensions = ExtensionMap::new();
    if feed.complete {
        namespaces.insert("fh".to_owned(), NS_FH.to_owned());
        extensions.insert(
            "fh".into(),
            ext_map(ext("fh:complete", Some(String::new()), Vec::new())),
        );
    }
    let mut links = vec![
        Link {
            href: feed.home.to_string(),
            rel: "alternate".into(),
            mime_type: Some("text/html".into()),
            ..Default::default()
        },
        Link {
            href: feed.urls.atom.to_string(),
            rel: "self".into(),
            mime_type: Some(super::Format::Atom.content_type().into()),
            ..Default::default()
        },
    ];
    if let Some(hub) = &config.feeds.websub_hub {
        links.push(Link {
            href: hub.to_string(),
            rel: "hub".into(),
            ..Default::default()
        });
    }
    // Atom requires `updated`; a feed with no entry has no date of its own,
    // and the clock must not leak into the bytes.
    let updated = feed.updated.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    AtomFeed {
        title: Text::plain(feed.title.clone()),
        id: feed.urls.atom.to_string(),
        updated: fixed(feed, updated),
        authors: vec![Person {
            name: site.title.clone(),
            uri: Some(site.url.to_string()),
            email: None,
            extensions: Default::default(),
        }],
        generator: Some(Generator {
            value: "matinale".into(),
            uri: Some(GENERATOR_URI.into()),
            version: Some(GENERATOR.trim_start_matches("matinale ").into()),
        }),
        icon: site.icon.as_ref().map(|u| u.to_string()),
        logo: site.logo.as_ref().map(|u| u.to_string()),
        links,
        rights: Some(Text::plain(format!(
            "© {} {}",
            updated.with_timezone(&feed.tz()).year(),
            site.title
        ))),
        subtitle: (!site.description.is_empty()).then(|| Text::plain(site.description.clone())),
        entries: entries.iter().map(|i| entry(feed, i)).collect(),
        extensions,
        namespaces,
        lang: Some(site.language.clone()),
        ..Default::default()
    }
}

fn entry(feed: &Feed, item: &super::Item) -> Entry {
    let a = &item.article;
    let mut links = vec![Link {
        href: a.url.as_str().to_owned(),
        rel: "alternate".into(),
        mime_type: Some("text/html".into()),
        ..Default::default()
    }];
    let mut extensions = ExtensionMap::new();
    if let Some(c) = &a.comments {
        if let Some(u) = &c.url {
            links.push(Link {
                href: u.as_str().to_owned(),
                rel: "replies".into(),
                mime_type: Some("text/html".into()),
                ..Default::default()
            });
        }
        extensions.insert(
            "thr".into(),
            ext_map(ext("thr:total", Some(c.count.to_string()), Vec::new())),
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
    Entry {
        title: Text::plain(a.title.clone()),
        id: entry_id(feed.config.site.domain(), &a.id, a.published),
        updated: fixed(feed, a.updated),
        published: Some(fixed(feed, a.published)),
        authors: a
            .authors
            .iter()
            .map(|p| Person {
                name: p.name.clone(),
                email: p.email.clone(),
                uri: p.url.as_ref().map(|u| u.as_str().to_owned()),
                extensions: Default::default(),
            })
            .collect(),
        categories: a
            .categories
            .iter()
            .map(|c| Category {
                term: super::category_slug(&feed.slugs, c),
                scheme: None,
                label: Some(c.clone()),
            })
            .collect(),
        links,
        summary: Some(Text::plain(item.summary.clone())),
        content: item.content.as_ref().map(|html| Content {
            value: Some(html.clone()),
            content_type: Some("html".into()),
            ..Default::default()
        }),
        extensions,
        ..Default::default()
    }
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

#[cfg(test)]
mod tests {
    use super::entry_id;
    use chrono::{TimeZone, Utc};

    #[test]
    fn ids_become_tag_uris_when_not_uris() {
        let d = Utc.with_ymd_and_hms(2026, 11, 25, 8, 0, 0).unwrap();
        assert_eq!(
            entry_id("ex.org", "https://ex.org/?p=1", d),
            "https://ex.org/?p=1"
        );
        assert_eq!(entry_id("ex.org", "urn:uuid:1234", d), "urn:uuid:1234");
        assert_eq!(
            entry_id("ex.org", "post 42/à", d),
            "tag:ex.org,2026:post+42%2F%C3%A0"
        );
        assert_eq!(entry_id("ex.org", "12345", d), "tag:ex.org,2026:12345");
    }
}
