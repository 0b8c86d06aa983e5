//! The build pipeline: load → select → prepare → write, all or nothing.
//!
//! This is where the pure parts (content model, feed model, format writers)
//! meet the doors to the outside (loaders, the output writer). The CLI
//! commands are thin wrappers around [`check`] and [`feeds`].

use crate::config::{Config, OnInvalid};
use crate::content::{self, LoadReport};
use crate::error::{Error, Problem, Problems};
use crate::feed::select::FeedSelection;
use crate::feed::{self, FeedSet, Format, GOOGLE_NEWS_FEED_LIMIT, PART_SIZE};
use crate::output::{RunLock, Staging, Written};
use chrono::{DateTime, Utc};
use std::io::Write;

/// What a feeds build did.
#[derive(Debug)]
pub struct FeedsReport {
    pub load: LoadReport,
    /// Problems that did not stop the build (with `on_invalid = "skip"`,
    /// the invalid articles), then warnings.
    pub warnings: Vec<Problem>,
    /// One line per feed: its folder and number of entries.
    pub feeds: Vec<(String, usize)>,
    pub written: Vec<Written>,
    /// Feeds of categories that no longer exist, removed.
    pub removed: Vec<std::path::PathBuf>,
    /// Invalid articles left out (`on_invalid = "skip"`).
    pub left_out: usize,
}

/// Validates config and content without writing anything.
pub fn check(config: &Config, now: DateTime<Utc>) -> Result<FeedsReport, Error> {
    let (load, warnings, feeds) = plan(config, now, true)?;
    let feeds = feeds
        .iter()
        .map(|f| (f.dir.clone(), f.entries.len()))
        .collect();
    Ok(FeedsReport {
        load,
        warnings,
        feeds,
        written: Vec::new(),
        removed: Vec::new(),
        left_out: 0,
    })
}

type Plan<'a> = (LoadReport, Vec<Problem>, Vec<feed::Feed<'a>>);

/// Loads and selects. `strict` (check) fails on any problem whatever
/// `on_invalid` says.
fn plan(config: &Config, now: DateTime<Utc>, strict: bool) -> Result<Plan<'_>, Error> {
    let mut selection = FeedSelection::new(config.feeds.max_items, config.feeds.per_category);
    let mut load = content::load(config, now, &mut selection)?;
    let skip = config.content.on_invalid == OnInvalid::Skip && !strict;
    if !load.problems.is_empty() && !skip {
        return Err(Error::Invalid {
            problems: Problems(std::mem::take(&mut load.problems)).sorted(),
        });
    }
    let set = FeedSet::build(config, selection).map_err(|problems| Error::Invalid {
        problems: Problems(problems).sorted(),
    })?;
    // Invalid articles left out (skip), then what was changed on the way.
    let mut warnings: Vec<Problem> = load.problems.clone();
    warnings.sort();
    warnings.extend(set.warnings);
    warnings.extend(load.warnings.iter().cloned());
    Ok((load, warnings, set.feeds))
}

/// Builds every feed into the output folder. Holds the site's lock; calls
/// `waiting` if another run holds it first.
pub fn feeds(
    config: &Config,
    now: DateTime<Utc>,
    waiting: impl FnOnce(&std::path::Path),
) -> Result<FeedsReport, Error> {
    let _lock = RunLock::acquire(&config.root.join(".matinale"), waiting)?;
    feeds_locked(config, now)
}

fn feeds_locked(config: &Config, now: DateTime<Utc>) -> Result<FeedsReport, Error> {
    let (load, mut warnings, feeds) = plan(config, now, false)?;
    let out = &config.feeds.output_dir;
    let mut staging = Staging::new();
    for f in &feeds {
        for format in Format::ALL {
            let path = out.join(&f.dir).join(format.file_name());
            let bytes = staging.write(&path, |w| format.write(f, w, PART_SIZE).map(drop))?;
            if bytes > GOOGLE_NEWS_FEED_LIMIT {
                warnings.push(Problem::new(
                    &path,
                    None,
                    "",
                    format!(
                        "{}: over the 2 MB of a feed that Google News reads; lower [feeds] max_items",
                        crate::output::human_size(bytes)
                    ),
                ));
            }
        }
    }
    let written = staging.commit()?;
    // A category that no article has any more must not keep serving its
    // last feeds.
    let current = feeds
        .iter()
        .filter_map(|f| f.dir.strip_prefix("category/"))
        .map(|d| d.trim_end_matches('/').to_owned())
        .collect();
    let removed = crate::output::prune(
        &out.join("category"),
        &current,
        &["feed.xml", "atom.xml", "feed.json"],
    )?;
    Ok(FeedsReport {
        removed,
        left_out: load.problems.len(),
        load,
        warnings,
        feeds: feeds
            .iter()
            .map(|f| (f.dir.clone(), f.entries.len()))
            .collect(),
        written,
    })
}

/// What a newsletter run did.
#[derive(Debug)]
pub struct NewsletterReport {
    pub date: chrono::NaiveDate,
    pub outcome: Outcome,
    pub warnings: Vec<Problem>,
    pub written: Vec<Written>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// An edition was made (or a past one rebuilt).
    Made {
        articles: usize,
        subject: String,
        /// The cutoff is still to come: nothing was recorded.
        preview: bool,
        /// Rebuilt from the ledger.
        past: bool,
        /// Cut to titles only to stay under the size Gmail shows whole.
        trimmed: bool,
    },
    /// No article to send.
    NothingNew,
}

/// Builds the edition of `date` (default: the latest one due at `now`).
pub fn newsletter(
    config: &Config,
    now: DateTime<Utc>,
    date: Option<chrono::NaiveDate>,
    waiting: impl FnOnce(&std::path::Path),
) -> Result<NewsletterReport, Error> {
    let _lock = RunLock::acquire(&config.root.join(".matinale"), waiting)?;
    newsletter_locked(config, now, date, true)
}

/// Feeds, then the edition due: `matinale build`.
pub fn all(
    config: &Config,
    now: DateTime<Utc>,
    waiting: impl FnOnce(&std::path::Path),
) -> Result<(FeedsReport, NewsletterReport), Error> {
    let _lock = RunLock::acquire(&config.root.join(".matinale"), waiting)?;
    let feeds = feeds_locked(config, now)?;
    // The feeds already reported the content's problems and warnings.
    let edition = newsletter_locked(config, now, None, false)?;
    Ok((feeds, edition))
}

/// An edition decided, before it is written.
struct EditionPlan {
    date: chrono::NaiveDate,
    cutoff: DateTime<Utc>,
    preview: bool,
    past: bool,
    layout: Option<crate::newsletter::Layout>,
    warnings: Vec<Problem>,
    ledger: crate::newsletter::ledger::Ledger,
    ledger_path: std::path::PathBuf,
    templates: crate::templates::Templates,
}

fn plan_edition(
    config: &Config,
    now: DateTime<Utc>,
    date: Option<chrono::NaiveDate>,
    report_content: bool,
) -> Result<EditionPlan, Error> {
    use crate::newsletter::{self, ledger, Window};
    let templates = crate::templates::Templates::load(&config.root.join("templates"))?;
    let ledger_path = config.newsletter.output_dir.join(ledger::FILE_NAME);
    let ledger = match std::fs::read_to_string(&ledger_path) {
        Ok(text) => ledger::Ledger::parse(&text).map_err(|e| Error::Invalid {
            problems: Problems(vec![Problem::new(&ledger_path, None, "", e)]),
        })?,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => ledger::Ledger::default(),
        Err(source) => {
            return Err(Error::ReadContent {
                path: ledger_path,
                source,
            })
        }
    };
    let date = date.unwrap_or_else(|| newsletter::latest_due(config, now));
    let cutoff = newsletter::cutoff(config, date);
    let window = newsletter::window(config, &ledger, date).map_err(|r| Error::Invalid {
        problems: Problems(vec![Problem::new(&ledger_path, None, "", r.to_string())]),
    })?;
    let past = matches!(window, Window::Past { .. });
    let mut sink = newsletter::EditionArticles::new(window.clone(), &ledger);
    let load = content::load(config, now, &mut sink)?;
    if !load.problems.is_empty() && config.content.on_invalid != OnInvalid::Skip {
        return Err(Error::Invalid {
            problems: Problems(load.problems).sorted(),
        });
    }
    let mut warnings = Vec::new();
    if report_content {
        warnings.extend(load.problems);
        warnings.extend(load.warnings);
    }
    let articles = match &window {
        Window::Past { ids } => newsletter::in_ledger_order(ids, sink.articles),
        Window::New { .. } => sink.articles,
    };
    Ok(EditionPlan {
        date,
        cutoff,
        preview: cutoff > now,
        past,
        layout: newsletter::layout(config, articles),
        warnings,
        ledger,
        ledger_path,
        templates,
    })
}

fn newsletter_locked(
    config: &Config,
    now: DateTime<Utc>,
    date: Option<chrono::NaiveDate>,
    report_content: bool,
) -> Result<NewsletterReport, Error> {
    use crate::newsletter::{ledger, render};
    let EditionPlan {
        date,
        cutoff,
        preview,
        past,
        layout,
        mut warnings,
        mut ledger,
        ledger_path,
        templates,
    } = plan_edition(config, now, date, report_content)?;
    let n = &config.newsletter;
    let Some(layout) = layout else {
        return Ok(NewsletterReport {
            date,
            outcome: Outcome::NothingNew,
            warnings,
            written: Vec::new(),
        });
    };
    let master = render::render(
        config,
        &templates,
        date,
        &layout,
        &render::Recipient::Platform,
    )?;
    let web = render::render(config, &templates, date, &layout, &render::Recipient::Web)?;
    let eml = render::message(config, date, cutoff, &master, &render::Recipient::Platform)?;
    if master.trimmed {
        warnings.push(Problem::new(
            &n.output_dir.join(format!("{date}.html")),
            None,
            "",
            "over 80 KB of HTML: the sections were cut to titles only (Gmail clips longer messages)",
        ));
    }
    let mut staging = Staging::new();
    let out = &n.output_dir;
    staging.write(&out.join(format!("{date}.html")), |w| {
        w.write_all(master.html.as_bytes())
    })?;
    staging.write(&out.join(format!("{date}.txt")), |w| {
        w.write_all(master.text.as_bytes())
    })?;
    staging.write(&out.join(format!("{date}.eml")), |w| w.write_all(&eml))?;
    staging.write(
        &config.feeds.output_dir.join(render::web_copy_path(date)),
        |w| w.write_all(web.html.as_bytes()),
    )?;
    if !past && !preview {
        ledger.editions.push(ledger::Entry {
            date,
            cutoff,
            articles: layout.ids(),
        });
        staging.write(&ledger_path, |w| w.write_all(ledger.to_json().as_bytes()))?;
    }
    let written = staging.commit()?;
    Ok(NewsletterReport {
        date,
        outcome: Outcome::Made {
            articles: layout.count(),
            subject: master.subject,
            preview,
            past,
            trimmed: master.trimmed,
        },
        warnings,
        written,
    })
}

/// What a test send did.
#[derive(Debug)]
pub struct SendReport {
    pub date: chrono::NaiveDate,
    /// Where the message went; `None` when there was no article to send.
    pub delivered: Option<String>,
    pub subject: String,
    pub warnings: Vec<Problem>,
}

/// Sends the edition of `date` (default: the latest due) to `to`, subject
/// prefixed "[TEST] ", through `transport`. Records nothing.
pub fn send_test(
    config: &Config,
    now: DateTime<Utc>,
    date: Option<chrono::NaiveDate>,
    to: &lettre::Address,
    transport: &dyn crate::mail::Transport,
) -> Result<SendReport, Error> {
    use crate::newsletter::render;
    let plan = plan_edition(config, now, date, true)?;
    let Some(layout) = plan.layout else {
        return Ok(SendReport {
            date: plan.date,
            delivered: None,
            subject: String::new(),
            warnings: plan.warnings,
        });
    };
    let recipient = render::Recipient::Test(to.to_string());
    let rendered = render::render(config, &plan.templates, plan.date, &layout, &recipient)?;
    let eml = render::message(config, plan.date, plan.cutoff, &rendered, &recipient)?;
    let where_to = transport.deliver(&config.newsletter.from.email, to, &eml)?;
    Ok(SendReport {
        date: plan.date,
        delivered: Some(where_to),
        subject: rendered.subject,
        warnings: plan.warnings,
    })
}
