//! Which articles make the feeds.
//!
//! Feeds list the newest articles first, ties broken by id so the order is
//! the same on every run. [`FeedSelection`] keeps, as articles stream in,
//! the `max_items` newest overall and per category, and drops the rest at
//! once: memory is bounded by what can still appear in a feed.
//!
//! With per-category feeds, category names that differ only by case
//! (`Apple`, `apple`: a foreign feed's tags) are one category, spelt as
//! first used in source order (of several spellings in one article, the
//! first in byte order); the articles' categories are given that spelling.
//!
//! With a [`Listing`], it also lists every article compactly for the
//! sitemaps. It takes [`Glance`]s: an article no feed wants is listed
//! without being built, and its `floor` tells the loader which lines
//! those will likely be.

use crate::content::{Article, ArticleSink, Glance, Origin};
use crate::sitemap::Listing;
use chrono::{DateTime, Utc};
use std::cmp::{Ordering, Reverse};
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::Arc;

/// Feed order: newest first, then by id.
pub fn feed_order(a: &Article, b: &Article) -> Ordering {
    order((a.published, &a.id), (b.published, &b.id))
}

/// [`feed_order`] of two articles' publication dates and ids.
fn order(a: (DateTime<Utc>, &str), b: (DateTime<Utc>, &str)) -> Ordering {
    b.0.cmp(&a.0).then_with(|| a.1.cmp(b.1))
}

/// Heap entry: "greater" is "comes first in a feed".
struct Ranked(Arc<Article>);

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        feed_order(&other.0, &self.0)
    }
}

/// The `limit` first articles in feed order (all of them without a limit).
#[derive(Default)]
pub struct Newest {
    limit: Option<usize>,
    // Min-heap on rank: the top is the article to drop first.
    heap: BinaryHeap<Reverse<Ranked>>,
}

impl Newest {
    pub fn new(limit: Option<usize>) -> Newest {
        Newest {
            limit,
            heap: BinaryHeap::new(),
        }
    }

    fn would_keep(&self, a: &Article) -> bool {
        self.would_keep_at(a.published, &a.id)
    }

    /// Whether an article published then, with this id, would be kept.
    fn would_keep_at(&self, published: DateTime<Utc>, id: &str) -> bool {
        match self.limit {
            None => true,
            Some(n) if self.heap.len() < n => true,
            Some(_) => self.heap.peek().is_some_and(|Reverse(last)| {
                order((published, id), (last.0.published, &last.0.id)) == Ordering::Less
            }),
        }
    }

    /// The date of the last article kept, once full: an article published
    /// before it cannot be kept.
    fn floor(&self) -> Option<DateTime<Utc>> {
        let n = self.limit?;
        (self.heap.len() >= n)
            .then(|| self.heap.peek().map(|Reverse(last)| last.0.published))
            .flatten()
    }

    fn push(&mut self, a: Arc<Article>) {
        if !self.would_keep(&a) {
            return;
        }
        self.heap.push(Reverse(Ranked(a)));
        if self.limit.is_some_and(|n| self.heap.len() > n) {
            self.heap.pop();
        }
    }

    /// The kept articles, in feed order.
    pub fn into_sorted(self) -> Vec<Arc<Article>> {
        let mut v: Vec<Arc<Article>> = self.heap.into_iter().map(|Reverse(r)| r.0).collect();
        v.sort_by(|a, b| feed_order(a, b));
        v
    }
}

/// The articles of the main feed and of each category feed.
pub struct FeedSelection {
    limit: Option<usize>,
    per_category: bool,
    pub main: Newest,
    /// Keyed by category name, in its kept spelling.
    pub categories: BTreeMap<String, Newest>,
    /// Where each category name was first used, for collision reports.
    pub first_use: BTreeMap<String, Origin>,
    /// The kept spelling of each category name, by its lowercase form.
    spellings: BTreeMap<String, String>,
    /// Every published article, for the sitemaps; `None`: not wanted.
    pub listing: Option<Listing>,
}

impl FeedSelection {
    pub fn new(limit: Option<usize>, per_category: bool) -> FeedSelection {
        FeedSelection {
            limit,
            per_category,
            main: Newest::new(limit),
            categories: BTreeMap::new(),
            first_use: BTreeMap::new(),
            spellings: BTreeMap::new(),
            listing: None,
        }
    }

    /// The category `name` is in, whatever its case.
    fn category(&self, name: &str) -> Option<&Newest> {
        self.categories.get(name).or_else(|| {
            let kept = self.spellings.get(&name.to_lowercase())?;
            self.categories.get(kept)
        })
    }

    /// `names` in their kept spellings, once each; names never seen
    /// before keep theirs.
    fn spell(&mut self, names: Vec<String>) -> Vec<String> {
        // The known spellings are the keys of `categories`: most names
        // are found there without lowercasing them.
        let mut new: BTreeMap<String, &String> = BTreeMap::new();
        for name in names.iter().filter(|n| !self.categories.contains_key(*n)) {
            let lower = name.to_lowercase();
            if !self.spellings.contains_key(&lower) {
                let first = new.entry(lower).or_insert(name);
                if name < *first {
                    *first = name;
                }
            }
        }
        for (lower, name) in new {
            self.spellings.insert(lower, name.clone());
        }
        let mut spelt: Vec<String> = Vec::with_capacity(names.len());
        for name in names {
            let name = if self.categories.contains_key(&name) {
                name
            } else {
                self.spellings
                    .get(&name.to_lowercase())
                    .cloned()
                    .unwrap_or(name)
            };
            if !spelt.contains(&name) {
                spelt.push(name);
            }
        }
        spelt
    }
}

impl ArticleSink for FeedSelection {
    fn wants_everything(&self) -> bool {
        self.limit.is_none()
    }

    fn wants(&self, a: &Article) -> bool {
        self.main.would_keep(a)
            || (self.per_category
                && a.categories
                    .iter()
                    .any(|c| self.category(c).is_none_or(|n| n.would_keep(a))))
    }

    fn glances(&self) -> bool {
        self.limit.is_some()
    }

    fn wants_glance(&self, g: &Glance<'_>) -> bool {
        self.main.would_keep_at(g.published, g.id)
            || (self.per_category
                && g.categories.iter().any(|c| {
                    self.category(c)
                        .is_none_or(|n| n.would_keep_at(g.published, g.id))
                }))
    }

    fn list_glance(&mut self, g: &Glance<'_>) {
        if let Some(listing) = &mut self.listing {
            listing.push_glance(g);
        }
    }

    /// The oldest of the full feeds' last articles, once the main feed
    /// is full. A category feed not full yet is left out: a site may have
    /// a category of three articles, which would otherwise keep every
    /// line from being glanced at; the few lines of such categories are
    /// built again when [`Self::wants_glance`] says so.
    fn floor(&self) -> Option<DateTime<Utc>> {
        let floor = self.main.floor()?;
        if !self.per_category {
            return Some(floor);
        }
        Some(
            self.categories
                .values()
                .filter_map(Newest::floor)
                .fold(floor, DateTime::min),
        )
    }

    fn accept(&mut self, mut article: Article) {
        if self.per_category {
            article.categories = self.spell(std::mem::take(&mut article.categories));
        }
        let a = Arc::new(article);
        if self.per_category {
            for c in &a.categories {
                let limit = self.limit;
                self.categories
                    .entry(c.clone())
                    .or_insert_with(|| {
                        self.first_use.insert(c.clone(), a.origin.clone());
                        Newest::new(limit)
                    })
                    .push(a.clone());
            }
        }
        self.main.push(a);
    }

    fn list(&mut self, article: &Article) {
        if let Some(listing) = &mut self.listing {
            listing.push(article);
        }
    }
}
