//! `matinale serve [--port P]`: build, serve the output folder, rebuild on
//! change.

use super::Ctx;
use crate::config::Config;
use crate::serve::{Fingerprint, Server};
use anyhow::Context;
use chrono::{DateTime, Utc};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often the sources are looked at.
const POLL: Duration = Duration::from_millis(300);

pub fn run(
    mut ctx: Ctx,
    config_path: &Path,
    fixed_now: Option<DateTime<Utc>>,
    port: u16,
) -> anyhow::Result<()> {
    let sources = |c: &Config| -> Vec<PathBuf> {
        vec![
            c.path.clone(),
            c.content.path.clone(),
            c.layout.templates_dir(),
        ]
    };
    let out = ctx.config.feeds.output_dir.clone();
    // Bound first: a busy port is said before a long build.
    let server = Server::bind(port, &out, &ctx.config.site.subscribe_path)?;
    let mut seen = Fingerprint::of(&sources(&ctx.config));
    // A site with a broken article is still worth serving: the error is
    // printed, and fixing the article rebuilds.
    rebuild(&ctx);
    // Printed even with -q: it is the one thing the user needs.
    println!(
        "serving {} at http://{}/ (rebuilt when feed.toml, {} or templates/ change; Ctrl-C stops)",
        out.display(),
        server.addr(),
        ctx.config.content.path.display()
    );
    std::io::stdout().flush().context("writing to stdout")?;
    server.spawn();
    loop {
        std::thread::sleep(POLL);
        let now = Fingerprint::of(&sources(&ctx.config));
        if now == seen {
            continue;
        }
        // An editor saving several files: wait for the last one.
        std::thread::sleep(POLL);
        seen = Fingerprint::of(&sources(&ctx.config));
        ctx.say("change seen: rebuilding");
        match Config::load(config_path) {
            Ok(config) => ctx.config = config,
            Err(e) => {
                eprintln!(
                    "error: in the configuration {}: {e}; still serving the last build",
                    config_path.display()
                );
                continue;
            }
        }
        ctx.now = fixed_now.unwrap_or_else(crate::clock::system_now);
        rebuild(&ctx);
    }
}

fn rebuild(ctx: &Ctx) {
    // A preview: the cron's build records the edition, not this one.
    let preview = crate::build::Recording::Preview;
    if let Err(e) = super::build::run_all(ctx, crate::build::Shrink::Stop, preview) {
        eprintln!(
            "error: {}; still serving the last build",
            super::error_chain(&e)
        );
    }
    let _ = std::io::stdout().flush();
}
