//! Extreme values: dates at and past the ends of what feeds can write,
//! HTML and Markdown nested far too deep, multi-megabyte summaries and
//! kilobyte titles in the newsletter. Each is an output or a clean error,
//! never a panic, and in time linear in its size.

use crate::harness::{parse_feed, Site};

/// The hostile fixture with these JSON Lines as its articles.
fn with_articles(lines: &[serde_json::Value]) -> Site {
    let site = Site::fixture("hostile");
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    site.write("articles.jsonl", &text);
    site
}

fn dated(n: usize, published: &str) -> serde_json::Value {
    serde_json::json!({
        "title": format!("Article {n}"), "url": format!("https://fil.example/{n}/"),
        "published": published, "summary": "Un résumé."
    })
}

#[test]
fn dates_past_the_years_feeds_can_write_are_errors_that_skip_leaves_out() {
    let site = with_articles(&[
        dated(1, "0000-01-01T00:00:00Z"),
        dated(2, "9999-12-31T23:30:00Z"),
        dated(3, "1899-12-31T23:59:59+00:00"),
        dated(4, "1900-01-01T00:00:00Z"),
        dated(5, "9999-12-31T22:00:00Z"),
    ]);
    let run = site.run(&["--now", "9999-12-31T23:59:59Z", "feeds"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: 3 problems found:\n\
         articles.jsonl:1: published: `0000-01-01T00:00:00Z` is outside the years 1900 to 9999 that RSS and Atom dates can hold\n\
         articles.jsonl:2: published: `9999-12-31T23:30:00Z` is outside the years 1900 to 9999 that RSS and Atom dates can hold\n\
         articles.jsonl:3: published: `1899-12-31T23:59:59+00:00` is outside the years 1900 to 9999 that RSS and Atom dates can hold\n"
    );
    assert!(!site.path("public").exists());

    site.edit(
        "feed.toml",
        "path = \"articles.jsonl\"",
        "path = \"articles.jsonl\"\non_invalid = \"skip\"",
    );
    let run = site.run(&["--now", "9999-12-31T23:59:59Z", "feeds"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 3, "{}", run.stderr);
    let rss = site.read("public/feed.xml");
    // The last instant of 9999 in Paris, and 1900 before Paris kept
    // standard time (its offset had seconds then: written in UTC).
    assert!(rss.contains("<pubDate>Fri, 31 Dec 9999 23:00:00 +0100</pubDate>"));
    assert!(rss.contains("<pubDate>Mon, 1 Jan 1900 00:00:00 +0000</pubDate>"));
    let atom = site.read("public/atom.xml");
    assert!(atom.contains("<published>9999-12-31T23:00:00+01:00</published>"));
    assert!(atom.contains("<published>1900-01-01T00:00:00+00:00</published>"));
    let json = site.read("public/feed.json");
    assert!(json.contains("\"date_published\": \"1900-01-01T00:00:00+00:00\""));
    for file in ["public/feed.xml", "public/atom.xml", "public/feed.json"] {
        assert_eq!(parse_feed(&site.read(file)).entries.len(), 2, "{file}");
    }
}

#[test]
fn a_front_matter_date_past_9999_is_an_error_at_its_line() {
    let site = Site::sample();
    site.edit(
        "content/2026-11-26-geminides-observation.md",
        "published = 2026-11-26T06:45:00+01:00",
        "published = 0001-01-01T00:00:00Z",
    );
    let run = site.run_now(&["check"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: 1 problem found:\n\
         content/2026-11-26-geminides-observation.md:4: published: `0001-01-01T00:00:00Z` is outside the years 1900 to 9999 that RSS and Atom dates can hold\n"
    );
}

#[test]
fn a_feed_source_item_dated_1800_is_an_error_naming_the_item() {
    let site = Site::fixture("feed-source");
    site.edit(
        "feeds/wordpress.xml",
        "<pubDate>Wed, 25 Nov 2026 20:30:00 +0000</pubDate>",
        "<pubDate>Tue, 25 Nov 1800 18:00:00 +0100</pubDate>",
    );
    let run = site.run_now(&["build"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: 2 problems found:\n\
         feeds/wordpress.xml:20: published: `1800-11-25T17:00:00+00:00` is outside the years 1900 to 9999 that RSS and Atom dates can hold (item 1 of the feed)\n\
         feeds/wordpress.xml:20: updated: `1800-11-25T17:00:00+00:00` is outside the years 1900 to 9999 that RSS and Atom dates can hold (item 1 of the feed)\n"
    );
}

#[test]
fn now_and_date_options_past_the_years_are_usage_errors() {
    let site = Site::sample();
    let run = site.run(&["--now", "0000-01-01T00:00:00+01:00", "feeds"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: invalid value '0000-01-01T00:00:00+01:00' for '--now <T>': outside the years 1900 to 9999 that RSS and Atom dates can hold\n\n\
         For more information, try '--help'.\n"
    );
    for command in ["newsletter", "send-test"] {
        let mut args = vec![command, "--date", "+20000-01-01"];
        if command == "send-test" {
            args.extend(["--to", "a@b.example"]);
        }
        let run = site.run(&args);
        assert_eq!(run.code, 2, "{command}");
        assert_eq!(
            run.stderr,
            "error: invalid value '+20000-01-01' for '--date <D>': outside the years 1900 to 9999\n\n\
             For more information, try '--help'.\n",
            "{command}"
        );
    }
}

#[test]
fn editions_at_the_ends_of_time_are_made_or_refused_cleanly() {
    let site = with_articles(&[dated(1, "9999-12-31T05:00:00+01:00")]);
    let run = site.run(&["--now", "9999-12-31T23:59:59+01:00", "build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let eml = site.read("out/newsletter/9999-12-31.eml");
    // In the site's offset, as the feeds write it.
    assert!(eml.contains("\r\nDate: Fri, 31 Dec 9999 07:00:00 +0100\r\n"));
    assert!(site
        .read("public/newsletter/feed.xml")
        .contains("<pubDate>Fri, 31 Dec 9999 07:00:00 +0100</pubDate>"));

    // lettre dates an email from 1970 on.
    let site = with_articles(&[dated(1, "1950-01-01T20:00:00+01:00")]);
    let run = site.run(&["--now", "1950-01-02T08:00:00+01:00", "newsletter"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: 1 problem found:\n\
         out/newsletter/1950-01-02.eml: Date: the edition of 1950-01-02 is due at 1950-01-02T06:00:00+00:00, outside the years 1970 to 9999 that an email's Date header can hold here\n"
    );
    // The feeds of that time are fine.
    let run = site.run(&["--now", "1950-01-02T08:00:00+01:00", "feeds"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn the_longest_lookback_does_not_overflow() {
    // The longest feed.toml allows; a longer one is refused, and a cutoff
    // read from a damaged ledger is bounded by `newsletter::before`.
    let site = Site::fixture("feed-source");
    site.edit(
        "feed.toml",
        "send_time = \"07:00\"",
        "send_time = \"07:00\"\nlookback_days = 366",
    );
    site.ok(&["build"]);
    let run = site.run(&["--now", "2026-11-27T07:30:00+01:00", "build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

/// `n` unclosed `<div>` around a word.
fn deep_divs(n: usize) -> String {
    "<p>Avant.</p>".to_owned() + &"<div>".repeat(n) + "Au fond."
}

#[test]
fn html_nested_200000_deep_is_flattened_with_a_warning() {
    let mut article = dated(1, "2026-11-25T10:00:00+01:00");
    article["content_html"] = deep_divs(200_000).into();
    let site = with_articles(&[article]);
    let run = site.ok(&["feeds"]);
    assert_eq!(
        run.stderr,
        "warning: articles.jsonl:1: content: flattened 199744 elements nested deeper than 256 levels (their text is kept)\n"
    );
    let json: serde_json::Value = serde_json::from_str(&site.read("public/feed.json")).unwrap();
    let html = json["items"][0]["content_html"].as_str().unwrap();
    assert!(
        html.starts_with(&("<p>Avant.</p>".to_owned() + &"<div>".repeat(256) + "Au fond.</div>")),
        "{}",
        &html[..300]
    );
    assert_eq!(html.matches("<div>").count(), 256);
}

#[test]
fn markdown_quotes_nested_100000_deep_are_flattened_with_a_warning() {
    let site = Site::sample();
    let path = "content/2026-11-26-geminides-observation.md";
    let text = site.read(path);
    let front = &text[..text.rfind("+++\n").unwrap() + 4];
    site.write(path, &format!("{front}{} Au fond.\n", ">".repeat(100_000)));
    let run = site.ok(&["feeds"]);
    assert_eq!(
        run.stderr,
        format!("warning: {path}:1: content: flattened 99745 elements nested deeper than 256 levels (their text is kept)\n")
    );
    let json: serde_json::Value = serde_json::from_str(&site.read("public/feed.json")).unwrap();
    let item = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["url"].as_str().unwrap().contains("geminides"))
        .unwrap();
    let html = item["content_html"].as_str().unwrap();
    assert!(
        html.starts_with(&("<blockquote>\n".repeat(256) + "Au fond.</blockquote>")),
        "{}",
        &html[..300]
    );
    assert_eq!(html.matches("<blockquote>").count(), 256);
}

#[test]
fn srcset_candidates_are_absolute_and_safe_in_every_feed() {
    let mut article = dated(1, "2026-11-25T10:00:00+01:00");
    article["content_html"] = r#"<p><img src="a.jpg" alt="A" srcset="a-300.jpg 300w, javascript:alert(1) 600w, data:image/png;base64,AAAA 900w, /a-1200.jpg 1200w"><img src="b.jpg" alt="B" srcset="data:image/png;base64,AAAA 2x"></p>"#.into();
    let site = with_articles(&[article]);
    site.ok(&["feeds"]);
    let json: serde_json::Value = serde_json::from_str(&site.read("public/feed.json")).unwrap();
    let html = json["items"][0]["content_html"].as_str().unwrap();
    assert!(
        html.starts_with(r#"<p><img src="https://fil.example/1/a.jpg" alt="A" srcset="https://fil.example/1/a-300.jpg 300w, https://fil.example/a-1200.jpg 1200w"><img src="https://fil.example/1/b.jpg" alt="B"></p>"#),
        "{html}"
    );
    for file in ["public/feed.xml", "public/atom.xml"] {
        let text = site.read(file);
        assert!(
            !text.contains("javascript:") && !text.contains("data:image"),
            "{file}"
        );
    }
}

/// The parts of an email, read back by mail-parser.
fn parts(eml: &[u8]) -> (String, String, String) {
    let msg = mail_parser::MessageParser::default().parse(eml).unwrap();
    (
        msg.subject().unwrap().to_owned(),
        msg.body_text(0).unwrap().into_owned(),
        msg.body_html(0).unwrap().into_owned(),
    )
}

/// Every line ends in CRLF and holds at most 998 octets (RFC 5322).
fn assert_lines_fit(eml: &[u8]) {
    for line in eml.split(|&b| b == b'\n') {
        assert!(line.len() <= 999, "a line of {} octets", line.len());
    }
    assert_eq!(
        eml.windows(2)
            .filter(|w| w[1] == b'\n' && w[0] != b'\r')
            .count(),
        0,
        "a bare LF"
    );
}

#[test]
fn a_multi_megabyte_summary_makes_a_correct_email() {
    let summary = "Un résumé qui n’en finit pas, avec des mots & des <signes>. ".repeat(60_000);
    let mut article = dated(1, "2026-11-25T20:00:00+01:00");
    article["summary"] = summary.clone().into();
    let site = with_articles(&[article]);
    site.ok(&["newsletter"]);
    let eml = std::fs::read(site.path("out/newsletter/2026-11-26.eml")).unwrap();
    assert_lines_fit(&eml);
    let (_, text, html) = parts(&eml);
    assert_eq!(
        text.replace("\r\n", "\n"),
        site.read("out/newsletter/2026-11-26.txt")
    );
    assert_eq!(
        html.replace("\r\n", "\n"),
        site.read("out/newsletter/2026-11-26.html")
    );
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words(&text).contains(summary.trim_end()));
    assert!(html.contains("Un résumé qui n’en finit pas, avec des mots &amp; des &lt;signes&gt;."));
}

#[test]
fn a_1200_character_title_is_shortened_in_a_subject_that_fits_a_line() {
    let words = "Un titre interminable ".repeat(60);
    let glued = "x".repeat(1200);
    for (title, subject) in [
        (
            words.trim_end(),
            format!("{}…", "Un titre interminable ".repeat(9).trim_end()),
        ),
        (glued.as_str(), format!("{}…", "x".repeat(199))),
    ] {
        let mut article = dated(1, "2026-11-25T20:00:00+01:00");
        article["title"] = title.into();
        let site = with_articles(&[article]);
        let run = site.ok(&["newsletter"]);
        assert!(
            run.stdout.contains(&format!("subject « {subject} »")),
            "{}",
            run.stdout
        );
        let eml = std::fs::read(site.path("out/newsletter/2026-11-26.eml")).unwrap();
        assert_lines_fit(&eml);
        assert_eq!(parts(&eml).0, subject);
        // The body keeps the whole title.
        assert!(site.read("out/newsletter/2026-11-26.html").contains(title));
    }
}
