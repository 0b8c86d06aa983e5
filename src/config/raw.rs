//! Stage one of configuration: the shape of `feed.toml`, as serde reads it.
//!
//! Every table denies unknown keys, so a typo (`max_itemz`) is an error with
//! its line rather than a silently ignored setting. Nothing here is checked
//! beyond its TOML type; [`super::Config::from_raw`] does the validation.
//! Numbers are read as [`Integer`], whatever their sign and size, so that
//! every one out of its range gets the same message, naming the range.

use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

/// A whole number as written in `feed.toml`, before its range is checked:
/// `-1` and `18446744073709551615` are read, and refused with the key's
/// range rather than with the name of a Rust type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Integer(pub i128);

impl<'de> Deserialize<'de> for Integer {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Integer, D::Error> {
        struct Whole;
        impl Visitor<'_> for Whole {
            type Value = Integer;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a whole number")
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Integer, E> {
                Ok(Integer(n.into()))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Integer, E> {
                Ok(Integer(n.into()))
            }
            fn visit_i128<E: de::Error>(self, n: i128) -> Result<Integer, E> {
                Ok(Integer(n))
            }
            fn visit_u128<E: de::Error>(self, n: u128) -> Result<Integer, E> {
                i128::try_from(n).map(Integer).map_err(|_| {
                    E::invalid_value(de::Unexpected::Other("a number this large"), &self)
                })
            }
        }
        d.deserialize_any(Whole)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub site: RawSite,
    #[serde(default)]
    pub content: RawContent,
    #[serde(default)]
    pub feeds: RawFeeds,
    #[serde(default)]
    pub cta: Vec<RawCta>,
    #[serde(default)]
    pub newsletter: RawNewsletter,
    #[serde(default)]
    pub smtp: RawSmtp,
    #[serde(default)]
    pub sitemaps: RawSitemaps,
    pub delivery: Option<RawDelivery>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSite {
    pub title: String,
    pub url: String,
    pub description: Option<String>,
    pub language: Option<String>,
    pub timezone: Option<String>,
    pub logo: Option<String>,
    pub icon: Option<String>,
    pub subscribe_path: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawContent {
    pub source: Option<String>,
    pub path: Option<String>,
    pub on_invalid: Option<String>,
    pub timeout_s: Option<Integer>,
    pub permalink: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeeds {
    pub output_dir: Option<String>,
    pub base_url: Option<String>,
    pub max_items: Option<Integer>,
    pub full_content: Option<bool>,
    pub per_category: Option<bool>,
    pub websub_hub: Option<String>,
    pub websub_timeout_s: Option<Integer>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCta {
    pub id: String,
    pub text: String,
    pub label: Option<String>,
    pub url: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNewsletter {
    pub name: Option<String>,
    pub send_time: Option<String>,
    pub lookback_days: Option<Integer>,
    pub from: Option<String>,
    pub reply_to: Option<String>,
    pub subject: Option<String>,
    pub max_articles: Option<Integer>,
    pub category_order: Option<Vec<String>>,
    pub token_placeholder: Option<String>,
    pub unsubscribe_url: Option<String>,
    pub unsubscribe_mailto: Option<String>,
    pub list_id: Option<String>,
    pub postal_address: Option<String>,
    pub utm: Option<BTreeMap<String, String>>,
    pub output_dir: Option<String>,
    pub signup: Option<RawSignup>,
}

/// `[newsletter.signup]`: where readers sign up, on the sending platform.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSignup {
    pub action: String,
    pub email_field: Option<String>,
    pub fields: Option<BTreeMap<String, String>>,
    pub mailto: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSmtp {
    pub host: Option<String>,
    pub port: Option<Integer>,
    pub security: Option<String>,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub timeout_s: Option<Integer>,
    pub ca_file: Option<String>,
    pub allow_plaintext: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSitemaps {
    pub enabled: Option<bool>,
    pub news: Option<bool>,
    pub publication_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDelivery {
    pub method: Option<String>,
    pub to: Option<String>,
    pub command: Option<Vec<String>>,
    pub max_delay_hours: Option<u32>,
}
