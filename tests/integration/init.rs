//! `matinale init`: a starter site that builds at once, never overwriting.

use crate::harness::Site;

fn empty() -> Site {
    Site {
        dir: tempfile::tempdir().unwrap(),
    }
}

#[test]
fn init_writes_a_site_that_builds_and_checks_at_once() {
    let site = empty();
    let run = site.ok(&["init"]);
    assert_eq!(run.stderr, "");
    assert_eq!(
        run.stdout,
        "wrote feed.toml\n\
         wrote content/2026-11-25-first-article.md\n\
         next: edit feed.toml (the site's title, url and time zone first), then run `matinale build`; \
         `matinale serve` shows the result at http://127.0.0.1:8080/\n"
    );
    assert_eq!(
        site.files(""),
        ["content/2026-11-25-first-article.md", "feed.toml"]
    );
    let toml = site.read("feed.toml");
    assert!(toml.contains("\n[site]\ntitle = \"My site\""), "{toml}");
    assert!(toml.contains("# e.g. \"Journal du Geek\""), "{toml}");
    // Dated an hour before the 07:00 cutoff of the edition due at --now
    // (UTC, the starter's time zone).
    let article = site.read("content/2026-11-25-first-article.md");
    assert!(
        article.contains("\npublished = 2026-11-25T06:00:00+00:00\n"),
        "{article}"
    );

    let run = site.ok(&["check"]);
    assert_eq!(
        run.stdout,
        "ok: feed.toml (1 articles, 0 drafts, 0 scheduled; 2 feeds)\n"
    );
    let run = site.ok(&["build"]);
    assert_eq!(run.stderr, "");
    assert!(
        run.stdout.starts_with(
            "read 1 article from content (0 drafts, 0 scheduled after 2026-11-26 06:30 +00:00)\n\
             public/: feed.xml, atom.xml, feed.json with 1 entry\n"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("newsletter 2026-11-25: edition, 1 article, subject « Our first article »\n"),
        "{}",
        run.stdout
    );
    assert!(site.path("out/newsletter/2026-11-25.eml").is_file());
    assert!(site.path("public/subscribe/index.html").is_file());
}

#[test]
fn a_second_init_changes_nothing_and_names_the_file() {
    let site = empty();
    site.ok(&["init"]);
    site.edit("feed.toml", "title = \"My site\"", "title = \"Le Fil\"");
    let before = site.contents("");
    let run = site.run_now(&["init"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "error: feed.toml already exists: init never overwrites a file, and wrote nothing\n  \
         hint: this folder already holds a site; edit its feed.toml, or run init in an empty folder\n"
    );
    assert_eq!(site.contents(""), before);

    // The example article is not overwritten either, nor is anything
    // written before the refusal.
    std::fs::remove_file(site.path("feed.toml")).unwrap();
    let run = site.run_now(&["--config", "other.toml", "init"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("content already holds files: kept as they are, no example added"),
        "{}",
        run.stdout
    );
    assert_eq!(
        site.files(""),
        ["content/2026-11-25-first-article.md", "other.toml"]
    );
}

#[test]
fn init_beside_a_hugo_content_folder_adds_no_example() {
    let site = Site::fixture("hugo");
    std::fs::remove_file(site.path("feed.toml")).unwrap();
    let before = site.contents("content");
    let run = site.ok(&["init"]);
    assert_eq!(
        run.stdout.lines().take(2).collect::<Vec<_>>(),
        [
            "wrote feed.toml",
            "content already holds files: kept as they are, no example added (articles without `url` need [content] permalink)"
        ]
    );
    assert_eq!(site.contents("content"), before);
}

#[test]
fn init_from_a_feed_makes_an_rss_to_email_site() {
    let site = empty();
    let feed = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/feed-source/feeds/wordpress.xml");
    std::fs::copy(&feed, site.path("wordpress.xml")).unwrap();
    let run = site.ok(&["init", "--from-feed", "wordpress.xml"]);
    assert_eq!(run.stderr, "");
    assert!(
        run.stdout
            .starts_with("wrote feed.toml\nthe source is wordpress.xml ("),
        "{}",
        run.stdout
    );
    assert_eq!(site.files(""), ["feed.toml", "wordpress.xml"]);
    let toml = site.read("feed.toml");
    assert!(
        toml.contains("source = \"feed\"") && toml.contains("path = \"wordpress.xml\""),
        "{toml}"
    );
    let config = matinale::Config::load(&site.path("feed.toml")).unwrap();
    let channel = crate::harness::parse_feed(&site.read("wordpress.xml"));
    assert_eq!(config.site.title, channel.title.unwrap().content);
    let run = site.ok(&["build"]);
    assert!(
        run.stdout.contains("newsletter 2026-11-25: "),
        "{}",
        run.stdout
    );
    assert!(site.path("public/feed.xml").is_file());

    // A feed that does not exist: an error, nothing written.
    let other = empty();
    let run = other.run_now(&["init", "--from-feed", "nope.xml"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: cannot read nope.xml: No such file or directory (os error 2)\n"
    );
    assert!(other.files("").is_empty());
}
