//! The edition on any day: a busy one and the morning after skipped days
//! stay under the size Gmail shows whole; calls to action by whole URLs;
//! each test send a new message; previews record nothing; the document,
//! its headers, its French and its images as readers and filters see them.

use crate::harness::{parse_feed, Site};

/// What Gmail shows of a message before it clips the rest.
const GMAIL_CLIPS: usize = 102 * 1024;
/// What the edition's HTML stays under.
const HTML_LIMIT: usize = 80 * 1024;

const UNSUBSCRIBE: &str =
    "https://www.journaldugeek.com/newsletter/desinscription?token=*|UNSUB_TOKEN|*";

/// `n` articles as JSON Lines, the newest published at `newest`, one every
/// `every` minutes before it, with titles, standfirsts, categories, authors
/// and images of the lengths a news site's have, and the French of its
/// titles (`:` and `?` after a space, numbers in groups).
fn corpus(n: usize, newest: &str, every: i64) -> String {
    const SUBJECTS: [&str; 6] = [
        "Le nouveau smartphone pliant",
        "La fusée réutilisable",
        "L’IA générative",
        "La voiture électrique à 20 000 euros",
        "Le télescope spatial",
        "Le câble sous-marin",
    ];
    const VERBS: [&str; 5] = ["dévoile", "bouscule", "inquiète", "séduit", "relance"];
    const OBJECTS: [&str; 4] = [
        "ses concurrents",
        "le marché français",
        "les régulateurs européens",
        "les fans de la première heure",
    ];
    const CATEGORIES: [&str; 6] = ["Tech", "Web", "Sciences", "Jeux vidéo", "Espace", "Société"];
    let newest = chrono::DateTime::parse_from_rfc3339(newest).unwrap();
    let mut out = String::new();
    for i in 0..n {
        let published = newest - chrono::Duration::minutes(every * i as i64);
        let mut title = format!("{} {} {}", SUBJECTS[i % 6], VERBS[i % 5], OBJECTS[i % 4]);
        match i % 3 {
            0 => title.push_str(" : ce qu’il faut savoir"),
            1 => title.push_str(", et maintenant ?"),
            _ => {}
        }
        let line = serde_json::json!({
            "title": title,
            "url": format!("https://www.journaldugeek.com/{}/article-{i}/", published.format("%Y/%m/%d")),
            "published": published.to_rfc3339(),
            "summary": format!("{title}. Les équipes travaillent déjà sur la prochaine version, avec un budget revu à la hausse selon plusieurs sources proches du dossier."),
            "categories": [CATEGORIES[i % 6]],
            "authors": [{"name": "Camille Martin"}],
            "image": {"url": format!("https://cdn.journaldugeek.com/{i}.jpg"), "alt": "Illustration de l’article", "width": 1200, "height": 675},
        });
        out.push_str(&format!("{line}\n"));
    }
    out
}

/// The sample site reading `articles.jsonl`.
fn jsonl_site(articles: &str) -> Site {
    let site = Site::sample();
    site.edit("feed.toml", "source = \"markdown\"", "source = \"jsonl\"");
    site.edit(
        "feed.toml",
        "path = \"content\"",
        "path = \"articles.jsonl\"",
    );
    site.write("articles.jsonl", articles);
    site
}

/// The parts of an email, read back by mail-parser: (Message-ID, Date, text, HTML).
fn parts(eml: &[u8]) -> (String, String, String, String) {
    let msg = mail_parser::MessageParser::default().parse(eml).unwrap();
    (
        msg.message_id().unwrap().to_owned(),
        msg.header_raw("Date").unwrap().trim().to_owned(),
        msg.body_text(0).unwrap().into_owned(),
        msg.body_html(0).unwrap().into_owned(),
    )
}

/// Checks what a reader of an edition sees whatever its size: its HTML
/// under the limit, the whole message (footer and unsubscribe link
/// included) under what Gmail clips, `hidden` titles left to the web copy
/// with a link to it, and every article in the web copy.
fn assert_fits(site: &Site, date: &str, articles: usize, hidden: usize) {
    let html = site.read(&format!("out/newsletter/{date}.html"));
    let eml = std::fs::read(site.path(&format!("out/newsletter/{date}.eml"))).unwrap();
    assert!(html.len() < HTML_LIMIT, "{} bytes of HTML", html.len());
    assert!(eml.len() < GMAIL_CLIPS, "a message of {} bytes", eml.len());
    let (_, _, text, sent_html) = parts(&eml);
    assert_eq!(sent_html.replace("\r\n", "\n"), html);
    // The footer closes the message, after every article.
    let unsubscribe = html.find(&UNSUBSCRIBE.replace('&', "&amp;")).unwrap();
    assert!(html[unsubscribe..].contains("Adresse postale"));
    let web = format!("https://www.journaldugeek.com/newsletter/{date}.html");
    let more = format!("<a href=\"{web}\" target=\"_blank\" style=\"color: #6d28d9;\">… et {hidden} autres articles</a>");
    assert!(html.contains(&more), "no {more}");
    assert!(
        text.contains(&format!("\n… et {hidden} autres articles\r\n{web}\r\n")),
        "{text}"
    );
    let listed = html.matches("<li class=\"li\"").count();
    assert_eq!(listed, 30, "titles listed in the email");
    let copy = site.read(&format!("public/newsletter/{date}.html"));
    assert!(
        !copy.contains("autres articles"),
        "the web copy lists them all"
    );
    let urls: std::collections::BTreeSet<&str> = copy
        .split("href=\"https://www.journaldugeek.com/")
        .skip(1)
        .filter_map(|s| s.split_once("/?utm_").map(|(u, _)| u))
        .collect();
    assert_eq!(urls.len(), articles, "articles in the web copy");
}

#[test]
fn a_day_of_500_articles_stays_whole_under_80_kb() {
    let site = jsonl_site(&corpus(500, "2026-11-26T06:50:00+01:00", 2));
    let run = site.ok(&["newsletter"]);
    assert_eq!(
        run.stdout,
        "newsletter 2026-11-26: edition, 500 articles, subject « Le nouveau smartphone pliant dévoile ses concurrents : ce qu’il faut savoir »\n  \
         out/newsletter/2026-11-26.{html,txt,eml} and its web copy\n"
    );
    assert_eq!(run.stderr, "");
    // The top story and 11 in full, 30 titles, the other 458 on the web.
    assert_fits(&site, "2026-11-26", 500, 458);
    let ledger = site.read("out/newsletter/ledger.json");
    assert_eq!(
        ledger.matches("\"https://www.journaldugeek.com/").count(),
        2 * 500
    );
}

#[test]
fn the_morning_after_three_skipped_days_stays_under_80_kb() {
    // A 2,000-article export, one every 17 minutes up to the 29th.
    let site = jsonl_site(&corpus(2000, "2026-11-29T06:50:00+01:00", 17));
    let run = site.run(&["--now", "2026-11-25T07:30:00+01:00", "build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The 26th, 27th and 28th are skipped: the 29th carries four days.
    let run = site.run(&["--now", "2026-11-29T07:30:00+01:00", "build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let ledger = site.read("out/newsletter/ledger.json");
    let ledger: serde_json::Value = serde_json::from_str(&ledger).unwrap();
    let carried = ledger["editions"][1]["articles"].as_array().unwrap().len();
    assert_eq!(carried, 339, "four days of articles");
    assert!(
        run.stdout
            .contains("newsletter 2026-11-29: edition, 339 articles, subject « "),
        "{}",
        run.stdout
    );
    assert_fits(&site, "2026-11-29", 339, 339 - 12 - 30);
}

#[test]
fn a_call_to_action_is_left_out_only_for_a_link_to_its_very_url() {
    let site = Site::sample();
    let front = |slug: &str, title: &str| {
        format!("+++\ntitle = \"{title}\"\nurl = \"https://www.journaldugeek.com/{slug}/\"\npublished = 2026-11-26T06:00:00+01:00\nsummary = \"s\"\n+++\n\n")
    };
    // A link under the newsletter's URL, and a URL in the text that starts
    // with the Google News one: neither is a link to a call to action.
    site.write(
        "content/zz-near.md",
        &format!(
            "{}Relisez [l’édition du 20](https://www.journaldugeek.com/newsletter/2026-11-20.html) ou https://news.google.com/publications/EXAMPLE2.\n",
            front("near", "Presque")
        ),
    );
    // The newsletter's own URL (its signup form on the archive), written
    // otherwise: a link to it.
    site.write(
        "content/zz-same.md",
        &format!(
            "{}[Abonnez-vous](HTTPS://WWW.journaldugeek.com:443/newsletter/./#inscription) !\n",
            front("same", "Pareil")
        ),
    );
    site.ok(&["build"]);
    let feed = parse_feed(&site.read("public/feed.xml"));
    let content = |title: &str| {
        let entry = feed
            .entries
            .iter()
            .find(|e| e.title.as_ref().unwrap().content == title)
            .unwrap();
        entry.content.as_ref().unwrap().body.clone().unwrap()
    };
    let google =
        "<a href=\"https://news.google.com/publications/EXAMPLE\">Suivre sur Google Actualités</a>";
    let letter =
        "<a href=\"https://www.journaldugeek.com/newsletter/#inscription\">Recevoir la newsletter</a>";
    let near = content("Presque");
    assert!(near.contains(google) && near.contains(letter), "{near}");
    let same = content("Pareil");
    assert!(same.contains(google) && !same.contains(letter), "{same}");
    // The feed of editions links each edition's web copy, under the
    // newsletter's URL: it carries the newsletter's call to action too.
    let editions = site.read("public/newsletter/feed.xml");
    assert!(editions.contains(letter), "{editions}");
}

#[test]
fn the_feed_of_editions_is_written_by_the_newsletter() {
    let site = Site::sample();
    site.ok(&["build"]);
    for file in ["feed.xml", "atom.xml", "feed.json"] {
        let feed = parse_feed(&site.read(&format!("public/newsletter/{file}")));
        let authors: Vec<&str> = feed.entries[0]
            .authors
            .iter()
            .map(|p| p.name.as_deref().unwrap_or(""))
            .collect();
        assert_eq!(authors, ["La Matinale"], "{file}");
    }
}

#[test]
fn each_test_send_is_a_new_message_dated_when_sent() {
    let site = Site::sample();
    site.edit("feed.toml", "host = \"127.0.0.1\"", "host = \"\"");
    let outbox = "out/outbox/2026-11-26-test-moi_example.org.eml";
    let mut sent = Vec::new();
    for _ in 0..2 {
        let before = matinale::clock::system_now();
        site.ok(&["send-test", "--to", "moi@example.org"]);
        let after = matinale::clock::system_now();
        let eml = std::fs::read(site.path(outbox)).unwrap();
        let (id, date, _, _) = parts(&eml);
        let dated = chrono::DateTime::parse_from_rfc2822(&date).unwrap();
        let second = chrono::Duration::seconds(1);
        assert!(
            before - second <= dated && dated <= after + second,
            "{date} is not when it was sent"
        );
        // Written in the site's offset on that day.
        let paris = dated.with_timezone(&chrono_tz::Europe::Paris);
        assert_eq!(dated.offset(), paris.fixed_offset().offset());
        assert!(
            id.starts_with("2026-11-26.test-")
                && id.ends_with(".matinale.journaldugeek.com@www.journaldugeek.com"),
            "{id}"
        );
        sent.push(id);
    }
    assert_ne!(sent[0], sent[1], "the second test is a new message");
    assert!(!site.path("out/newsletter/ledger.json").exists());
    // The stored edition keeps its own Message-ID and its cutoff as Date.
    site.ok(&["newsletter"]);
    let (id, date, _, _) =
        parts(&std::fs::read(site.path("out/newsletter/2026-11-26.eml")).unwrap());
    assert_eq!(
        (id.as_str(), date.as_str()),
        (
            "2026-11-26.edition.matinale.journaldugeek.com@www.journaldugeek.com",
            "Thu, 26 Nov 2026 07:00:00 +0100"
        )
    );
}

#[test]
fn an_edition_is_dated_in_the_site_s_offset_of_its_day() {
    let site = jsonl_site(&corpus(3, "2026-07-01T06:00:00+02:00", 30));
    site.run(&["--now", "2026-07-01T07:30:00+02:00", "newsletter"]);
    let eml = site.read("out/newsletter/2026-07-01.eml");
    assert!(
        eml.contains("\r\nDate: Wed, 1 Jul 2026 07:00:00 +0200\r\n"),
        "{}",
        &eml[..600]
    );
}

/// Runs `matinale serve` until it has built and serves, then stops it;
/// returns what it printed.
fn serve_once(site: &Site) -> String {
    use std::io::BufRead;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_matinale"))
        .args(["--now", crate::harness::SAMPLE_NOW, "serve", "--port", "0"])
        .current_dir(site.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut printed = String::new();
    while !printed.contains("serving ") {
        if out.read_line(&mut printed).unwrap() == 0 {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    printed
}

#[test]
fn serve_previews_the_edition_and_the_cron_s_build_records_it() {
    let site = Site::sample();
    let printed = serve_once(&site);
    assert!(
        printed.contains("newsletter 2026-11-26: preview (nothing recorded while serving), 11 articles, subject « "),
        "{printed}"
    );
    assert!(site.path("out/newsletter/2026-11-26.eml").exists());
    assert!(!site.path("out/newsletter/ledger.json").exists());
    let run = site.ok(&["build"]);
    assert!(
        run.stdout
            .contains("newsletter 2026-11-26: edition, 11 articles, subject « "),
        "{}",
        run.stdout
    );
    assert!(site
        .read("out/newsletter/ledger.json")
        .contains("\"2026-11-26\""));
    // Serving again shows the recorded edition, rebuilt as it was.
    let printed = serve_once(&site);
    assert!(
        printed.contains("newsletter 2026-11-26: past edition, rebuilt from the ledger"),
        "{printed}"
    );
}

#[test]
fn the_document_starts_with_its_charset_and_has_one_main_landmark() {
    let site = Site::sample();
    site.ok(&["newsletter"]);
    let email = site.read("out/newsletter/2026-11-26.html");
    let web = site.read("public/newsletter/2026-11-26.html");
    for html in [&email, &web] {
        let at = html.find("<meta charset=\"utf-8\">").unwrap();
        assert!(at < 1024, "the charset at byte {at}");
        assert_eq!(html.matches("<meta charset").count(), 1);
    }
    // An email client keeps a role, but may drop <main>.
    assert_eq!(email.matches("<div role=\"main\">").count(), 1);
    assert!(!email.contains("<main"));
    assert_eq!(web.matches("<main>").count(), 1);
    assert!(!web.contains("role=\"main\""));
}

#[test]
fn the_preheader_names_the_next_headlines_and_is_hidden_without_font_tricks() {
    let site = Site::sample();
    site.ok(&["newsletter"]);
    let html = site.read("out/newsletter/2026-11-26.html");
    let preheader = "<div style=\"display:none;max-height:0;overflow:hidden;mso-hide:all\" aria-hidden=\"true\">\
         Aussi&nbsp;: Un smartphone entièrement réparable avec un simple tournevis arrive en France, \
         Black Friday&nbsp;: les arnaques en ligne les plus courantes et comment les éviter et \
         Vérification de l’âge en ligne&nbsp;: ce qui change pour les internautes au 1er décembre\u{200c}&nbsp;";
    assert!(html.contains(preheader), "{}", &html[..4000]);
    // SpamAssassin scores text hidden by a tiny or transparent font.
    for trick in [
        "opacity",
        "font-size:1px",
        "font-size: 1px",
        "line-height:1px",
    ] {
        assert!(!html.contains(trick), "{trick}");
    }
    // The subject is the top story's title.
    let msg = std::fs::read(site.path("out/newsletter/2026-11-26.eml")).unwrap();
    let msg = mail_parser::MessageParser::default().parse(&msg).unwrap();
    assert_eq!(
        msg.subject().unwrap(),
        "Batterie sodium-ion : une voiture électrique française à moins de 20 000 euros"
    );
    // With one article, the preheader is its standfirst.
    let site = jsonl_site(&corpus(1, "2026-11-26T06:00:00+01:00", 1));
    site.ok(&["newsletter"]);
    let ledger = site.read("out/newsletter/ledger.json");
    assert!(
        ledger.contains("\"preheader\": \"Le nouveau smartphone pliant dévoile ses concurrents : ce qu’il faut savoir. Les équipes"),
        "{ledger}"
    );
}

#[test]
fn a_subject_past_78_characters_is_a_warning() {
    let site = Site::sample();
    site.edit(
        "content/2026-11-25-batterie-sodium-voiture.md",
        "une voiture",
        "une première voiture",
    );
    let run = site.ok(&["newsletter"]);
    assert_eq!(
        run.stderr,
        "warning: out/newsletter/2026-11-26.eml: Subject: « Batterie sodium-ion : une première voiture électrique \
         française à moins de 20 000 euros » is 87 characters, more than the 78 an inbox list shows (a phone shows \
         fewer); shorten the top story's title, or set [newsletter] subject\n"
    );
}

#[test]
fn french_text_keeps_its_punctuation_and_numbers_on_their_line() {
    let site = jsonl_site(&corpus(40, "2026-11-26T06:50:00+01:00", 20));
    site.ok(&["newsletter"]);
    let sample = Site::sample();
    sample.ok(&["newsletter"]);
    for s in [&site, &sample] {
        let text = s.read("out/newsletter/2026-11-26.txt");
        for line in text.lines() {
            assert!(
                !line.starts_with(['?', '!', ':', ';', '»']) && !line.starts_with("000"),
                "{line}"
            );
            assert!(
                line.chars().count() <= 78 || line.starts_with("https://"),
                "{line}"
            );
        }
        assert!(!text.contains(" ?") && !text.contains(" :"), "{text}");
    }
    let text = sample.read("out/newsletter/2026-11-26.txt");
    assert!(text.contains("à la\nRussie\u{a0}?\n"), "{text}");
    assert!(text.contains("moins de 20\u{a0}000 euros"), "{text}");
    let html = sample.read("out/newsletter/2026-11-26.html");
    assert!(html.contains("à la Russie&nbsp;?</a>"));
    assert!(html.contains("moins de 20&nbsp;000 euros</a>"));
    // The subject stays plain text.
    assert!(sample
        .read("out/newsletter/ledger.json")
        .contains("\"subject\": \"Batterie sodium-ion : une voiture"));
}

#[test]
fn with_images_off_the_layout_holds() {
    let site = Site::sample();
    site.ok(&["newsletter"]);
    let html = site.read("out/newsletter/2026-11-26.html");
    // The hero's cell and link are coloured, its alt text large; each
    // thumbnail's link is a coloured box of the image's height, never
    // underlined.
    assert!(html.contains("<td class=\"imgc\" style=\"background-color: #ede9fe;\"><a class=\"ia\" style=\"color: #6d28d9;display: block;overflow: hidden;margin: 0 auto;text-decoration: none;background-color: #ede9fe;max-width: 600px;max-height: 337px\""));
    let hero = html.split("<img class=\"hero\"").nth(1).unwrap();
    let hero = &hero[..hero.find('>').unwrap()];
    assert!(
        hero.contains("font-size: 18px;line-height: 26px;font-weight: 700;text-align: center")
            && hero.contains("color: #4c1d95"),
        "{hero}"
    );
    let thumbs = html.matches("<a class=\"ia\" style=\"color: #6d28d9;display: block;overflow: hidden;margin: 0 auto;text-decoration: none;background-color: #ede9fe;max-width: 112px;max-height: ").count();
    assert_eq!(thumbs, html.matches("<img class=\"th\"").count());
    assert!(thumbs > 5);
    // In dark mode, light alt text on a dark box.
    assert!(html
        .contains(".ia,.imgc{background-color:#2a2340 !important}\nimg{color:#ede9fe !important}"));
}

#[test]
fn a_standfirst_of_a_megabyte_still_leaves_the_footer_where_gmail_shows_it() {
    let summary = "Un chapô qui n’en finit pas, avec des mots & des <signes>. ".repeat(20_000);
    let mut lines = corpus(40, "2026-11-26T06:50:00+01:00", 20);
    let top = serde_json::json!({
        "title": "À la une", "url": "https://www.journaldugeek.com/a-la-une/",
        "published": "2026-11-26T06:55:00+01:00", "summary": summary, "featured": true,
    });
    lines.push_str(&format!("{top}\n"));
    let site = jsonl_site(&lines);
    let run = site.ok(&["newsletter"]);
    assert_eq!(
        run.stdout,
        "newsletter 2026-11-26: edition, 41 articles, cut to titles only, long texts shortened, subject « À la une »\n  \
         out/newsletter/2026-11-26.{html,txt,eml} and its web copy\n"
    );
    assert_eq!(
        run.stderr,
        "warning: out/newsletter/2026-11-26.html: over 80 KB of HTML: the sections were cut to titles only and \
         the long texts shortened (Gmail clips longer messages)\n"
    );
    let html = site.read("out/newsletter/2026-11-26.html");
    assert!(html.len() < HTML_LIMIT, "{} bytes", html.len());
    assert!(html.contains(&UNSUBSCRIBE.replace('&', "&amp;")));
    assert!(html.contains(
        "<p class=\"p\" style=\"margin: 0 0 16px;font-size: 16px;line-height: 24px;\">Un chapô qui n’en finit pas, avec des mots &amp; des &lt;signes&gt;."
    ));
    assert!(html.contains("… et 30 autres articles</a>"));
    // The text part, which Gmail does not clip, and the web copy keep it whole.
    let text = site.read("out/newsletter/2026-11-26.txt");
    let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words(&text).contains(summary.trim_end()));
    assert!(site.read("public/newsletter/2026-11-26.html").contains(
        &summary
            .trim_end()
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    ));
    // The preheader, only ever shown in part, is bounded too.
    let ledger = site.read("out/newsletter/ledger.json");
    assert!(ledger.len() < 20_000, "{} bytes", ledger.len());
}

#[test]
fn a_template_too_long_to_cut_is_a_warning() {
    let site = Site::sample();
    site.write(
        "templates/newsletter.html.j2",
        "<!DOCTYPE html><html><head><title>{{ subject }}</title></head><body>{{ 'Bla bla. ' * 10000 }}\
         <a href=\"{{ links.unsubscribe }}\">x</a></body></html>\n",
    );
    let run = site.ok(&["newsletter"]);
    assert_eq!(
        run.stderr,
        "warning: out/newsletter/2026-11-26.html: over 80 KB of HTML: the sections were cut to titles only and \
         the long texts shortened (Gmail clips longer messages)\n\
         warning: out/newsletter/2026-11-26.html: 88.1 KB of HTML even cut to the least it can show: Gmail will \
         clip it, unsubscribe link included; shorten the template, the calls to action or the URLs\n"
    );
    // A template without a charset gets one, first.
    assert!(site
        .read("out/newsletter/2026-11-26.html")
        .starts_with("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>"));
}
