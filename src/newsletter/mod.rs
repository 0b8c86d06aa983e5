//! The morning newsletter: which articles an edition carries, in what order.
//!
//! The edition for date D is due at D's `send_time` in the site's time zone,
//! its cutoff. The very first edition carries the 24 hours up to its cutoff;
//! every later one carries every article published up to its cutoff that no
//! earlier edition carried, looking back at most `lookback_days`, and never
//! before the first edition's window. This module decides; [`ledger`]
//! remembers; [`render`] makes the email and its web copy, with
//! [`typography`] setting French text as French is set.

pub mod ledger;
pub mod render;
pub mod typography;

use crate::config::Config;
use crate::content::{Article, ArticleSink};
use crate::feed::select::feed_order;
use chrono::{DateTime, Duration, LocalResult, NaiveDate, TimeZone, Utc};
use ledger::Ledger;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// D's cutoff: `send_time` on D in the site's time zone. A send time that
/// does not exist that day (clocks going forward) moves to the first
/// minute after the gap; one that happens twice takes the earlier.
pub fn cutoff(config: &Config, date: NaiveDate) -> DateTime<Utc> {
    let tz = config.site.timezone;
    let mut local = date.and_time(config.newsletter.send_time);
    for _ in 0..180 {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(d) => return d.with_timezone(&Utc),
            LocalResult::Ambiguous(a, b) => return a.min(b).with_timezone(&Utc),
            LocalResult::None => match local.checked_add_signed(Duration::minutes(1)) {
                Some(next) => local = next,
                None => break,
            },
        }
    }
    Utc.from_utc_datetime(&date.and_time(config.newsletter.send_time))
}

/// The date of the latest edition due at `now`.
pub fn latest_due(config: &Config, now: DateTime<Utc>) -> NaiveDate {
    let today = now.with_timezone(&config.site.timezone).date_naive();
    if cutoff(config, today) <= now {
        today
    } else {
        today.pred_opt().unwrap_or(today)
    }
}

/// What articles an edition may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Window {
    /// A new edition: published in `[start, end]` and not carried before.
    New {
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    },
    /// A past edition rebuilt: exactly these ids, in this order.
    Past { ids: Vec<String> },
}

/// Why no edition can be made for a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the first edition in the ledger is of {first}; an older edition cannot be made")]
    BeforeFirst { first: NaiveDate },
    #[error("the edition of {later} was already made; the edition of {date} would carry articles out of order")]
    BeforeLatest { date: NaiveDate, later: NaiveDate },
}

/// The window of the edition of `date`, given the ledger.
pub fn window(config: &Config, ledger: &Ledger, date: NaiveDate) -> Result<Window, Refusal> {
    if let Some(e) = ledger.get(date) {
        return Ok(Window::Past {
            ids: e.articles.clone(),
        });
    }
    let end = cutoff(config, date);
    match (ledger.first(), ledger.last()) {
        (None, _) | (_, None) => Ok(Window::New {
            start: before(end, Duration::hours(24)),
            end,
        }),
        (Some(first), Some(last)) => {
            if date < first.date {
                return Err(Refusal::BeforeFirst { first: first.date });
            }
            if date < last.date {
                return Err(Refusal::BeforeLatest {
                    date,
                    later: last.date,
                });
            }
            // Never before the first edition's window.
            let origin = before(first.cutoff, Duration::hours(24));
            let lookback = before(
                end,
                Duration::days(i64::from(config.newsletter.lookback_days)),
            );
            Ok(Window::New {
                start: origin.max(lookback),
                end,
            })
        }
    }
}

/// `d` moved back by `by`, or the earliest instant there is: an extreme
/// `lookback_days`, or a cutoff read from a damaged ledger, must not
/// overflow.
pub fn before(d: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    d.checked_sub_signed(by).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// Collects the articles of one edition from a loader.
pub struct EditionArticles<'l> {
    window: Window,
    ledger: &'l Ledger,
    pub articles: Vec<Arc<Article>>,
}

impl<'l> EditionArticles<'l> {
    pub fn new(window: Window, ledger: &'l Ledger) -> Self {
        EditionArticles {
            window,
            ledger,
            articles: Vec::new(),
        }
    }
}

impl ArticleSink for EditionArticles<'_> {
    fn wants(&self, a: &Article) -> bool {
        match &self.window {
            Window::New { start, end } => {
                a.published >= *start && a.published <= *end && !self.ledger.carried(&a.id)
            }
            Window::Past { ids } => ids.contains(&a.id),
        }
    }

    fn accept(&mut self, article: Article) {
        self.articles.push(Arc::new(article));
    }
}

/// An edition's articles, laid out.
#[derive(Debug, Clone)]
pub struct Layout {
    pub top: Arc<Article>,
    /// (category name, articles), in `category_order`, then by name; an
    /// article without category goes under "".
    pub sections: Vec<(String, Vec<Arc<Article>>)>,
    /// Beyond `max_articles`: listed as titles only.
    pub also: Vec<Arc<Article>>,
}

impl Layout {
    /// Every article, in the order the edition shows them.
    pub fn articles(&self) -> impl Iterator<Item = &Arc<Article>> {
        std::iter::once(&self.top)
            .chain(self.sections.iter().flat_map(|(_, v)| v.iter()))
            .chain(self.also.iter())
    }

    pub fn ids(&self) -> Vec<String> {
        self.articles().map(|a| a.id.clone()).collect()
    }

    /// Articles in the edition: never 0 (a layout has a top story).
    pub fn count(&self) -> usize {
        1 + self.sections.iter().map(|(_, v)| v.len()).sum::<usize>() + self.also.len()
    }
}

/// Top story: the newest featured article, else the newest. The rest,
/// newest first up to `max_articles` in all, grouped by primary category;
/// the others under "also published". `None` when there is no article.
pub fn layout(config: &Config, articles: Vec<Arc<Article>>) -> Option<Layout> {
    // An article without a standfirst shows the first paragraph of its
    // body, as in the feeds.
    let cleaner = crate::content::html::Cleaner::new();
    let mut articles: Vec<Arc<Article>> = articles
        .into_iter()
        .map(|a| {
            if a.summary.is_some() || a.body.is_none() {
                return a;
            }
            let (prepared, _) = crate::content::Prepared::new(a.clone(), &cleaner);
            let mut a = (*a).clone();
            a.summary = Some(prepared.summary).filter(|s| !s.is_empty());
            Arc::new(a)
        })
        .collect();
    articles.sort_by(|a, b| feed_order(a, b));
    let top_at = articles.iter().position(|a| a.featured).unwrap_or(0);
    if articles.is_empty() {
        return None;
    }
    let top = articles.remove(top_at);
    let detailed = config
        .newsletter
        .max_articles
        .saturating_sub(1)
        .min(articles.len());
    let also = articles.split_off(detailed);
    let order = &config.newsletter.category_order;
    let rank = |name: &str| order.iter().position(|c| c == name).unwrap_or(order.len());
    let mut groups: BTreeMap<(usize, String), Vec<Arc<Article>>> = BTreeMap::new();
    for a in articles {
        let primary = a.categories.first().cloned().unwrap_or_default();
        groups.entry((rank(&primary), primary)).or_default().push(a);
    }
    Some(Layout {
        top,
        sections: groups.into_iter().map(|((_, name), v)| (name, v)).collect(),
        also,
    })
}

/// Orders a past edition's articles as the ledger recorded them, so a
/// rebuild lays them out as the first build did.
pub fn in_ledger_order(ids: &[String], articles: Vec<Arc<Article>>) -> Vec<Arc<Article>> {
    let mut by_id: BTreeMap<&str, Arc<Article>> = BTreeMap::new();
    for a in &articles {
        by_id.insert(a.id.as_str(), a.clone());
    }
    let mut seen = BTreeSet::new();
    ids.iter()
        .filter(|id| seen.insert(id.as_str()))
        .filter_map(|id| by_id.get(id.as_str()).cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Origin;
    use std::path::Path;

    fn config() -> Config {
        let src = "[site]\ntitle = \"T\"\nurl = \"https://ex.org/\"\ntimezone = \"Europe/Paris\"\n\n[newsletter]\nsend_time = \"07:00\"\nlookback_days = 3\nmax_articles = 3\ncategory_order = [\"B\", \"A\"]\n";
        Config::parse(src, Path::new("feed.toml")).unwrap()
    }

    fn article(id: &str, published: &str, categories: &[&str], featured: bool) -> Article {
        let published = DateTime::parse_from_rfc3339(published)
            .unwrap()
            .with_timezone(&Utc);
        Article {
            origin: Origin {
                path: Arc::from(Path::new("x")),
                line: 1,
            },
            id: id.into(),
            title: id.into(),
            url: url::Url::parse(&format!("https://ex.org/{id}")).unwrap(),
            published,
            updated: published,
            authors: vec![],
            categories: categories.iter().map(|c| c.to_string()).collect(),
            summary: Some("s".into()),
            body: None,
            image: None,
            comments: None,
            featured,
        }
    }

    /// One run of the job for `date`, seeing `visible` articles: returns
    /// the ids of the edition made, and records it.
    fn run(c: &Config, ledger: &mut Ledger, date: NaiveDate, visible: &[Article]) -> Vec<String> {
        let w = window(c, ledger, date).unwrap();
        let mut sink = EditionArticles::new(w.clone(), ledger);
        for a in visible {
            if sink.wants(a) {
                sink.accept(a.clone());
            }
        }
        let Some(l) = layout(c, sink.articles) else {
            return vec![];
        };
        let ids = l.ids();
        if let Window::New { .. } = w {
            ledger.editions.push(ledger::Entry {
                date,
                cutoff: cutoff(c, date),
                articles: ids.clone(),
                ..Default::default()
            });
        }
        ids
    }

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn cutoffs_follow_the_site_time_zone() {
        let c = config();
        assert_eq!(
            cutoff(&c, d("2026-11-26")).to_rfc3339(),
            "2026-11-26T06:00:00+00:00"
        );
        assert_eq!(
            cutoff(&c, d("2026-07-01")).to_rfc3339(),
            "2026-07-01T05:00:00+00:00"
        );
        let now = DateTime::parse_from_rfc3339("2026-11-26T06:59:00+01:00")
            .unwrap()
            .to_utc();
        assert_eq!(latest_due(&c, now), d("2026-11-25"));
    }

    #[test]
    fn no_article_is_missed_or_sent_twice() {
        let c = config();
        let mut ledger = Ledger::default();
        let a1 = article("a1", "2026-11-25T10:00:00+01:00", &["A"], false);
        let old = article("old", "2026-11-24T10:00:00+01:00", &["A"], false);
        // First edition: the 24 hours before 07:00 on the 26th only.
        assert_eq!(
            run(&c, &mut ledger, d("2026-11-26"), &[a1.clone(), old.clone()]),
            vec!["a1"]
        );
        // Running twice changes nothing: the past edition is rebuilt as is.
        assert_eq!(
            run(&c, &mut ledger, d("2026-11-26"), &[a1.clone(), old.clone()]),
            vec!["a1"]
        );
        // A back-dated article appears after its edition: the next one carries it.
        let late = article("late", "2026-11-26T05:00:00+01:00", &["B"], false);
        let a2 = article("a2", "2026-11-26T12:00:00+01:00", &["A"], true);
        // The 27th is skipped; the 28th carries everything since.
        let a3 = article("a3", "2026-11-27T12:00:00+01:00", &[], false);
        let all = [
            a1.clone(),
            old.clone(),
            late.clone(),
            a2.clone(),
            a3.clone(),
        ];
        let e28 = run(&c, &mut ledger, d("2026-11-28"), &all);
        assert_eq!(
            e28,
            vec!["a2", "late", "a3"],
            "featured first, then categories B, then none"
        );
        // A day with nothing new: no edition.
        assert_eq!(
            run(&c, &mut ledger, d("2026-11-29"), &all),
            Vec::<String>::new()
        );
        // Every article in exactly one edition, "old" in none (before the first window).
        let mut carried: Vec<&String> = ledger.editions.iter().flat_map(|e| &e.articles).collect();
        carried.sort();
        assert_eq!(carried, vec!["a1", "a2", "a3", "late"]);
        // Older than the first edition, or behind the latest: refused.
        assert!(matches!(
            window(&c, &ledger, d("2026-11-25")),
            Err(Refusal::BeforeFirst { .. })
        ));
        assert!(matches!(
            window(&c, &ledger, d("2026-11-27")),
            Err(Refusal::BeforeLatest { .. })
        ));
    }

    #[test]
    fn lookback_bounds_a_late_article() {
        let c = config();
        let mut ledger = Ledger::default();
        run(
            &c,
            &mut ledger,
            d("2026-11-20"),
            &[article("x", "2026-11-20T06:00:00+01:00", &[], false)],
        );
        // Published the 21st but seen only on the 30th: beyond 3 days of lookback.
        let stale = article("stale", "2026-11-21T08:00:00+01:00", &[], false);
        let fresh = article("fresh", "2026-11-29T08:00:00+01:00", &[], false);
        assert_eq!(
            run(&c, &mut ledger, d("2026-11-30"), &[stale, fresh]),
            vec!["fresh"]
        );
    }

    #[test]
    fn beyond_max_articles_go_to_also_published() {
        let c = config();
        let arts: Vec<Arc<Article>> = (0..5)
            .map(|i| {
                Arc::new(article(
                    &format!("n{i}"),
                    &format!("2026-11-25T1{i}:00:00+01:00"),
                    &["A"],
                    false,
                ))
            })
            .collect();
        let l = layout(&c, arts).unwrap();
        assert_eq!(l.top.id, "n4");
        assert_eq!(l.sections.len(), 1);
        assert_eq!(
            l.sections[0]
                .1
                .iter()
                .map(|a| a.id.as_str())
                .collect::<Vec<_>>(),
            vec!["n3", "n2"]
        );
        assert_eq!(
            l.also.iter().map(|a| a.id.as_str()).collect::<Vec<_>>(),
            vec!["n1", "n0"]
        );
        assert_eq!(l.count(), 5);
    }
}
