//! Stage one of configuration: the shape of `feed.toml`, as serde reads it.
//!
//! Every table denies unknown keys, so a typo (`max_itemz`) is an error with
//! its line rather than a silently ignored setting. Nothing here is checked
//! beyond its TOML type; [`super::Config::from_raw`] does the validation.

use serde::Deserialize;
use std::collections::BTreeMap;

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
    pub timeout_s: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFeeds {
    pub output_dir: Option<String>,
    pub base_url: Option<String>,
    pub max_items: Option<usize>,
    pub full_content: Option<bool>,
    pub per_category: Option<bool>,
    pub websub_hub: Option<String>,
    pub websub_timeout_s: Option<u64>,
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
    pub lookback_days: Option<u32>,
    pub from: Option<String>,
    pub reply_to: Option<String>,
    pub subject: Option<String>,
    pub max_articles: Option<usize>,
    pub category_order: Option<Vec<String>>,
    pub token_placeholder: Option<String>,
    pub unsubscribe_url: Option<String>,
    pub unsubscribe_mailto: Option<String>,
    pub list_id: Option<String>,
    pub postal_address: Option<String>,
    pub utm: Option<BTreeMap<String, String>>,
    pub output_dir: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSmtp {
    pub host: Option<String>,
    pub port: Option<u16>,
    pub security: Option<String>,
    pub username: Option<String>,
    pub password_env: Option<String>,
    pub timeout_s: Option<u64>,
    pub ca_file: Option<String>,
    pub allow_plaintext: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDelivery {
    pub method: Option<String>,
    pub to: Option<String>,
    pub command: Option<Vec<String>>,
    pub max_delay_hours: Option<u32>,
}
