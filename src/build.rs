//! The build pipeline: load → select → prepare → write, all or nothing.
//!
//! This is where the pure parts (content model, feed model, format writers)
//! meet the doors to the outside (loaders, the output writer). The CLI
//! commands are thin wrappers around [`check`], [`feeds`], [`all`],
//! [`newsletter`], [`send_test`] and [`ping`].

use crate::cache::{self, Previous};
use crate::config::{Config, OnInvalid};
use crate::content::{self, Input, LoadReport};
use crate::error::{Error, Problem, Problems};
use crate::feed::select::FeedSelection;
use crate::feed::{self, FeedSet, GOOGLE_NEWS_FEED_LIMIT, PART_SIZE};
use crate::layout::{EditionPart, Format};
use crate::newsletter::ledger::Ledger;
use crate::output::{Manifest, RunLock, Staging, Written};
use crate::sitemap::Listing;
use crate::templates::Templates;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

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
    /// The sitemaps written; `None` when `[sitemaps]` is off, and for `check`.
    pub sitemaps: Option<crate::sitemap::Report>,
    /// Articles in the feeds, and how many of them had their entries
    /// copied from the last build's feeds (the incremental cache).
    pub cache: CacheUse,
}

/// How much of a build the incremental cache saved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheUse {
    pub articles: usize,
    pub reused: usize,
    /// Lines of the export in the memo this build leaves (see
    /// [`crate::content::memo`]), and how many of them the last build's
    /// memo spared reading.
    pub glanced: usize,
    pub recalled: usize,
}

impl CacheUse {
    fn of(feeds: &[feed::Feed<'_>]) -> CacheUse {
        let mut seen = std::collections::BTreeSet::new();
        let mut cache = CacheUse::default();
        for item in feeds.iter().flat_map(|f| f.entries.iter()) {
            if seen.insert(std::sync::Arc::as_ptr(item)) {
                cache.articles += 1;
                cache.reused += usize::from(item.reused.is_some());
            }
        }
        cache
    }
}

/// Validates config and content without writing anything.
pub fn check(config: &Config, now: DateTime<Utc>) -> Result<FeedsReport, Error> {
    let input = Input::open(config)?;
    let (load, warnings, feeds, _) = plan(
        config,
        now,
        Strictness::Check,
        input.as_ref(),
        &Previous::none(),
    )?;
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
        sitemaps: None,
        cache: CacheUse::default(),
    })
}

/// What was loaded, the warnings, the feeds, and every article listed for
/// the sitemaps (when they are on).
type Plan<'a> = (
    LoadReport,
    Vec<Problem>,
    Vec<feed::Feed<'a>>,
    Option<Listing>,
);

/// How a run takes the content's problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strictness {
    /// `check`: any problem fails, whatever `on_invalid` says.
    Check,
    /// A build: as `on_invalid` says.
    AsConfigured,
}

/// Whether a build may publish feeds from far fewer articles than the
/// last build read (an emptied folder, a truncated export).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shrink {
    /// Stop, keeping the live feeds, below half the last count.
    Stop,
    /// `--allow-shrink`: the drop is deliberate.
    Allow,
}

/// The record of the last successful build's source.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
struct LastBuild {
    /// Published articles the source yielded.
    published: usize,
}

fn read_last_build(config: &Config) -> Option<LastBuild> {
    let text = std::fs::read_to_string(config.layout.last_build()).ok()?;
    serde_json::from_str(&text).ok()
}

/// Stops a build whose source yields less than half the published
/// articles of the last one. A first build, or one after a change of
/// `max_items`, compares the source, not the feeds, so is never stopped
/// by it.
fn check_shrink(config: &Config, load: &LoadReport, shrink: Shrink) -> Result<(), Error> {
    let Some(last) = read_last_build(config) else {
        return Ok(());
    };
    if shrink == Shrink::Allow || load.published.saturating_mul(2) >= last.published {
        return Ok(());
    }
    Err(Error::Shrink {
        path: config.content.path.clone(),
        found: load.published,
        last: last.published,
    })
}

/// Who reports the content's problems and warnings of a run, so that a
/// build that reads the content twice (feeds, then edition) says them once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ContentReport {
    /// The edition is made alone: it reports them.
    ByEdition,
    /// The feeds of the same run did.
    ByFeeds,
}

/// Loads and selects.
fn plan<'a>(
    config: &'a Config,
    now: DateTime<Utc>,
    strictness: Strictness,
    input: Option<&Input>,
    previous: &Previous,
) -> Result<Plan<'a>, Error> {
    let mut selection = FeedSelection::new(config.feeds.max_items, config.feeds.per_category);
    if config.sitemaps.enabled {
        selection.listing = Some(Listing::new(now, config.sitemaps.news));
    }
    let mut load = content::load(config, now, input, &mut selection)?;
    let skip =
        config.content.on_invalid == OnInvalid::Skip && strictness == Strictness::AsConfigured;
    if !load.problems.is_empty() && !skip {
        return Err(Error::Invalid {
            problems: Problems(std::mem::take(&mut load.problems)).sorted(),
        });
    }
    let on_invalid = if skip {
        OnInvalid::Skip
    } else {
        OnInvalid::Fail
    };
    let mut listing = selection.listing.take();
    let set = FeedSet::build(config, selection, on_invalid, previous).map_err(|problems| {
        Error::Invalid {
            problems: Problems(problems).sorted(),
        }
    })?;
    // Invalid articles left out (skip), then what was changed on the way.
    let mut warnings: Vec<Problem> = load.problems.clone();
    warnings.extend(set.problems);
    warnings.sort();
    warnings.extend(set.warnings);
    warnings.extend(load.warnings.iter().cloned());
    warnings.extend(
        listing
            .as_mut()
            .map(Listing::take_warnings)
            .unwrap_or_default(),
    );
    Ok((load, warnings, set.feeds, listing))
}

/// Builds every feed into the output folder, with the subscribe page,
/// the newsletter archive and the partials. Holds the site's lock; calls
/// `waiting` if another run holds it first.
pub fn feeds(
    config: &Config,
    now: DateTime<Utc>,
    shrink: Shrink,
    waiting: impl FnOnce(&Path),
) -> Result<FeedsReport, Error> {
    let _lock = RunLock::acquire(&config.layout.lock(), waiting)?;
    let templates = Templates::load(&config.layout.templates_dir())?;
    let input = Input::open(config)?;
    let mut staging = Staging::within(config.layout.writable());
    let (mut report, feeds) = stage_feeds(config, now, input.as_ref(), &mut staging)?;
    check_shrink(config, &report.load, shrink)?;
    let ledger = read_ledger(config)?;
    let site = SiteParts {
        templates: &templates,
        input: input.as_ref(),
        feeds: &feeds,
        ledger: &ledger,
    };
    let (written, manifest) = commit_site(config, &site, &report, staging)?;
    report.written = written;
    finish_feeds(config, &feeds, &mut report, manifest)?;
    Ok(report)
}

/// What the pages and the state of a build are made from.
struct SiteParts<'r, 'a> {
    templates: &'r Templates,
    input: Option<&'r Input>,
    feeds: &'r [feed::Feed<'a>],
    /// The ledger as it is after this run's commit.
    ledger: &'r Ledger,
}

/// Stages the pages (which link the feeds and the latest edition), the
/// ping record and the source's memory after the feeds and edition
/// already staged, then commits them all together.
fn commit_site(
    config: &Config,
    site: &SiteParts<'_, '_>,
    feeds_report: &FeedsReport,
    mut staging: Staging,
) -> Result<(Vec<Written>, Manifest), Error> {
    stage_pages(
        config,
        site.templates,
        site.feeds,
        site.ledger,
        &mut staging,
    )?;
    stage_ping_record(config, &mut staging)?;
    stage_source(
        config,
        site.input,
        feeds_report.load.remember.as_deref(),
        &mut staging,
    )?;
    let last = LastBuild {
        published: feeds_report.load.published,
    };
    staging.write(&config.layout.last_build(), |w| {
        serde_json::to_writer(&mut *w, &last).map_err(std::io::Error::other)?;
        w.write_all(b"\n")
    })?;
    // Files leave the manifest only once deleted (see `finish_feeds`).
    let mut manifest = read_manifest(config);
    let layout = &config.layout;
    let ours: Vec<String> = staging
        .targets()
        .filter_map(|t| layout.relative(t))
        .collect();
    manifest.files.extend(ours);
    staging.write(&layout.manifest(), |w| {
        w.write_all(manifest.to_json().as_bytes())
    })?;
    Ok((staging.commit()?, manifest))
}

/// The manifest of the last build; an unreadable one is no manifest,
/// which deletes nothing.
fn read_manifest(config: &Config) -> Manifest {
    std::fs::read_to_string(config.layout.manifest())
        .ok()
        .and_then(|text| Manifest::parse(&text))
        .unwrap_or_default()
}

fn stage_feeds<'a>(
    config: &'a Config,
    now: DateTime<Utc>,
    input: Option<&Input>,
    staging: &mut Staging,
) -> Result<(FeedsReport, Vec<feed::Feed<'a>>), Error> {
    let layout = &config.layout;
    let previous = Previous::load(&layout.entry_index(), cache::context(config), |p| {
        layout.is_output_feed(p)
    });
    let (mut load, warnings, feeds, listing) =
        plan(config, now, Strictness::AsConfigured, input, &previous)?;
    // The memo of the export's lines is staged first, so that what it
    // holds (the memo read and the new entries, a few megabytes) is given
    // back before the feeds are written: put together beside them, it
    // raised the peak by 6 MiB.
    let memo = load.memo.take();
    let glanced = memo.as_ref().map_or((0, 0), |m| (m.len(), m.reused()));
    if let Some(memo) = memo {
        staging.write(&layout.glance_memo(), |w| memo.write(w))?;
    }
    // The sitemap (100,000 URLs) is laid out on the second core while this
    // one writes the feeds, then its parts are written on both.
    let (warnings, planned) = std::thread::scope(|s| -> Result<_, Error> {
        let planned = listing.map(|listing| s.spawn(move || plan_sitemaps(config, listing)));
        let warnings = stage_feed_files(config, &feeds, &previous, staging, warnings)?;
        let planned = planned.map(|p| p.join().expect("laying out a sitemap does not panic"));
        Ok((warnings, planned))
    })?;
    let sitemaps = match planned {
        Some(planned) => Some(stage_sitemaps(config, planned, staging)?),
        None => None,
    };
    let report = FeedsReport {
        left_out: load.problems.len(),
        load,
        warnings,
        feeds: feeds
            .iter()
            .map(|f| (f.dir.clone(), f.entries.len()))
            .collect(),
        written: Vec::new(),
        removed: Vec::new(),
        sitemaps,
        cache: CacheUse {
            glanced: glanced.0,
            recalled: glanced.1,
            ..CacheUse::of(&feeds)
        },
    };
    Ok((report, feeds))
}

/// Every feed in every format, and the cache of their entries; returns
/// `warnings` with the feeds' own added.
fn stage_feed_files(
    config: &Config,
    feeds: &[feed::Feed<'_>],
    previous: &Previous,
    staging: &mut Staging,
    mut warnings: Vec<Problem>,
) -> Result<Vec<Problem>, Error> {
    let layout = &config.layout;
    let mut recorder = cache::Recorder::new();
    for f in feeds {
        let facts: BTreeMap<cache::Key, &cache::Facts> =
            f.entries.iter().map(|i| (i.key, &i.facts)).collect();
        for format in Format::ALL {
            let path = layout.file(&layout.feed_file(&f.dir, format));
            let mut entries = Vec::new();
            let bytes = staging.write(&path, |w| {
                let (_, written) = format.write(f, w, PART_SIZE, previous)?;
                entries = written;
                Ok(())
            })?;
            let identity = staging
                .committed_metadata(&path)
                .and_then(|m| cache::Identity::of(&m));
            if let Some(identity) = identity {
                recorder.add(format, &path, identity, &entries, |k| {
                    facts.get(&k).map(|f| (*f).clone()).unwrap_or_default()
                });
            }
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
    // Committed with the feeds it points into.
    if let Some(context) = previous.context() {
        staging.write(&layout.entry_index(), |w| {
            w.write_all(&recorder.encode(context))
        })?;
    }
    Ok(warnings)
}

/// The sitemaps laid out, ready to be written.
struct PlannedSitemaps {
    map: crate::sitemap::SiteMap,
    /// The news sitemap's articles; `None`: no news sitemap.
    news: Option<Vec<crate::sitemap::NewsListed>>,
}

/// Lays out the site's sitemap and the news sitemap of `listing`.
fn plan_sitemaps(config: &Config, listing: Listing) -> PlannedSitemaps {
    use crate::layout::Page;
    use crate::sitemap::{self, SiteMap};
    let layout = &config.layout;
    let has_news = listing.has_news();
    let (articles, news) = listing.into_parts();
    let pages = [Page::Subscribe, Page::Archive].map(|p| layout.url(&layout.page_dir(p)));
    PlannedSitemaps {
        map: SiteMap::new(
            &pages,
            articles,
            config.site.timezone,
            sitemap::Limits::SITEMAP,
        ),
        news: has_news.then_some(news),
    }
}

/// The site's sitemap (an index of parts when one file cannot hold it),
/// the news sitemap and the robots.txt lines, each streamed to its file.
fn stage_sitemaps(
    config: &Config,
    planned: PlannedSitemaps,
    staging: &mut Staging,
) -> Result<crate::sitemap::Report, Error> {
    use crate::layout::SitemapFile;
    use crate::sitemap::{self, Publication};
    let layout = &config.layout;
    let tz = config.site.timezone;
    let PlannedSitemaps { map, news } = planned;
    let site = layout.sitemap(SitemapFile::Site);
    let mut parts = Vec::new();
    if map.parts() == 1 {
        staging.write(&layout.file(&site), |w| map.write_part(0, w))?;
    } else {
        parts = (0..map.parts())
            .map(|i| layout.sitemap(SitemapFile::Part(i + 1)))
            .collect();
        // The first half on another thread, the rest on this one, each
        // into a fork of the staging, taken back in order.
        let half = parts.len() / 2;
        let (first, rest) = parts.split_at(half);
        let write = |from: usize, names: &[String], mut fork: Staging| {
            for (i, part) in (from..).zip(names) {
                fork.write(&layout.file(part), |w| map.write_part(i, w))?;
            }
            Ok::<_, Error>(fork)
        };
        let (first, rest) = std::thread::scope(|s| {
            let (a, b) = (staging.fork(), staging.fork());
            let first = s.spawn(move || write(0, first, a));
            let rest = write(half, rest, b);
            (
                first.join().expect("writing a sitemap does not panic"),
                rest,
            )
        });
        staging.absorb(first?);
        staging.absorb(rest?);
        let locs: Vec<url::Url> = parts.iter().map(|p| layout.url(p)).collect();
        staging.write(&layout.file(&site), |w| map.write_index(&locs, w))?;
    }
    let mut announced = vec![layout.url(&site)];
    let news_report = if let Some(news) = news {
        let rel = layout.sitemap(SitemapFile::News);
        let language = sitemap::news_language(&config.site.language);
        let publication = Publication {
            name: &config.sitemaps.publication_name,
            language: &language,
        };
        staging.write(&layout.file(&rel), |w| {
            sitemap::write_news(&news, publication, tz, w)
        })?;
        announced.push(layout.url(&rel));
        Some((rel, news.len()))
    } else {
        None
    };
    let robots = layout.sitemap(SitemapFile::RobotsPartial);
    staging.write(&layout.file(&robots), |w| {
        w.write_all(sitemap::robots_lines(&announced).as_bytes())
    })?;
    Ok(crate::sitemap::Report {
        urls: map.urls(),
        parts,
        site,
        news: news_report,
        robots,
    })
}

/// The subscribe page, the archive, the feed of editions and the partials.
fn stage_pages(
    config: &Config,
    templates: &Templates,
    feeds: &[feed::Feed<'_>],
    ledger: &Ledger,
    staging: &mut Staging,
) -> Result<(), Error> {
    let layout = &config.layout;
    let labels = templates.labels(&config.site.language)?;
    let read = labels.get("view_in_browser").map_or("", String::as_str);
    let editions = crate::pages::editions_feed(config, ledger, &layout.ledger(), read);
    for format in Format::ALL {
        let path = layout.file(&layout.feed_file(&editions.dir, format));
        staging.write(&path, |w| {
            format
                .write(&editions, w, PART_SIZE, &Previous::none())
                .map(drop)
        })?;
    }
    for page in crate::pages::render(config, templates, feeds, ledger)? {
        staging.write(&layout.file(&page.path), |w| {
            w.write_all(page.html.as_bytes())
        })?;
    }
    Ok(())
}

/// With a feed source: the memory of its items, and the new copy of a
/// remote one (only now that it parsed).
fn stage_source(
    config: &Config,
    input: Option<&Input>,
    remember: Option<&str>,
    staging: &mut Staging,
) -> Result<(), Error> {
    if let Some(text) = remember {
        staging.write(&config.layout.seen(), |w| w.write_all(text.as_bytes()))?;
    }
    if let Some((input, meta)) = input.and_then(|i| Some((i, i.fresh.as_ref()?))) {
        let copy = config.layout.source_copy();
        staging.write(&copy.body, |w| w.write_all(input.bytes()))?;
        staging.write(&copy.meta, |w| w.write_all(meta.to_json().as_bytes()))?;
    }
    Ok(())
}

/// Adds every feed whose bytes this run changes to the record `ping`
/// reads (when a hub is set), in the same commit as the feeds themselves.
fn stage_ping_record(config: &Config, staging: &mut Staging) -> Result<(), Error> {
    if config.feeds.websub_hub.is_none() {
        return Ok(());
    }
    let layout = &config.layout;
    let path = layout.ping_record();
    let mut pending = read_pending(&path)?;
    let before = pending.feeds.len();
    for target in staging.changed() {
        if !layout.is_feed_file(target) {
            continue;
        }
        if let Some(rel) = layout.relative(target) {
            pending.feeds.insert(layout.url(&rel).to_string());
        }
    }
    if pending.feeds.len() != before {
        staging.write(&path, |w| w.write_all(pending.to_json().as_bytes()))?;
    }
    Ok(())
}

fn read_pending(path: &Path) -> Result<crate::websub::Pending, Error> {
    match std::fs::read_to_string(path) {
        Ok(text) => crate::websub::Pending::parse(&text).map_err(|e| Error::Invalid {
            problems: Problems(vec![Problem::new(
                path,
                None,
                "",
                format!("{e}; delete the file to start afresh (the next build records the feeds it changes)"),
            )]),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Default::default()),
        Err(source) => Err(Error::ReadContent {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// After the commit: the feeds of categories that no article has any more
/// must not keep serving their last entries.
fn finish_feeds(
    config: &Config,
    feeds: &[feed::Feed<'_>],
    report: &mut FeedsReport,
    mut manifest: Manifest,
) -> Result<(), Error> {
    let layout = &config.layout;
    let current = feeds
        .iter()
        .filter_map(|f| layout.category_of(&f.dir))
        .map(str::to_owned)
        .collect();
    // A sitemap an earlier build wrote and this one did not: a part past
    // the last, or every one once they are turned off.
    let written: std::collections::BTreeSet<String> = report
        .written
        .iter()
        .filter_map(|w| layout.relative(&w.path))
        .collect();
    // Only what an earlier build wrote, never another tool's file.
    let stale: Vec<String> = manifest
        .files
        .iter()
        .filter(|rel| {
            layout.is_stale_category_feed(rel, &current)
                || (layout.is_sitemap_file(rel) && !written.contains(*rel))
        })
        .cloned()
        .collect();
    if !stale.is_empty() {
        let paths: Vec<_> = stale.iter().map(|rel| layout.file(rel)).collect();
        report.removed = crate::output::remove_files(layout.feeds_dir(), &paths)?;
        for rel in &stale {
            manifest.files.remove(rel);
        }
        let mut staging = Staging::within(layout.writable());
        staging.write(&layout.manifest(), |w| {
            w.write_all(manifest.to_json().as_bytes())
        })?;
        staging.commit()?;
    }
    // The ping record is state, not an output to report.
    let state = layout.state_dir();
    report.written.retain(|w| !w.path.starts_with(&state));
    Ok(())
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
        /// Made but not recorded, and why.
        preview: Option<Preview>,
        /// Rebuilt from the ledger.
        past: bool,
        /// How much the email was cut to stay under the size Gmail shows
        /// whole.
        cut: crate::newsletter::render::Cut,
    },
    /// No article to send.
    NothingNew,
}

/// Why an edition was made without being recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Preview {
    /// Its cutoff is still to come.
    CutoffToCome,
    /// The run was asked to record nothing ([`Recording::Preview`]).
    NotRecorded,
}

/// Whether a build records the edition it makes in the ledger. Only a
/// recorded edition counts as carried: a preview must not take the
/// articles of the edition that will be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recording {
    /// The edition due is made and, when new, recorded (`build`).
    Record,
    /// The edition is made, nothing is recorded (`serve`).
    Preview,
}

/// Builds the edition of `date` (default: the latest one due at `now`).
pub fn newsletter(
    config: &Config,
    now: DateTime<Utc>,
    date: Option<chrono::NaiveDate>,
    waiting: impl FnOnce(&Path),
) -> Result<NewsletterReport, Error> {
    let _lock = RunLock::acquire(&config.layout.lock(), waiting)?;
    let templates = Templates::load(&config.layout.templates_dir())?;
    let mut staging = Staging::within(config.layout.writable());
    let input = Input::open(config)?;
    let request = EditionRequest {
        now,
        date,
        content_report: ContentReport::ByEdition,
        recording: Recording::Record,
    };
    let (mut report, _) = stage_edition(config, &templates, request, input.as_ref(), &mut staging)?;
    report.written = staging.commit()?;
    Ok(report)
}

/// Whether a build records the edition it makes in the newsletter's
/// ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Record {
    /// `build`: the edition is made and recorded, so the next one carries
    /// what this one did not.
    Edition,
    /// A preview (`serve`): the edition is made and the pages link it as
    /// `build` would, but the ledger is left as it was.
    Nothing,
}

/// `matinale build`: the feeds, the edition due, and the pages (which link
/// that edition), committed together. With [`Recording::Preview`] the
/// edition is made but not recorded (`serve`).
pub fn all(
    config: &Config,
    now: DateTime<Utc>,
    shrink: Shrink,
    recording: Recording,
    waiting: impl FnOnce(&Path),
) -> Result<(FeedsReport, NewsletterReport), Error> {
    let _lock = RunLock::acquire(&config.layout.lock(), waiting)?;
    let templates = Templates::load(&config.layout.templates_dir())?;
    let input = Input::open(config)?;
    let mut staging = Staging::within(config.layout.writable());
    let (mut feeds_report, feeds) = stage_feeds(config, now, input.as_ref(), &mut staging)?;
    check_shrink(config, &feeds_report.load, shrink)?;
    let feed_files = staging.len();
    let request = EditionRequest {
        now,
        date: None,
        content_report: ContentReport::ByFeeds,
        recording,
    };
    let (mut edition, ledger) =
        stage_edition(config, &templates, request, input.as_ref(), &mut staging)?;
    let edition_files = staging.len() - feed_files;
    let site = SiteParts {
        templates: &templates,
        input: input.as_ref(),
        feeds: &feeds,
        ledger: &ledger,
    };
    let (mut written, manifest) = commit_site(config, &site, &feeds_report, staging)?;
    edition.written = written
        .drain(feed_files..feed_files + edition_files)
        .collect();
    feeds_report.written = written;
    finish_feeds(config, &feeds, &mut feeds_report, manifest)?;
    Ok((feeds_report, edition))
}

pub(crate) fn read_ledger(config: &Config) -> Result<Ledger, Error> {
    let path = config.layout.ledger();
    match std::fs::read_to_string(&path) {
        Ok(text) => Ledger::parse(&text).map_err(|e| Error::Invalid {
            problems: Problems(vec![Problem::new(&path, None, "", e)]),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Ledger::default()),
        Err(source) => Err(Error::ReadContent { path, source }),
    }
}

/// An edition decided, before it is written.
struct EditionPlan {
    date: chrono::NaiveDate,
    cutoff: DateTime<Utc>,
    preview: bool,
    past: bool,
    layout: Option<crate::newsletter::Layout>,
    warnings: Vec<Problem>,
    ledger: Ledger,
    ledger_path: std::path::PathBuf,
    /// What a feed source's items leave to remember.
    remember: Option<String>,
}

fn plan_edition(
    config: &Config,
    now: DateTime<Utc>,
    date: Option<chrono::NaiveDate>,
    input: Option<&Input>,
    content_report: ContentReport,
) -> Result<EditionPlan, Error> {
    use crate::newsletter::{self, Window};
    let ledger = read_ledger(config)?;
    let ledger_path = config.layout.ledger();
    let date = date.unwrap_or_else(|| newsletter::latest_due(config, now));
    let cutoff = newsletter::cutoff(config, date);
    let window = newsletter::window(config, &ledger, date).map_err(|r| Error::Invalid {
        problems: Problems(vec![Problem::new(&ledger_path, None, "", r.to_string())]),
    })?;
    let past = matches!(window, Window::Past { .. });
    let mut sink = newsletter::EditionArticles::new(window.clone(), &ledger);
    let load = content::load(config, now, input, &mut sink)?;
    if !load.problems.is_empty() && config.content.on_invalid != OnInvalid::Skip {
        return Err(Error::Invalid {
            problems: Problems(load.problems).sorted(),
        });
    }
    let remember = load.remember;
    let mut warnings = Vec::new();
    if content_report == ContentReport::ByEdition {
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
        remember,
    })
}

/// What a run asks of its edition.
#[derive(Debug, Clone, Copy)]
struct EditionRequest {
    now: DateTime<Utc>,
    /// `None`: the latest due at `now`.
    date: Option<chrono::NaiveDate>,
    content_report: ContentReport,
    recording: Recording,
}

/// Stages the edition's files and, for a new edition, the ledger that
/// records it; returns the ledger as the pages show it: as it will be
/// after the commit, or with `Record::Nothing` as it would be.
fn stage_edition(
    config: &Config,
    templates: &Templates,
    request: EditionRequest,
    input: Option<&Input>,
    staging: &mut Staging,
) -> Result<(NewsletterReport, Ledger), Error> {
    use crate::newsletter::{ledger, render};
    let EditionRequest {
        now,
        date,
        content_report,
        recording,
    } = request;
    let EditionPlan {
        date,
        cutoff,
        preview,
        past,
        layout,
        mut warnings,
        mut ledger,
        ledger_path,
        remember,
    } = plan_edition(config, now, date, input, content_report)?;
    // A build stages the memory with the feeds; a lone edition does here.
    if content_report == ContentReport::ByEdition {
        stage_source(config, input, remember.as_deref(), staging)?;
    }
    let Some(layout) = layout else {
        let report = NewsletterReport {
            date,
            outcome: Outcome::NothingNew,
            warnings,
            written: Vec::new(),
        };
        return Ok((report, ledger));
    };
    let master = render::render(
        config,
        templates,
        date,
        &layout,
        &render::Recipient::Platform,
    )?;
    let web = render::render(config, templates, date, &layout, &render::Recipient::Web)?;
    let eml = render::message(
        config,
        date,
        render::Stamp::Cutoff(cutoff),
        &master,
        &render::Recipient::Platform,
    )?;
    let files = &config.layout;
    warnings.extend(email_warnings(config, date, &master));
    staging.write(&files.edition(date, EditionPart::Html), |w| {
        w.write_all(master.html.as_bytes())
    })?;
    staging.write(&files.edition(date, EditionPart::Text), |w| {
        w.write_all(master.text.as_bytes())
    })?;
    staging.write(&files.edition(date, EditionPart::Eml), |w| {
        w.write_all(&eml)
    })?;
    staging.write(&files.file(&files.web_copy(date)), |w| {
        w.write_all(web.html.as_bytes())
    })?;
    let preview = if preview {
        Some(Preview::CutoffToCome)
    } else if recording == Recording::Preview && !past {
        Some(Preview::NotRecorded)
    } else {
        None
    };
    // A preview while serving still lists the edition in the pages it
    // links (the ledger in memory), but writes no ledger.
    if !past && preview != Some(Preview::CutoffToCome) {
        ledger.editions.push(ledger::Entry {
            date,
            cutoff,
            articles: layout.ids(),
            subject: master.subject.clone(),
            preheader: master.preheader.clone(),
            headlines: layout
                .articles()
                .map(|a| ledger::Headline {
                    title: a.title.clone(),
                    url: a.url.to_string(),
                })
                .collect(),
        });
        if preview.is_none() {
            staging.write(&ledger_path, |w| w.write_all(ledger.to_json().as_bytes()))?;
        }
    }
    let report = NewsletterReport {
        date,
        outcome: Outcome::Made {
            articles: layout.count(),
            subject: master.subject,
            preview,
            past,
            cut: master.cut,
        },
        warnings,
        written: Vec::new(),
    };
    Ok((report, ledger))
}

/// Subjects longer than this are cut in inbox lists (78 is also the
/// line length RFC 5322 asks for); a phone shows fewer still.
pub const SUBJECT_WARN_CHARS: usize = 78;

/// What a reader would miss of an email: its long subject, its cut body.
fn email_warnings(
    config: &Config,
    date: chrono::NaiveDate,
    email: &crate::newsletter::render::Rendered,
) -> Vec<Problem> {
    use crate::newsletter::render::Cut;
    let files = &config.layout;
    let html = files.edition(date, EditionPart::Html);
    let mut out = Vec::new();
    let subject = email
        .subject
        .strip_prefix("[TEST] ")
        .unwrap_or(&email.subject);
    let chars = subject.chars().count();
    if chars > SUBJECT_WARN_CHARS {
        out.push(Problem::new(
            &files.edition(date, EditionPart::Eml),
            None,
            "Subject",
            format!(
                "« {subject} » is {chars} characters, more than the {SUBJECT_WARN_CHARS} an inbox list shows \
                 (a phone shows fewer); shorten the top story's title, or set [newsletter] subject"
            ),
        ));
    }
    let cut = match email.cut {
        Cut::None => None,
        Cut::Titles => Some("the sections were cut to titles only"),
        Cut::Short => Some("the sections were cut to titles only and the long texts shortened"),
    };
    if let Some(cut) = cut {
        out.push(Problem::new(
            &html,
            None,
            "",
            format!("over 80 KB of HTML: {cut} (Gmail clips longer messages)"),
        ));
    }
    if email.over_limit {
        out.push(Problem::new(
            &html,
            None,
            "",
            format!(
                "{} of HTML even cut to the least it can show: Gmail will clip it, unsubscribe link included; \
                 shorten the template, the calls to action or the URLs",
                crate::output::human_size(email.html.len() as u64)
            ),
        ));
    }
    out
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

/// Sends the edition of `date` (default: the latest due at `now`) to
/// `to`, subject prefixed "[TEST] ", through `transport`: a new message
/// each time, dated `sent.at`. Records nothing.
pub fn send_test(
    config: &Config,
    now: DateTime<Utc>,
    date: Option<chrono::NaiveDate>,
    to: &lettre::message::Mailbox,
    sent: crate::newsletter::render::Sent,
    transport: &dyn crate::mail::Transport,
) -> Result<SendReport, Error> {
    use crate::newsletter::render;
    let templates = Templates::load(&config.layout.templates_dir())?;
    // A test send records nothing: neither the memory of a feed source nor
    // its new copy.
    let input = Input::open(config)?;
    let plan = plan_edition(config, now, date, input.as_ref(), ContentReport::ByEdition)?;
    let Some(layout) = plan.layout else {
        return Ok(SendReport {
            date: plan.date,
            delivered: None,
            subject: String::new(),
            warnings: plan.warnings,
        });
    };
    let recipient = render::Recipient::Test(to.to_string());
    let rendered = render::render(config, &templates, plan.date, &layout, &recipient)?;
    let stamp = render::Stamp::Sent(sent);
    let eml = render::message(config, plan.date, stamp, &rendered, &recipient)?;
    let where_to = transport.deliver(&config.newsletter.from.email, &to.email, &eml)?;
    let mut warnings = plan.warnings;
    warnings.extend(email_warnings(config, plan.date, &rendered));
    Ok(SendReport {
        date: plan.date,
        delivered: Some(where_to),
        subject: rendered.subject,
        warnings,
    })
}

/// What a ping did.
#[derive(Debug)]
pub struct PingReport {
    pub hub: url::Url,
    /// Feed URLs the hub acknowledged.
    pub sent: Vec<String>,
}

/// Tells the WebSub hub about every feed changed by builds since the last
/// successful ping. Stops at the first feed the hub does not acknowledge;
/// that one and the rest stay recorded for the next ping.
pub fn ping(config: &Config, waiting: impl FnOnce(&Path)) -> Result<PingReport, Error> {
    let Some(hub_url) = &config.feeds.websub_hub else {
        return Err(Error::Invalid {
            problems: Problems(vec![Problem::new(
                &config.path,
                None,
                "feeds.websub_hub",
                "not set, so there is no hub to tell; set it to your hub's URL, e.g. \"https://pubsubhubbub.appspot.com/\"",
            )]),
        });
    };
    let _lock = RunLock::acquire(&config.layout.lock(), waiting)?;
    let path = config.layout.ping_record();
    let mut pending = read_pending(&path)?;
    let hub = crate::websub::Hub::new(
        hub_url.clone(),
        std::time::Duration::from_secs(config.feeds.websub_timeout_s),
        &config.site.user_agent(),
    );
    let mut sent = Vec::new();
    let mut failed = None;
    for topic in pending.feeds.clone() {
        if let Err(e) = hub.publish(&topic) {
            failed = Some(e);
            break;
        }
        pending.feeds.remove(&topic);
        sent.push(topic);
    }
    if !sent.is_empty() {
        let mut staging = Staging::within(config.layout.writable());
        staging.write(&path, |w| w.write_all(pending.to_json().as_bytes()))?;
        staging.commit()?;
    }
    match failed {
        Some(e) => Err(e),
        None => Ok(PingReport {
            hub: hub_url.clone(),
            sent,
        }),
    }
}
