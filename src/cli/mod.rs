//! Command-line interface: clap types, and one file per command.
//!
//! Commands load the config, apply the global options, call the library
//! and print what happened. Progress goes to stdout (silenced by `-q`);
//! warnings and errors go to stderr.

mod build;
mod check;
mod deliver;
mod init;
mod newsletter;
mod ping;
mod send_test;
mod serve;

use crate::config::Config;
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "matinale",
    version,
    about = "Builds a news site's RSS, Atom and JSON feeds, with its calls to action",
    long_about = "Builds a news site's RSS 2.0, Atom 1.0 and JSON Feed 1.1 feeds and its morning \
newsletter from its articles, each entry closed by the site's calls to action. The articles come from \
one of three sources: a folder of Markdown files (TOML or YAML front matter, as matinale, Zola, Hugo \
and Jekyll write them), a JSON Lines export, or an existing RSS, Atom or JSON feed (a file or an \
http(s) URL: RSS-to-email).\n\n\
Everything is configured in feed.toml; `matinale init` writes a commented one. Outputs are written \
all-or-nothing: a failed run leaves the previous files as they were.",
    after_help = "Exit codes: 0 success, 1 bad config or content or an output that cannot be written, \
2 bad usage, 3 a remote peer failed.\n\nExample: matinale --now 2026-11-26T07:30:00+01:00 build"
)]
pub struct Args {
    /// Path of the site's configuration.
    #[arg(long, global = true, default_value = "feed.toml", value_name = "PATH")]
    pub config: PathBuf,

    /// Pretend the current time is T, for reproducible runs: RFC 3339
    /// (2026-11-26T07:30:00+01:00), or without offset (2026-11-26T07:30),
    /// read in the site's time zone as articles are. Articles published
    /// after T are left out.
    #[arg(long, global = true, value_name = "T", value_parser = parse_now)]
    pub now: Option<Now>,

    /// Print only warnings and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Print every file written.
    #[arg(short, long, global = true)]
    pub verbose: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build everything: the feeds, the newsletter edition due, the
    /// subscribe page, the newsletter archive and the snippets.
    Build {
        /// Then tell the WebSub hub which feeds changed (see `ping`).
        #[arg(long)]
        ping: bool,
        /// Publish even when the source yields less than half the
        /// published articles the last build read (by default the run
        /// stops and keeps the live feeds).
        #[arg(long)]
        allow_shrink: bool,
        /// Then hand the edition due to the engine that sends it (see
        /// `deliver`): the cron one-liner.
        #[arg(long)]
        deliver: bool,
    },
    /// Build the feeds (RSS, Atom, JSON Feed, and one set per category),
    /// the subscribe page, the archive and the snippets; no new edition.
    Feeds {
        /// As for `build`.
        #[arg(long)]
        allow_shrink: bool,
    },
    /// Validate config and content, list every problem; write nothing.
    Check,
    /// Build one newsletter edition: HTML, text and .eml in
    /// [newsletter] output_dir, and a web copy under the feeds' folder.
    Newsletter {
        /// The edition's date (YYYY-MM-DD); default: the latest one due.
        /// A date whose send time is still to come gives a preview.
        #[arg(long, value_name = "D", value_parser = parse_day)]
        date: Option<chrono::NaiveDate>,
    },
    /// Send one edition to one address, subject prefixed "[TEST] ": the
    /// latest edition due (the one `newsletter` builds without --date),
    /// or --date's; through the [smtp] relay (without a host: into
    /// out/outbox/). Records nothing.
    SendTest {
        /// Who receives the test: an address (jean@example.org) or a name
        /// and an address ("Jean Dupont <jean@example.org>", quoted for the
        /// shell). Anything else is bad usage (exit 2).
        #[arg(long, value_name = "ADDR", value_parser = send_test::parse_to)]
        to: lettre::message::Mailbox,
        /// The edition's date (YYYY-MM-DD); default: the latest one due.
        #[arg(long, value_name = "D", value_parser = parse_day)]
        date: Option<chrono::NaiveDate>,
    },
    /// Hand the edition due to the engine that sends it to the
    /// subscribers ([delivery]: a list server through [smtp], or a
    /// command), once: an edition delivered, or whose hand-off has an
    /// unknown outcome, is not given again.
    Deliver {
        /// The edition's date (YYYY-MM-DD); default: the latest one due.
        /// A named edition is delivered however late.
        #[arg(long, value_name = "D", value_parser = parse_day)]
        date: Option<chrono::NaiveDate>,
        /// Give again an edition whose hand-off has an unknown outcome
        /// (check the relay's log first).
        #[arg(long)]
        again: bool,
    },
    /// Tell the WebSub hub ([feeds] websub_hub) about every feed changed
    /// by builds since the last successful ping.
    Ping,
    /// Build, then serve the output folder on 127.0.0.1 as a preview:
    /// pages link this server, an open page reloads after each rebuild
    /// (when feed.toml, the content or templates/ change), and nothing is
    /// recorded in the newsletter's ledger. Ctrl-C stops it.
    Serve {
        /// The port (0: any free port, printed).
        #[arg(long, default_value_t = 8080, value_name = "P")]
        port: u16,
    },
    /// Write a starter site here: a commented feed.toml and content/ with
    /// one example article, so that `matinale build` works at once. Never
    /// overwrites a file.
    Init {
        /// Make the site's source this feed instead (a path or an http(s)
        /// URL): RSS-to-email in one command. Its title, link and language
        /// fill [site].
        #[arg(long, value_name = "PATH|URL")]
        from_feed: Option<String>,
    },
}

/// `--now` as given: an instant, or a wall-clock time that the site's time
/// zone makes an instant once the configuration is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Now {
    At(DateTime<Utc>),
    Local(String),
}

impl Now {
    /// The instant, in `tz` for a time without offset (as an article's
    /// date is read); the error is bad usage.
    pub fn resolve(&self, tz: chrono_tz::Tz) -> Result<DateTime<Utc>, Usage> {
        match self {
            Now::At(d) => Ok(*d),
            Now::Local(s) => crate::content::date::parse(s, tz)
                .map_err(|e| Usage(format!("invalid value '{s}' for '--now <T>': {e}"))),
        }
    }
}

fn parse_now(s: &str) -> Result<Now, String> {
    let expected = "expected RFC 3339 such as 2026-11-26T07:30:00+01:00, or a date and time \
                    without offset such as 2026-11-26T07:30, read in the site's time zone";
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return crate::content::date::in_range(d.with_timezone(&Utc), chrono_tz::UTC).map(Now::At);
    }
    let naive = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M",
    ]
    .iter()
    .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
    .ok_or_else(|| format!("`{s}` is not a date and time; {expected}"))?;
    crate::content::date::day_in_range(naive.date())?;
    Ok(Now::Local(s.to_owned()))
}

/// Bad usage found once the configuration is read (exit code 2, as clap's).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Usage(pub String);

/// An edition's date, within the years an article's date may have.
fn parse_day(s: &str) -> Result<chrono::NaiveDate, String> {
    s.parse::<chrono::NaiveDate>()
        .map_err(|e| format!("{e}; expected a date such as 2026-11-26"))
        .and_then(crate::content::date::day_in_range)
}

/// What every command needs: the config, "now", and how loud to be.
pub struct Ctx {
    pub config: Config,
    pub now: DateTime<Utc>,
    pub quiet: bool,
    pub verbose: bool,
}

impl Ctx {
    fn say(&self, line: impl std::fmt::Display) {
        if !self.quiet {
            println!("{line}");
        }
    }

    fn detail(&self, line: impl std::fmt::Display) {
        if self.verbose {
            println!("{line}");
        }
    }
}

/// Said once when another run holds the site's lock.
fn waiting(lock: &std::path::Path) {
    eprintln!(
        "waiting for another matinale run on this site to finish (lock {})",
        lock.display()
    );
}

/// Warnings are printed even with `-q`: they are things to fix. A long
/// list is cut, with a count, like the problems of an error.
fn warn_all(warnings: &[crate::error::Problem]) {
    const SHOWN: usize = 200;
    for p in warnings.iter().take(SHOWN) {
        eprintln!("warning: {p}");
    }
    if warnings.len() > SHOWN {
        eprintln!("warning: … and {} more", warnings.len() - SHOWN);
    }
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if let Command::Init { from_feed } = &args.command {
        // No site yet: a time without offset is read in the starter's
        // time zone.
        let now = match &args.now {
            Some(n) => n.resolve(chrono_tz::UTC)?,
            None => crate::clock::system_now(),
        };
        return init::run(&args.config, from_feed.as_deref(), now, args.quiet);
    }
    let config = Config::load(&args.config).map_err(|e| match e {
        // Its message names the path and says what to do.
        e @ crate::Error::NoConfig { .. } => anyhow::Error::from(e),
        e => anyhow::Error::from(e)
            .context(format!("in the configuration {}", args.config.display())),
    })?;
    let now = match &args.now {
        Some(n) => n.resolve(config.site.timezone)?,
        None => crate::clock::system_now(),
    };
    let ctx = Ctx {
        config,
        now,
        quiet: args.quiet,
        verbose: args.verbose,
    };
    match args.command {
        Command::Build {
            ping,
            allow_shrink,
            deliver,
        } => {
            let engine = deliver.then(|| deliver::engine(&ctx)).transpose()?;
            build::run_all(&ctx, shrink(allow_shrink), crate::build::Recording::Record)?;
            // The edition first: it is due now. A failed hand-off still
            // lets the hub hear of the new feeds.
            let delivered = match &engine {
                Some(engine) => deliver::run(&ctx, engine, Default::default()),
                None => Ok(()),
            };
            let pinged = if ping { ping::run(&ctx) } else { Ok(()) };
            delivered.and(pinged)
        }
        Command::Feeds { allow_shrink } => build::run(&ctx, shrink(allow_shrink)),
        Command::Check => check::run(&ctx),
        Command::Newsletter { date } => newsletter::run(&ctx, date),
        Command::SendTest { to, date } => send_test::run(&ctx, &to, date),
        Command::Deliver { date, again } => {
            let engine = deliver::engine(&ctx)?;
            deliver::run(&ctx, &engine, crate::deliver::Request { date, again })
        }
        Command::Ping => ping::run(&ctx),
        Command::Serve { port } => serve::run(ctx, &args.config, args.now.as_ref(), port),
        // Handled above, before a configuration is read.
        Command::Init { from_feed } => {
            init::run(&args.config, from_feed.as_deref(), ctx.now, ctx.quiet)
        }
    }
}

fn shrink(allow: bool) -> crate::build::Shrink {
    if allow {
        crate::build::Shrink::Allow
    } else {
        crate::build::Shrink::Stop
    }
}

/// The error and its causes, once each, on one line each.
pub fn error_chain(err: &anyhow::Error) -> String {
    let mut out = String::new();
    for (i, cause) in err.chain().enumerate() {
        let text = cause.to_string();
        if i > 0 {
            // lettre and io errors may repeat their source's text.
            if out.contains(&text) {
                continue;
            }
            out.push_str("\n  caused by: ");
        }
        out.push_str(&text);
    }
    out
}

/// The exit codes: 0 success, 1 bad config, content or output, 2 bad usage, 3 a remote peer failed.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.chain().any(|c| c.downcast_ref::<Usage>().is_some()) {
        return 2;
    }
    err.chain()
        .find_map(|c| c.downcast_ref::<crate::Error>())
        .map_or(1, |e| e.exit_code() as u8)
}
