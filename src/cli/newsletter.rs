//! `matinale newsletter [--date D]`: one edition.

use super::{warn_all, Ctx};
use crate::build::{NewsletterReport, Outcome, Preview};
use crate::newsletter::render::Cut;

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
            cut,
        } => {
            let kind = match preview {
                Some(Preview::CutoffToCome) => {
                    "preview (its cutoff is still to come; nothing recorded)"
                }
                Some(Preview::NotRecorded) => "preview (nothing recorded while serving)",
                None if *past => "past edition, rebuilt from the ledger",
                None => "edition",
            };
            let cut = match cut {
                Cut::None => "",
                Cut::Titles => ", cut to titles only",
                Cut::Short => ", cut to titles only, long texts shortened",
            };
            ctx.say(format!(
                "newsletter {}: {kind}, {articles} article{}{cut}, subject « {subject} »",
                report.date,
                if *articles == 1 { "" } else { "s" },
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
