//! `matinale build` and `matinale feeds`.

use super::{warn_all, Ctx};
use crate::build::{Record, Shrink};
use crate::layout::{Format, Page};
use crate::output::human_size;

/// `matinale build` (and `serve`'s builds, which record nothing): feeds,
/// then the edition due.
pub fn run_all(ctx: &Ctx, shrink: Shrink, record: Record) -> anyhow::Result<()> {
    let (feeds, edition) = crate::build::all(&ctx.config, ctx.now, shrink, record, super::waiting)?;
    print(ctx, &feeds);
    super::newsletter::print(ctx, &edition);
    Ok(())
}

/// `matinale feeds`.
pub fn run(ctx: &Ctx, shrink: Shrink) -> anyhow::Result<()> {
    let report = crate::build::feeds(&ctx.config, ctx.now, shrink, super::waiting)?;
    print(ctx, &report);
    Ok(())
}

fn print(ctx: &Ctx, report: &crate::build::FeedsReport) {
    warn_all(&report.warnings);
    let l = &report.load;
    ctx.say(format!(
        "read {} article{} from {} ({} draft{}, {} scheduled after {}{})",
        l.published,
        plural(l.published),
        ctx.config.content.path.display(),
        l.drafts,
        plural(l.drafts),
        l.scheduled,
        ctx.now
            .with_timezone(&ctx.config.site.timezone)
            .format("%Y-%m-%d %H:%M %:z"),
        if report.left_out == 0 {
            String::new()
        } else {
            format!(", {} invalid left out", report.left_out)
        }
    ));
    let layout = &ctx.config.layout;
    let out = layout.feeds_dir();
    for (dir, entries) in &report.feeds {
        let line = format!(
            "{}: {} with {entries} entr{}",
            out.join(dir).display(),
            Format::file_names(),
            if *entries == 1 { "y" } else { "ies" }
        );
        if dir.is_empty() {
            ctx.say(line);
        } else {
            ctx.detail(line);
        }
    }
    let categories = report.feeds.len().saturating_sub(1);
    if categories > 0 && !ctx.verbose {
        ctx.say(format!(
            "{}: {categories} categor{} (-v lists them)",
            layout.categories_dir().display(),
            if categories == 1 { "y" } else { "ies" }
        ));
    }
    let partials = [Page::HeadPartial, Page::CtaPartial].map(|p| {
        let page = layout.page(p);
        page.rsplit('/').next().unwrap_or_default().to_owned()
    });
    ctx.say(format!(
        "{}: the subscribe page; {}: the newsletter archive and its feeds; {}: {}",
        layout.file(&layout.page(Page::Subscribe)).display(),
        out.join(layout.page_dir(Page::Archive)).display(),
        layout.partials_dir().display(),
        partials.join(", "),
    ));
    for w in &report.written {
        ctx.detail(format!(
            "  {} {} ({})",
            if w.changed { "wrote" } else { "unchanged" },
            w.path.display(),
            human_size(w.bytes)
        ));
    }
    for r in &report.removed {
        ctx.say(format!(
            "removed {} (its category has no article any more)",
            r.display()
        ));
    }
    let changed = report.written.iter().filter(|w| w.changed).count();
    ctx.say(format!(
        "{} files: {changed} written, {} unchanged",
        report.written.len(),
        report.written.len() - changed
    ));
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
