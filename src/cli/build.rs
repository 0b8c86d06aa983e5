//! `matinale build` and `matinale feeds`.

use super::{warn_all, Ctx};
use crate::build::{Recording, Shrink};
use crate::layout::{Format, Page};
use crate::output::human_size;

/// `matinale build`: feeds, then the edition due (recorded, or with
/// [`Recording::Preview`] not).
pub fn run_all(ctx: &Ctx, shrink: Shrink, recording: Recording) -> anyhow::Result<()> {
    let (feeds, edition) =
        crate::build::all(&ctx.config, ctx.now, shrink, recording, super::waiting)?;
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
    let cache = report.cache;
    ctx.detail(format!(
        "{} of {} article{} copied from the last build's feeds, {} rendered",
        cache.reused,
        cache.articles,
        plural(cache.articles),
        cache.articles - cache.reused
    ));
    if cache.glanced > 0 {
        ctx.detail(format!(
            "{} of {} line{} of the export recalled from the last build's memo",
            cache.recalled,
            cache.glanced,
            plural(cache.glanced),
        ));
    }
    let categories = report.feeds.len().saturating_sub(1);
    if categories > 0 && !ctx.verbose {
        ctx.say(format!(
            "{}: {categories} categor{} (-v lists them)",
            layout.categories_dir().display(),
            if categories == 1 { "y" } else { "ies" }
        ));
    }
    let partials = [Page::HeadPartial, Page::CtaPartial, Page::SignupPartial].map(|p| {
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
    if let Some(s) = &report.sitemaps {
        ctx.say(sitemaps_line(ctx, s));
    }
    for w in &report.written {
        ctx.detail(format!(
            "  {} {} ({})",
            if w.changed { "wrote" } else { "unchanged" },
            w.path.display(),
            human_size(w.bytes)
        ));
    }
    for r in &report.removed {
        let sitemap = layout
            .relative(r)
            .is_some_and(|rel| layout.is_sitemap_file(&rel));
        ctx.say(format!(
            "removed {} ({})",
            r.display(),
            if sitemap {
                "a sitemap output this build no longer writes"
            } else {
                "its category has no article any more"
            }
        ));
    }
    let changed = report.written.iter().filter(|w| w.changed).count();
    ctx.say(format!(
        "{} files: {changed} written, {} unchanged",
        report.written.len(),
        report.written.len() - changed
    ));
}

/// One line naming the sitemaps written.
fn sitemaps_line(ctx: &Ctx, s: &crate::sitemap::Report) -> String {
    let layout = &ctx.config.layout;
    let mut line = format!("{}: ", layout.file(&s.site).display());
    if let (Some(first), Some(last)) = (s.parts.first(), s.parts.last()) {
        line.push_str(&format!(
            "index of {} sitemaps ({first} to {last}), ",
            s.parts.len()
        ));
    }
    line.push_str(&format!("{} URL{}", s.urls, plural(s.urls)));
    if let Some((news, n)) = &s.news {
        line.push_str(&format!(
            "; {}: {n} article{} of the last 48 hours",
            layout.file(news).display(),
            plural(*n)
        ));
    }
    line.push_str(&format!(
        "; {}: their Sitemap: lines for robots.txt",
        layout.file(&s.robots).display()
    ));
    line
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
