//! Fetching a remote feed source politely: one blocking GET with rustls, a
//! timeout, a `User-Agent` naming the site, gzip, a few redirects at most,
//! a size cap, and a conditional GET against the copy kept in `.matinale/`,
//! so that a job running every few minutes costs the publisher a 304.
//!
//! When the server answers 304, or fails and a copy is kept, the copy is
//! used (with a warning when the server failed). The new copy is written by
//! the build, in the same commit as the outputs made from it, and only once
//! it parsed: a page that is not a feed never replaces a good copy.
//!
//! Credentials in the source's URL (`https://user:secret@host/feed.xml`)
//! become a Basic `Authorization` header and nothing else: the URL is
//! requested without them, and every message and file that names it shows
//! it [`redacted`].

use crate::error::Error;
use crate::layout::SourceCopy;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
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

/// `url` as messages and files name it: its password, or a user alone
/// (which may be a token), shown as `***`.
pub fn redacted(url: &Url) -> String {
    if url.username().is_empty() && url.password().is_none() {
        return url.to_string();
    }
    let mut shown = url.clone();
    let hidden = if url.password().is_some() {
        shown.set_password(Some("***"))
    } else {
        shown.set_username("***")
    };
    match hidden {
        Ok(()) => shown.to_string(),
        Err(()) => without_credentials(url).to_string(),
    }
}

/// `s`, a URL as feed.toml writes it (perhaps not a valid one), with its
/// credentials hidden, for a message about it.
pub fn redact(s: &str) -> Cow<'_, str> {
    if let Ok(url) = Url::parse(s.trim()) {
        return if url.username().is_empty() && url.password().is_none() {
            Cow::Borrowed(s)
        } else {
            Cow::Owned(redacted(&url))
        };
    }
    // Not a URL: whatever stands where credentials would is hidden.
    let Some(start) = s.find("://").map(|i| i + 3) else {
        return Cow::Borrowed(s);
    };
    let end = s[start..].find(['?', '#']).map_or(s.len(), |i| start + i);
    match s[start..end].rfind('@') {
        Some(at) => Cow::Owned(format!("{}***{}", &s[..start], &s[start + at..])),
        None => Cow::Borrowed(s),
    }
}

/// `url` without its credentials: what is requested, and what the feed's
/// relative links resolve against.
pub fn without_credentials(url: &Url) -> Url {
    let mut bare = url.clone();
    // Only a URL without a host refuses these, and it has no credentials.
    let _ = bare.set_username("");
    let _ = bare.set_password(None);
    bare
}

/// The Basic `Authorization` header of the credentials in `url`, decoded
/// from the URL's percent-encoding (`p%40ss` is the password `p@ss`).
fn basic_auth(url: &Url) -> Option<String> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let mut pair = percent_decode(url.username());
    pair.push(b':');
    pair.extend(percent_decode(url.password().unwrap_or("")));
    Some(format!("Basic {}", base64(&pair)))
}

/// `%XX` escapes decoded (in user info here, in a `mailto:` link for the
/// configuration); a `%` that starts no escape is itself.
pub(crate) fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Standard base64 with padding (RFC 4648), as Basic authentication asks.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * k) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn read_kept(kept: &SourceCopy, url: &Url) -> Option<(Vec<u8>, Meta)> {
    let meta: Meta = serde_json::from_slice(&std::fs::read(&kept.meta).ok()?).ok()?;
    // A copy of another URL (the source changed in feed.toml) is no copy.
    if meta.url != redacted(url) {
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
        .get(without_credentials(url).as_str())
        .header("Accept", "application/rss+xml, application/atom+xml, application/feed+json, application/xml;q=0.9, */*;q=0.5");
    if let Some(auth) = basic_auth(url) {
        request = request.header("Authorization", auth);
    }
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
                server: format!("cannot fetch {}", redacted(url)),
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
        url: redacted(url),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_hidden_and_decoded_for_the_header() {
        let url = Url::parse("https://jean:p%40ss:w@example.org/feed.xml").unwrap();
        assert_eq!(redacted(&url), "https://jean:***@example.org/feed.xml");
        assert_eq!(
            without_credentials(&url).as_str(),
            "https://example.org/feed.xml"
        );
        // "jean:p@ss:w"
        assert_eq!(basic_auth(&url).unwrap(), "Basic amVhbjpwQHNzOnc=");
        // A `%` that starts no escape is itself.
        assert_eq!(percent_decode("a%+fb%4"), b"a%+fb%4");
        assert_eq!(percent_decode("%C3%A9t%c3%a9"), "été".as_bytes());
        let token = Url::parse("https://tok3n@example.org/").unwrap();
        assert_eq!(redacted(&token), "https://***@example.org/");
        assert_eq!(basic_auth(&token).unwrap(), "Basic dG9rM246");
        let plain = Url::parse("https://example.org/@user/feed").unwrap();
        assert_eq!(redacted(&plain), plain.as_str());
        assert_eq!(basic_auth(&plain), None);
    }

    #[test]
    fn text_that_is_not_a_url_is_redacted_too() {
        assert_eq!(
            redact("https://u:secret@/feed.xml"),
            "https://***@/feed.xml"
        );
        assert_eq!(
            redact("https://u:s@e@x .org/f?a@b"),
            "https://***@x .org/f?a@b"
        );
        assert_eq!(
            redact(" https://u:secret@example.org/"),
            "https://u:***@example.org/"
        );
        assert_eq!(redact("feeds/local.xml"), "feeds/local.xml");
        assert_eq!(
            redact("https://example.org/@user"),
            "https://example.org/@user"
        );
    }

    #[test]
    fn base64_pads_as_rfc_4648_says() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), coded);
        }
    }
}
