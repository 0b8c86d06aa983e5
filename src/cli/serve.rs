//! `matinale serve [--port P]`: build, serve the output folder, rebuild on
//! change, until Ctrl-C or SIGTERM. Its builds record nothing in the
//! newsletter's ledger: a preview must not use up the edition that
//! `build` will make.

use super::{Ctx, Now};
use crate::config::Config;
use crate::serve::{Fingerprint, Preview, Server};
use anyhow::Context;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

/// How often the sources are looked at.
const POLL: Duration = Duration::from_millis(300);

pub fn run(
    mut ctx: Ctx,
    config_path: &Path,
    fixed_now: Option<&Now>,
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
    let production = ctx.config.layout.url("").to_string();
    let started = crate::clock::system_now().timestamp_millis();
    let preview = Preview::new(&production, u64::try_from(started).unwrap_or(0));
    // Bound first: a busy port is said before a long build.
    let server = Server::bind(port, &out, &ctx.config.site.subscribe_path, preview.clone())?;
    let stop = on_stop()?;
    let mut seen = Fingerprint::of(&sources(&ctx.config));
    // A site with a broken article is still worth serving: the error is
    // printed, and fixing the article rebuilds.
    rebuild(&ctx, &preview);
    // Printed even with -q: it is the one thing the user needs.
    println!(
        "serving {} at http://{}/ (a preview: pages link this server and reload after each rebuild, when feed.toml, {} or templates/ change; nothing is recorded in the ledger; Ctrl-C stops)",
        out.display(),
        server.addr(),
        ctx.config.content.path.display()
    );
    std::io::stdout().flush().context("writing to stdout")?;
    server.spawn();
    loop {
        if stop.recv_timeout(POLL).is_ok() {
            println!("stopped; {} keeps the last build", out.display());
            std::io::stdout().flush().context("writing to stdout")?;
            return Ok(());
        }
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
        ctx.now = match fixed_now {
            Some(n) => match n.resolve(ctx.config.site.timezone) {
                Ok(now) => now,
                Err(e) => {
                    eprintln!("error: {e}; still serving the last build");
                    continue;
                }
            },
            None => crate::clock::system_now(),
        };
        rebuild(&ctx, &preview);
    }
}

/// A channel that receives once per Ctrl-C or SIGTERM. A second signal
/// during a long build does not wait for it: the process exits at once
/// (the writes of a build are atomic, so nothing is left half-written).
fn on_stop() -> anyhow::Result<mpsc::Receiver<()>> {
    let (tx, rx) = mpsc::channel();
    let mut signals = 0u32;
    ctrlc::set_handler(move || {
        signals += 1;
        if signals > 1 {
            println!("stopped");
            let _ = std::io::stdout().flush();
            std::process::exit(130);
        }
        let _ = tx.send(());
    })
    .context("cannot handle Ctrl-C and SIGTERM")?;
    Ok(rx)
}

fn rebuild(ctx: &Ctx, preview: &Preview) {
    match super::build::run_all(
        ctx,
        crate::build::Shrink::Stop,
        crate::build::Recording::Preview,
    ) {
        Ok(()) => preview.rebuilt(ctx.config.layout.url("").as_str()),
        Err(e) => eprintln!(
            "error: {}; still serving the last build",
            super::error_chain(&e)
        ),
    }
    let _ = std::io::stdout().flush();
}
