//! `matinale deliver [--date D] [--again]`: the edition, once, to the
//! engine that sends it to the subscribers.

use super::Ctx;
use crate::config::DeliveryMethod;
use crate::deliver::{Outcome, Request};
use crate::mail::{HandOff, Pipe, Relay};

/// The engine `[delivery]` names, made before any work so that a missing
/// `[delivery]` or password stops `build --deliver` before it builds.
pub enum Engine<'c> {
    Relay(Relay<'c>),
    Pipe(Pipe),
}

impl Engine<'_> {
    fn get(&self) -> &dyn HandOff {
        match self {
            Engine::Relay(r) => r,
            Engine::Pipe(p) => p,
        }
    }
}

pub fn engine(ctx: &Ctx) -> anyhow::Result<Engine<'_>> {
    let config = &ctx.config;
    let delivery = config
        .delivery
        .as_ref()
        .ok_or_else(|| crate::deliver::not_configured(config))?;
    Ok(match &delivery.method {
        DeliveryMethod::Smtp => {
            // The config refuses method = "smtp" without a host.
            let host = config.smtp.host.as_deref().unwrap_or("localhost");
            Engine::Relay(
                Relay::new(&config.smtp, host, |name| std::env::var(name).ok())
                    .map_err(crate::Error::from)?,
            )
        }
        DeliveryMethod::Command(command) => Engine::Pipe(Pipe {
            command: command.clone(),
            timeout: std::time::Duration::from_secs(config.smtp.timeout_s),
            spool: config.layout.handoff_spool(),
        }),
    })
}

pub fn run(ctx: &Ctx, engine: &Engine<'_>, request: Request) -> anyhow::Result<()> {
    let config = &ctx.config;
    let report = crate::deliver::deliver(config, ctx.now, request, engine.get(), super::waiting)?;
    let date = report.date;
    let local = |t: chrono::DateTime<chrono::Utc>| {
        t.with_timezone(&config.site.timezone)
            .format("%Y-%m-%d %H:%M:%S %:z")
            .to_string()
    };
    match &report.outcome {
        Outcome::Delivered { message_id, answer } => ctx.say(format!(
            "newsletter {date}: delivered to {} through {}: {answer} (Message-ID {message_id})",
            report.to, report.via
        )),
        Outcome::Already(r) => ctx.say(format!(
            "newsletter {date}: delivered at {} to {} through {} ({}); not given again (Message-ID {})",
            local(r.ended.unwrap_or(r.started)),
            r.to,
            r.via,
            r.answer,
            r.message_id
        )),
        Outcome::Nothing { why } => ctx.say(format!(
            "newsletter {date}: nothing to deliver to {} through {}: {why}",
            report.to, report.via
        )),
    }
    Ok(())
}
