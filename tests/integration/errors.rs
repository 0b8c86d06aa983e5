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
    assert_eq!(run.stderr.lines().count(), 13, "{}", run.stderr);
    assert!(run.stdout.contains("read 2 articles from articles.jsonl (0 drafts, 0 scheduled after 2026-11-26 07:30 +01:00, 13 invalid left out)"), "{}", run.stdout);
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

/// `check` of the sample site with each `(from, to)` edit made to its
/// feed.toml; its standard error, which must say the configuration is
/// refused.
fn refused_with(edits: &[(&str, &str)]) -> String {
    let site = Site::sample();
    for (from, to) in edits {
        site.edit("feed.toml", from, to);
    }
    fails(&site, &[])
}

#[test]
fn every_number_out_of_its_range_is_named_with_the_range() {
    let stderr = refused_with(&[
        ("timeout_s = 20", "timeout_s = 18446744073709551615"),
        ("max_items = 50", "max_items = -1"),
        (
            "websub_hub = \"\"",
            "websub_hub = \"\"\nwebsub_timeout_s = 0",
        ),
        ("lookback_days = 7", "lookback_days = 4294967295"),
        ("max_articles = 12", "max_articles = 501"),
        ("port = 2525", "port = 0"),
        ("timeout_s = 30", "timeout_s = 99999999999999999999999"),
    ]);
    assert_eq!(
        stderr,
        "error: in the configuration feed.toml\n  caused by: 7 problems found:\n\
         feed.toml:18: content.timeout_s: must be between 1 and 3600 (seconds), not 18446744073709551615\n\
         feed.toml:23: feeds.max_items: must be between 0 and 1000000 (entries per feed; 0 means every article), not -1\n\
         feed.toml:27: feeds.websub_timeout_s: must be between 1 and 3600 (seconds), not 0\n\
         feed.toml:44: newsletter.lookback_days: must be between 1 and 366 (days), not 4294967295\n\
         feed.toml:48: newsletter.max_articles: must be between 1 and 500 (articles shown in full), not 501\n\
         feed.toml:60: smtp.port: must be between 1 and 65535 (a TCP port), not 0\n\
         feed.toml:64: smtp.timeout_s: must be between 1 and 3600 (seconds), not 99999999999999999999999\n"
    );
}

#[test]
fn the_ends_of_every_range_are_accepted() {
    let site = Site::sample();
    for (from, to) in [
        ("timeout_s = 20", "timeout_s = 3600"),
        ("max_items = 50", "max_items = 1_000_000"),
        (
            "websub_hub = \"\"",
            "websub_hub = \"\"\nwebsub_timeout_s = 1",
        ),
        ("lookback_days = 7", "lookback_days = 366"),
        ("max_articles = 12", "max_articles = 500"),
        ("port = 2525", "port = 65535"),
        ("timeout_s = 30", "timeout_s = 1"),
    ] {
        site.edit("feed.toml", from, to);
    }
    let run = site.ok(&["check"]);
    assert_eq!(
        run.stdout,
        "ok: feed.toml (12 articles, 0 drafts, 0 scheduled; 6 feeds)\n"
    );
    // 0 is every article, and the lower ends of the others.
    for (from, to) in [
        ("max_items = 1_000_000", "max_items = 0"),
        ("lookback_days = 366", "lookback_days = 1"),
        ("max_articles = 500", "max_articles = 1"),
        ("port = 65535", "port = 1"),
    ] {
        site.edit("feed.toml", from, to);
    }
    site.ok(&["check"]);
}

#[test]
fn a_value_of_the_wrong_type_is_named_by_its_key() {
    for (from, to, line, field, message) in [
        (
            "lookback_days = 7",
            "lookback_days = \"7\"",
            43,
            "newsletter.lookback_days",
            "invalid type: string \"7\", expected a whole number",
        ),
        (
            "port = 2525",
            "port = 25.25",
            59,
            "smtp.port",
            "invalid type: floating point `25.25`, expected a whole number",
        ),
        (
            "max_items = 50",
            "max_items = true",
            23,
            "feeds.max_items",
            "invalid type: boolean `true`, expected a whole number",
        ),
        (
            "url = \"https://www.journaldugeek.com/newsletter/\"",
            "url = 5",
            38,
            "cta[1].url",
            "invalid type: integer `5`, expected a string",
        ),
    ] {
        assert_eq!(
            refused_with(&[(from, to)]),
            format!("error: in the configuration feed.toml\n  caused by: 1 problem found:\nfeed.toml:{line}: {field}: {message}\n")
        );
    }
}

#[test]
fn send_time_is_a_time_of_day_in_minutes() {
    for time in ["24:00", "7:5", "07:00:00", "07h00", " 07:00", "-1:00"] {
        assert_eq!(
            refused_with(&[("send_time = \"07:00\"", &format!("send_time = \"{time}\""))]),
            format!(
                "error: in the configuration feed.toml\n  caused by: 1 problem found:\n\
                 feed.toml:42: newsletter.send_time: `{time}` is not a time of day; expected HH:MM from 00:00 to 23:59, such as \"07:00\"\n"
            )
        );
    }
    // One digit for the hour is unambiguous: 7:05 is 07:05.
    let site = Site::sample();
    site.edit("feed.toml", "send_time = \"07:00\"", "send_time = \"7:05\"");
    let run = site.ok(&["newsletter"]);
    assert!(
        run.stdout.starts_with("newsletter 2026-11-26: edition, "),
        "{}",
        run.stdout
    );
    let eml = site.read("out/newsletter/2026-11-26.eml");
    assert!(
        eml.contains("\r\nDate: Thu, 26 Nov 2026 07:05:00 +0100\r\n"),
        "{eml}"
    );
}

#[test]
fn links_list_id_and_header_values_have_their_kind() {
    let stderr = refused_with(&[
        ("logo = \"https://www.journaldugeek.com/logo.png\"", "logo = \"mailto:logo@journaldugeek.com\""),
        (
            "url = \"https://news.google.com/publications/EXAMPLE\"",
            "url = \"ftp://journaldugeek.com/\"",
        ),
        (
            "url = \"https://www.journaldugeek.com/newsletter/\"",
            "url = \"mailto:a@journaldugeek.com,b@journaldugeek.com\"",
        ),
        (
            "from = \"Journal du Geek <newsletter@journaldugeek.com>\"",
            "from = \"Journal du Geek\\r\\nBcc: victime@example.org <newsletter@journaldugeek.com>\"",
        ),
        (
            "# subject: the top story's title by default (a template: name, date, date_long, top, count)",
            "subject = \"{{ name }\"",
        ),
        ("token_placeholder = \"*|UNSUB_TOKEN|*\"", "token_placeholder = \"{{ contact.TOKEN }}\""),
        (
            "unsubscribe_url = \"https://www.journaldugeek.com/newsletter/desinscription?token={{ token }}\"",
            "unsubscribe_url = \"/newsletter/desinscription?token={{ token }}\"",
        ),
        ("list_id = \"matinale.journaldugeek.com\"", "list_id = \"<matinale@journaldugeek.com>\""),
    ]);
    assert_eq!(
        stderr,
        "error: in the configuration feed.toml\n  caused by: 8 problems found:\n\
         feed.toml:10: site.logo: `mailto:logo@journaldugeek.com` is not an absolute http(s) URL; expected e.g. \"https://www.example.com/\"\n\
         feed.toml:32: cta[0].url: `ftp://journaldugeek.com/` is neither an absolute http(s) URL nor a mailto: link to one address; expected e.g. \"https://www.example.com/\" or \"mailto:redaction@example.com\"\n\
         feed.toml:38: cta[1].url: `mailto:a@journaldugeek.com,b@journaldugeek.com` is neither an absolute http(s) URL nor a mailto: link to one address; expected e.g. \"https://www.example.com/\" or \"mailto:redaction@example.com\"\n\
         feed.toml:44: newsletter.from: must not contain control characters such as line breaks: it goes into the email's headers\n\
         feed.toml:46: newsletter.subject: is not a valid template: syntax error: unexpected `}`, expected end of variable block\n\
         feed.toml:49: newsletter.token_placeholder: `{{ contact.TOKEN }}` cannot go into the unsubscribe URL and the List-Unsubscribe header: a merge tag without spaces, control characters, `<`, `>` or `\"` is needed, e.g. \"*|UNSUB_TOKEN|*\"\n\
         feed.toml:50: newsletter.unsubscribe_url: `/newsletter/desinscription?token={{ token }}` is not an absolute http(s) URL without spaces; expected e.g. \"https://www.example.com/newsletter/unsubscribe?token={{ token }}\"\n\
         feed.toml:52: newsletter.list_id: `<matinale@journaldugeek.com>` is not a list id (RFC 2919): expected labels of ASCII letters, digits and `-` joined by dots, with at least one dot and at most 255 characters, e.g. \"matinale.example.com\"\n"
    );
    // An unsubscribe link that forgets the token, or breaks a line.
    assert_eq!(
        refused_with(&[("?token={{ token }}", "?token={{ tokne }}")]),
        "error: in the configuration feed.toml\n  caused by: 1 problem found:\n\
         feed.toml:50: newsletter.unsubscribe_url: must contain `{{ token }}`, where each subscriber's token goes\n"
    );
    assert_eq!(
        refused_with(&[("?token={{ token }}", "?token={{ token }}\\r\\nBcc: victime@example.org")]),
        "error: in the configuration feed.toml\n  caused by: 1 problem found:\n\
         feed.toml:50: newsletter.unsubscribe_url: `https://www.journaldugeek.com/newsletter/desinscription?token={{ token }}\\r\\nBcc: victime@example.org` is not an absolute http(s) URL without spaces; expected e.g. \"https://www.example.com/newsletter/unsubscribe?token={{ token }}\"\n"
    );
}

#[test]
fn a_call_to_action_may_be_a_mailto_link() {
    let site = Site::sample();
    site.edit(
        "feed.toml",
        "url = \"https://news.google.com/publications/EXAMPLE\"",
        "url = \"mailto:redaction@journaldugeek.com?subject=Une%20info\"",
    );
    site.ok(&["build"]);
    let cta = "<p>🟣 Pour ne manquer aucune news sur le Journal du Geek, abonnez-vous sur Google Actualités. <a href=\"mailto:redaction@journaldugeek.com?subject=Une%20info\">Suivre sur Google Actualités</a></p>";
    let json: serde_json::Value = serde_json::from_str(&site.read("public/feed.json")).unwrap();
    let html = json["items"][0]["content_html"].as_str().unwrap();
    assert!(html.contains(cta), "{html}");
    assert!(site
        .read("out/newsletter/2026-11-26.txt")
        .contains("mailto:redaction@journaldugeek.com?subject=Une%20info"));
}

#[test]
fn a_line_break_in_a_name_or_subject_adds_no_header_to_the_email() {
    let site = Site::sample();
    site.edit(
        "feed.toml",
        "name = \"La Matinale\"",
        "name = \"La Matinale\\r\\nBcc: victime@example.org\"",
    );
    site.edit(
        "feed.toml",
        "# subject: the top story's title by default (a template: name, date, date_long, top, count)",
        "subject = \"{{ date }}\\nX-Injected: yes\\r\\n\\r\\nbody\"",
    );
    site.edit(
        "feed.toml",
        "postal_address = \"Adresse postale de l'éditeur\"",
        "postal_address = \"1 rue du Geek\\r\\n75000 Paris\"",
    );
    site.ok(&["newsletter"]);
    let eml = std::fs::read(site.path("out/newsletter/2026-11-26.eml")).unwrap();
    let msg = mail_parser::MessageParser::default().parse(&eml).unwrap();
    let names: Vec<&str> = msg.headers().iter().map(|h| h.name()).collect();
    assert_eq!(
        names,
        [
            "From",
            "To",
            "Subject",
            "Date",
            "Message-ID",
            "List-ID",
            "List-Unsubscribe",
            "List-Unsubscribe-Post",
            "Reply-To",
            "MIME-Version",
            "Content-Type"
        ]
    );
    assert_eq!(msg.subject(), Some("2026-11-26 X-Injected: yes body"));
    assert_eq!(
        msg.header_raw("List-Id").map(str::trim),
        Some("\"La Matinale Bcc: victime@example.org\" <matinale.journaldugeek.com>")
    );
    assert!(msg.bcc().is_none());
    assert!(site
        .read("out/newsletter/2026-11-26.txt")
        .contains("\n1 rue du Geek 75000 Paris\n"));
}
