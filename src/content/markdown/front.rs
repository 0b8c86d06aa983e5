//! Front matter: the fields at the top of a Markdown article, in TOML
//! between `+++` lines (matinale's own, Zola, Hugo) or in YAML between
//! `---` lines (Hugo, Jekyll, Eleventy, Astro), read into one [`Front`]
//! whatever the generator called them.
//!
//! TOML front matter is matinale's own format: an unknown key is an error
//! with its line, so a typo never drops a date. YAML front matter comes
//! from sites built for another generator, full of keys for its layouts
//! (`layout`, `weight`, `toc`…): matinale reads the keys it knows, at the
//! top and inside authors, images and comments, and ignores the rest.
//! YAML is read within budgets (aliases, depth, size), so a file of
//! aliases that expands to gigabytes is refused rather than followed.

use crate::content::raw::{RawAuthor, RawComments, RawDate, RawPerson};
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use std::borrow::Cow;
use std::fmt;

/// The fields of one article's front matter, under every name the
/// generators use. Several names for one thing are merged by
/// [`super::read_article`] in a fixed order of preference.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Front<'a> {
    #[serde(borrow)]
    pub title: Option<Cow<'a, str>>,
    /// Absolute, or a path from the site's root (Hugo).
    #[serde(borrow)]
    pub url: Option<Cow<'a, str>>,
    /// The last part of a URL made from `[content] permalink`.
    #[serde(borrow)]
    pub slug: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub id: Option<Cow<'a, str>>,
    /// matinale's date, or Jekyll's `published: false`.
    #[serde(borrow)]
    pub published: Option<Published<'a>>,
    /// Hugo, Jekyll, Eleventy.
    #[serde(borrow)]
    pub date: Option<RawDate<'a>>,
    /// Hugo: the date the article goes out.
    #[serde(rename = "publishDate", borrow)]
    pub publish_date: Option<RawDate<'a>>,
    /// Astro.
    #[serde(rename = "pubDate", borrow)]
    pub pub_date: Option<RawDate<'a>>,
    #[serde(borrow)]
    pub updated: Option<RawDate<'a>>,
    /// Hugo.
    #[serde(borrow)]
    pub lastmod: Option<RawDate<'a>>,
    /// Jekyll (jekyll-last-modified-at).
    #[serde(borrow)]
    pub last_modified_at: Option<RawDate<'a>>,
    /// Astro.
    #[serde(rename = "updatedDate", borrow)]
    pub updated_date: Option<RawDate<'a>>,
    #[serde(borrow)]
    pub authors: Option<OneOrMany<RawAuthor<'a>>>,
    /// Jekyll, Hugo's older name.
    #[serde(borrow)]
    pub author: Option<OneOrMany<RawAuthor<'a>>>,
    #[serde(borrow)]
    pub categories: Option<OneOrMany<Cow<'a, str>>>,
    #[serde(borrow)]
    pub tags: Option<OneOrMany<Cow<'a, str>>>,
    #[serde(borrow)]
    pub summary: Option<Cow<'a, str>>,
    /// Hugo, Astro, Eleventy.
    #[serde(borrow)]
    pub description: Option<Cow<'a, str>>,
    /// Jekyll.
    #[serde(borrow)]
    pub excerpt: Option<Cow<'a, str>>,
    #[serde(borrow)]
    pub image: Option<FrontImage<'a>>,
    /// Hugo: the first is the article's image.
    #[serde(borrow)]
    pub images: Option<OneOrMany<FrontImage<'a>>>,
    /// Astro.
    #[serde(rename = "heroImage", borrow)]
    pub hero_image: Option<FrontImage<'a>>,
    #[serde(borrow)]
    pub comments: Option<RawComments<'a>>,
    pub featured: Option<bool>,
    pub draft: Option<bool>,
    /// Never used in Markdown (the body is the content); read only to
    /// say so.
    pub content_html: Option<IgnoredAny>,
}

/// Jekyll's `published: false` keeps an article out; any other value is
/// the publication date.
#[derive(Debug)]
pub enum Published<'a> {
    Flag(bool),
    Date(RawDate<'a>),
}

impl<'de: 'a, 'a> Deserialize<'de> for Published<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Published<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an RFC 3339 date-time, or false to leave the article out")
            }
            fn visit_bool<E: de::Error>(self, b: bool) -> Result<Self::Value, E> {
                Ok(Published::Flag(b))
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(Published::Date(RawDate(Cow::Borrowed(s))))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(Published::Date(RawDate(Cow::Owned(s.to_owned()))))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                RawDate::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(Published::Date)
            }
        }
        d.deserialize_any(V)
    }
}

/// One value or a list of them (`tags: web` or `tags: [web, tech]`).
#[derive(Debug)]
pub struct OneOrMany<T>(pub Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("one value or a list")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                T::deserialize(de::value::BorrowedStrDeserializer::new(s))
                    .map(|t| OneOrMany(vec![t]))
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                T::deserialize(de::value::StringDeserializer::new(s.to_owned()))
                    .map(|t| OneOrMany(vec![t]))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
                Vec::<T>::deserialize(de::value::SeqAccessDeserializer::new(seq)).map(OneOrMany)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|t| OneOrMany(vec![t]))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

/// An image: its URL alone (Hugo's `images`, Jekyll's `image: /x.png`), or
/// a table with the URL under `url`, `src` or `path` (jekyll-seo-tag).
#[derive(Debug, Default)]
pub struct FrontImage<'a> {
    pub url: Option<Cow<'a, str>>,
    pub alt: Option<Cow<'a, str>>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub mime_type: Option<Cow<'a, str>>,
    pub length: Option<u64>,
}

/// The table form of [`FrontImage`].
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ImageTable<'a> {
    #[serde(borrow)]
    url: Option<Cow<'a, str>>,
    #[serde(borrow)]
    src: Option<Cow<'a, str>>,
    #[serde(borrow)]
    path: Option<Cow<'a, str>>,
    #[serde(borrow)]
    alt: Option<Cow<'a, str>>,
    width: Option<u32>,
    height: Option<u32>,
    #[serde(rename = "type", borrow)]
    mime_type: Option<Cow<'a, str>>,
    length: Option<u64>,
}

impl<'de: 'a, 'a> Deserialize<'de> for FrontImage<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FrontImage<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an image's URL, or a table {url, alt, width, height}")
            }
            fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<Self::Value, E> {
                Ok(FrontImage {
                    url: Some(Cow::Borrowed(s)),
                    ..FrontImage::default()
                })
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
                Ok(FrontImage {
                    url: Some(Cow::Owned(s.to_owned())),
                    ..FrontImage::default()
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let t = ImageTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
                let url = t.url.or(t.src).or(t.path);
                if url.is_none() {
                    return Err(de::Error::custom(
                        "an image needs its URL, under `url` (or `src`, `path`)",
                    ));
                }
                Ok(FrontImage {
                    url,
                    alt: t.alt,
                    width: t.width,
                    height: t.height,
                    mime_type: t.mime_type,
                    length: t.length,
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// The field names a derived struct reads, as serde knows them: what YAML
/// front matter keeps before the strict struct reads it.
fn field_names<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    struct Names(&'static [&'static str]);
    impl<'de> Deserializer<'de> for &mut Names {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            self.0 = fields;
            Err(de::Error::custom("names taken"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
    let mut names = Names(&[]);
    let _ = T::deserialize(&mut names);
    names.0
}

/// YAML front matter parsed, as JSON-like values: the budgets of the YAML
/// reader apply, and the keys matinale does not know are then dropped.
pub fn parse_yaml(src: &str) -> Result<serde_json::Value, (Option<usize>, String)> {
    let options = serde_saphyr::options! {
        with_snippet: false,
    };
    let value: serde_json::Value =
        serde_saphyr::from_str_with_options(src, options).map_err(|e| {
            let line = e
                .location()
                .map(|l| l.line())
                .filter(|&l| l > 0)
                .and_then(|l| usize::try_from(l).ok());
            (line, yaml_message(&e))
        })?;
    Ok(value)
}

/// The error's message alone: the caller names file and line.
fn yaml_message(e: &serde_saphyr::Error) -> String {
    let text = e.without_snippet().to_string();
    // "message at line L, column C": the line is said before the field.
    match text.rfind(" at line ") {
        Some(i) if text[i..].contains("column") => text[..i].to_owned(),
        _ => text,
    }
}

/// Keeps the keys [`Front`] reads, at the top and inside the values that
/// are tables of known fields (authors, images, comments). A `comments`
/// that is not a table (Jekyll's `comments: true` turns a theme's comments
/// on) says nothing matinale uses.
pub fn keep_known(map: &mut serde_json::Map<String, serde_json::Value>) {
    let top = field_names::<Front<'_>>();
    map.retain(|k, _| top.contains(&k.as_str()));
    let person = field_names::<RawPerson<'_>>();
    let image = field_names::<ImageTable<'_>>();
    for (key, fields) in [
        ("author", person),
        ("authors", person),
        ("image", image),
        ("images", image),
        ("heroImage", image),
    ] {
        if let Some(v) = map.get_mut(key) {
            keep_fields(v, fields);
        }
    }
    match map.get_mut("comments") {
        Some(serde_json::Value::Object(c)) => {
            let fields = field_names::<RawComments<'_>>();
            c.retain(|k, _| fields.contains(&k.as_str()));
        }
        Some(_) => {
            map.remove("comments");
        }
        None => {}
    }
}

/// In a table, or in each table of a list, keeps `fields`.
fn keep_fields(v: &mut serde_json::Value, fields: &[&str]) {
    match v {
        serde_json::Value::Object(m) => m.retain(|k, _| fields.contains(&k.as_str())),
        serde_json::Value::Array(items) => {
            for item in items {
                keep_fields(item, fields);
            }
        }
        _ => {}
    }
}

/// What a YAML document that is not a table of fields is, for a message.
pub fn describe(v: &serde_json::Value) -> String {
    let short = |s: &str| {
        let one_line = s.lines().next().unwrap_or("");
        let cut: String = one_line.chars().take(40).collect();
        if cut.len() < one_line.len() {
            format!("{cut}…")
        } else {
            cut
        }
    };
    match v {
        serde_json::Value::Null => "nothing".to_owned(),
        serde_json::Value::String(s) => format!("the text `{}`", short(s)),
        serde_json::Value::Array(_) => "a list".to_owned(),
        serde_json::Value::Bool(_) | serde_json::Value::Number(_) => {
            format!("the value `{v}`")
        }
        serde_json::Value::Object(_) => "a table".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_names_are_those_serde_reads() {
        let names = field_names::<Front<'_>>();
        for n in [
            "title",
            "publishDate",
            "last_modified_at",
            "heroImage",
            "draft",
        ] {
            assert!(names.contains(&n), "{n}: {names:?}");
        }
        assert_eq!(field_names::<RawComments<'_>>(), &["count", "url"][..]);
    }

    #[test]
    fn unknown_keys_are_dropped_at_every_level_read() {
        let mut v = parse_yaml(
            "title: T\nlayout: post\nweight: 3\nauthor: {name: A, twitter: a}\n\
             images: [/a.png, {src: /b.png, caption: c}]\ncomments: true\n",
        )
        .unwrap();
        keep_known(v.as_object_mut().unwrap());
        assert_eq!(
            v,
            serde_json::json!({
                "title": "T",
                "author": {"name": "A"},
                "images": ["/a.png", {"src": "/b.png"}],
            })
        );
    }

    #[test]
    fn a_billion_laughs_is_refused() {
        let mut yaml = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..12 {
            let prev = if i == 0 {
                "a".to_owned()
            } else {
                format!("l{}", i - 1)
            };
            yaml.push_str(&format!(
                "l{i}: &l{i} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
            ));
        }
        let (_, message) = parse_yaml(&yaml).unwrap_err();
        assert!(!message.is_empty());
    }
}
