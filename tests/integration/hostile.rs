//! Hostile but valid content: it must come out safe, well-formed and
//! exactly as written.

use crate::harness::{parse_feed, Site};

fn built() -> Site {
    let site = Site::fixture("hostile");
    let run = site.ok(&["build"]);
    assert_eq!(
        run.stderr,
        "warning: articles.jsonl:1: content: removed 2 characters that XML 1.0 forbids\n\
         warning: articles.jsonl:1: title: removed characters that XML 1.0 forbids\n\
         warning: articles.jsonl:1: summary: removed characters that XML 1.0 forbids\n"
    );
    site
}

fn entry<'a>(feed: &'a feed_rs::model::Feed, title: &str) -> &'a feed_rs::model::Entry {
    feed.entries
        .iter()
        .find(|e| e.title.as_ref().is_some_and(|t| t.content == title))
        .unwrap_or_else(|| panic!("no entry titled {title:?}"))
}

#[test]
fn plain_text_comes_out_exactly_as_written() {
    let site = built();
    for file in ["public/feed.xml", "public/atom.xml", "public/feed.json"] {
        let feed = parse_feed(&site.read(file));
        for title in [
            "שלום עולם — مرحبا 🟣🚀 émoji",
            "AT&T <template> & \"guillemets\" 'simples'",
            "Script <script>alert(1)</script>",
            "CDATA ]]> fin",
            "Titre sur deux lignes",
            "Contrôle caractères interdits",
        ] {
            entry(&feed, title);
        }
        let e = entry(&feed, "AT&T <template> & \"guillemets\" 'simples'");
        // RSS description is HTML: feed-rs hands it over undecoded.
        let want = if file.ends_with("feed.xml") {
            "a &#x3C; b &#x26;&#x26; c > d"
        } else {
            "a < b && c > d"
        };
        assert_eq!(e.summary.as_ref().unwrap().content, want, "{file}");
        let e = entry(&feed, "Titre sur deux lignes");
        assert_eq!(
            e.summary.as_ref().unwrap().content,
            "Espaces multiples",
            "{file}"
        );
    }
    // The site's description: the RSS channel's is HTML, like an item's,
    // so its `&` and `<` are references in that HTML (then escaped as XML).
    // (feed-rs hands RSS HTML over undecoded; Atom's subtitle is text.)
    let description = |file: &str| parse_feed(&site.read(file)).description.map(|t| t.content);
    assert_eq!(
        description("public/feed.xml").as_deref(),
        Some("Tests &#x26; &#x3C;hostiles>")
    );
    assert_eq!(
        description("public/atom.xml").as_deref(),
        Some("Tests & <hostiles>")
    );
    // RSS plain text uses hexadecimal references (RSS Best Practices).
    let rss = site.read("public/feed.xml");
    assert!(
        rss.contains(
            "\n    <description>Tests &#x26;#x26; &#x26;#x3C;hostiles&gt;</description>\n"
        ),
        "{rss}"
    );
    assert!(rss.contains("<title>AT&#x26;T &#x3C;template&gt; &#x26; &quot;guillemets&quot; &apos;simples&apos;</title>"));
    assert!(!rss.contains("&amp;T"));
}

#[test]
fn active_content_is_removed() {
    let site = built();
    for file in ["public/feed.xml", "public/atom.xml", "public/feed.json"] {
        let feed = parse_feed(&site.read(file));
        let body = entry(&feed, "Script <script>alert(1)</script>")
            .content
            .as_ref()
            .unwrap()
            .body
            .clone()
            .unwrap();
        let lower = body.to_lowercase();
        for bad in [
            "<script",
            "onclick",
            "onerror",
            "<iframe",
            "javascript:",
            "<style",
        ] {
            assert!(!lower.contains(bad), "{file}: {bad} survived in {body}");
        }
        assert!(body.starts_with("<p>Texte</p>"), "{file}: {body}");
    }
}

#[test]
fn cdata_end_and_control_characters_survive_xml() {
    let site = built();
    for file in ["public/feed.xml", "public/atom.xml"] {
        let text = site.read(file);
        assert!(!text.chars().any(|c| matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')), "{file}");
        let feed = parse_feed(&text);
        let e = entry(&feed, "CDATA ]]> fin");
        assert_eq!(
            e.summary.as_ref().unwrap().content,
            "Résumé avec ]]> dedans",
            "{file}"
        );
        let body = e.content.as_ref().unwrap().body.clone().unwrap();
        assert!(
            body.starts_with("<p>Un ]]&gt; au milieu, et <code>]]&gt;</code></p>"),
            "{file}: {body}"
        );
        let body = entry(&feed, "Contrôle caractères interdits")
            .content
            .as_ref()
            .unwrap()
            .body
            .clone()
            .unwrap();
        assert!(
            body.starts_with("<p>NUL et ESC dans le corps</p>"),
            "{file}: {body}"
        );
    }
}

#[test]
fn relative_urls_resolve_against_the_article() {
    let site = built();
    let feed = parse_feed(&site.read("public/atom.xml"));
    let e = entry(&feed, "Liens relatifs");
    let body = e.content.as_ref().unwrap().body.clone().unwrap();
    assert!(body.starts_with(
        r#"<p><a href="https://fil.example/2026/11/autre/">autre</a> <a href="https://fil.example/racine">racine</a> <img src="https://fil.example/2026/11/relatifs/img/photo.jpg" alt="photo"> <a href="https://fil.example/2026/11/relatifs/#note">note</a></p>"#
    ), "{body}");
    assert_eq!(
        e.media[0].content[0].url.as_ref().unwrap().as_str(),
        "https://fil.example/images/relatif.jpg"
    );
    let rss = site.read("public/feed.xml");
    assert!(rss.contains("<comments>https://fil.example/2026/11/relatifs/#comments</comments>"));
}

#[test]
fn category_names_cannot_escape_the_output_folder() {
    let site = built();
    let dirs: Vec<String> = site
        .files("public/category")
        .into_iter()
        .filter(|f| f.ends_with("/feed.xml"))
        .map(|f| f.trim_end_matches("/feed.xml").to_owned())
        .collect();
    assert_eq!(dirs, vec!["c-rust", "jeux-video", "purple-circle", "x"]);
    let feed = parse_feed(&site.read("public/category/x/atom.xml"));
    assert_eq!(feed.title.unwrap().content, "Le Fil — ../x");
    assert_eq!(feed.entries.len(), 1);
    let atom = site.read("public/atom.xml");
    assert!(
        atom.contains(r#"<category term="c-rust" label="C++ &amp; Rust"/>"#),
        "Atom term is the slug"
    );
}

#[test]
fn naive_dates_are_read_in_the_site_time_zone_across_dst() {
    let site = built();
    let feed = parse_feed(&site.read("public/feed.json"));
    // 02:30 on 2026-10-25 happens twice in Paris: the earlier (CEST) wins.
    let e = entry(&feed, "Heure naïve d’hiver");
    assert_eq!(
        e.published.unwrap().to_rfc3339(),
        "2026-10-25T00:30:00+00:00"
    );
    assert_eq!(e.updated.unwrap().to_rfc3339(), "2026-10-25T02:30:00+00:00");
    let e = entry(&feed, "Heure naïve d’été");
    assert_eq!(
        e.published.unwrap().to_rfc3339(),
        "2026-03-29T01:30:00+00:00"
    );
    let json = site.read("public/feed.json");
    assert!(
        json.contains(r#""date_published": "2026-10-25T02:30:00+02:00""#),
        "written in local time with its offset"
    );
    assert!(site
        .read("public/feed.xml")
        .contains("<pubDate>Sun, 29 Mar 2026 03:30:00 +0200</pubDate>"));
}

#[test]
fn drafts_and_scheduled_posts_are_left_out() {
    let site = built();
    let rss = site.read("public/feed.xml");
    assert!(!rss.contains("Brouillon") && !rss.contains("Programmé"));
    // Once its time has come, the scheduled post appears.
    let run = site.run(&["--now", "2030-01-01T00:00:00+01:00", "-q", "feeds"]);
    assert_eq!(run.code, 0);
    assert!(site.read("public/feed.xml").contains("Programmé"));
}

#[test]
fn summaries_ids_authors_and_enclosures() {
    let site = built();
    let atom = parse_feed(&site.read("public/atom.xml"));
    let e = entry(&atom, "Sans résumé");
    assert_eq!(
        e.summary.as_ref().unwrap().content,
        "Premier paragraphe & suite."
    );
    let e = entry(&atom, "Identifiant non URI");
    assert_eq!(e.id, "tag:fil.example,2026:post+12%2F%C3%A0");
    let names: Vec<_> = e
        .authors
        .iter()
        .map(|p| p.name.clone().unwrap_or_default())
        .collect();
    assert_eq!(names, vec!["Anne", "Bob & Co"]);
    assert_eq!(
        e.authors[1].uri.as_deref(),
        Some("https://fil.example/auteurs/bob/")
    );
    let rss = site.read("public/feed.xml");
    assert!(rss.contains(r#"<guid isPermaLink="false">post 12/à</guid>"#));
    assert!(rss.contains(
        r#"<enclosure url="https://cdn.fil.example/a.webp" length="12345" type="image/webp"/>"#
    ));
    assert_eq!(
        rss.matches("<enclosure").count(),
        1,
        "enclosure only when the length is known"
    );
    // max_items = 0: a complete feed (RFC 5005).
    assert!(
        rss.contains("<fh:complete></fh:complete>")
            && site
                .read("public/atom.xml")
                .contains("<fh:complete></fh:complete>")
    );
}

#[test]
fn a_one_megabyte_title_is_handled() {
    let site = Site::fixture("hostile");
    let title = "Très long titre & ".repeat(60_000);
    let line = serde_json::json!({
        "title": title, "url": "https://fil.example/long/", "published": "2026-11-25T10:00:00+01:00", "summary": "s"
    });
    site.write("articles.jsonl", &format!("{line}\n"));
    let run = site.ok(&["feeds"]);
    assert!(
        run.stderr
            .contains("over the 1 MB of an article that Google News reads"),
        "{}",
        run.stderr
    );
    let feed = parse_feed(&site.read("public/feed.xml"));
    assert_eq!(
        feed.entries[0].title.as_ref().unwrap().content,
        title.trim_end()
    );
}
