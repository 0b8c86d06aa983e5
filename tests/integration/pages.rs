//! The subscribe page, the partials, the newsletter archive and the feed of
//! editions.

use crate::harness::{parse_feed, Site};

const BASE: &str = "https://www.journaldugeek.com/";

/// Every feed file the build wrote, as absolute URLs.
fn feed_urls(site: &Site) -> Vec<String> {
    site.files("public")
        .into_iter()
        .filter(|f| f.ends_with("feed.xml") || f.ends_with("atom.xml") || f.ends_with("feed.json"))
        .map(|f| format!("{BASE}{f}"))
        .collect()
}

fn encoded(url: &str) -> String {
    url::form_urlencoded::byte_serialize(url.as_bytes()).collect()
}

#[test]
fn the_subscribe_page_offers_every_feed_and_call_to_action() {
    let site = Site::sample();
    site.ok(&["build"]);
    let page = site.read("public/abonnement/index.html");
    insta::assert_snapshot!("subscribe_page", page);
    let urls = feed_urls(&site);
    assert_eq!(urls.len(), 21, "{urls:?}");
    for url in &urls {
        // Each feed is a link; the site's three formats and every RSS feed
        // also get a field with a copy button and the readers' links.
        let field = format!("value=\"{url}\"");
        assert!(
            page.contains(&format!("href=\"{url}\"")) || page.contains(&field),
            "no {url}"
        );
        let main = url.matches('/').count() == 3;
        if main || url.ends_with("feed.xml") {
            assert!(page.contains(&field), "no field for {url}");
            assert!(
                page.contains(&format!("data-copy=\"{url}\"")),
                "no copy button for {url}"
            );
        }
        if url.ends_with("feed.xml") {
            let enc = encoded(url);
            for link in [
                format!("https://feedly.com/i/subscription/feed%2F{enc}"),
                format!("https://www.inoreader.com/?add_feed={enc}"),
                format!("feed:{url}"),
            ] {
                assert!(page.contains(&format!("href=\"{link}\"")), "no {link}");
            }
        }
    }
    let config = site.read("feed.toml");
    for cta in [
        "🟣 Pour ne manquer aucune news sur le Journal du Geek, abonnez-vous sur Google Actualités.",
        "Et si vous nous adorez, on a une newsletter tous les matins.",
        "href=\"https://news.google.com/publications/EXAMPLE\"",
        "href=\"https://www.journaldugeek.com/newsletter/\"",
    ] {
        assert!(config.contains(cta.trim_start_matches("href=\"").trim_end_matches('"')));
        assert!(page.contains(cta), "no {cta}");
    }
    assert!(page.contains("<html lang=\"fr-FR\">"));
    assert!(page.contains("href=\"https://www.journaldugeek.com/newsletter/2026-11-26.html\""));
    // The ten newest articles, linked.
    let feed = parse_feed(&site.read("public/feed.xml"));
    for entry in feed.entries.iter().take(10) {
        let link = &entry.links[0].href;
        assert!(
            page.contains(&format!("href=\"{link}\"")),
            "no headline {link}"
        );
    }
    // Nothing from elsewhere: no remote script, style or font.
    for outside in [
        "<script src",
        "<link rel=\"stylesheet\"",
        "@import",
        "url(http",
    ] {
        assert!(!page.contains(outside), "{outside}");
    }
}

#[test]
fn the_partials_carry_the_feeds_and_the_calls_to_action_of_feed_toml() {
    let site = Site::sample();
    site.ok(&["feeds"]);
    let head = site.read("public/_partials/head.html");
    insta::assert_snapshot!("partial_head", head);
    let cta = site.read("public/_partials/cta.html");
    insta::assert_snapshot!("partial_cta", cta);
    for url in feed_urls(&site) {
        assert_eq!(head.matches(&format!("href=\"{url}\"")).count(), 1, "{url}");
    }

    // One source of truth: a new text in feed.toml is in the partial, the
    // subscribe page and every feed entry after the next build.
    site.edit(
        "feed.toml",
        "Et si vous nous adorez, on a une newsletter tous les matins.",
        "Chaque matin, l’essentiel : notre newsletter.",
    );
    site.ok(&["feeds"]);
    for file in [
        "_partials/cta.html",
        "abonnement/index.html",
        "feed.xml",
        "category/tech/atom.xml",
    ] {
        let text = site.read(&format!("public/{file}"));
        assert!(
            text.contains("Chaque matin, l’essentiel : notre newsletter."),
            "{file}"
        );
        assert!(!text.contains("Et si vous nous adorez"), "{file}");
    }
}

#[test]
fn the_archive_and_the_feed_of_editions_follow_the_ledger() {
    let site = Site::sample();
    site.ok(&["build"]);
    // A second morning, with one new article.
    site.write(
        "content/2026-11-26-lancement-ariane.md",
        "+++\ntitle = \"Ariane 6 place trois satellites en orbite\"\nurl = \"https://www.journaldugeek.com/2026/11/26/ariane-6/\"\npublished = \"2026-11-26T18:00:00+01:00\"\ncategories = [\"Sciences\"]\nsummary = \"Un lancement réussi depuis Kourou.\"\n+++\nLe lanceur a décollé à l’heure.\n",
    );
    let run = site.run(&["--now", "2026-11-27T07:30:00+01:00", "build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);

    let archive = site.read("public/newsletter/index.html");
    insta::assert_snapshot!("newsletter_archive", archive);
    let newest = archive
        .find("newsletter/2026-11-27.html")
        .expect("the second edition");
    let older = archive
        .find("newsletter/2026-11-26.html")
        .expect("the first edition");
    assert!(newest < older, "newest first");
    assert!(site.path("public/newsletter/2026-11-27.html").is_file());

    let rss = site.read("public/newsletter/feed.xml");
    insta::assert_snapshot!("editions_rss", rss);
    for file in ["feed.xml", "atom.xml", "feed.json"] {
        let feed = parse_feed(&site.read(&format!("public/newsletter/{file}")));
        assert_eq!(
            feed.title.as_ref().unwrap().content,
            "Journal du Geek — La Matinale",
            "{file}"
        );
        let links: Vec<&str> = feed
            .entries
            .iter()
            .map(|e| e.links[0].href.as_str())
            .collect();
        assert_eq!(
            links,
            [
                "https://www.journaldugeek.com/newsletter/2026-11-27.html",
                "https://www.journaldugeek.com/newsletter/2026-11-26.html"
            ],
            "{file}"
        );
        let first = &feed.entries[0];
        assert_eq!(
            first.title.as_ref().unwrap().content,
            "Ariane 6 place trois satellites en orbite",
            "{file}"
        );
        assert_eq!(
            first.published.unwrap().to_rfc3339(),
            "2026-11-27T06:00:00+00:00",
            "{file}: published at the cutoff"
        );
    }
    // The subscribe page links the newest edition.
    let page = site.read("public/abonnement/index.html");
    assert!(page.contains("href=\"https://www.journaldugeek.com/newsletter/2026-11-27.html\""));
}

#[test]
fn the_subscribe_page_moves_with_subscribe_path() {
    let site = Site::sample();
    site.edit(
        "feed.toml",
        "subscribe_path = \"abonnement/\"",
        "subscribe_path = \"suivre/nos-flux\"",
    );
    site.ok(&["feeds"]);
    assert!(site.path("public/suivre/nos-flux/index.html").is_file());
    assert!(site
        .read("public/_partials/cta.html")
        .contains("href=\"https://www.journaldugeek.com/suivre/nos-flux/\""));

    site.edit(
        "feed.toml",
        "subscribe_path = \"suivre/nos-flux\"",
        "subscribe_path = \"newsletter\"",
    );
    let run = site.run_now(&["feeds"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: in the configuration feed.toml\n  caused by: 1 problem found:\nfeed.toml:12: site.subscribe_path: \
         `newsletter/` is where matinale writes other files; choose another folder, e.g. \"abonnement/\"\n"
    );
}

#[test]
fn a_site_template_replaces_the_subscribe_page() {
    let site = Site::sample();
    site.write(
        "templates/subscribe.html.j2",
        "<!doctype html><html lang=\"{{ site.language }}\"><title>{{ labels.subscribe_title }}</title>\n\
         {% for f in feeds %}<p>{{ f.title }}: {{ f.rss }}</p>\n{% endfor %}</html>\n",
    );
    site.ok(&["feeds"]);
    let page = site.read("public/abonnement/index.html");
    assert!(
        page.starts_with("<!doctype html><html lang=\"fr-FR\"><title>"),
        "{page}"
    );
    assert!(page.contains("<p>Journal du Geek — Jeux vidéo: https://www.journaldugeek.com/category/jeux-video/feed.xml</p>\n"));

    // A typo in it names the file and the line; nothing is written.
    site.write(
        "templates/subscribe.html.j2",
        "<html>\n{{ site.titel }}\n</html>\n",
    );
    let before = site.contents("public");
    let run = site.run_now(&["feeds"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("error: 1 problem found:\ntemplates/subscribe.html.j2:2: undefined value"),
        "{}",
        run.stderr
    );
    assert_eq!(site.contents("public"), before);
}

#[test]
fn hostile_titles_and_ctas_stay_text_in_every_page() {
    let site = Site::fixture("hostile");
    let run = site.run(&["--now", "2026-11-26T07:30:00+01:00", "build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for file in [
        "abonnement/index.html",
        "newsletter/index.html",
        "_partials/cta.html",
        "_partials/head.html",
    ] {
        let text = site.read(&format!("public/{file}"));
        assert!(!text.contains("<script>alert"), "{file}");
        assert!(!text.contains("<template>"), "{file}");
    }
    let page = site.read("public/abonnement/index.html");
    assert!(page.contains("Script &lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(site
        .read("public/_partials/cta.html")
        .contains("href=\"https://fil.example/newsletter/?a=1&amp;b=2\""));
}
