//! The daily job over a large JSON Lines export: the lines that no feed
//! will show are glanced at rather than built (src/content/jsonl.rs).
//! Every line is still checked in full: the outputs and the messages are
//! those of building every article, and a broken line is reported however
//! old it is.

use crate::harness::Site;
use matinale::build::{self, Shrink};
use matinale::content::jsonl::build_every_article;
use matinale::Config;

const NOW: &str = "2026-11-27T00:00:00+01:00";

/// A daily site (10 items a feed, category feeds, sitemaps) on the
/// hostile fixture's config.
fn daily_site(articles: &str) -> Site {
    let site = Site::fixture("hostile");
    site.edit(
        "feed.toml",
        "max_items = 0",
        "max_items = 10\nper_category = true\n\n[sitemaps]\nenabled = true\nnews = true\npublication_name = \"Le Fil\"",
    );
    site.write("articles.jsonl", articles);
    site
}

/// `n` articles, one every 7 minutes back from 2026-11-26 23:00 +01:00,
/// mostly newest first but with runs out of order, with bodies (so that the
/// export spans several blocks), drafts, scheduled articles, text to clean,
/// escaped slashes, and a category that only old articles have.
fn export(n: usize) -> String {
    let start = chrono::DateTime::parse_from_rfc3339("2026-11-26T23:00:00+01:00").unwrap();
    let categories = ["Tech", "Web", "Sciences", "tech", "Jeux vidéo"];
    let body = "<p>Des données montrent que le projet avance plus vite que prévu.</p>".repeat(8);
    let mut out = String::new();
    for k in 0..n {
        // Every block of 50 is reversed: the floor then moves while lines
        // newer than it keep coming.
        let i = if (k / 50) % 3 == 1 {
            (k / 50) * 50 + 49 - k % 50
        } else {
            k
        };
        let published = start - chrono::Duration::minutes(7 * i as i64);
        let mut cats = vec![categories[i % categories.len()]];
        if i % 3 == 0 {
            cats.push(categories[(i / 3) % categories.len()]);
        }
        // A category that appears only far down the export: its articles
        // are glanced at, then built when the category feed wants them.
        if i > n - 30 {
            cats.push("Archives");
        }
        let title = match i % 11 {
            0 => format!("  Titre  {i} à nettoyer "),
            1 => format!("Titre {i} : « guillemets » & <code>"),
            _ => format!("Titre {i}"),
        };
        let mut line = serde_json::json!({
            "id": format!("https://fil.example/?p={i}"),
            "title": title,
            "url": format!("https://fil.example/2026/{i}/"),
            "published": published.to_rfc3339(),
            "updated": (published + chrono::Duration::minutes((i % 4) as i64 * 30)).to_rfc3339(),
            "authors": [{"name": "Léa Dubois", "url": "https://fil.example/auteur/lea/"}],
            "categories": cats,
            "summary": format!("Résumé {i}."),
            "content_html": body,
            "image": {"url": format!("https://cdn.fil.example/{i}.jpg"), "alt": "Illustration"},
            "comments": {"count": i % 50, "url": format!("https://fil.example/2026/{i}/#comments")},
        })
        .to_string();
        if i % 97 == 0 {
            line = line.replace("\"title\"", "\"draft\":true,\"title\"");
        }
        if i % 13 == 0 {
            line = line.replace('/', "\\/");
        }
        out.push_str(&line);
        out.push('\n');
    }
    // Scheduled articles, at the end of the file.
    for j in 0..5 {
        out.push_str(&format!(
            "{{\"title\":\"Plus tard {j}\",\"url\":\"https://fil.example/plus-tard/{j}/\",\"published\":\"2026-12-0{}T08:00:00+01:00\",\"summary\":\"Bientôt.\"}}\n",
            j + 1
        ));
    }
    out
}

/// Runs the daily job on `site` through the library; what it reported.
fn feeds(site: &Site) -> String {
    described(&run_feeds(site))
}

fn run_feeds(site: &Site) -> Result<build::FeedsReport, matinale::Error> {
    let config = Config::load(&site.path("feed.toml")).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .with_timezone(&chrono::Utc);
    build::feeds(&config, now, Shrink::Stop, |_| {})
}

fn described(report: &Result<build::FeedsReport, matinale::Error>) -> String {
    let report = report.as_ref().unwrap();
    format!(
        "published {} drafts {} scheduled {}\nproblems {:?}\nwarnings {:?}\nfeeds {:?}",
        report.load.published,
        report.load.drafts,
        report.load.scheduled,
        report.load.problems,
        report.warnings,
        report.feeds,
    )
}

#[test]
fn the_daily_outputs_are_those_of_building_every_article() {
    let articles = export(6000);
    assert!(articles.len() > 4 << 20, "several blocks of a megabyte");
    let glanced = daily_site(&articles);
    let built = daily_site(&articles);
    let glanced_report = feeds(&glanced);
    let built_report = build_every_article(|| feeds(&built));
    assert_eq!(glanced_report, built_report);
    assert!(
        glanced_report.starts_with("published 5938 drafts 62 scheduled 5\n"),
        "{glanced_report}"
    );
    let written = glanced.contents("public");
    assert_eq!(written, built.contents("public"));
    // The feeds and sitemaps are all there, the late category too.
    let files: Vec<&str> = written.iter().map(|(f, _)| f.as_str()).collect();
    for f in [
        "feed.xml",
        "news-sitemap.xml",
        "sitemap.xml",
        "category/archives/feed.xml",
    ] {
        assert!(files.contains(&f), "{f} missing: {files:?}");
    }
    let archives = glanced.read("public/category/archives/feed.xml");
    assert_eq!(archives.matches("<item>").count(), 10, "{archives}");
}

/// An old article, far from anything a daily feed shows: its lines still
/// stop `feeds` as they stop `check`, with the same messages.
#[test]
fn a_broken_line_deep_in_the_export_is_reported_by_feeds_and_check() {
    let mut articles = export(3000);
    articles.push_str(
        "{\"title\":\"Vieux\",\"url\":\"https://fil.example/vieux/\",\"published\":\"2020-01-01T08:00:00+01:00\",\"summary\":\"S\",\"authors\":[{\"name\":\"A\",\"email\":\"pas-un-courriel\"}]}\n",
    );
    articles.push_str("{\"title\":\"Coupé\",\"url\":\"https://fil.example/coupe/\",\"published\":\"2020-01-01T07:00:00+01:00\",\n");
    articles.push_str(
        "{\"id\":\"https://fil.example/?p=5\",\"title\":\"Doublon\",\"url\":\"https://fil.example/doublon/\",\"published\":\"2020-01-01T06:00:00+01:00\",\"summary\":\"S\"}\n",
    );
    articles.push_str(
        "{\"title\":\"Image\",\"url\":\"https://fil.example/image/\",\"published\":\"2020-01-01T05:00:00+01:00\",\"summary\":\"S\",\"image\":{\"url\":\"javascript:alert(1)\",\"alt\":\"\"}}\n",
    );
    let site = daily_site(&articles);
    let expected = "\
articles.jsonl:3006: authors: `pas-un-courriel` is not an email address
articles.jsonl:3007: ?: the line ends in the middle of a record; expected one complete JSON object per line
articles.jsonl:3008: id: `https://fil.example/?p=5` is already the id of the article at articles.jsonl:6; ids must be unique
articles.jsonl:3009: image: `javascript:alert(1)` is not an http(s) URL
";
    for cmd in ["feeds", "check"] {
        let r = site.run(&["--now", NOW, cmd]);
        assert_eq!(r.code, 1, "{cmd}: {}", r.stderr);
        assert!(r.stderr.contains(expected), "{cmd}: {}", r.stderr);
        assert!(!site.path("public").exists(), "{cmd} wrote outputs");
    }
}

/// The daily job through the library: what it reported, and how many
/// older lines it glanced at and recalled from the last run's memo.
fn feeds_recalling(site: &Site) -> (String, usize, usize) {
    let report = run_feeds(site);
    let cache = report.as_ref().unwrap().cache;
    (described(&report), cache.glanced, cache.recalled)
}

/// The memo of the export's lines (src/content/memo.rs): a run over an
/// export it has mostly seen recalls the older lines instead of reading
/// them, and writes and reports what a run that builds every line does,
/// whatever happened to the export or to the memo in between.
#[test]
fn a_run_that_recalls_lines_is_a_run_that_reads_them() {
    let mut articles = export(3000);
    let warm = daily_site(&articles);
    let memo = warm.path(".matinale/cache/glanced-lines.bin");
    // What a site with `articles` (and `edit`) writes and reports when
    // every article is built, from nothing.
    let same = |report: &str, articles: &str, edit: &dyn Fn(&Site)| {
        let built = daily_site(articles);
        edit(&built);
        assert_eq!(report, build_every_article(|| feeds(&built)));
        assert!(
            warm.contents("public") == built.contents("public"),
            "the outputs differ"
        );
    };

    // A first run reads every line and leaves the memo: an entry for each
    // valid line whose values are its own text: not the 509 drafts,
    // titles to fold or lines whose slashes are escaped; the 5 scheduled.
    let (_, first, recalled) = feeds_recalling(&warm);
    assert_eq!((first, recalled), (2496, 0));
    assert!(memo.exists());
    // The same export again: every line with an entry is recalled.
    let (report, glanced, recalled) = feeds_recalling(&warm);
    assert_eq!((glanced, recalled), (first, first));
    same(&report, &articles, &|_| {});

    // A new article on top (a draft), one old title changed, one old line
    // gone, one old article in a new category: only those are not
    // recalled, and the memo has one entry less.
    let mut lines: Vec<String> = articles.lines().map(str::to_owned).collect();
    let newest = lines[0]
        .replace("?p=0", "?p=9000")
        .replace("/2026/0/", "/2026/9000/");
    lines.insert(0, newest.replace("23:00:00", "23:30:00"));
    lines[2000] = lines[2000].replacen("Titre", "Titre revu", 1);
    lines.remove(1500);
    lines[2500] = lines[2500].replacen("\"categories\":[", "\"categories\":[\"Nouveau\",", 1);
    articles = lines.join("\n") + "\n";
    warm.write("articles.jsonl", &articles);
    let (report, after, recalled) = feeds_recalling(&warm);
    assert_eq!((after, recalled), (glanced - 1, glanced - 3));
    same(&report, &articles, &|_| {});

    // A broken old line is reported as from nothing: it has no entry.
    let broken = articles.replacen("\"summary\":\"Résumé 2222.\"", "\"summary\":7", 1);
    assert_ne!(broken, articles);
    warm.write("articles.jsonl", &broken);
    let cold = daily_site(&broken);
    let error = |site: &Site| {
        let e = run_feeds(site).expect_err("the build fails");
        e.to_string()
            .replace(&site.path("").display().to_string(), "")
    };
    assert_eq!(error(&warm), error(&cold));
    assert!(error(&warm).contains(": summary: "), "{}", error(&warm));
    warm.write("articles.jsonl", &articles);

    // A damaged memo is no memo: every line is read again.
    let damages: [fn(&mut Vec<u8>); 3] = [
        |b: &mut Vec<u8>| {
            let middle = b.len() / 2;
            b[middle] ^= 0x20;
        },
        |b: &mut Vec<u8>| b.truncate(b.len() - 9),
        |b: &mut Vec<u8>| b.clear(),
    ];
    for damage in damages {
        let mut bytes = std::fs::read(&memo).unwrap();
        damage(&mut bytes);
        std::fs::write(&memo, bytes).unwrap();
        let (report, glanced, recalled) = feeds_recalling(&warm);
        assert_eq!((glanced, recalled), (after, 0));
        same(&report, &articles, &|_| {});
    }

    // Another configuration is another context: its lines are read again.
    let (_, glanced, recalled) = feeds_recalling(&warm);
    assert_eq!((glanced, recalled), (after, after));
    let more_items = |s: &Site| s.edit("feed.toml", "max_items = 10", "max_items = 12");
    more_items(&warm);
    let (report, _, recalled) = feeds_recalling(&warm);
    assert_eq!(recalled, 0);
    same(&report, &articles, &more_items);
}
