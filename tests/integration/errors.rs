//! Bad config and content: every problem reported at once, as
//! `path:line: field: message`, exit 1, nothing written.

use crate::harness::Site;

fn fails(site: &Site, args: &[&str]) -> String {
    for cmd in ["build", "check"] {
        let mut all = vec!["--now", crate::harness::SAMPLE_NOW];
        all.extend_from_slice(args);
        all.push(cmd);
        let run = site.run(&all);
        assert_eq!(run.code, 1, "{cmd}: {}", run.stderr);
        assert!(!site.path("public").exists(), "{cmd} wrote outputs");
        if cmd == "check" {
            return run.stderr;
        }
    }
    unreachable!()
}

#[test]
fn invalid_json_lines_are_each_named_by_line_and_field() {
    insta::assert_snapshot!("invalid_jsonl", fails(&Site::fixture("invalid-jsonl"), &[]));
}

#[test]
fn invalid_markdown_files_are_each_named() {
    insta::assert_snapshot!(
        "invalid_markdown",
        fails(&Site::fixture("invalid-markdown"), &[])
    );
}

#[test]
fn invalid_config_values_are_all_reported() {
    insta::assert_snapshot!(
        "invalid_config",
        fails(&Site::fixture("invalid-config"), &[])
    );
}

#[test]
fn unknown_config_key_is_an_error_with_its_line() {
    let stderr = fails(
        &Site::fixture("invalid-config"),
        &["--config", "unknown-key.toml"],
    );
    insta::assert_snapshot!("unknown_config_key", stderr);
}

#[test]
fn two_categories_with_one_slug_are_an_error() {
    insta::assert_snapshot!("slug_collision", fails(&Site::fixture("collision"), &[]));
}

#[test]
fn with_skip_a_name_sharing_a_slug_leaves_its_articles_out_of_that_category() {
    let site = Site::fixture("collision");
    site.edit(
        "feed.toml",
        "path = \"articles.jsonl\"",
        "path = \"articles.jsonl\"\non_invalid = \"skip\"",
    );
    let run = site.ok(&["-v", "feeds"]);
    assert_eq!(
        run.stderr,
        "warning: articles.jsonl:2: categories: « jeux-video » would be published under \
         category/jeux-video/, like « Jeux vidéo » (first used at articles.jsonl:1); use one \
         spelling; the article is left out of that category feed\n"
    );
    assert!(
        run.stdout.starts_with(
            "read 2 articles from articles.jsonl (0 drafts, 0 scheduled after 2026-11-26 07:30 +01:00)\n\
             public/: feed.xml, atom.xml, feed.json with 2 entries\n\
             public/category/jeux-video/: feed.xml, atom.xml, feed.json with 1 entry\n"
        ),
        "{}",
        run.stdout
    );
    let titles = |file: &str| -> Vec<String> {
        crate::harness::parse_feed(&site.read(file))
            .entries
            .into_iter()
            .map(|e| e.title.unwrap().content)
            .collect()
    };
    assert_eq!(titles("public/feed.xml"), ["Article 2", "Article 1"]);
    assert_eq!(titles("public/category/jeux-video/feed.xml"), ["Article 1"]);
    assert_eq!(
        site.files("public/category"),
        [
            "jeux-video/atom.xml",
            "jeux-video/feed.json",
            "jeux-video/feed.xml"
        ]
    );
    // check stays strict.
    let run = site.run_now(&["check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.ends_with("; use one spelling\n"),
        "{}",
        run.stderr
    );
}

#[test]
fn names_differing_only_by_case_are_one_category_spelt_as_first_used() {
    let site = Site::fixture("collision");
    // A foreign feed's tags: « apple » first, then « Apple » and « APPLE »
    // (one article has two spellings).
    let line = |n: usize, day: usize, cats: &str| {
        format!(
            "{{\"title\": \"Article {n}\", \"url\": \"https://fil.example/{n}/\", \
             \"published\": \"2026-11-{day}T08:00:00+01:00\", \"summary\": \"R.\", \"categories\": {cats}}}\n"
        )
    };
    site.write(
        "articles.jsonl",
        &[
            line(1, 21, r#"["apple", "Tech"]"#),
            line(2, 22, r#"["Apple"]"#),
            line(3, 23, r#"["TECH", "APPLE", "tech"]"#),
        ]
        .concat(),
    );
    let run = site.ok(&["-v", "feeds"]);
    assert_eq!(run.stderr, "");
    assert!(
        run.stdout.contains(
            "public/: feed.xml, atom.xml, feed.json with 3 entries\n\
             public/category/tech/: feed.xml, atom.xml, feed.json with 2 entries\n\
             public/category/apple/: feed.xml, atom.xml, feed.json with 3 entries\n"
        ),
        "{}",
        run.stdout
    );
    let feed = crate::harness::parse_feed(&site.read("public/category/apple/atom.xml"));
    assert_eq!(feed.title.unwrap().content, "Le Fil — apple");
    // Every entry, in every feed, in the one spelling.
    for file in [
        "public/feed.xml",
        "public/category/apple/atom.xml",
        "public/category/tech/feed.json",
    ] {
        let feed = crate::harness::parse_feed(&site.read(file));
        let categories: Vec<Vec<String>> = feed
            .entries
            .iter()
            .map(|e| {
                e.categories
                    .iter()
                    .map(|c| c.label.clone().unwrap_or(c.term.clone()))
                    .collect()
            })
            .collect();
        let want: &[&[&str]] = if file.ends_with("tech/feed.json") {
            &[&["Tech", "apple"], &["apple", "Tech"]]
        } else {
            &[&["Tech", "apple"], &["apple"], &["apple", "Tech"]]
        };
        assert_eq!(categories, want, "{file}");
    }
}

#[test]
fn skip_reports_and_builds_the_rest() {
    let site = Site::fixture("invalid-jsonl");
    site.edit(
        "feed.toml",
        "path = \"articles.jsonl\"",
        "path = \"articles.jsonl\"\non_invalid = \"skip\"",
    );
    let run = site.ok(&["build"]);
    // Same problems, as warnings; the valid articles are published.
    assert!(
        run.stderr
            .contains("warning: articles.jsonl:3: published: `hier matin` is not a date"),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 12, "{}", run.stderr);
    assert!(run.stdout.contains("read 2 articles from articles.jsonl (0 drafts, 0 scheduled after 2026-11-26 07:30 +01:00, 12 invalid left out)"), "{}", run.stdout);
    let feed = crate::harness::parse_feed(&site.read("public/feed.xml"));
    let titles: Vec<_> = feed
        .entries
        .iter()
        .map(|e| e.title.clone().unwrap().content)
        .collect();
    assert_eq!(titles, vec!["Article 13", "Article 1"]);
    // check stays strict whatever on_invalid says.
    assert_eq!(site.run_now(&["check"]).code, 1);
}

#[test]
fn missing_config_and_source_say_what_to_do() {
    let site = Site::fixture("hostile");
    let run = site.run(&["--config", "nope.toml", "build"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: nope.toml does not exist\n  hint: run `matinale init` to start a site here \
         (a commented feed.toml and an example article), or point --config at your site's feed.toml\n"
    );
    let empty = Site {
        dir: tempfile::tempdir().unwrap(),
    };
    let run = empty.run(&["check"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("error: feed.toml does not exist\n  hint: run `matinale init`"),
        "{}",
        run.stderr
    );

    std::fs::remove_file(site.path("articles.jsonl")).unwrap();
    for cmd in ["build", "check"] {
        let run = site.run(&[cmd]);
        assert_eq!(run.code, 1);
        assert_eq!(
            run.stderr,
            "error: 1 problem found:\nfeed.toml:10: content.path: the file `articles.jsonl` does not exist; \
             set path to your export (JSON Lines, one article per line)\n"
        );
    }
}

#[test]
fn a_missing_content_folder_is_named_with_its_line_in_feed_toml() {
    let site = Site::sample();
    std::fs::remove_dir_all(site.path("content")).unwrap();
    for cmd in ["build", "check"] {
        let run = site.run_now(&[cmd]);
        assert_eq!(run.code, 1);
        assert_eq!(
            run.stderr,
            "error: 1 problem found:\nfeed.toml:16: content.path: the folder `content` does not exist; \
             create it and write the articles in it (Markdown files with front matter), or set path \
             to the folder that holds them\n"
        );
    }
    // Without the key, the default is named, without a line.
    site.edit("feed.toml", "path = \"content\"\n", "");
    site.write("content", "a file where the folder should be\n");
    let run = site.run_now(&["check"]);
    assert_eq!(
        run.stderr,
        "error: 1 problem found:\nfeed.toml: content.path: `content` is a file, and source = \"markdown\" \
         reads a folder of .md files; set path to that folder, or source to \"jsonl\" or \"feed\" for one file\n"
    );
}

#[test]
fn now_without_offset_is_read_in_the_site_time_zone() {
    let site = Site::sample();
    let run = site.run(&["--now", "2026-11-26T07:30", "build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with(
            "read 12 articles from content (0 drafts, 0 scheduled after 2026-11-26 07:30 +01:00)\n"
        ),
        "{}",
        run.stdout
    );
    // The same outputs as with the offset.
    let with_offset = Site::sample();
    with_offset.ok(&["build"]);
    assert_eq!(site.contents("public"), with_offset.contents("public"));

    // A time the clocks skip in Paris is bad usage, said as clap says it.
    let run = site.run(&["--now", "2026-03-29 02:30", "check"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: invalid value '2026-03-29 02:30' for '--now <T>': `2026-03-29 02:30` does not exist \
         in Europe/Paris (clocks go forward at that time); give an offset, e.g. \"2026-03-29T02:30:00+01:00\"\n"
    );
    let run = site.run(&["--now", "demain", "check"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains(
            "`demain` is not a date and time; expected RFC 3339 such as \
                             2026-11-26T07:30:00+01:00, or a date and time without offset"
        ),
        "{}",
        run.stderr
    );
}

/// The site `name` with a UTF-8 byte-order mark before its export.
fn with_bom(name: &str) -> Site {
    let site = Site::fixture(name);
    let text = site.read("articles.jsonl");
    site.write("articles.jsonl", &format!("\u{feff}{text}"));
    site
}

#[test]
fn a_byte_order_mark_is_ignored_and_lines_keep_their_numbers() {
    // The same problems, on the same lines, as without the mark.
    let plain = fails(&Site::fixture("invalid-jsonl"), &[]);
    assert_eq!(fails(&with_bom("invalid-jsonl"), &[]), plain);
    assert!(plain.contains("\narticles.jsonl:2: title: "), "{plain}");

    // A valid export builds the same feeds.
    let plain = Site::fixture("hostile");
    let bom = with_bom("hostile");
    let (a, b) = (plain.ok(&["build"]), bom.ok(&["build"]));
    assert_eq!((a.stdout, a.stderr), (b.stdout, b.stderr));
    assert_eq!(plain.contents("public"), bom.contents("public"));
}
