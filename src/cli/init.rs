//! `matinale init [--from-feed PATH|URL]`: a starter site beside the
//! configuration's path (by default, here).

use crate::init::{Report, Source};
use std::path::Path;

pub fn run(
    config: &Path,
    from_feed: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
    quiet: bool,
) -> anyhow::Result<()> {
    let source = from_feed.map_or(Source::Example, Source::Feed);
    let report = crate::init::init(config, source, now)?;
    if !quiet {
        print(&report, from_feed, config);
    }
    Ok(())
}

fn print(report: &Report, from_feed: Option<&str>, config: &Path) {
    for path in &report.written {
        println!("wrote {}", path.display());
    }
    if let Some(dir) = &report.kept_content {
        println!(
            "{} already holds files: kept as they are, no example added (articles without `url` need [content] permalink)",
            dir.display()
        );
    }
    if let (Some(feed), Some(items)) = (from_feed, report.items) {
        println!(
            "the source is {} ({items} item{} now)",
            crate::fetch::redact(feed),
            if items == 1 { "" } else { "s" }
        );
    }
    let with_config = match config.to_str() {
        Some("feed.toml") => String::new(),
        _ => format!(" --config {}", config.display()),
    };
    println!(
        "next: edit {} (the site's title, url and time zone first), then run `matinale{with_config} build`; `matinale{with_config} serve` shows the result at http://127.0.0.1:8080/",
        config.display()
    );
}
