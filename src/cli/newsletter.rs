//! `matinale newsletter [--date D]`: one edition.

use super::{warn_all, Ctx};
use crate::build::{NewsletterReport, Outcome};

pub fn run(ctx: &Ctx, date: Option<chrono::NaiveDate>) -> anyhow::Result<()> {
    let report = crate::build::newsletter(&ctx.config, ctx.now, date, super::waiting)?;
    print(ctx, &report);
    Ok(())
}

pub fn print(ctx: &Ctx, report: &NewsletterReport) {
    warn_all(&report.warnings);
    match &report.outcome {
        Outcome::NothingNew => ctx.say(format!(
            "newsletter {}: no new article since the last edition, so no edition",
            report.date
        )),
        Outcome::Made {
            articles,
            subject,
            preview,
            past,
            trimmed,
        } => {
            let future = crate::newsletter::cutoff(&ctx.config, report.date) > ctx.now;
            let kind = if *preview && future {
                "preview (its cutoff is still to come; nothing recorded)"
            } else if *preview {
                "preview (nothing recorded: `matinale build` makes the edition)"
            } else if *past {
                "past edition, rebuilt from the ledger"
            } else {
                "edition"
            };
            ctx.say(format!(
                "newsletter {}: {kind}, {articles} article{}{}, subject « {subject} »",
                report.date,
                if *articles == 1 { "" } else { "s" },
                if *trimmed { ", cut to titles only" } else { "" }
            ));
            let dir = ctx.config.layout.edition_parts(report.date);
            ctx.say(format!("  {} and its web copy", dir.display()));
        }
    }
    for w in &report.written {
        ctx.detail(format!(
            "  {} {}",
            if w.changed { "wrote" } else { "unchanged" },
            w.path.display()
        ));
    }
}
