//! `matinale check`: every problem of config and content, nothing written.

use super::{warn_all, Ctx};

pub fn run(ctx: &Ctx) -> anyhow::Result<()> {
    // Config problems already failed in `Config::load`.
    let report = crate::build::check(&ctx.config, ctx.now)?;
    warn_all(&report.warnings);
    let l = &report.load;
    ctx.say(format!(
        "ok: {} ({} articles, {} drafts, {} scheduled; {} feeds)",
        ctx.config.path.display(),
        l.published,
        l.drafts,
        l.scheduled,
        report.feeds.len()
    ));
    Ok(())
}
