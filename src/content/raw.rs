//! The serde shape of one article, shared by front matter and JSON Lines.
//!
//! Every field is optional here so that validation can report all missing
//! fields of an article at once, with their names; unknown fields are
//! refused so that a typo (`publised`) does not silently drop a date.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// One article as written in the source. `C` is how the HTML body is held:
/// a borrowed raw JSON value for JSON Lines, so that bodies of articles no
/// feed will show are never decoded.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArticle<C> {
    pub title: Option<String>,
    pub url: Option<String>,
    pub published: Option<RawDate>,
    pub id: Option<String>,
    pub updated: Option<RawDate>,
    pub authors: Option<Vec<RawAuthor>>,
    pub categories: Option<Vec<String>>,
    pub summary: Option<String>,
    pub content_html: Option<C>,
    pub image: Option<RawImage>,
    pub comments: Option<RawComments>,
    pub featured: Option<bool>,
    pub draft: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawAuthor {
    Name(String),
    Full(RawPerson),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPerson {
    pub name: String,
    pub email: Option<String>,
    pub url: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawImage {
    pub url: String,
    pub alt: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    #[serde(rename = "type")]
    pub mime_type: Option<String>,
    /// Size in bytes; RSS `enclosure` requires it, so it is written only
    /// when known.
    pub length: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawComments {
    pub count: u64,
    pub url: Option<String>,
}

/// A date as a string (JSON, TOML string) or a TOML date-time value.
#[derive(Debug)]
pub struct RawDate(pub String);

impl<'de> Deserialize<'de> for RawDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawDate;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an RFC 3339 date-time, as a string or a TOML date-time")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<RawDate, E> {
                Ok(RawDate(s.to_owned()))
            }
            // toml hands its date-time values over as a one-entry map.
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawDate, A::Error> {
                let entry: Option<(String, String)> = map.next_entry()?;
                match entry {
                    Some((_, s)) => Ok(RawDate(s)),
                    None => Err(de::Error::custom("empty date")),
                }
            }
        }
        d.deserialize_any(V)
    }
}
