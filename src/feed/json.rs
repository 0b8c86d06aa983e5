//! JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>), written with serde.
//!
//! Field order follows the spec's, so the file reads like its examples.

use super::Feed;
use serde::Serialize;
use std::io::{self, Write};
use std::sync::Arc;

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    icon: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    favicon: Option<&'a str>,
    authors: Vec<Author<'a>>,
    language: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub<'a>>,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
}

#[derive(Serialize)]
struct Hub<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_html: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    content_text: Option<&'a str>,
    summary: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Author<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tags: &'a [String],
}

/// Renders `feed`, with `entries` as its items, as a JSON Feed 1.1 document.
pub fn render(feed: &Feed, entries: &[Arc<super::Item>], mut out: Vec<u8>) -> io::Result<Vec<u8>> {
    let site = &feed.config.site;
    let tz = feed.tz();
    let date =
        |d: chrono::DateTime<chrono::Utc>| crate::content::date::writable(d, tz).to_rfc3339();
    let doc = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &feed.title,
        home_page_url: feed.home.as_str(),
        feed_url: feed.urls.json.as_str(),
        description: Some(site.description.as_str()).filter(|d| !d.is_empty()),
        icon: site
            .logo
            .as_ref()
            .or(site.icon.as_ref())
            .map(|u| u.as_str()),
        favicon: site.icon.as_ref().map(|u| u.as_str()),
        authors: vec![Author {
            name: &site.title,
            url: Some(site.url.to_string()),
        }],
        language: &site.language,
        hubs: feed
            .config
            .feeds
            .websub_hub
            .iter()
            .map(|u| Hub {
                kind: "WebSub",
                url: u.as_str(),
            })
            .collect(),
        items: entries
            .iter()
            .map(|i| {
                let a = &i.article;
                Item {
                    id: &a.id,
                    url: a.url.as_str(),
                    title: &a.title,
                    content_html: i.content.as_deref(),
                    // JSON Feed requires a content field: with summaries
                    // only, the summary is the content.
                    content_text: i.content.is_none().then_some(i.summary.as_str()),
                    summary: &i.summary,
                    image: a.image.as_ref().map(|img| img.url.as_str()),
                    date_published: date(a.published),
                    date_modified: date(a.updated),
                    authors: a
                        .authors
                        .iter()
                        .map(|p| Author {
                            name: &p.name,
                            url: p.url.as_ref().map(|u| u.as_str().to_owned()),
                        })
                        .collect(),
                    tags: &a.categories,
                }
            })
            .collect(),
    };
    serde_json::to_writer_pretty(&mut out, &doc).map_err(io::Error::other)?;
    out.write_all(b"\n")?;
    Ok(out)
}
