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
    let (load, set_warnings, feeds) = plan(config, now, true)?;
    let mut warnings = set_warnings;
    warnings.extend(load.warnings.iter().cloned());
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
    let mut warnings: Vec<Problem> = load.problems.clone();
    warnings.sort();
    warnings.extend(set.warnings);
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
    let (load, mut warnings, feeds) = plan(config, now, false)?;
    warnings.extend(load.warnings.iter().cloned());
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
