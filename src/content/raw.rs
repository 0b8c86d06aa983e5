//! The serde shape of one article, shared by front matter and JSON Lines.
//!
//! Every field is optional here so that validation can report all missing
//! fields of an article at once, with their names; unknown fields are
//! refused so that a typo (`publised`) does not silently drop a date.

use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

/// One article as written in the source. Strings borrow from the source
/// line when they hold no escape (most do), which saves a dozen allocations
/// per article of a large export. `C` is how the HTML body is held: a
/// borrowed raw JSON value for JSON Lines, so that bodies of articles no
/// feed will show are never decoded.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawArticle<'a, C> {
    #[serde(borrow)]
    pub title: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub url: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub published: Option<RawDate<'a>>,
    #[serde(borrow)]
    pub id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub updated: Option<RawDate<'a>>,
    #[serde(borrow)]
    pub authors: Option<Vec<RawAuthor<'a>>>,
    #[serde(borrow)]
    pub categories: Option<Vec<Cow<'a, str>>>,
    #[serde(borrow)]
    pub summary: Option<Cow<'a, str>>,
    pub content_html: Option<C>,
    #[serde(borrow)]
    pub image: Option<RawImage<'a>>,
    #[serde(borrow)]
    pub comments: Option<RawComments<'a>>,
    pub featured: Option<bool>,
    pub draft: Option<bool>,
}

impl<'a, C> RawArticle<'a, C> {
    /// The same record, its body held as `f` makes it.
    pub fn map_body<D>(self, f: impl FnOnce(C) -> D) -> RawArticle<'a, D> {
        RawArticle {
            title: self.title,
            url: self.url,
            published: self.published,
            id: self.id,
            updated: self.updated,
            authors: self.authors,
            categories: self.categories,
            summary: self.summary,
            content_html: self.content_html.map(f),
            image: self.image,
            comments: self.comments,
            featured: self.featured,
            draft: self.draft,
        }
    }
}

/// An author: a bare name, or `{name, email?, url?}`.
#[derive(Debug)]
pub enum RawAuthor<'a> {
    Name(Cow<'a, str>),
    Full(RawPerson<'a>),
}

impl<'de: 'a, 'a> Deserialize<'de> for RawAuthor<'a> {
    // By hand rather than `#[serde(untagged)]`, which buffers every value
    // and loses the error's reason.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawAuthor<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a name, or a table {name, email, url}")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(RawAuthor::Name(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(RawAuthor::Name(Cow::Owned(s.to_owned())))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                RawPerson::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawAuthor::Full)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPerson<'a> {
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    #[serde(borrow)]
    pub email: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub url: Option<Cow<'a, str>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawImage<'a> {
    #[serde(borrow)]
    pub url: Cow<'a, str>,
    #[serde(borrow)]
    pub alt: Cow<'a, str>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    #[serde(rename = "type", borrow)]
    pub mime_type: Option<Cow<'a, str>>,
    /// Size in bytes; RSS `enclosure` requires it, so it is written only
    /// when known.
    pub length: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawComments<'a> {
    pub count: u64,
    #[serde(borrow)]
    pub url: Option<Cow<'a, str>>,
}

/// A date as a string (JSON, TOML string) or a TOML date-time value.
#[derive(Debug)]
pub struct RawDate<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for RawDate<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawDate<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an RFC 3339 date-time, as a string or a TOML date-time")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(RawDate(Cow::Borrowed(s)))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(RawDate(Cow::Owned(s.to_owned())))
            }
            // toml hands its date-time values over as a one-entry map.
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let entry: Option<(String, String)> = map.next_entry()?;
                match entry {
                    Some((_, s)) => Ok(RawDate(Cow::Owned(s))),
                    None => Err(de::Error::custom("empty date")),
                }
            }
        }
        d.deserialize_any(V)
    }
}
