//! The morning edition: selection across runs, the files it writes, and
//! templates overridden by the site.

use crate::harness::Site;

#[test]
fn the_sample_edition_is_made_and_recorded() {
    let site = Site::sample();
    let run = site.ok(&["newsletter"]);
    insta::assert_snapshot!("newsletter_stdout", run.stdout);
    assert_eq!(run.stderr, "");
    insta::assert_snapshot!("newsletter_txt", site.read("out/newsletter/2026-11-26.txt"));
    insta::assert_snapshot!(
        "newsletter_html",
        site.read("out/newsletter/2026-11-26.html")
    );
    insta::assert_snapshot!("newsletter_eml", site.read("out/newsletter/2026-11-26.eml"));
    insta::assert_snapshot!("newsletter_ledger", site.read("out/newsletter/ledger.json"));
    let web = site.read("public/newsletter/2026-11-26.html");
    assert!(
        !web.contains("Se désinscrire") && !web.contains("Vous recevez cet e-mail"),
        "the web copy is a web page: no unsubscribe link, no \"you receive this email\""
    );
    assert!(
        !web.contains("UNSUB_TOKEN"),
        "no personal link in the web copy"
    );
    let html = site.read("out/newsletter/2026-11-26.html");
    assert!(html.len() < 80 * 1024);
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<html lang=\"fr-FR\""));
    for img in html.split("<img").skip(1) {
        let tag = &img[..img.find('>').unwrap()];
        for attr in ["alt=", "width=", "height="] {
            assert!(tag.contains(attr), "image without {attr}: {tag}");
        }
    }
    let text = site.read("out/newsletter/2026-11-26.txt");
    for line in text.lines() {
        assert!(
            line.chars().count() <= 78 || line.starts_with("https://"),
            "long line: {line}"
        );
    }
}

#[test]
fn running_again_rebuilds_the_same_bytes_and_records_nothing_new() {
    let site = Site::sample();
    site.ok(&["newsletter"]);
    let eml = site.read("out/newsletter/2026-11-26.eml");
    let ledger = site.read("out/newsletter/ledger.json");
    let run = site.ok(&["-v", "newsletter"]);
    assert!(
        run.stdout
            .contains("past edition, rebuilt from the ledger, 11 articles"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("unchanged out/newsletter/2026-11-26.eml"),
        "{}",
        run.stdout
    );
    assert_eq!(site.read("out/newsletter/2026-11-26.eml"), eml);
    assert_eq!(site.read("out/newsletter/ledger.json"), ledger);
}

#[test]
fn a_day_with_nothing_new_makes_no_edition() {
    let site = Site::sample();
    site.ok(&["newsletter"]);
    let run = site.run(&["--now", "2026-11-27T08:00:00+01:00", "newsletter"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "newsletter 2026-11-27: no new article since the last edition, so no edition\n"
    );
    assert!(!site.path("out/newsletter/2026-11-27.eml").exists());
}

#[test]
fn a_late_article_goes_in_the_next_edition_and_only_there() {
    let site = Site::sample();
    site.ok(&["newsletter"]);
    // Back-dated to before the 26th's cutoff, but written after it.
    site.write(
        "content/zz-late.md",
        "+++\ntitle = \"En retard\"\nurl = \"https://www.journaldugeek.com/en-retard/\"\npublished = 2026-11-26T06:50:00+01:00\nsummary = \"s\"\n+++\n",
    );
    let run = site.ok(&["newsletter"]);
    assert!(
        run.stdout.contains("past edition"),
        "the 26th is history: {}",
        run.stdout
    );
    assert!(!site
        .read("out/newsletter/2026-11-26.txt")
        .contains("En retard"));
    let run = site.run(&["--now", "2026-11-27T07:05:00+01:00", "newsletter"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("newsletter 2026-11-27: edition, 1 article,"),
        "{}",
        run.stdout
    );
    assert!(site
        .read("out/newsletter/2026-11-27.txt")
        .contains("En retard"));
}

#[test]
fn previews_and_refusals() {
    let site = Site::sample();
    // 06:50, the edition of the day is due at 07:00.
    let run = site.run(&[
        "--now",
        "2026-11-26T06:50:00+01:00",
        "newsletter",
        "--date",
        "2026-11-26",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("preview (its cutoff is still to come; nothing recorded), 11 articles"),
        "{}",
        run.stdout
    );
    assert!(!site.path("out/newsletter/ledger.json").exists());
    site.ok(&["newsletter"]);
    let run = site.run_now(&["newsletter", "--date", "2026-11-20"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: 1 problem found:\nout/newsletter/ledger.json: the first edition in the ledger is of 2026-11-26; an older edition cannot be made\n"
    );
    assert_eq!(site.run(&["newsletter", "--date", "hier"]).code, 2);
}

#[test]
fn site_templates_replace_the_built_in_ones() {
    let site = Site::sample();
    site.write("templates/newsletter.txt.j2", "{{ newsletter.name }} — {{ edition.date_long }}\n{% for s in sections %}{{ s.name }}\n{% endfor %}");
    site.ok(&["newsletter"]);
    assert_eq!(
        site.read("out/newsletter/2026-11-26.txt"),
        "La Matinale — jeudi 26 novembre 2026\nTech\nWeb\nSciences\nJeux vidéo\nCinéma & Séries\n"
    );
    site.write(
        "templates/newsletter.txt.j2",
        "ligne 1\n{{ edition.nope }}\n",
    );
    let run = site.run_now(&["newsletter"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("error: 1 problem found:\ntemplates/newsletter.txt.j2:2: undefined value"),
        "{}",
        run.stderr
    );
}

#[test]
fn build_makes_feeds_and_the_edition_due() {
    let site = Site::sample();
    let run = site.ok(&["build"]);
    assert!(
        run.stdout.contains(
            "29 files: 29 written, 0 unchanged\nnewsletter 2026-11-26: edition, 11 articles"
        ),
        "{}",
        run.stdout
    );
    assert!(site.path("out/newsletter/2026-11-26.eml").exists());
}

#[test]
fn an_edition_over_80_kb_is_cut_to_titles_with_a_warning() {
    let site = Site::sample();
    site.edit("feed.toml", "source = \"markdown\"", "source = \"jsonl\"");
    site.edit(
        "feed.toml",
        "path = \"content\"",
        "path = \"articles.jsonl\"",
    );
    site.edit("feed.toml", "max_articles = 12", "max_articles = 200");
    let mut lines = String::new();
    for i in 0..120 {
        let category = ["Tech", "Web", "Sciences"][i % 3];
        let line = serde_json::json!({
            "title": format!("Article {i} : un titre assez long pour peser dans la page"),
            "url": format!("https://www.journaldugeek.com/a/{i}/"),
            "published": format!("2026-11-26T0{}:{:02}:00+01:00", 1 + i / 60, i % 60),
            "summary": "Un chapô de belle longueur. ".repeat(12),
            "categories": [category],
            "image": {"url": format!("https://cdn.example/{i}.jpg"), "alt": "Photo", "width": 1200, "height": 675}
        });
        lines.push_str(&format!("{line}\n"));
    }
    site.write("articles.jsonl", &lines);
    let run = site.ok(&["newsletter"]);
    assert!(
        run.stdout
            .contains("edition, 120 articles, cut to titles only"),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.stderr,
        "warning: out/newsletter/2026-11-26.html: over 80 KB of HTML: the sections were cut to titles only (Gmail clips longer messages)\n"
    );
    let html = site.read("out/newsletter/2026-11-26.html");
    assert!(html.len() < 80 * 1024, "{} bytes", html.len());
    // The first 30 titles in the edition's order (the newest of Tech,
    // the first section), then a link to the web copy, which has every
    // article in full.
    assert!(html.contains(">Article 117&nbsp;: un titre"));
    assert!(html.contains(">Article 30&nbsp;: un titre"));
    assert!(!html.contains(">Article 27&nbsp;: un titre"));
    assert!(!html.contains(">Article 118&nbsp;: un titre"));
    assert!(html.contains(
        "<a href=\"https://www.journaldugeek.com/newsletter/2026-11-26.html\" target=\"_blank\" \
         style=\"color: #6d28d9;\">… et 89 autres articles</a>"
    ));
    let web = site.read("public/newsletter/2026-11-26.html");
    assert!(web.contains(">Article 0&nbsp;: un titre"));
    assert_eq!(web.matches("<h3 class=\"h3\"").count(), 119);
}
