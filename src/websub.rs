//! WebSub: telling the hub which feeds changed, so that readers subscribed
//! through it (Feedly, Inoreader, Google's hub) fetch them at once.
//!
//! A build records the URL of every feed whose bytes changed in
//! `.matinale/ping.json`; [`Hub::publish`] posts one to the hub
//! (`hub.mode=publish`, `hub.url=…`), retrying with backoff when the hub is
//! down or answers 5xx. A URL leaves the record only once the hub has
//! acknowledged it, so a failed ping is made good by the next one rather
//! than lost.

use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::time::Duration;
use url::Url;

/// Pauses before the second and third attempts.
const BACKOFF: [Duration; 2] = [Duration::from_secs(1), Duration::from_secs(2)];

/// Feed URLs changed by a build and not yet acknowledged by the hub.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pending {
    pub feeds: BTreeSet<String>,
}

impl Pending {
    pub fn parse(text: &str) -> Result<Pending, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("a set of strings serialises");
        s.push('\n');
        s
    }
}

/// A WebSub hub.
pub struct Hub {
    url: Url,
    agent: ureq::Agent,
    /// Of each attempt, from connecting to the end of the answer.
    timeout: Duration,
}

/// How one attempt went.
enum Attempt {
    Done,
    /// Worth another try: the hub is down, slow, or answered 5xx.
    Retry(String),
    /// The hub refused (4xx): trying again will not help.
    Refused(String),
}

impl Hub {
    pub fn new(url: Url, timeout: Duration, user_agent: &str) -> Hub {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .user_agent(user_agent)
            .build()
            .into();
        Hub {
            url,
            agent,
            timeout,
        }
    }

    /// Tells the hub that `topic` changed.
    pub fn publish(&self, topic: &str) -> Result<(), Error> {
        let mut tries = 0;
        loop {
            tries += 1;
            let what = match self.attempt(topic) {
                Attempt::Done => return Ok(()),
                Attempt::Refused(what) => {
                    return Err(self.error(topic, what, "the hub refused the notification; check [feeds] websub_hub and that the hub accepts this feed"));
                }
                Attempt::Retry(what) => what,
            };
            match BACKOFF.get(tries - 1) {
                Some(pause) => std::thread::sleep(*pause),
                None => {
                    return Err(self.error(
                        topic,
                        format!("{what} ({tries} attempts)"),
                        "check [feeds] websub_hub and that the hub is up; the changed feeds stay recorded and the next `matinale ping` sends them",
                    ))
                }
            }
        }
    }

    fn attempt(&self, topic: &str) -> Attempt {
        let sent = self
            .agent
            .post(self.url.as_str())
            .send_form([("hub.mode", "publish"), ("hub.url", topic)]);
        let mut response = match sent {
            Ok(r) => r,
            Err(ureq::Error::Timeout(_)) => {
                return Attempt::Retry(format!(
                    "no complete answer within {} s ([feeds] websub_timeout_s)",
                    self.timeout.as_secs()
                ))
            }
            Err(e) => return Attempt::Retry(e.to_string()),
        };
        let status = response.status();
        if status.is_success() {
            return Attempt::Done;
        }
        // A hub says why in a short body; more would be a page of HTML.
        let body = response
            .body_mut()
            .with_config()
            .limit(4096)
            .read_to_string()
            .unwrap_or_default();
        let body = crate::text::plain(&body);
        let said: String = body.chars().take(200).collect();
        let what = if said.is_empty() {
            format!("the hub answered {status}")
        } else {
            format!("the hub answered {status}: {said}")
        };
        if status.is_server_error() {
            Attempt::Retry(what)
        } else {
            Attempt::Refused(what)
        }
    }

    fn error(&self, topic: &str, what: String, hint: &str) -> Error {
        Error::Remote {
            server: format!("cannot notify the WebSub hub {} of {topic}", self.url),
            what,
            hint: hint.to_owned(),
        }
    }
}
