//! `matinale ping` (and `build --ping`): tell the WebSub hub.

use super::Ctx;

pub fn run(ctx: &Ctx) -> anyhow::Result<()> {
    let report = crate::build::ping(&ctx.config, super::waiting)?;
    if report.sent.is_empty() {
        ctx.say(format!(
            "ping: no feed changed since the last ping; nothing to tell {}",
            report.hub
        ));
        return Ok(());
    }
    for url in &report.sent {
        ctx.detail(format!("  notified {url}"));
    }
    ctx.say(format!(
        "ping: told {} about {} changed feed{}",
        report.hub,
        report.sent.len(),
        if report.sent.len() == 1 { "" } else { "s" }
    ));
    Ok(())
}
