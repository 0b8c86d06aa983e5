//! `matinale send-test --to ADDR [--date D]`: the edition, to one address.

use super::{warn_all, Ctx};
use crate::mail::{Outbox, Relay, Transport};

pub fn run(ctx: &Ctx, to: &lettre::Address, date: Option<chrono::NaiveDate>) -> anyhow::Result<()> {
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
                    to.to_string().replace(['@', '/', '\\'], "_")
                ),
            };
            &outbox
        }
    };
    let report = crate::build::send_test(config, ctx.now, date, to, transport)?;
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
