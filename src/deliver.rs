//! Delivering an edition: its master copy handed, once, to the engine that
//! sends it to the subscribers (a list server behind the site's MTA, or a
//! platform's inbound address), and the record that makes "once" hold.
//!
//! matinale keeps no subscribers and fans nothing out: it gives one
//! message to one address, the list's. What it owns is that the message is
//! the edition's own (its Message-ID, never a test's), given at the right
//! time, and given once. The record of deliveries, beside the ledger of
//! editions and written atomically like it, says per edition "handing off"
//! *before* the message is given and "delivered", with the engine's
//! answer, after. So a run that finds:
//!
//! - "delivered": gives nothing again;
//! - "handing off": cannot know whether the engine took the message (the
//!   connection was lost after it was sent, the run was killed), and gives
//!   nothing until told to (`--again`), so that no subscriber gets it
//!   twice;
//! - nothing, or "not delivered" (refused, unreachable): gives it.
//!
//! An edition late past its send time by more than `max_delay_hours` is
//! given only when named (`--date`): a cron job that runs a day late must
//! not send yesterday's news by surprise. Only editions in the ledger are
//! delivered, so a preview never is.

use crate::config::{Config, Delivery};
use crate::error::{Error, Problem, Problems};
use crate::layout::EditionPart;
use crate::mail::{HandOff, HandOffError, MailError};
use crate::newsletter::render::{self, Recipient};
use crate::output::{RunLock, Staging};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

/// The record of deliveries: per edition, where its hand-off stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Deliveries {
    pub editions: BTreeMap<NaiveDate, Record>,
}

/// Where the hand-off of one edition stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    pub state: State,
    /// The Message-ID of what was given.
    pub message_id: String,
    /// The address it was given for (`[delivery] to`).
    pub to: String,
    /// The relay or the command that was given it.
    pub via: String,
    /// When the hand-off started (or the attempt that failed).
    pub started: DateTime<Utc>,
    /// When it ended; absent while handing off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended: Option<DateTime<Utc>>,
    /// The engine's answer (`250 2.0.0 Ok: queued as …`), or why it was
    /// not delivered.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub answer: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// About to be given, or being given: the outcome is unknown until a
    /// later state replaces this one.
    HandingOff,
    /// The engine took it.
    Delivered,
    /// The engine did not take it; the next run tries again.
    NotDelivered,
}

impl Deliveries {
    pub fn parse(text: &str) -> Result<Deliveries, String> {
        serde_json::from_str(text).map_err(|e| e.to_string())
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).expect("the record serialises");
        s.push('\n');
        s
    }
}

/// What a `deliver` run did.
#[derive(Debug)]
pub struct DeliverReport {
    pub date: NaiveDate,
    /// `[delivery] to`.
    pub to: String,
    /// The relay or the command.
    pub via: String,
    pub outcome: Outcome,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Given now; the engine answered this.
    Delivered { message_id: String, answer: String },
    /// Given by an earlier run, as recorded: nothing given again.
    Already(Record),
    /// No edition to give, and why.
    Nothing { why: String },
}

/// What `deliver` was asked.
#[derive(Debug, Clone, Copy, Default)]
pub struct Request {
    /// `--date`: this edition, however late.
    pub date: Option<NaiveDate>,
    /// `--again`: give an edition whose hand-off has an unknown outcome.
    pub again: bool,
}

/// The error of a run without `[delivery]`.
pub fn not_configured(config: &Config) -> Error {
    Error::Invalid {
        problems: Problems(vec![Problem::new(
            &config.path,
            None,
            "delivery",
            "not set, so nothing says where editions go; add e.g.\n  [delivery]\n  method = \"smtp\"   # through [smtp], or \"command\" with command = [\"/usr/sbin/sendmail\", \"-t\", \"-i\"]\n  to = \"matinale@lists.example.org\"   # the list's posting address",
        )]),
    }
}

/// Hands the edition due at `now` (or the one `request` names) to
/// `engine`, once. Holds the site's lock; calls `waiting` if another run
/// holds it first.
pub fn deliver(
    config: &Config,
    now: DateTime<Utc>,
    request: Request,
    engine: &dyn HandOff,
    waiting: impl FnOnce(&Path),
) -> Result<DeliverReport, Error> {
    let delivery = config
        .delivery
        .as_ref()
        .ok_or_else(|| not_configured(config))?;
    let _lock = RunLock::acquire(&config.layout.lock(), waiting)?;
    let ledger = crate::build::read_ledger(config)?;
    let date = request
        .date
        .unwrap_or_else(|| crate::newsletter::latest_due(config, now));
    let report = |outcome| DeliverReport {
        date,
        to: delivery.to.to_string(),
        via: engine.via(),
        outcome,
    };
    // Every refusal names the edition, where it would go and through what.
    let not_handed = format!(
        "the edition of {date} is not handed to {} through {}",
        delivery.to,
        engine.via()
    );
    let Some(edition) = ledger.get(date) else {
        let due = crate::newsletter::cutoff(config, date);
        if due > now {
            return Err(refused(format!(
                "{not_handed}: it is due at {}; until then it is a preview, and a preview is never delivered",
                local(config, due)
            )));
        }
        return Ok(report(Outcome::Nothing {
            why: format!(
                "no edition of {date} was made (no new article since the last one, or no build since its send time)"
            ),
        }));
    };
    let path = config.layout.deliveries();
    let mut deliveries = read(&path)?;
    let message_id = render::message_id(config, date, &Recipient::Platform);
    match deliveries.editions.get(&date) {
        Some(r) if r.state == State::Delivered => {
            return Ok(report(Outcome::Already(r.clone())));
        }
        Some(r) if r.state == State::HandingOff && !request.again => {
            return Err(refused(format!(
                "the edition of {date} (Message-ID {}) was being handed to {} through {} at {}, and that run did not learn whether it was taken (the connection was lost after the message was sent, or the run was stopped): it is not given again by itself, so that no subscriber gets it twice\n  hint: look for Message-ID {} in the relay's log (Postfix: `grep -F '{}' /var/log/mail.log`, then the queue id's `status=`); if it arrived, there is nothing to do; if it never did, give it again with `matinale deliver --date {date} --again`",
                r.message_id,
                r.to,
                r.via,
                local(config, r.started),
                r.message_id,
                r.message_id.trim_matches(['<', '>']),
            )));
        }
        _ => {}
    }
    let late = now - edition.cutoff;
    let allowed = chrono::Duration::hours(i64::from(delivery.max_delay_hours));
    if request.date.is_none() && late > allowed {
        return Err(refused(format!(
            "{not_handed}: it was due at {}, {} ago, more than [delivery] max_delay_hours = {}, and a late edition is not delivered by itself, so that no one gets old news by surprise\n  hint: to deliver it all the same: matinale deliver --date {date}",
            local(config, edition.cutoff),
            ago(late),
            delivery.max_delay_hours
        )));
    }
    let eml_path = config.layout.edition(date, EditionPart::Eml);
    let eml = std::fs::read(&eml_path).map_err(|e| {
        refused(format!(
            "{not_handed}: cannot read its master copy {}: {e}\n  hint: make it again with `matinale newsletter --date {date}`",
            eml_path.display()
        ))
    })?;
    let message = for_engine(&eml, delivery, &message_id).map_err(|why| {
        refused(format!(
            "{not_handed}: {}: {why}\n  hint: make it again with `matinale newsletter --date {date}`",
            eml_path.display()
        ))
    })?;
    let attempt = Record {
        state: State::HandingOff,
        message_id: message_id.clone(),
        to: delivery.to.to_string(),
        via: engine.via(),
        started: now,
        ended: None,
        answer: String::new(),
    };
    let mut gate = || {
        let mut record = deliveries.clone();
        record.editions.insert(date, attempt.clone());
        write(&path, &record)
    };
    let given = engine.hand_off(
        &config.newsletter.from.email,
        &delivery.to,
        &message,
        &mut gate,
    );
    let ended = |state, answer: String| Record {
        state,
        ended: Some(now),
        answer,
        ..attempt.clone()
    };
    match given {
        Ok(answer) => {
            deliveries
                .editions
                .insert(date, ended(State::Delivered, answer.clone()));
            write(&path, &deliveries)?;
            Ok(report(Outcome::Delivered { message_id, answer }))
        }
        Err(HandOffError::Gate(e)) => Err(e),
        Err(HandOffError::NotGiven(e)) => {
            // An earlier record of "delivered" cannot be here; "handing
            // off" only with --again, which this attempt answers.
            deliveries
                .editions
                .insert(date, ended(State::NotDelivered, one_line(&e.to_string())));
            write(&path, &deliveries)?;
            Err(not_given(date, delivery, e))
        }
        Err(HandOffError::Unknown(e)) => Err(unknown(date, delivery, &message_id, e)),
    }
}

/// A refusal by rule: exit code 1.
fn refused(message: String) -> Error {
    Error::Delivery { message }
}

fn not_given(date: NaiveDate, delivery: &Delivery, e: MailError) -> Error {
    match e {
        MailError::Remote { server, what, hint } => Error::Relay {
            server,
            what: format!(
                "the edition of {date} was not delivered to {}: {what}",
                delivery.to
            ),
            hint: next_run(&hint),
        },
        MailError::Setup(message) => refused(format!(
            "the edition of {date} was not delivered to {}: {message}",
            delivery.to
        )),
    }
}

/// A hint that ends with what the next run does: it tries again.
fn next_run(hint: &str) -> String {
    const NEXT: &str = "the next run tries again";
    let hint = hint.trim_end_matches("; try again later");
    let hint = hint.trim_end_matches("; try again");
    match hint {
        "" | "try again later" | "try again" => NEXT.to_owned(),
        h if h.contains(NEXT) => h.to_owned(),
        h if h.ends_with('?') => format!("{h} ({NEXT})"),
        h => format!("{h}; {NEXT}"),
    }
}

fn unknown(date: NaiveDate, delivery: &Delivery, message_id: &str, e: MailError) -> Error {
    let (server, what) = match e {
        MailError::Remote { server, what, .. } => (server, what),
        MailError::Setup(what) => (String::new(), what),
    };
    Error::Relay {
        server,
        what: format!(
            "the edition of {date} for {}: {what}; it may have been taken",
            delivery.to
        ),
        hint: format!(
            "it is not given again by itself, so that no subscriber gets it twice: look for Message-ID {message_id} in the relay's log; if it never arrived, give it again with `matinale deliver --date {date} --again`"
        ),
    }
}

/// The record, or an empty one before the first delivery. A damaged
/// record stops the run: starting afresh would give delivered editions
/// again.
fn read(path: &Path) -> Result<Deliveries, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => Deliveries::parse(&text).map_err(|e| Error::Invalid {
            problems: Problems(vec![Problem::new(
                path,
                None,
                "",
                format!("{e}; mend it by hand rather than delete it: the editions it records as delivered would be delivered again"),
            )]),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Deliveries::default()),
        Err(source) => Err(Error::ReadContent {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn write(path: &Path, deliveries: &Deliveries) -> Result<(), Error> {
    let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut staging = Staging::within(vec![dir]);
    staging.write(path, |w| w.write_all(deliveries.to_json().as_bytes()))?;
    staging.commit()?;
    Ok(())
}

/// The master copy as the engine gets it: `To:` the list's address, and
/// no `List-*` header, which a list engine writes itself (a platform that
/// keeps them takes the master copy as it is). Refuses a file that is not
/// the edition's master copy.
pub fn for_engine(eml: &[u8], delivery: &Delivery, message_id: &str) -> Result<Vec<u8>, String> {
    let end = eml
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("not a message: no blank line after its header")?;
    let (head, body) = eml.split_at(end + 2);
    let mut fields: Vec<&[u8]> = Vec::new();
    for line in head.split_inclusive(|&b| b == b'\n') {
        match fields.last_mut() {
            // A folded line continues the field above.
            Some(last) if line.starts_with(b" ") || line.starts_with(b"\t") => {
                let start = last.as_ptr() as usize - head.as_ptr() as usize;
                *last = &head[start..start + last.len() + line.len()];
            }
            _ => fields.push(line),
        }
    }
    let name = |field: &[u8]| {
        let colon = field.iter().position(|&b| b == b':').unwrap_or(0);
        String::from_utf8_lossy(&field[..colon]).to_ascii_lowercase()
    };
    let found = fields
        .iter()
        .find(|f| name(f) == "message-id")
        .map(|f| {
            let value = &f[f.iter().position(|&b| b == b':').unwrap_or(0) + 1..];
            String::from_utf8_lossy(value).trim().to_owned()
        })
        .ok_or("it has no Message-ID")?;
    if found != message_id {
        return Err(format!(
            "its Message-ID is {found}, not the edition's {message_id}: it is not the edition's master copy"
        ));
    }
    let mut out = Vec::with_capacity(eml.len());
    for field in fields {
        match name(field).as_str() {
            "to" => out.extend_from_slice(format!("To: {}\r\n", delivery.to).as_bytes()),
            n if n.starts_with("list-") => {}
            _ => out.extend_from_slice(field),
        }
    }
    out.extend_from_slice(body);
    Ok(out)
}

fn local(config: &Config, t: DateTime<Utc>) -> String {
    t.with_timezone(&config.site.timezone)
        .format("%Y-%m-%d %H:%M %:z")
        .to_string()
}

/// "7 h 30 min".
fn ago(d: chrono::Duration) -> String {
    let minutes = d.num_minutes();
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

fn one_line(s: &str) -> String {
    s.lines().map(str::trim).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery() -> Delivery {
        Delivery {
            method: crate::config::DeliveryMethod::Smtp,
            to: "matinale@lists.example.org".parse().unwrap(),
            max_delay_hours: 6,
            unsubscribe_link: None,
        }
    }

    const EML: &str = "From: Le Fil <newsletter@fil.example>\r\nTo: Le Fil <newsletter@fil.example>\r\nSubject: La Matinale\r\nMessage-ID: <2026-11-26.edition.matinale.fil.example@fil.example>\r\nList-Id: \"La Matinale\"\r\n <matinale.fil.example>\r\nList-Unsubscribe: <https://fil.example/u?t=*|UNSUB_TOKEN|*>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\nMIME-Version: 1.0\r\n\r\nTo: not a header\r\nList-Id: nor this\r\n";

    #[test]
    fn the_engine_gets_the_list_address_and_no_list_header() {
        let out = for_engine(
            EML.as_bytes(),
            &delivery(),
            "<2026-11-26.edition.matinale.fil.example@fil.example>",
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "From: Le Fil <newsletter@fil.example>\r\nTo: matinale@lists.example.org\r\nSubject: La Matinale\r\nMessage-ID: <2026-11-26.edition.matinale.fil.example@fil.example>\r\nMIME-Version: 1.0\r\n\r\nTo: not a header\r\nList-Id: nor this\r\n"
        );
    }

    #[test]
    fn a_copy_that_is_not_the_edition_s_is_refused() {
        let test = EML.replace(".edition.", ".test-0123456789abcdef.");
        assert_eq!(
            for_engine(
                test.as_bytes(),
                &delivery(),
                "<2026-11-26.edition.matinale.fil.example@fil.example>"
            ),
            Err("its Message-ID is <2026-11-26.test-0123456789abcdef.matinale.fil.example@fil.example>, not the edition's <2026-11-26.edition.matinale.fil.example@fil.example>: it is not the edition's master copy".to_owned())
        );
        assert_eq!(
            for_engine(b"From: x\r\n", &delivery(), "<a@b>"),
            Err("not a message: no blank line after its header".to_owned())
        );
    }

    #[test]
    fn the_record_reads_back_what_it_wrote() {
        let mut d = Deliveries::default();
        let t = DateTime::parse_from_rfc3339("2026-11-26T06:00:03Z")
            .unwrap()
            .with_timezone(&Utc);
        d.editions.insert(
            NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            Record {
                state: State::Delivered,
                message_id: "<a@b>".to_owned(),
                to: "matinale@lists.example.org".to_owned(),
                via: "127.0.0.1:25 (security = \"none\")".to_owned(),
                started: t,
                ended: Some(t),
                answer: "250 2.0.0 Ok: queued as B651CCC863".to_owned(),
            },
        );
        let json = d.to_json();
        assert!(json.contains("\"state\": \"delivered\""), "{json}");
        assert_eq!(Deliveries::parse(&json).unwrap(), d);
        assert!(
            Deliveries::parse("{\"editions\": {\"2026-11-26\": {\"state\": \"sent\"}}}")
                .unwrap_err()
                .starts_with("unknown variant `sent`")
        );
    }
}
