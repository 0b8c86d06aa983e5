//! The bundled sample site: what a new user runs first.

use crate::harness::{parse_feed, Site};

const CTA_GOOGLE: &str =
    "🟣 Pour ne manquer aucune news sur le Journal du Geek, abonnez-vous sur Google Actualités.";
const CTA_NEWSLETTER: &str = "Et si vous nous adorez, on a une newsletter tous les matins.";
const KIWI: &str =
    "Kiwi Farms : c’est quoi ce forum de harceleurs qui fait même peur à la Russie ?";

#[test]
fn build_writes_every_feed_and_says_so() {
    let site = Site::sample();
    let run = site.ok(&["build"]);
    insta::assert_snapshot!("sample_build_stdout", run.stdout);
    assert_eq!(run.stderr, "");
    let mut expected = vec![
        "atom.xml".to_owned(),
        "feed.json".to_owned(),
        "feed.xml".to_owned(),
    ];
    for slug in ["cinema-series", "jeux-video", "sciences", "tech", "web"] {
        for f in ["atom.xml", "feed.json", "feed.xml"] {
            expected.push(format!("category/{slug}/{f}"));
        }
    }
    for f in [
        "newsletter/2026-11-26.html",
        "newsletter/index.html",
        "newsletter/feed.xml",
        "newsletter/atom.xml",
        "newsletter/feed.json",
        "abonnement/index.html",
        "_partials/head.html",
        "_partials/cta.html",
        "_partials/signup.html",
        "_partials/robots.txt",
        "sitemap.xml",
        "news-sitemap.xml",
    ] {
        expected.push(f.to_owned());
    }
    expected.sort();
    assert_eq!(site.files("public"), expected);
    let mut out = site.files("out/newsletter");
    out.sort();
    assert_eq!(
        out,
        vec![
            "2026-11-26.eml",
            "2026-11-26.html",
            "2026-11-26.txt",
            "ledger.json"
        ]
    );
}

#[test]
fn feeds_match_snapshots() {
    let site = Site::sample();
    site.ok(&["feeds"]);
    insta::assert_snapshot!("sample_feed_xml", site.read("public/feed.xml"));
    insta::assert_snapshot!("sample_atom_xml", site.read("public/atom.xml"));
    insta::assert_snapshot!("sample_feed_json", site.read("public/feed.json"));
    insta::assert_snapshot!(
        "sample_category_web_atom",
        site.read("public/category/web/atom.xml")
    );
}

#[test]
fn same_input_same_bytes_and_untouched_files() {
    let site = Site::sample();
    site.ok(&["build"]);
    let files = site.files("public");
    let before: Vec<(Vec<u8>, std::time::SystemTime)> = files
        .iter()
        .map(|f| {
            let p = site.path(&format!("public/{f}"));
            (
                std::fs::read(&p).unwrap(),
                std::fs::metadata(&p).unwrap().modified().unwrap(),
            )
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let run = site.ok(&["build"]);
    assert!(
        run.stdout.contains("29 files: 0 written, 29 unchanged"),
        "{}",
        run.stdout
    );
    for (f, (bytes, mtime)) in files.iter().zip(before) {
        let p = site.path(&format!("public/{f}"));
        assert_eq!(std::fs::read(&p).unwrap(), bytes, "{f} changed");
        assert_eq!(
            std::fs::metadata(&p).unwrap().modified().unwrap(),
            mtime,
            "{f} was rewritten"
        );
    }
    // A build from another folder, through --config, gives the same bytes.
    let other = tempfile::tempdir().unwrap();
    let config = site.path("feed.toml");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_matinale"))
        .args([
            "--now",
            crate::harness::SAMPLE_NOW,
            "-q",
            "--config",
            config.to_str().unwrap(),
            "feeds",
        ])
        .current_dir(other.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(out.stdout, b"");
}

/// Every format, read back by feed-rs, says what the content says.
#[test]
fn feeds_parse_back_with_feed_rs() {
    let site = Site::sample();
    site.ok(&["feeds"]);
    for file in ["public/feed.xml", "public/atom.xml", "public/feed.json"] {
        let feed = parse_feed(&site.read(file));
        assert_eq!(feed.entries.len(), 12, "{file}");
        assert_eq!(
            feed.title.as_ref().unwrap().content,
            "Journal du Geek",
            "{file}"
        );
        let kiwi = feed
            .entries
            .iter()
            .find(|e| e.title.as_ref().is_some_and(|t| t.content == KIWI))
            .unwrap_or_else(|| panic!("{file}: no Kiwi Farms entry"));
        assert_eq!(
            kiwi.links[0].href,
            "https://www.journaldugeek.com/2026/11/25/kiwi-farms-forum-harceleurs-russie/",
            "{file}"
        );
        assert_eq!(
            kiwi.summary.as_ref().unwrap().content,
            "Kiwi Farms, le forum préféré des harceleurs et des complotistes vient de fermer, et même la Russie n’en veut plus.",
            "{file}"
        );
        assert_eq!(
            kiwi.published.unwrap().to_rfc3339(),
            "2026-11-25T06:40:00+00:00",
            "{file}"
        );
        assert_eq!(
            kiwi.categories
                .iter()
                .map(|c| c.label.clone().unwrap_or(c.term.clone()))
                .collect::<Vec<_>>(),
            vec!["Web"],
            "{file}"
        );
        let body = kiwi
            .content
            .as_ref()
            .and_then(|c| c.body.clone())
            .unwrap_or_default();
        assert!(
            body.contains(CTA_GOOGLE) && body.contains(CTA_NEWSLETTER),
            "{file}: CTAs missing"
        );
        assert!(
            body.find(CTA_GOOGLE) < body.find(CTA_NEWSLETTER) && body.trim_end().ends_with("</p>"),
            "{file}: CTAs out of order or not closing the content"
        );
        // Newest first.
        let dates: Vec<_> = feed.entries.iter().map(|e| e.published.unwrap()).collect();
        assert!(
            dates.windows(2).all(|w| w[0] >= w[1]),
            "{file}: not newest first"
        );
        if file.ends_with(".xml") {
            let with_image = feed.entries.iter().filter(|e| !e.media.is_empty()).count();
            assert_eq!(with_image, 12, "{file}: media:content missing");
        }
    }
}

#[test]
fn relative_links_in_bodies_become_absolute() {
    let site = Site::sample();
    site.ok(&["feeds"]);
    let rss = site.read("public/feed.xml");
    assert!(rss.contains(r#"href="https://www.journaldugeek.com/guides/vpn/""#));
    assert!(rss
        .contains(r#"src="https://www.journaldugeek.com/wp-content/uploads/2026/11/schema.png""#));
    assert!(!rss.contains(r#"href="/"#));
}

#[test]
fn check_accepts_the_sample() {
    let site = Site::sample();
    let run = site.ok(&["check"]);
    assert_eq!(
        run.stdout,
        "ok: feed.toml (12 articles, 0 drafts, 0 scheduled; 6 feeds)\n"
    );
    assert!(!site.path("public").exists(), "check wrote outputs");
}
