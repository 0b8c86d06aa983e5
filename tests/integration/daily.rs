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
    let config = Config::load(&site.path("feed.toml")).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(NOW)
        .unwrap()
        .with_timezone(&chrono::Utc);
    let report = build::feeds(&config, now, Shrink::Stop, |_| {}).unwrap();
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
