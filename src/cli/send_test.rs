//! `matinale send-test --to ADDR [--date D]`: the edition, to one address.

use super::{warn_all, Ctx};
use crate::mail::{Outbox, Relay, Transport};
use lettre::message::Mailbox;

/// Reads `--to`: an address, or a name and an address
/// (`Jean Dupont <jean@example.org>`), as the message's `To:` takes it. A
/// value that is not one is bad usage (exit 2), said before any work.
pub fn parse_to(s: &str) -> Result<Mailbox, String> {
    let expected = "expected an address such as jean@example.org, or a name and an address \
                    such as \"Jean Dupont <jean@example.org>\"";
    let mailbox: Mailbox = s
        .parse()
        .map_err(|e| format!("not an email address ({e}); {expected}"))?;
    // The message's `To:` is made from this text: it must read back as the
    // same mailbox, or the send would fail after the edition was built.
    match mailbox.to_string().parse::<Mailbox>() {
        Ok(again) if again == mailbox => Ok(mailbox),
        _ => Err(format!("cannot be written in a `To:` header; {expected}")),
    }
}

pub fn run(ctx: &Ctx, to: &Mailbox, date: Option<chrono::NaiveDate>) -> anyhow::Result<()> {
    let config = &ctx.config;
    let relay;
    let outbox;
    let transport: &dyn Transport = match &config.smtp.host {
        Some(host) => {
            relay = Relay::new(&config.smtp, host, |name| std::env::var(name).ok())
                .map_err(crate::Error::from)?;
            &relay
        }
        None => {
            let day = date.unwrap_or_else(|| crate::newsletter::latest_due(config, ctx.now));
            outbox = Outbox {
                dir: config.layout.outbox(),
                name: format!(
                    "{day}-test-{}",
                    to.email.to_string().replace(['@', '/', '\\'], "_")
                ),
            };
            &outbox
        }
    };
    // A new message each time: dated now (whatever --now says, which
    // picks the edition), with a Message-ID of its own.
    let at = crate::clock::system_now();
    let nonce = {
        use std::hash::BuildHasher;
        std::collections::hash_map::RandomState::new().hash_one((at, to.to_string()))
    };
    let sent = crate::newsletter::render::Sent { at, nonce };
    let report = crate::build::send_test(config, ctx.now, date, to, sent, transport)?;
    warn_all(&report.warnings);
    match &report.delivered {
        None => ctx.say(format!(
            "newsletter {}: no article to send, so nothing was sent",
            report.date
        )),
        Some(where_to) => ctx.say(format!(
            "newsletter {}: « {} » {where_to}",
            report.date, report.subject
        )),
    }
    Ok(())
}
