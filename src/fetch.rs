//! Fetching a remote feed source politely: one blocking GET with rustls, a
//! timeout, a `User-Agent` naming the site, gzip, a few redirects at most,
//! a size cap, and a conditional GET against the copy kept in `.matinale/`,
//! so that a job running every few minutes costs the publisher a 304.
//!
//! When the server answers 304, or fails and a copy is kept, the copy is
//! used (with a warning when the server failed). The new copy is written by
//! the build, in the same commit as the outputs made from it, and only once
//! it parsed: a page that is not a feed never replaces a good copy.

use crate::error::Error;
use crate::layout::SourceCopy;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use url::Url;

/// Larger than any feed a CMS publishes; a body beyond is refused.
pub const MAX_BYTES: u64 = 20 * 1024 * 1024;
const MAX_REDIRECTS: u32 = 5;

/// The validators of the kept copy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

impl Meta {
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("strings serialise");
        s.push('\n');
        s
    }
}

/// What a fetch gave.
#[derive(Debug)]
pub enum Fetched {
    /// A new body (200), to keep once it parses.
    Fresh { body: Vec<u8>, meta: Meta },
    /// The kept copy: the server said 304 (`warning` none) or failed.
    Kept {
        body: Vec<u8>,
        warning: Option<String>,
    },
}

fn read_kept(kept: &SourceCopy, url: &Url) -> Option<(Vec<u8>, Meta)> {
    let meta: Meta = serde_json::from_slice(&std::fs::read(&kept.meta).ok()?).ok()?;
    // A copy of another URL (the source changed in feed.toml) is no copy.
    if meta.url != url.as_str() {
        return None;
    }
    let body = std::fs::read(&kept.body).ok()?;
    Some((body, meta))
}

/// GETs `url`, conditionally when a copy of it is `kept`.
pub fn fetch(
    url: &Url,
    timeout: Duration,
    user_agent: &str,
    kept: &SourceCopy,
) -> Result<Fetched, Error> {
    let kept = read_kept(kept, url);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(MAX_REDIRECTS)
        .max_redirects_will_error(true)
        .user_agent(user_agent)
        .build()
        .into();
    let mut request = agent
        .get(url.as_str())
        .header("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5");
    if let Some((_, meta)) = &kept {
        if let Some(etag) = &meta.etag {
            request = request.header("If-None-Match", etag);
        }
        if let Some(lm) = &meta.last_modified {
            request = request.header("If-Modified-Since", lm);
        }
    }
    let failed = |what: String, kept: Option<(Vec<u8>, Meta)>| -> Result<Fetched, Error> {
        match kept {
            Some((body, _)) => Ok(Fetched::Kept {
                body,
                warning: Some(format!("{what}; using the copy fetched before")),
            }),
            None => Err(Error::Remote {
                server: format!("cannot fetch {url}"),
                what,
                hint: "check [content] path, and that the server is up; there is no copy fetched before to fall back on".to_owned(),
            }),
        }
    };
    let mut response = match request.call() {
        Ok(r) => r,
        Err(e) => return failed(transport_error(&e, timeout), kept),
    };
    let status = response.status();
    if status.as_u16() == 304 {
        return match kept {
            Some((body, _)) => Ok(Fetched::Kept {
                body,
                warning: None,
            }),
            None => failed(
                "the server answered 304 Not Modified to a request that was not conditional".into(),
                None,
            ),
        };
    }
    if !status.is_success() {
        return failed(format!("the server answered {status}"), kept);
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let meta = Meta {
        url: url.to_string(),
        etag: header("etag"),
        last_modified: header("last-modified"),
    };
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_BYTES)
        .read_to_vec();
    match body {
        Ok(body) => Ok(Fetched::Fresh { body, meta }),
        Err(ureq::Error::BodyExceedsLimit(_)) => failed(
            format!(
                "the feed is over {} MB, more than a feed should be",
                MAX_BYTES / (1024 * 1024)
            ),
            kept,
        ),
        Err(e) => failed(transport_error(&e, timeout), kept),
    }
}

fn transport_error(e: &ureq::Error, timeout: Duration) -> String {
    match e {
        ureq::Error::Timeout(_) => format!(
            "no complete answer within {} s ([content] timeout_s)",
            timeout.as_secs()
        ),
        ureq::Error::TooManyRedirects => {
            format!("more than {MAX_REDIRECTS} redirects (a redirect loop?)")
        }
        other => other.to_string(),
    }
}
