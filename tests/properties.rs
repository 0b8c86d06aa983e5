//! Property tests (proptest) on the library: category slugs, the HTML
//! cleaner, the newsletter ledger, the request heads of `serve`, dates, and
//! the whole numbers of feed.toml, and builds with the incremental cache.
//! Each states a guarantee of the README
//! for every input proptest can think of, not for a few examples.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use matinale::config::OnInvalid;
use matinale::content::html::{nesting, Cleaner};
use matinale::content::{Article, ArticleSink, Origin};
use matinale::feed::select::FeedSelection;
use matinale::feed::slug::slugify;
use matinale::feed::FeedSet;
use matinale::newsletter::ledger::{Entry, Ledger};
use matinale::newsletter::{self, EditionArticles, Window};
use matinale::serve::http::{parse_head, Response};
use matinale::serve::{folder_location, resolve};
use matinale::Config;
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

fn config(extra: &str) -> Config {
    let src = format!(
        "[site]\ntitle = \"T\"\nurl = \"https://ex.org/\"\ntimezone = \"Europe/Paris\"\n{extra}"
    );
    Config::parse(&src, Path::new("feed.toml")).unwrap()
}

fn article(id: usize, published: DateTime<Utc>, categories: Vec<String>) -> Article {
    Article {
        origin: Origin {
            path: Arc::from(Path::new("articles.jsonl")),
            line: id + 1,
        },
        id: format!("a{id}"),
        title: format!("Article {id}"),
        url: url::Url::parse(&format!("https://ex.org/{id}")).unwrap(),
        published,
        updated: published,
        authors: vec![],
        categories,
        summary: Some("s".into()),
        body: None,
        image: None,
        comments: None,
        featured: false,
    }
}

fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// A slug is safe as a folder name, stable, and its own slug.
    #[test]
    fn slugs_are_safe_and_stable(name in any::<String>()) {
        let s = slugify(&name);
        prop_assert!(is_slug(&s), "{name:?} → {s:?}");
        prop_assert!(s.len() <= 80, "{s:?}");
        prop_assert_eq!(slugify(&name), s.clone());
        prop_assert_eq!(slugify(&s), s);
    }
}

/// Category names: a few real ones, some that collide, and anything.
fn category_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Jeux vidéo".to_owned()),
        Just("Jeux video".to_owned()),
        Just("jeux vidéo".to_owned()),
        Just("Apple".to_owned()),
        Just("apple".to_owned()),
        Just("JEUX-VIDÉO".to_owned()),
        Just("../x".to_owned()),
        Just("x".to_owned()),
        Just("C++ & Rust".to_owned()),
        Just("🎮".to_owned()),
        Just("🚀".to_owned()),
        "[a-zA-Z é/.-]{1,12}",
        any::<String>().prop_filter("not blank", |s| !s.trim().is_empty()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Names that differ only by case are one category, spelt as first
    /// used; every other category gets a feed folder of its own, or, when
    /// two names share a slug, the build is refused with a problem naming
    /// the later one, or with `skip` goes on without the later one's feed:
    /// never two categories in one folder.
    #[test]
    fn category_feeds_are_unique_or_reported(names in prop::collection::vec(category_name(), 1..12)) {
        let config = config("");
        // Names as the content model keeps them (plain text).
        let names: Vec<String> = names
            .iter()
            .map(|n| matinale::content::text::plain(n).into_owned())
            .filter(|n| !n.is_empty())
            .collect();
        let selection = || {
            let mut selection = FeedSelection::new(Some(50), true);
            let t0 = DateTime::parse_from_rfc3339("2026-11-25T08:00:00Z").unwrap().to_utc();
            for (i, name) in names.iter().enumerate() {
                let a = article(i, t0 + Duration::minutes(i as i64), vec![name.clone()]);
                if selection.wants(&a) {
                    selection.accept(a);
                }
            }
            selection
        };
        // One spelling per lowercase form, the first used, in order.
        let mut spelt: Vec<String> = Vec::new();
        for n in &names {
            if !spelt.iter().any(|s| s.to_lowercase() == n.to_lowercase()) {
                spelt.push(n.clone());
            }
        }
        let mut by_slug: BTreeMap<String, Vec<&String>> = BTreeMap::new();
        for n in &spelt {
            by_slug.entry(slugify(n)).or_default().push(n);
        }
        let colliding = by_slug.values().any(|v| v.len() > 1);
        // With skip, the first name of each slug has its feed.
        let firsts: BTreeSet<&String> = by_slug.values().map(|v| v[0]).collect();
        let later = |name: &str| {
            by_slug[&slugify(name)]
                .iter()
                .position(|n| n.to_lowercase() == name.to_lowercase())
                .is_some_and(|p| p > 0)
        };
        for on_invalid in [OnInvalid::Fail, OnInvalid::Skip] {
            match FeedSet::build(&config, selection(), on_invalid, &matinale::cache::Previous::none()) {
                Ok(set) => {
                    prop_assert!(!colliding || on_invalid == OnInvalid::Skip, "{names:?}");
                    let dirs: BTreeSet<&str> = set.feeds.iter().map(|f| f.dir.as_str()).collect();
                    prop_assert_eq!(dirs.len(), set.feeds.len());
                    let named: BTreeSet<&String> =
                        set.feeds[1..].iter().filter_map(|f| f.category.as_ref()).collect();
                    prop_assert_eq!(&named, &firsts, "{:?}", names);
                    for f in &set.feeds[1..] {
                        let slug = f.dir.strip_prefix("category/").unwrap().trim_end_matches('/');
                        prop_assert!(is_slug(slug), "{slug}");
                        let name = f.category.as_ref().unwrap();
                        // Every article of the name, whatever its case, and
                        // in the category's spelling.
                        let want = names.iter().filter(|n| n.to_lowercase() == name.to_lowercase()).count();
                        prop_assert_eq!(f.entries.len(), want, "{}", name);
                        for e in &f.entries {
                            prop_assert_eq!(&e.article.categories, &vec![name.clone()]);
                        }
                    }
                    // One problem per article of a later name.
                    let left_out = names.iter().filter(|n| later(n)).count();
                    prop_assert_eq!(set.problems.len(), left_out, "{:?}", set.problems);
                    prop_assert!(set.problems.iter().all(|p| p.field == "categories"
                        && p.message.ends_with("use one spelling; the article is left out of that category feed")));
                }
                Err(problems) => {
                    prop_assert!(colliding && on_invalid == OnInvalid::Fail, "{names:?}: {problems:?}");
                    prop_assert!(problems.iter().all(|p| p.field == "categories" && p.message.ends_with("use one spelling")));
                }
            }
        }
    }
}

/// HTML soup: the tricks of hostile feeds, shuffled with anything.
fn html_soup() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        Just("<script>alert(1)</script>".to_owned()),
        Just("<script>".to_owned()),
        Just("</script>".to_owned()),
        Just("<style>p{}</style>".to_owned()),
        Just("<iframe src=\"https://evil.example/\"></iframe>".to_owned()),
        Just("<a href=\"javascript:alert(1)\">x</a>".to_owned()),
        Just("<a href=\"JaVaScRiPt:alert(1)\">x</a>".to_owned()),
        Just("<img src=x onerror=alert(1)>".to_owned()),
        Just("<svg onload=alert(1)>".to_owned()),
        Just("<p onclick=\"x()\">".to_owned()),
        Just("<a href=\"/relative\">r</a>".to_owned()),
        Just("<img src=\"img.png\" alt=\"\">".to_owned()),
        Just("<p>".to_owned()),
        Just("</p>".to_owned()),
        Just("<b>".to_owned()),
        Just("<table><tr><td>".to_owned()),
        Just("<![CDATA[".to_owned()),
        Just("]]>".to_owned()),
        Just("<!--".to_owned()),
        Just("-->".to_owned()),
        Just("&amp;".to_owned()),
        Just("&".to_owned()),
        Just("<".to_owned()),
        Just(">".to_owned()),
        Just("\"".to_owned()),
        Just("\u{0}\u{1b}\u{8}".to_owned()),
        Just("\u{FFFE}\u{FFFF}".to_owned()),
        Just("\u{D7FF}\u{E000}".to_owned()),
        Just("é🎮".to_owned()),
        "[a-z ]{0,8}",
        any::<String>(),
    ];
    prop::collection::vec(token, 0..24).prop_map(|v| v.concat())
}

fn xml_legal(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The cleaner's output holds no active content and no character XML
    /// forbids, and cleaning it again changes nothing.
    #[test]
    fn the_cleaner_is_idempotent_and_leaves_nothing_active(html in html_soup()) {
        let cleaner = Cleaner::new();
        let base = url::Url::parse("https://ex.org/2026/11/article/").unwrap();
        let once = cleaner.clean(&html, &base);
        prop_assert!(once.chars().all(xml_legal), "{once:?}");
        // Serialised HTML escapes every `<` of text: each one opens a tag.
        // Text may say "javascript:"; a tag may not.
        for tag in once.split('<').skip(1).map(|t| t.split('>').next().unwrap_or("").to_ascii_lowercase()) {
            for active in ["script", "style", "iframe", "svg", "javascript:", " onerror", " onload", " onclick"] {
                prop_assert!(!tag.starts_with(active) && !tag.contains(&format!(" {active}")) && !tag.contains(&format!("\"{active}")), "{active} in <{tag}> of {once:?}");
            }
            prop_assert!(!tag.contains("href=\"/") && !tag.contains("src=\"img"), "relative URL left in <{tag}>");
        }
        let twice = cleaner.clean(&once, &base);
        prop_assert_eq!(twice, once);
    }

    /// The cap on nesting leaves HTML nested less than its limit as it
    /// was, whatever its tricks (unclosed tags, comments, quotes, raw text).
    #[test]
    fn shallow_html_passes_the_nesting_cap_unchanged(html in html_soup()) {
        let (capped, flattened) = nesting::cap(&html);
        prop_assert_eq!(flattened, 0);
        prop_assert!(matches!(capped, std::borrow::Cow::Borrowed(_)));
    }
}

/// Request heads as clients and attackers write them: methods, targets of
/// slashes, dots, escapes, backslashes and non-ASCII, headers, both line
/// ends; or any bytes at all.
fn request_head() -> impl Strategy<Value = Vec<u8>> {
    let method = prop_oneof![
        Just("GET"),
        Just("HEAD"),
        Just("POST"),
        Just("get"),
        Just("G(T"),
        Just("")
    ];
    let piece = prop_oneof![
        Just("/"),
        Just("//"),
        Just(".."),
        Just("."),
        Just("%2e"),
        Just("%2F"),
        Just("%5c"),
        Just("\\"),
        Just("é"),
        Just("%C3%A9"),
        Just("%ff"),
        Just("%"),
        Just("?"),
        Just("#"),
        Just(" "),
        Just("\t"),
        Just("%00"),
        Just("category"),
    ];
    let target = prop::collection::vec(piece, 0..8).prop_map(|p| p.concat());
    let version = prop_oneof![Just("HTTP/1.1"), Just("HTTP/1.0"), Just("HTTP/2"), Just("")];
    let header = "[A-Za-z: -]{0,8}:[ -~é\t\r]{0,12}";
    let end = prop_oneof![Just("\r\n"), Just("\n")];
    let formed = (
        method,
        target,
        version,
        prop::collection::vec(header, 0..3),
        end,
    )
        .prop_map(|(method, target, version, headers, end)| {
            let mut head = format!("{method} {target} {version}{end}");
            for h in headers {
                head.push_str(&h);
                head.push_str(end);
            }
            head.push_str(end);
            head.into_bytes()
        });
    prop_oneof![4 => formed, 1 => prop::collection::vec(any::<u8>(), 0..200)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// `serve` reads any head as a request or a status to answer, never a
    /// panic; the path of a request stays inside the served folder; the
    /// redirect of a folder named without its slash stays on this server,
    /// in bytes a header may hold.
    #[test]
    fn request_heads_are_answered_and_redirects_stay_here(head in request_head()) {
        let Ok(request) = parse_head(&head) else {
            return Ok(());
        };
        prop_assert!(!request.method.is_empty() && request.method.is_ascii());
        let Ok(rel) = resolve(&request.target) else {
            return Ok(());
        };
        for c in rel.components() {
            let std::path::Component::Normal(name) = c else {
                panic!("{c:?} in {rel:?}");
            };
            prop_assert!(!name.to_string_lossy().starts_with('.'), "{rel:?}");
        }
        let redirect = Response::redirect(&folder_location(&request.target));
        let location = &redirect.headers[0].1;
        prop_assert!(location.bytes().all(|b| (b'!'..=b'~').contains(&b)), "{location:?}");
        prop_assert!(location.starts_with('/'), "{location:?}");
        prop_assert!(!location[1..].starts_with(['/', '\\']), "{location:?}");
    }
}

/// One run of the morning job at `now`, seeing the articles that have
/// appeared by then: the edition it makes (ids), recorded in the ledger
/// as `build` does.
fn morning_run(
    c: &Config,
    ledger: &mut Ledger,
    now: DateTime<Utc>,
    visible: &[Article],
) -> Vec<String> {
    let date = newsletter::latest_due(c, now);
    let Ok(window) = newsletter::window(c, ledger, date) else {
        return vec![];
    };
    let mut sink = EditionArticles::new(window.clone(), ledger);
    for a in visible.iter().filter(|a| a.published <= now) {
        if sink.wants(a) {
            sink.accept(a.clone());
        }
    }
    let Some(layout) = newsletter::layout(c, sink.articles) else {
        return vec![];
    };
    let ids = layout.ids();
    match window {
        Window::New { .. } => {
            ledger.editions.push(Entry {
                date,
                cutoff: newsletter::cutoff(c, date),
                articles: ids.clone(),
                ..Default::default()
            });
            ids
        }
        // A past edition rebuilt sends nothing new.
        Window::Past { .. } => vec![],
    }
}

/// Articles: (minutes after the start when published, minutes of delay
/// before it appears in the source).
fn arrivals(max_delay: i64) -> impl Strategy<Value = Vec<(i64, i64)>> {
    prop::collection::vec((0i64..14 * 24 * 60, 0..=max_delay), 0..40)
}

/// Runs: minutes between two runs of the job (0: twice at once).
fn runs() -> impl Strategy<Value = Vec<i64>> {
    prop::collection::vec(prop_oneof![Just(0i64), 1i64..60, 60i64..26 * 60], 1..40)
}

fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-20T05:30:00Z")
        .unwrap()
        .to_utc()
}

/// Articles, each with the moment it appears in the source.
type Arrivals = Vec<(Article, DateTime<Utc>)>;

/// The site of the ledger properties, its start, and its articles.
fn timeline(arrivals: &[(i64, i64)]) -> (Config, DateTime<Utc>, Arrivals) {
    let c = config("[newsletter]\nsend_time = \"07:00\"\nlookback_days = 3\nmax_articles = 5\n");
    let t0 = start();
    let articles = arrivals
        .iter()
        .enumerate()
        .map(|(i, &(p, delay))| {
            let published = t0 + Duration::minutes(p);
            (
                article(i, published, vec![]),
                published + Duration::minutes(delay),
            )
        })
        .collect();
    (c, t0, articles)
}

/// The articles that have appeared by `now`.
fn visible_at(articles: &[(Article, DateTime<Utc>)], now: DateTime<Utc>) -> Vec<Article> {
    articles
        .iter()
        .filter(|(_, at)| *at <= now)
        .map(|(a, _)| a.clone())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    /// Whatever the runs (late, twice, skipped days) and the arrival order
    /// of articles (back-dated, late), no article is in two editions, and
    /// an edition carries every article it could see in its window that
    /// no earlier edition carried.
    #[test]
    fn no_article_is_sent_twice_or_skipped_when_seen(arrivals in arrivals(5 * 24 * 60), gaps in runs()) {
        let (c, t0, articles) = timeline(&arrivals);
        let mut ledger = Ledger::default();
        let mut sent: BTreeMap<String, NaiveDate> = BTreeMap::new();
        let mut now = t0;
        for gap in gaps {
            now += Duration::minutes(gap);
            let visible = visible_at(&articles, now);
            let date = newsletter::latest_due(&c, now);
            let before = ledger.clone();
            let ids = morning_run(&c, &mut ledger, now, &visible);
            for id in &ids {
                prop_assert!(sent.insert(id.clone(), date).is_none(), "{id} sent twice (again on {date})");
            }
            // Completeness: a new edition took everything in its window.
            if let Ok(Window::New { start, end }) = newsletter::window(&c, &before, date) {
                for a in &visible {
                    let due = a.published >= start && a.published <= end && a.published <= now;
                    if due && !before.carried(&a.id) {
                        prop_assert!(ids.contains(&a.id), "{} published {} missed by {date}", a.id, a.published);
                    }
                }
            }
        }
    }

    /// With the job run at least every day and articles appearing within
    /// a day of their date, every article from the first edition's window
    /// to the last cutoff is in exactly one edition.
    #[test]
    fn with_daily_runs_every_article_is_in_exactly_one_edition(
        arrivals in arrivals(24 * 60 - 1),
        times in prop::collection::vec(0i64..24 * 60, 1..16),
    ) {
        let (c, t0, articles) = timeline(&arrivals);
        let mut ledger = Ledger::default();
        let mut count: BTreeMap<String, usize> = BTreeMap::new();
        let mut last_made = t0;
        // One run a day, at any time of that day.
        for (day, minute) in times.iter().enumerate() {
            let now = t0 + Duration::days(day as i64) + Duration::minutes(*minute);
            let visible = visible_at(&articles, now);
            let ids = morning_run(&c, &mut ledger, now, &visible);
            if !ids.is_empty() {
                last_made = now;
            }
            for id in ids {
                *count.entry(id).or_default() += 1;
            }
        }
        let (Some(first), Some(last)) = (ledger.first(), ledger.last()) else {
            return Ok(());
        };
        let from = first.cutoff - Duration::hours(24);
        // An article that appeared after the last edition was made waits
        // for the next one.
        for (a, at) in &articles {
            let n = count.get(&a.id).copied().unwrap_or(0);
            prop_assert!(n <= 1, "{} in {n} editions", a.id);
            if a.published >= from && a.published <= last.cutoff && *at <= last_made {
                prop_assert_eq!(n, 1, "{} published {} (appeared {}) in no edition; ledger {:?}", a.id, a.published, at, ledger.editions.iter().map(|e| (e.date, e.cutoff)).collect::<Vec<_>>());
            }
        }
    }
}

/// A date as a CMS may write it: any four-digit year (often near the ends
/// of the range), any day, with an offset, `Z`, or none.
fn date_text() -> impl Strategy<Value = String> {
    let year = prop_oneof![0i32..=9999, 1899i32..=1912, 1968i32..=1971, 9998i32..=9999];
    let offset = prop_oneof![
        Just("Z".to_owned()),
        Just(String::new()),
        (-23i32..=23, 0u32..60).prop_map(|(h, m)| format!(
            "{}{:02}:{m:02}",
            if h < 0 { '-' } else { '+' },
            h.abs()
        )),
    ];
    (year, 1u32..=12, 1u32..=31, 0u32..=23, 0u32..=59, offset)
        .prop_map(|(y, mo, d, h, mi, off)| format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:00{off}"))
}

/// The one entry of a feed file, read back by feed-rs.
fn published_in(dir: &Path, file: &str) -> Option<DateTime<Utc>> {
    let bytes = std::fs::read(dir.join("public").join(file)).unwrap();
    let feed = feed_rs::parser::parse(bytes.as_slice()).unwrap();
    feed.entries[0].published
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Any date an article may carry is an article in RSS, Atom, JSON Feed
    /// and the newsletter (whose email cannot be dated before 1970: a
    /// clean error), or a clean error naming file, line and field.
    #[test]
    fn a_date_is_an_article_everywhere_or_a_clean_error(date in date_text()) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("feed.toml"),
            "[site]\ntitle = \"T\"\nurl = \"https://ex.org/\"\ntimezone = \"Europe/Paris\"\n\n[content]\nsource = \"jsonl\"\npath = \"articles.jsonl\"\n",
        ).unwrap();
        let line = serde_json::json!({"url": "https://ex.org/a/", "title": "A", "summary": "S", "published": date});
        std::fs::write(dir.path().join("articles.jsonl"), format!("{line}\n")).unwrap();
        let config = Config::load(&dir.path().join("feed.toml")).unwrap();
        let tz = config.site.timezone;
        let published = match matinale::content::date::parse(&date, tz) {
            Err(why) => {
                let now = DateTime::parse_from_rfc3339("2026-11-26T07:30:00+01:00").unwrap().to_utc();
                let err = matinale::build::feeds(&config, now, matinale::build::Shrink::Allow, |_| {}).unwrap_err().to_string();
                prop_assert!(err.ends_with(&format!("articles.jsonl:1: published: {why}")), "{err}");
                prop_assert!(why.contains("is not a date") || why.contains("outside the years") || why.contains("does not exist in"), "{why}");
                return Ok(());
            }
            Ok(d) => d,
        };
        // The edition that carries it: the first cutoff at or after it.
        let day = published.with_timezone(&tz).date_naive();
        let due = [Some(day), day.succ_opt()]
            .into_iter()
            .flatten()
            .map(|d| newsletter::cutoff(&config, d))
            .find(|c| *c >= published)
            .unwrap();
        matinale::build::feeds(&config, due, matinale::build::Shrink::Allow, |_| {}).unwrap();
        for file in ["feed.xml", "atom.xml", "feed.json"] {
            prop_assert_eq!(published_in(dir.path(), file), Some(published), "{}", file);
        }
        let emailable = |y: i32| (1970..=9999).contains(&y);
        match matinale::build::newsletter(&config, due, None, |_| {}) {
            Ok(report) => {
                use chrono::Datelike;
                prop_assert!(emailable(due.year()) && emailable(report.date.year()));
                prop_assert!(matches!(report.outcome, matinale::build::Outcome::Made { .. }) || published < due - Duration::hours(24), "{:?}", report.outcome);
                if let matinale::build::Outcome::Made { .. } = report.outcome {
                    let eml = std::fs::read_to_string(dir.path().join(format!("out/newsletter/{}.eml", report.date))).unwrap();
                    // Dated at the cutoff, in the site's offset that day.
                    prop_assert!(eml.contains(&format!("\r\nDate: {}\r\n", due.with_timezone(&tz).to_rfc2822())), "{eml}");
                }
            }
            Err(e) => {
                let e = e.to_string();
                prop_assert!(e.contains(".eml: Date: the edition of"), "{e}");
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever a category is named and whatever `subscribe_path` the
    /// configuration accepts, every path the layout computes for the feeds'
    /// folder stays inside it, and its URL under the feeds' base URL.
    #[test]
    fn every_path_the_layout_computes_stays_inside_its_folder(
        category in "\\PC{0,24}",
        subscribe in "[a-zA-Z0-9éè ._:/\\\\%?#-]{0,24}",
    ) {
        use matinale::layout::{Format, Page};
        let extra = format!("subscribe_path = {}\n", toml_string(&subscribe));
        let src = format!(
            "[site]\ntitle = \"T\"\nurl = \"https://ex.org/\"\n{extra}[feeds]\noutput_dir = \"site/public\"\nbase_url = \"https://ex.org/feeds/\"\n"
        );
        let Ok(config) = Config::parse(&src, Path::new("feed.toml")) else {
            return Ok(());
        };
        let layout = &config.layout;
        let dir = layout.category_feed_dir(&slugify(&category));
        let mut rels: Vec<String> = Format::ALL.iter().map(|&f| layout.feed_file(&dir, f)).collect();
        rels.extend(Page::ALL.iter().map(|&p| layout.page(p)));
        rels.push(layout.web_copy(NaiveDate::from_ymd_opt(2026, 11, 26).unwrap()));
        for rel in rels {
            let path = layout.file(&rel);
            prop_assert!(path.starts_with("site/public"), "{rel} → {}", path.display());
            prop_assert!(
                path.components().all(|c| matches!(c, std::path::Component::Normal(_))),
                "{rel} → {}", path.display()
            );
            let url = layout.url(&rel);
            prop_assert!(url.as_str().starts_with("https://ex.org/feeds/"), "{rel} → {url}");
        }
    }
}

/// `s` as a TOML basic string.
fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Every whole number of feed.toml: its table, its key, the line of the
/// sample's feed.toml it replaces, that line with `{}` for the value, and
/// its range as the README documents it.
const NUMBERS: [(&str, &str, &str, &str, i128, i128); 7] = [
    (
        "content",
        "timeout_s",
        "timeout_s = 20",
        "timeout_s = {}",
        1,
        3600,
    ),
    (
        "feeds",
        "max_items",
        "max_items = 50",
        "max_items = {}",
        0,
        1_000_000,
    ),
    // Not in the sample: added after the hub.
    (
        "feeds",
        "websub_timeout_s",
        "websub_hub = \"\"",
        "websub_hub = \"\"\nwebsub_timeout_s = {}",
        1,
        3600,
    ),
    (
        "newsletter",
        "lookback_days",
        "lookback_days = 7",
        "lookback_days = {}",
        1,
        366,
    ),
    (
        "newsletter",
        "max_articles",
        "max_articles = 12",
        "max_articles = {}",
        1,
        500,
    ),
    ("smtp", "port", "port = 2525", "port = {}", 1, 65535),
    (
        "smtp",
        "timeout_s",
        "timeout_s = 30",
        "timeout_s = {}",
        1,
        3600,
    ),
];

/// A value for a whole number: the ends of the ranges and just past them,
/// the ends of the integer types, and anything.
fn any_number() -> impl Strategy<Value = i128> {
    prop_oneof![
        prop::sample::select(vec![
            0i128,
            1,
            -1,
            366,
            367,
            500,
            501,
            3600,
            3601,
            65535,
            65536,
            1_000_000,
            1_000_001,
            i128::from(u32::MAX),
            i128::from(i64::MIN),
            i128::from(i64::MAX),
            i128::from(u64::MAX),
        ]),
        0i128..=5000,
        any::<i64>().prop_map(i128::from),
        any::<u64>().prop_map(i128::from),
    ]
}

/// The sample site (feed.toml and content/) in a temporary folder, with
/// `feed_toml` for its configuration.
fn sample_site(feed_toml: &str) -> tempfile::TempDir {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("feed.toml"), feed_toml).unwrap();
    std::fs::create_dir(dir.path().join("content")).unwrap();
    for entry in std::fs::read_dir(repo.join("content")).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(
            entry.path(),
            dir.path().join("content").join(entry.file_name()),
        )
        .unwrap();
    }
    dir
}

/// A value for each of [`NUMBERS`], most often within its range so that
/// many a case has every value right and is built.
fn numbers() -> Vec<BoxedStrategy<i128>> {
    NUMBERS
        .iter()
        .map(|&(.., min, max)| prop_oneof![6 => min..=max, 1 => any_number()].boxed())
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any value of any whole number of feed.toml is accepted when it is
    /// within its documented range, else refused by a problem naming its
    /// `table.key` at the line of that key; and a configuration accepted
    /// is checked and makes its newsletter, without a panic.
    #[test]
    fn every_number_is_in_its_range_or_a_problem_at_its_line(values in numbers()) {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut text = std::fs::read_to_string(repo.join("feed.toml")).unwrap();
        for ((_, _, line, with, _, _), value) in NUMBERS.iter().zip(&values) {
            let at = text.find(&format!("\n{line}\n")).unwrap() + 1;
            text.replace_range(at..at + line.len(), &with.replace("{}", &value.to_string()));
        }
        let dir = sample_site(&text);
        let path = dir.path().join("feed.toml");
        let refused: BTreeSet<String> = NUMBERS
            .iter()
            .zip(&values)
            .filter(|((.., min, max), v)| !(*min..=*max).contains(*v))
            .map(|((table, key, ..), _)| format!("{table}.{key}"))
            .collect();
        match Config::parse(&text, &path) {
            Ok(config) => {
                prop_assert!(refused.is_empty(), "{:?} accepted", refused);
                let now = DateTime::parse_from_rfc3339("2026-11-26T07:30:00+01:00").unwrap().to_utc();
                let report = matinale::build::check(&config, now).unwrap();
                prop_assert_eq!(report.load.published, 12);
                let entries = config.feeds.max_items.map_or(12, |n| n.min(12));
                prop_assert_eq!(report.feeds[0].1, entries, "{:?}", report.feeds);
                let made = matinale::build::newsletter(&config, now, None, |_| {}).unwrap();
                prop_assert!(matches!(made.outcome, matinale::build::Outcome::Made { articles: 11, .. }), "{:?}", made.outcome);
            }
            Err(problems) => {
                let named: BTreeSet<String> = problems.0.iter().map(|p| p.field.clone()).collect();
                prop_assert_eq!(&named, &refused, "{}", problems);
                let lines: Vec<&str> = text.lines().collect();
                for p in &problems.0 {
                    let key = p.field.split('.').nth(1).unwrap();
                    let line = p.line.unwrap_or_else(|| panic!("no line: {p}"));
                    prop_assert!(lines[line - 1].starts_with(&format!("{key} = ")), "{}", p);
                    prop_assert!(p.message.starts_with("must be between "), "{}", p);
                }
            }
        }
    }
}

/// One article of the cache's random site.
#[derive(Debug, Clone)]
struct CachedArticle {
    n: usize,
    title: String,
    body: String,
    category: &'static str,
    hour: i64,
}

impl CachedArticle {
    fn line(&self) -> String {
        let published = start() + Duration::hours(self.hour);
        serde_json::json!({
            "id": format!("a{}", self.n),
            "url": format!("https://ex.org/{}/", self.n),
            "title": self.title,
            "published": published.to_rfc3339(),
            "categories": [self.category],
            "content_html": self.body,
        })
        .to_string()
    }
}

fn cached_article() -> impl Strategy<Value = CachedArticle> {
    (
        0usize..1000,
        "[A-Za-z<&][A-Za-z é<&]{0,11}",
        html_soup(),
        prop::sample::select(vec!["Tech", "tech", "Sciences", "Jeux vidéo"]),
        0i64..72,
    )
        .prop_map(|(n, title, body, category, hour)| CachedArticle {
            n,
            title,
            body,
            category,
            hour,
        })
}

/// What happens between two builds of a site.
#[derive(Debug, Clone)]
enum Edit {
    Add(CachedArticle),
    Retitle(usize, String),
    Rewrite(usize, String),
    Remove(usize),
    /// The first call to action's text.
    Cta(String),
    /// The index of the cache, damaged at a fraction of its length.
    FlipIndex(f64),
    CutIndex(f64),
    /// The memo of the export's lines, likewise.
    FlipMemo(f64),
    CutMemo(f64),
    /// A feed the index points into, changed by someone else.
    TouchFeed,
    /// One letter of a feed changed in place, its modification time put
    /// back: only the entries' checksums can tell.
    ScrambleFeed(f64),
    Nothing,
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => cached_article().prop_map(Edit::Add),
        2 => (any::<usize>(), "[a-z]{1,8}").prop_map(|(i, t)| Edit::Retitle(i, t)),
        2 => (any::<usize>(), html_soup()).prop_map(|(i, b)| Edit::Rewrite(i, b)),
        2 => any::<usize>().prop_map(Edit::Remove),
        1 => "[a-z][a-z ]{0,11}".prop_map(Edit::Cta),
        1 => (0.0f64..1.0).prop_map(Edit::FlipIndex),
        1 => (0.0f64..1.0).prop_map(Edit::CutIndex),
        1 => (0.0f64..1.0).prop_map(Edit::FlipMemo),
        1 => (0.0f64..1.0).prop_map(Edit::CutMemo),
        1 => Just(Edit::TouchFeed),
        2 => (0.0f64..1.0).prop_map(Edit::ScrambleFeed),
        2 => Just(Edit::Nothing),
    ]
}

/// Every file under `dir`, by path relative to it.
fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                let rel = p.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

/// Writes the site's files and builds its feeds; returns the warnings,
/// placed by file name and line.
fn build_cached(
    dir: &Path,
    articles: &[CachedArticle],
    cta: &str,
    max_items: usize,
) -> (Vec<String>, matinale::build::CacheUse) {
    let toml = format!(
        "[site]\ntitle = \"T\"\nurl = \"https://ex.org/\"\ntimezone = \"Europe/Paris\"\n\n\
         [content]\nsource = \"jsonl\"\npath = \"articles.jsonl\"\n\n\
         [feeds]\nmax_items = {max_items}\nper_category = true\n\n\
         [[cta]]\nid = \"newsletter\"\ntext = \"{cta}\"\nlabel = \"S'inscrire\"\nurl = \"https://ex.org/nl/\"\n"
    );
    std::fs::write(dir.join("feed.toml"), toml).unwrap();
    let lines: Vec<String> = articles.iter().map(CachedArticle::line).collect();
    std::fs::write(dir.join("articles.jsonl"), lines.join("\n") + "\n").unwrap();
    let config = Config::load(&dir.join("feed.toml")).unwrap();
    let now = start() + Duration::hours(100);
    // Small blocks: the export is read as a large one is, glances at the
    // older lines and, when warm, recalls them from the memo.
    let report = matinale::content::jsonl::with_blocks_of(200, || {
        matinale::build::feeds(&config, now, matinale::build::Shrink::Allow, |_| {})
    })
    .unwrap();
    let warnings = report
        .warnings
        .iter()
        .map(|w| {
            format!(
                "{:?}:{:?}: {}: {}",
                w.path.file_name(),
                w.line,
                w.field,
                w.message
            )
        })
        .collect();
    (warnings, report.cache)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Over any sequence of edits, and whatever happens to the cache
    /// between builds, a build that keeps its cache writes the bytes and
    /// the warnings of a build from nothing.
    #[test]
    fn a_cached_build_is_a_cold_build(
        first in prop::collection::vec(cached_article(), 0..12),
        edits in prop::collection::vec(edit(), 1..6),
        max_items in prop::sample::select(vec![0usize, 3]),
    ) {
        let warm = tempfile::tempdir().unwrap();
        // Unique ids: the site refuses duplicates.
        let mut articles: Vec<CachedArticle> = Vec::new();
        for a in first {
            if !articles.iter().any(|b| b.n == a.n) {
                articles.push(a);
            }
        }
        let mut cta = "Notre newsletter".to_owned();
        build_cached(warm.path(), &articles, &cta, max_items);
        let index = warm.path().join(".matinale/cache/feed-entries.bin");
        let memo = warm.path().join(".matinale/cache/glanced-lines.bin");
        let flip = |path: &Path, at: f64| {
            if let Ok(mut bytes) = std::fs::read(path) {
                if !bytes.is_empty() {
                    let i = ((bytes.len() as f64 * at) as usize).min(bytes.len() - 1);
                    bytes[i] ^= 0x10;
                    std::fs::write(path, bytes).unwrap();
                }
            }
        };
        let cut = |path: &Path, at: f64| {
            if let Ok(bytes) = std::fs::read(path) {
                let n = (bytes.len() as f64 * at) as usize;
                std::fs::write(path, &bytes[..n]).unwrap();
            }
        };
        for edit in edits {
            let unchanged = matches!(edit, Edit::Nothing);
            let pick = |i: usize, len: usize| (len > 0).then(|| i % len);
            match edit {
                Edit::Add(a) => {
                    if !articles.iter().any(|b| b.n == a.n) {
                        articles.push(a);
                    }
                }
                Edit::Retitle(i, t) => {
                    if let Some(i) = pick(i, articles.len()) {
                        articles[i].title = t;
                    }
                }
                Edit::Rewrite(i, b) => {
                    if let Some(i) = pick(i, articles.len()) {
                        articles[i].body = b;
                    }
                }
                Edit::Remove(i) => {
                    if let Some(i) = pick(i, articles.len()) {
                        articles.remove(i);
                    }
                }
                Edit::Cta(t) => cta = t,
                Edit::FlipIndex(at) => flip(&index, at),
                Edit::CutIndex(at) => cut(&index, at),
                Edit::FlipMemo(at) => flip(&memo, at),
                Edit::CutMemo(at) => cut(&memo, at),
                Edit::TouchFeed => {
                    let rss = warm.path().join("public/feed.xml");
                    if let Ok(text) = std::fs::read_to_string(&rss) {
                        std::fs::write(&rss, text.replacen("<item>", "<item> ", 1)).unwrap();
                    }
                }
                Edit::ScrambleFeed(at) => {
                    let json = warm.path().join("public/feed.json");
                    if let Ok(mut bytes) = std::fs::read(&json) {
                        let i = ((bytes.len() as f64 * at) as usize).min(bytes.len().saturating_sub(1));
                        if bytes.get(i).is_some_and(u8::is_ascii_lowercase) {
                            bytes[i] = if bytes[i] == b'z' { b'a' } else { bytes[i] + 1 };
                            let modified = std::fs::metadata(&json).unwrap().modified().unwrap();
                            use std::io::Write;
                            let mut f = std::fs::OpenOptions::new().write(true).open(&json).unwrap();
                            f.write_all(&bytes).unwrap();
                            f.set_modified(modified).unwrap();
                        }
                    }
                }
                Edit::Nothing => {}
            }
            let (warnings, cache) = build_cached(warm.path(), &articles, &cta, max_items);
            if unchanged {
                // Nothing changed since the last build: nothing is rendered,
                // and every line with a memo entry is recalled, not read.
                prop_assert_eq!(cache.reused, cache.articles);
                prop_assert_eq!(cache.recalled, cache.glanced);
            }
            let cold = tempfile::tempdir().unwrap();
            let (cold_warnings, cold_cache) = build_cached(cold.path(), &articles, &cta, max_items);
            prop_assert_eq!(cold_cache.reused, 0);
            prop_assert_eq!(warnings, cold_warnings);
            let (w, c) = (files_under(&warm.path().join("public")), files_under(&cold.path().join("public")));
            prop_assert_eq!(w.keys().collect::<Vec<_>>(), c.keys().collect::<Vec<_>>());
            for (path, bytes) in &c {
                prop_assert!(&w[path] == bytes, "{} differs after {:?}", path, articles);
            }
        }
    }
}

/// URLs as exports write them, and the ones the URL standard rewrites or
/// refuses: upper case, dot segments, IPv4 hosts, Punycode, spaces,
/// backslashes, quotes, ports, user names.
fn url_like() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("a"),
        Just("z"),
        Just("Q"),
        Just("0"),
        Just("9"),
        Just("."),
        Just(".."),
        Just("-"),
        Just("/"),
        Just("?"),
        Just("#"),
        Just("%"),
        Just("%2e"),
        Just("%2E"),
        Just("%41"),
        Just("xn--"),
        Just("0x"),
        Just(":"),
        Just(":80"),
        Just("@"),
        Just(" "),
        Just("\t"),
        Just("\\"),
        Just("'"),
        Just("\""),
        Just("`"),
        Just("{"),
        Just("["),
        Just("é"),
        Just("&"),
        Just("="),
        Just("~"),
        Just("!"),
        Just("*"),
    ];
    let scheme = prop_oneof![
        Just("https://"),
        Just("http://"),
        Just("HTTP://"),
        Just("ftp://"),
        Just("https:/"),
        Just(""),
    ];
    (scheme, prop::collection::vec(piece, 0..24))
        .prop_map(|(scheme, pieces)| format!("{scheme}{}", pieces.concat()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20000))]

    /// A URL the quick check takes is one the URL standard writes back as
    /// it is, on its own and joined to any base: the glance at a JSON
    /// Lines record can then use the text as the URL object would.
    #[test]
    fn canonical_urls_are_what_url_writes(s in url_like()) {
        if matinale::content::is_canonical_http_url(&s) {
            let url = url::Url::parse(&s).unwrap();
            prop_assert_eq!(url.as_str(), s.as_str());
            prop_assert!(matches!(url.scheme(), "http" | "https"));
            let base = url::Url::parse("https://ex.org/2026/11/26/a/").unwrap();
            let joined = base.join(&s).unwrap();
            prop_assert_eq!(joined.as_str(), s.as_str());
        }
    }
}

#[test]
fn canonical_urls_of_an_export_are_taken() {
    for s in [
        "https://www.example-news.fr/2026/11/26/article-0/",
        "https://cdn.example-news.fr/2026/11/26/article-0-1200x675.jpg",
        "https://www.example-news.fr/2026/11/26/article-0/#comments",
        "http://ex.org/?p=12&lang=fr",
        "https://ex.org/.well-known/a",
    ] {
        assert!(matinale::content::is_canonical_http_url(s), "{s}");
    }
    for s in [
        "https://ex.org",
        "https://Ex.org/",
        "https://ex.org/a/../b",
        "https://ex.org/a/%2e/b",
        "https://127.0.0.1/",
        "https://ex.org:443/",
        "https://xn--bcher-kva.example/",
        "https://ex.org/a b",
        "https://ex.org/?q='x'",
    ] {
        assert!(!matinale::content::is_canonical_http_url(s), "{s}");
    }
}

/// A field of a JSON Lines record, good or bad in every way that `check`
/// tells.
fn text_value() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        12 => Just(Some("Le titre".to_owned())),
        1 => prop_oneof![
            Just(Some("  À  la une\u{a0}: « ça » ".to_owned())),
            Just(Some(String::new())),
            Just(Some(" ".to_owned())),
            Just(Some("bell\u{7}".to_owned())),
            Just(Some("\u{2028}".to_owned())),
            Just(Some("\u{FFFE}x".to_owned())),
            Just(None),
        ],
    ]
}

fn url_value() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        12 => Just(Some("https://ex.org/2026/a/".to_owned())),
        1 => prop_oneof![
            Just(Some("https://ex.org/b/../c".to_owned())),
            Just(Some("https://EX.org/d".to_owned())),
            Just(Some(" https://ex.org/e ".to_owned())),
            Just(Some("/relative/f".to_owned())),
            Just(Some("ftp://ex.org/g".to_owned())),
            Just(Some("pas une url".to_owned())),
            Just(None),
            url_like().prop_map(Some),
        ],
    ]
}

fn date_value() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        12 => Just(Some("2026-11-26T07:00:00+01:00".to_owned())),
        1 => prop_oneof![
            Just(Some("2026-11-25T08:00:00Z".to_owned())),
            Just(Some("2026-11-26 07:00".to_owned())),
            Just(Some("2026-03-29T02:30:00".to_owned())),
            Just(Some("1899-12-31T23:00:00Z".to_owned())),
            Just(Some("hier".to_owned())),
            Just(Some("2030-01-01T00:00:00Z".to_owned())),
            Just(None),
        ],
    ]
}

prop_compose! {
    fn record()(
        title in text_value(),
        url in url_value(),
        published in date_value(),
        updated in date_value(),
        id in prop_oneof![Just(None), Just(Some("  ".to_owned())), Just(Some(" id-1 ".to_owned())), text_value()],
        summary in text_value(),
        body in prop::option::of(Just("<p>Corps</p>")),
        authors in prop::collection::vec((text_value(), prop::option::of(prop_oneof![Just(" a@b.fr "), Just("nope"), Just("")]), url_value()), 0..3),
        categories in prop::collection::vec(text_value(), 0..4),
        image in prop::option::of((url_value(), text_value())),
        comments in prop::option::of(url_value()),
        draft in prop::option::of(any::<bool>()),
        escaped in any::<bool>(),
    ) -> String {
        let mut o = serde_json::Map::new();
        let mut put = |k: &str, v: Option<serde_json::Value>| {
            if let Some(v) = v {
                o.insert(k.to_owned(), v);
            }
        };
        put("title", title.map(Into::into));
        put("url", url.clone().map(Into::into));
        put("published", published.map(Into::into));
        put("updated", updated.map(Into::into));
        put("id", id.map(Into::into));
        put("summary", summary.map(Into::into));
        put("content_html", body.map(Into::into));
        put("authors", (!authors.is_empty()).then(|| authors.into_iter().map(|(name, email, url)| {
            serde_json::json!({"name": name.unwrap_or_default(), "email": email, "url": url})
        }).collect()));
        put("categories", (!categories.is_empty()).then(|| categories.into_iter().map(|c| serde_json::Value::from(c.unwrap_or_default())).collect()));
        put("image", image.map(|(u, alt)| serde_json::json!({"url": u.unwrap_or_default(), "alt": alt.unwrap_or_default()})));
        put("comments", comments.map(|u| serde_json::json!({"count": 3, "url": u})));
        put("draft", draft.map(Into::into));
        let line = serde_json::Value::Object(o).to_string();
        // Exports that escape slashes: every string is then decoded.
        if escaped { line.replace('/', "\\/") } else { line }
    }
}

/// What the glance at a record vouches for, the full check finds too:
/// a valid article, no warning, and the same id, URL, dates, title and
/// categories. (What it does not vouch for goes through the full check.)
#[test]
fn a_glance_agrees_with_the_full_check() {
    // The strategy of a whole record is deep: its value trees need more
    // stack than a test thread has in a debug build.
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            let mut runner =
                proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(5000));
            runner.run(&record(), |line| glance_agrees(&line)).unwrap();
        })
        .unwrap()
        .join()
        .unwrap();
}

fn glance_agrees(line: &str) -> Result<(), TestCaseError> {
    use matinale::content::raw::RawArticle;
    use serde::Deserialize;
    use serde_json::value::RawValue;
    let tz = chrono_tz::Europe::Paris;
    let mut de = serde_json::Deserializer::from_str(line);
    let Ok(raw) = RawArticle::<'_, &RawValue>::deserialize(&mut de) else {
        return Ok(());
    };
    let has_body = raw.content_html.is_some_and(|h| h.get() != "null");
    let Some(published) = raw
        .published
        .as_ref()
        .and_then(|d| matinale::content::date::parse(&d.0, tz).ok())
    else {
        return Ok(());
    };
    let Some(quick) = matinale::content::glance(&raw, has_body, published, tz) else {
        return Ok(());
    };
    let origin = Origin {
        path: Arc::from(Path::new("a.jsonl")),
        line: 1,
    };
    match matinale::content::check(raw, has_body, &origin, &|_| None, tz) {
        matinale::content::Checked::Valid {
            article, warnings, ..
        } => {
            prop_assert!(warnings.is_empty(), "{:?}", warnings);
            prop_assert_eq!(&article.id, &*quick.id);
            prop_assert_eq!(article.url.as_str(), &*quick.url);
            prop_assert_eq!(article.published, quick.published);
            prop_assert_eq!(article.updated, quick.updated);
            prop_assert_eq!(&article.title, &*quick.title);
            let cats: Vec<&str> = quick.categories.iter().map(|c| &**c).collect();
            prop_assert_eq!(
                article
                    .categories
                    .iter()
                    .map(String::as_str)
                    .collect::<Vec<_>>(),
                cats
            );
        }
        other => prop_assert!(false, "glanced, but the full check says {:?}", other),
    }
    Ok(())
}

/// A JSON value as an export writes it; numbers as their text.
#[derive(Clone, Debug)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    Str(String),
    Array(Vec<Json>),
    Object(Vec<(&'static str, Json)>),
}

/// How an exporter writes strings and the space between tokens.
#[derive(Clone, Copy, Debug)]
enum Style {
    /// serde_json, most CMS exports: UTF-8 as is.
    Plain,
    /// Python's `ensure_ascii`: every non-ASCII character a `\u` escape,
    /// in surrogate pairs beyond the BMP.
    Ascii,
    /// PHP's `json_encode`: `\/`, and non-ASCII as `\u` escapes.
    Php,
}

fn write_string(s: &str, style: Style, out: &mut String) {
    use std::fmt::Write;
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' if matches!(style, Style::Php) => out.push_str("\\/"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32).unwrap(),
            c if !c.is_ascii() && !matches!(style, Style::Plain) => {
                for unit in c.encode_utf16(&mut [0; 2]) {
                    write!(out, "\\u{unit:04X}").unwrap();
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn write_json(v: &Json, style: Style, space: &str, out: &mut String) {
    let items =
        |out: &mut String, open: char, close: char, n: usize, each: &dyn Fn(usize, &mut String)| {
            out.push(open);
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(space);
                each(i, out);
                out.push_str(space);
            }
            out.push(close);
        };
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(n),
        Json::Str(s) => write_string(s, style, out),
        Json::Array(a) => items(out, '[', ']', a.len(), &|i, out| {
            write_json(&a[i], style, space, out)
        }),
        Json::Object(o) => items(out, '{', '}', o.len(), &|i, out| {
            write_string(o[i].0, style, out);
            out.push_str(space);
            out.push(':');
            out.push_str(space);
            write_json(&o[i].1, style, space, out);
        }),
    }
}

/// A field of a record: absent, `null`, or a value.
fn field(
    key: &'static str,
    value: impl Strategy<Value = Json> + 'static,
) -> BoxedStrategy<Option<(&'static str, Json)>> {
    prop_oneof![
        1 => Just(None),
        1 => Just(Some((key, Json::Null))),
        6 => value.prop_map(move |v| Some((key, v))),
    ]
    .boxed()
}

fn required(
    key: &'static str,
    value: impl Strategy<Value = Json> + 'static,
) -> BoxedStrategy<Option<(&'static str, Json)>> {
    value.prop_map(move |v| Some((key, v))).boxed()
}

/// The fields of an object, present ones in any order.
fn object(fields: Vec<BoxedStrategy<Option<(&'static str, Json)>>>) -> impl Strategy<Value = Json> {
    fields
        .prop_map(|f| f.into_iter().flatten().collect::<Vec<_>>())
        .prop_shuffle()
        .prop_map(Json::Object)
}

fn any_text() -> impl Strategy<Value = Json> {
    prop_oneof![
        8 => text_value().prop_map(|t| Json::Str(t.unwrap_or_default())),
        1 => any::<String>().prop_map(Json::Str),
        1 => "[a-zé/\"\\\\ \n\t\u{1}😀]{0,20}".prop_map(Json::Str),
    ]
}

fn any_url() -> impl Strategy<Value = Json> {
    url_value().prop_map(|u| Json::Str(u.unwrap_or_default()))
}

fn any_date() -> impl Strategy<Value = Json> {
    date_value().prop_map(|d| Json::Str(d.unwrap_or_default()))
}

fn any_body() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(Json::Str("<p>Corps</p>".to_owned())),
        "<p>([a-zA-Zéè’ <>/=\"\\\\\n\t\u{1}😀]|\\PC){0,300}</p>".prop_map(Json::Str),
    ]
}

fn number<T: Arbitrary + ToString>() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(Json::Number("0".to_owned())),
        any::<T>().prop_map(|n| Json::Number(n.to_string())),
    ]
}

fn any_bool() -> impl Strategy<Value = Json> {
    any::<bool>().prop_map(Json::Bool)
}

/// A record of the common shape, as exports write them: any subset of
/// the fields in any order, `null`s, authors as names or objects.
fn common_record() -> impl Strategy<Value = Json> {
    let person = object(vec![
        required("name", any_text()),
        field("email", any_text()),
        field("url", any_url()),
    ]);
    let author = prop_oneof![any_text(), person];
    let image = object(vec![
        required("url", any_url()),
        required("alt", any_text()),
        field("width", number::<u32>()),
        field("height", number::<u32>()),
        field("type", any_text()),
        field("length", number::<u64>()),
    ]);
    let comments = object(vec![
        required("count", number::<u64>()),
        field("url", any_url()),
    ]);
    object(vec![
        field("title", any_text()),
        field("url", any_url()),
        field("published", any_date()),
        field("id", any_text()),
        field("updated", any_date()),
        field(
            "authors",
            prop::collection::vec(author, 0..3).prop_map(Json::Array),
        ),
        field(
            "categories",
            prop::collection::vec(any_text(), 0..4).prop_map(Json::Array),
        ),
        field("summary", any_text()),
        field("content_html", any_body()),
        field("image", image),
        field("comments", comments),
        field("featured", any_bool()),
        field("draft", any_bool()),
    ])
}

/// A line as an export writes it: the record, a style of strings, the
/// space between tokens, a line end.
fn common_line() -> impl Strategy<Value = String> {
    (
        common_record(),
        prop_oneof![Just(Style::Plain), Just(Style::Ascii), Just(Style::Php)],
        prop_oneof![Just(""), Just(" "), Just("\t"), Just(" \r\n ")],
        prop_oneof![Just(""), Just("\n"), Just("\r\n"), Just("  \n")],
    )
        .prop_map(|(record, style, space, end)| {
            let mut line = String::new();
            write_json(&record, style, space, &mut line);
            line.push_str(end);
            line
        })
}

/// What a broken export, a broken editor or a hostile one does to a line.
#[derive(Clone, Debug)]
enum Mutation {
    Insert(prop::sample::Index, String),
    Delete(prop::sample::Index, usize),
    Truncate(prop::sample::Index),
    Append(String),
    /// A stretch copied elsewhere (a key and its value, twice).
    Duplicate(prop::sample::Index, usize, prop::sample::Index),
    /// The value after a colon replaced by another.
    Value(prop::sample::Index, String),
}

fn snippet() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "\"",
            "\\",
            "\\u",
            "\\ud800",
            "\\udc00",
            "\\u00e9",
            "\\x",
            "\\/",
            "\u{0}",
            "\u{1f}",
            "\t",
            "\r",
            "\n",
            " ",
            ",",
            ":",
            "{",
            "}",
            "[",
            "]",
            "null",
            "nul",
            "-",
            ".0",
            "e2",
            "0",
            "99999999999999999999",
            "\"title\":\"x\",",
            "\"url\":null,",
            "\"titel\":1,",
            "é",
            "\u{feff}",
            "\u{7f}",
            "true",
            "}{}",
            "\"\\u0074itle\":\"t\",",
        ])
        .prop_map(str::to_owned),
        any::<char>().prop_map(String::from),
    ]
}

fn value_snippet() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "0",
        "640",
        "1.0",
        "-1",
        "-0",
        "1e2",
        "1E2",
        "01",
        "00",
        "+1",
        "4294967295",
        "4294967296",
        "18446744073709551615",
        "18446744073709551616",
        "3.5e300",
        "null",
        "true",
        "false",
        "[]",
        "{}",
        "\"x\"",
        "\"\\ud800\"",
        "\"\\ud83d\\ude00\"",
        "[\"a\"]",
        "[null]",
        "{\"name\":\"a\"}",
        "{\"url\":\"u\",\"alt\":\"a\"}",
        "{\"count\":1}",
        "[1,]",
        "\"a\"\"b\"",
        "",
    ])
    .prop_map(str::to_owned)
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<prop::sample::Index>(), snippet()).prop_map(|(i, s)| Mutation::Insert(i, s)),
        2 => (any::<prop::sample::Index>(), 1..8usize).prop_map(|(i, n)| Mutation::Delete(i, n)),
        1 => any::<prop::sample::Index>().prop_map(Mutation::Truncate),
        1 => prop_oneof![snippet(), Just(",{}".to_owned()), Just("x".to_owned())].prop_map(Mutation::Append),
        2 => (any::<prop::sample::Index>(), 1..60usize, any::<prop::sample::Index>())
            .prop_map(|(i, n, j)| Mutation::Duplicate(i, n, j)),
        4 => (any::<prop::sample::Index>(), value_snippet()).prop_map(|(i, s)| Mutation::Value(i, s)),
    ]
}

/// The character boundary nearest below `i` in `s`.
fn boundary(s: &str, i: usize) -> usize {
    (0..=i.min(s.len()))
        .rev()
        .find(|&i| s.is_char_boundary(i))
        .unwrap_or(0)
}

fn mutate(line: &mut String, m: &Mutation) {
    let at = |i: &prop::sample::Index, line: &str| boundary(line, i.index(line.len() + 1));
    match m {
        Mutation::Insert(i, s) => {
            let i = at(i, line);
            line.insert_str(i, s);
        }
        Mutation::Delete(i, n) => {
            let i = at(i, line);
            let end = boundary(line, i + n);
            line.replace_range(i..end, "");
        }
        Mutation::Truncate(i) => {
            let i = at(i, line);
            line.truncate(i);
        }
        Mutation::Append(s) => line.push_str(s),
        Mutation::Duplicate(i, n, j) => {
            let i = at(i, line);
            let end = boundary(line, i + n);
            let copy = line[i..end].to_owned();
            let j = at(j, line);
            line.insert_str(j, &copy);
        }
        Mutation::Value(i, s) => {
            let i = at(i, line);
            let Some(colon) = line[i..].find(':').map(|c| i + c + 1) else {
                return;
            };
            let end = line[colon..]
                .find([',', '}', ']'])
                .map_or(line.len(), |e| colon + e);
            line.replace_range(colon..end, s);
        }
    }
}

/// Every clean line of the common shape is read by the scanner, as serde
/// reads it (a scanner that leaves everything to serde fails here).
#[test]
fn the_scanner_reads_every_common_line_as_serde_does() {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            let mut runner =
                proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(3000));
            runner
                .run(&common_line(), |line| {
                    let mut de = serde_json::Deserializer::from_str(&line);
                    let parsed = <matinale::content::raw::RawArticle<
                        &serde_json::value::RawValue,
                    > as serde::Deserialize>::deserialize(&mut de);
                    prop_assert!(parsed.is_ok() && de.end().is_ok(), "serde refuses {line:?}");
                    prop_assert_eq!(
                        matinale::content::jsonl::scan::keeps_its_promise(&line),
                        Ok(true),
                        "{:?}",
                        line
                    );
                    Ok(())
                })
                .unwrap();
        })
        .unwrap()
        .join()
        .unwrap();
}

/// Whatever happens to a line, what the scanner reads, serde reads the
/// same; what it cannot vouch for, it leaves to serde.
#[test]
fn the_scanner_reads_nothing_that_serde_would_not() {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            let mut runner =
                proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(6000));
            let lines = prop_oneof![common_line(), record(),];
            let strategy = (lines, prop::collection::vec(mutation(), 1..4));
            runner
                .run(&strategy, |(mut line, mutations)| {
                    for m in &mutations {
                        mutate(&mut line, m);
                    }
                    if let Err(e) = matinale::content::jsonl::scan::keeps_its_promise(&line) {
                        prop_assert!(false, "{:?}: {}", line, e);
                    }
                    Ok(())
                })
                .unwrap();
        })
        .unwrap()
        .join()
        .unwrap();
}
