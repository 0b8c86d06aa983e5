//! The command line itself: help, usage errors, global options.

use crate::harness::Site;

#[test]
fn help_names_every_command() {
    let site = Site::sample();
    let run = site.run(&["--help"]);
    assert_eq!(run.code, 0);
    for cmd in [
        "build",
        "feeds",
        "check",
        "init",
        "serve",
        "a folder of Markdown files",
        "a JSON Lines export",
        "an existing RSS, Atom or JSON feed",
        "--config",
        "--now",
        "--quiet",
        "--verbose",
        "Exit codes",
    ] {
        assert!(
            run.stdout.contains(cmd),
            "--help lacks {cmd}:\n{}",
            run.stdout
        );
    }
}

#[test]
fn send_test_help_says_which_edition_it_sends() {
    let site = Site::sample();
    let run = site.run(&["send-test", "--help"]);
    assert_eq!(run.code, 0);
    let text = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        text.contains(
            "Send one edition to one address, subject prefixed \"[TEST] \": the latest edition due \
             (the one `newsletter` builds without --date), or --date's"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn bad_usage_exits_2() {
    let site = Site::sample();
    assert_eq!(site.run(&["frobnicate"]).code, 2);
    let run = site.run(&["--now", "yesterday", "build"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("expected RFC 3339"), "{}", run.stderr);
    assert_eq!(site.run(&[]).code, 2);
}

#[test]
fn quiet_prints_nothing_and_verbose_lists_files() {
    let site = Site::sample();
    let run = site.ok(&["-q", "build"]);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    let run = site.ok(&["-v", "build"]);
    assert!(
        run.stdout
            .contains("  unchanged public/category/web/atom.xml ("),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("public/category/jeux-video/: feed.xml, atom.xml, feed.json with 2 entries"),
        "{}",
        run.stdout
    );
}

#[test]
fn now_decides_what_is_published() {
    let site = Site::sample();
    let run = site.run(&["--now", "2026-11-25T12:00:00+01:00", "build"]);
    assert_eq!(run.code, 0);
    assert!(
        run.stdout.starts_with(
            "read 5 articles from content (0 drafts, 7 scheduled after 2026-11-25 12:00 +01:00)"
        ),
        "{}",
        run.stdout
    );
}

#[test]
fn summaries_only_and_full_history() {
    let site = Site::sample();
    site.edit("feed.toml", "full_content = true", "full_content = false");
    site.edit("feed.toml", "max_items = 50", "max_items = 3");
    site.ok(&["feeds"]);
    let rss = site.read("public/feed.xml");
    assert_eq!(rss.matches("<item>").count(), 3);
    assert!(!rss.contains("content:encoded") && !rss.contains("fh:complete"));
    let json: serde_json::Value = serde_json::from_str(&site.read("public/feed.json")).unwrap();
    let item = &json["items"][0];
    assert!(item.get("content_html").is_none());
    assert_eq!(item["content_text"], item["summary"]);
}

#[test]
fn feeds_of_a_vanished_category_are_removed() {
    let site = Site::sample();
    site.ok(&["-q", "build"]);
    site.write(
        "public/category/cinema-series/notes.txt",
        "the user's own file",
    );
    let path = site.path("content/2026-11-25-serie-sf-francaise.md");
    let md = std::fs::read_to_string(&path).unwrap().replace(
        "categories = [\"Cinéma & Séries\"]",
        "categories = [\"Web\"]",
    );
    std::fs::write(&path, md).unwrap();
    let run = site.ok(&["build"]);
    assert!(
        run.stdout.contains(
            "removed public/category/cinema-series/feed.xml (its category has no article any more)"
        ),
        "{}",
        run.stdout
    );
    assert_eq!(
        site.files("public/category/cinema-series"),
        vec!["notes.txt"]
    );
}
