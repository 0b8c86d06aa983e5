//! `source = "feed"` (RSS-to-email): feeds in the shapes real CMSs publish,
//! as a file and over HTTP from a server run by the test on loopback.

use crate::harness::{header, loopback_server, parse_feed, read_request_head, Site};
use std::io::{BufReader, Read, Write};
use std::sync::mpsc;
use std::time::Duration;

/// The feed-source fixture reading `feeds/FILE`.
fn site(file: &str) -> Site {
    let site = Site::fixture("feed-source");
    site.edit("feed.toml", "feeds/wordpress.xml", format!("feeds/{file}"));
    site
}

/// What one edition looks like, for the test of each CMS shape.
struct Expect {
    file: &'static str,
    subject: &'static str,
    articles: usize,
    /// `<img src=… alt=…>` of the top story.
    hero: (&'static str, &'static str),
    /// Other things the edition's HTML must hold.
    html: &'static [&'static str],
    /// Things the site's new RSS feed must hold.
    rss: &'static [&'static str],
}

const SHAPES: [Expect; 4] = [
    Expect {
        file: "wordpress.xml",
        subject: "Fibre optique : Orange & SFR accélèrent la fermeture du cuivre",
        articles: 2,
        hero: (
            "https://lefiltechno.example/wp-content/uploads/2026/11/cuivre-1024x576.jpg",
            "Un technicien dans une armoire de rue",
        ),
        html: &[
            // A relative image, resolved against the item's link.
            "src=\"https://lefiltechno.example/wp-content/uploads/2026/11/casque.png\"",
            "Ce qui change pour vous…</",
            "Camille Martin",
        ],
        rss: &[
            "<slash:comments>14</slash:comments>",
            "<a href=\"https://lefiltechno.example/guide-fibre/\">guide de la fibre</a>",
            "<title>C++ &#x3C;template&gt; : le guide pour débuter</title>",
            "<description><![CDATA[C++ &#x3C;template> en dix exemples]]></description>",
            "<dc:creator>Camille Martin</dc:creator>",
            "<category>Télécoms</category>",
        ],
    },
    Expect {
        file: "ghost.atom",
        subject: "Les data centers boivent nos rivières",
        articles: 2,
        hero: (
            "https://carnet.example/content/images/size/w2000/2026/11/riviere.jpg",
            "Les data centers boivent nos rivières",
        ),
        html: &[
            "href=\"https://carnet.example/data-centers-eau/",
            "src=\"https://carnet.example/content/images/2026/11/box.jpg\"",
            "Refroidir un serveur coûte de l’eau. Beaucoup d’eau.",
        ],
        rss: &[
            "<slash:comments>27</slash:comments>",
            "<comments>https://carnet.example/data-centers-eau/#comments</comments>",
            "<a href=\"https://carnet.example/secheresse-2025/\">notre dossier sécheresse</a>",
            "<guid isPermaLink=\"false\">ghost-6741a2c0f1</guid>",
            "<category>Enquête</category>",
        ],
    },
    Expect {
        file: "jsonfeed.json",
        subject: "Raspberry Pi 6 : tout ce que l’on sait",
        articles: 2,
        hero: (
            "https://microhebdo.example/images/pi6.webp",
            // French typography: a no-break space before the colon.
            "Raspberry Pi 6&nbsp;: tout ce que l’on sait",
        ),
        html: &[
            "Léo Fournier",
            // content_text, read as text.
            "Au menu&nbsp;: Rust partout, et un nouvel ordonnanceur.",
        ],
        rss: &[
            "<a href=\"https://microhebdo.example/2026/11/10/raspberry-pi-5-bilan/\">Notre bilan du Pi 5</a>",
            "<guid isPermaLink=\"false\">mh-2026-11-25-linux</guid>",
            "<category>Raspberry Pi</category>",
        ],
    },
    Expect {
        file: "netscape.rss",
        subject: "Réunion du club : le poste à galène de Jean",
        articles: 2,
        hero: ("", ""),
        html: &["Rendez-vous le 12 décembre sous la halle."],
        rss: &["<link>http://radioclub.example/nouvelles/galene.html</link>"],
    },
];

#[test]
fn each_cms_shape_becomes_an_edition() {
    for e in &SHAPES {
        let site = site(e.file);
        let run = site.ok(&["build"]);
        assert_eq!(run.stderr, "", "{}", e.file);
        assert!(
            run.stdout.contains(&format!(
                "newsletter 2026-11-26: edition, {} articles, subject « {} »",
                e.articles, e.subject
            )),
            "{}: {}",
            e.file,
            run.stdout
        );
        let name = e.file.replace('.', "_");
        insta::assert_snapshot!(
            format!("feed_source_{name}_text"),
            site.read("out/newsletter/2026-11-26.txt")
        );
        let html = site.read("out/newsletter/2026-11-26.html");
        if !e.hero.0.is_empty() {
            let hero = html
                .split("<img class=\"hero\" ")
                .nth(1)
                .unwrap_or_else(|| panic!("{}: no top image", e.file));
            assert!(
                hero.starts_with(&format!("src=\"{}\" alt=\"{}\"", e.hero.0, e.hero.1)),
                "{}: {}",
                e.file,
                &hero[..200.min(hero.len())]
            );
        } else {
            assert!(!html.contains("<img class=\"hero\""), "{}", e.file);
        }
        for needle in e.html {
            assert!(html.contains(needle), "{}: no {needle}", e.file);
        }
        assert!(
            !html.contains("[…]") && !html.contains("est apparu en premier"),
            "{}",
            e.file
        );
        let rss = site.read("public/feed.xml");
        for needle in e.rss {
            assert!(rss.contains(needle), "{}: the feed has no {needle}", e.file);
        }
        assert!(
            !rss.contains("trackView"),
            "{}: a script went through",
            e.file
        );
        // The clean feeds it re-publishes read back.
        for f in ["feed.xml", "atom.xml", "feed.json"] {
            let feed = parse_feed(&site.read(&format!("public/{f}")));
            assert!(!feed.entries.is_empty(), "{}: {f}", e.file);
        }
    }
}

const BROKEN: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
<title>Fil cassé</title>
<link>https://fil.example/</link>
<item>
<title>Sans date</title>
<link>https://fil.example/sans-date/</link>
<description>Un article.</description>
</item>
<item>
<title>Sans lien</title>
<pubDate>Wed, 25 Nov 2026 20:00:00 +0000</pubDate>
<description>Un autre.</description>
</item>
<item>
<title>Complet</title>
<link>https://fil.example/complet/</link>
<pubDate>Wed, 25 Nov 2026 21:00:00 +0000</pubDate>
<description>Le seul bon.</description>
</item>
</channel>
</rss>
"#;

#[test]
fn items_without_a_link_or_a_date_are_reported_with_their_line() {
    let site = site("broken.xml");
    site.write("feeds/broken.xml", BROKEN);
    let run = site.run_now(&["build"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: 2 problems found:\n\
         feeds/broken.xml:6: published: the item has no date (pubDate, dc:date, published or updated); it is left out, not guessed (item 1 of the feed)\n\
         feeds/broken.xml:11: url: the item has no link; it is left out, not guessed (item 2 of the feed)\n"
    );
    assert!(!site.path("public").exists());

    site.edit(
        "feed.toml",
        "path = \"feeds/broken.xml\"",
        "path = \"feeds/broken.xml\"\non_invalid = \"skip\"",
    );
    let run = site.run_now(&["build"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("warning: feeds/broken.xml:6: published:"),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout
            .contains("newsletter 2026-11-26: edition, 1 article, subject « Complet »"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_document_that_is_not_a_feed_is_exit_1_with_its_line() {
    let site = site("page.html");
    site.write(
        "feeds/page.html",
        "<!doctype html>\n<html><body>Erreur 500</body></html>\n",
    );
    let run = site.run_now(&["build"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: 1 problem found:\nfeeds/page.html: not a feed (no RSS, Atom or JSON Feed root); it begins with `<!doctype html><html><body>Erreur 500</body></html>`\n"
    );
    site.write("feeds/page.html", "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel>\n<title>x</titel>\n</channel></rss>\n");
    let run = site.run_now(&["build"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .starts_with("error: 1 problem found:\nfeeds/page.html:3: not a readable feed: "),
        "{}",
        run.stderr
    );
    assert!(!site.path("public").exists());
}

#[test]
fn a_feed_cut_short_is_reported_at_the_line_where_it_ends() {
    let site = site("broken.xml");
    let whole = site.read("feeds/wordpress.xml");
    // A download that stopped after the first item.
    let end = whole.find("</item>").unwrap() + "</item>\n".len();
    site.write("feeds/broken.xml", &whole[..end]);
    assert_eq!(whole[..end].lines().count(), 39);
    let run = site.run_now(&["build"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: 1 problem found:\nfeeds/broken.xml:39: not a readable feed: unable to parse XML: Parser error: \
         syntax error: tag not closed: `>` not found before end of input; the document ends at this line with \
         <channel> still open: was it cut short?\n"
    );
    assert!(!site.path("public").exists());
}

#[test]
fn a_document_that_makes_the_xml_parser_panic_is_exit_1_without_a_panic_message() {
    // A second XML declaration inside an item (found by fuzzing) makes the
    // parser under feed-rs panic: the library catches it, and the binary's
    // panic hook keeps quiet about a panic that is reported as an error.
    let site = site("broken.xml");
    site.write(
        "feeds/broken.xml",
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n<rss version=\"2.0\"><channel><title>t</title>\n\
         <item><title>a</title><description>x<?xml version=\"1.0\" encoding=\"utf-8\"?></description></item>\n\
         </channel></rss>",
    );
    let run = site.run_now(&["build"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: 1 problem found:\nfeeds/broken.xml: not a readable feed: the XML parser gave up on it \
         (set_encoding() called after prefix buffer was drained; encoding can only be changed while the prefix is still active)\n"
    );
    assert_eq!(run.stdout, "");
    assert!(!site.path("public").exists());
}

/// The WordPress fixture with only the given items (by their <item> rank).
fn wordpress_with(items: &[usize]) -> String {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/feed-source/feeds/wordpress.xml"),
    )
    .unwrap();
    let (head, rest) = text.split_once("\t<item>").unwrap();
    let parts: Vec<&str> = rest.split("\t<item>").collect();
    let tail = "</channel>\n</rss>\n";
    let mut out = head.to_owned();
    for &i in items {
        let item = parts[i - 1].split("</item>").next().unwrap();
        out.push_str("\t<item>");
        out.push_str(item);
        out.push_str("</item>\n");
    }
    out.push_str(tail);
    out
}

#[test]
fn items_that_scrolled_out_of_the_feed_are_still_in_the_edition() {
    let site = site("wordpress.xml");
    // At 22:00 the feed shows the casque test only; by the morning it has
    // scrolled out and only the fibre article is left.
    site.write("feeds/wordpress.xml", &wordpress_with(&[2]));
    let run = site.run(&["--now", "2026-11-25T22:00:00+01:00", "feeds"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let seen = site.read("out/newsletter/seen.jsonl");
    assert_eq!(seen.lines().count(), 2);
    assert_eq!(
        seen.lines().next(),
        Some("{\"matinale_seen_from\":\"feeds/wordpress.xml\"}")
    );
    assert!(seen
        .contains("\"title\":\"Test : le casque audio à 99 euros qui fait mieux que les grands\""));

    site.write("feeds/wordpress.xml", &wordpress_with(&[1]));
    let run = site.ok(&["build"]);
    assert!(
        run.stdout
            .contains("newsletter 2026-11-26: edition, 2 articles"),
        "{}",
        run.stdout
    );
    let text = site.read("out/newsletter/2026-11-26.txt");
    // French typography: a no-break space before the colon.
    assert!(
        text.contains("Test\u{a0}: le casque audio à 99 euros"),
        "{text}"
    );
    assert!(text.contains("Fibre optique\u{a0}: Orange & SFR"), "{text}");
    assert_eq!(site.read("out/newsletter/seen.jsonl").lines().count(), 3);
    // The re-published feeds keep it too.
    assert!(site.read("public/feed.xml").contains("casque audio"));

    // A week later it is forgotten.
    let run = site.run(&["--now", "2026-12-04T07:30:00+01:00", "feeds"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let seen = site.read("out/newsletter/seen.jsonl");
    assert!(!seen.contains("casque"), "{seen}");

    // Another source in feed.toml: what was remembered of the first one is
    // not its.
    site.write("feeds/other.xml", &wordpress_with(&[2]));
    site.edit("feed.toml", "feeds/wordpress.xml", "feeds/other.xml");
    let run = site.run(&["--now", "2026-11-25T22:00:00+01:00", "feeds"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    site.write("feeds/wordpress.xml", &wordpress_with(&[1]));
    site.edit("feed.toml", "feeds/other.xml", "feeds/wordpress.xml");
    let run = site.ok(&["feeds"]);
    assert!(
        run.stdout.starts_with("read 1 article from "),
        "{}",
        run.stdout
    );
}

/// How the test server answers one connection.
#[derive(Clone)]
enum Reply {
    /// Status, extra headers, body.
    Send(u16, Vec<(String, String)>, Vec<u8>),
    /// Reads the request and says nothing for a while.
    Silent,
    /// Sends a head announcing 100 KB, then one byte every 200 ms, for
    /// 30 s.
    Drip,
}

fn ok_feed(etag: &str, body: &[u8], gzip: bool) -> Reply {
    let mut headers = vec![
        (
            "Content-Type".to_owned(),
            "application/rss+xml; charset=UTF-8".to_owned(),
        ),
        ("ETag".to_owned(), etag.to_owned()),
        (
            "Last-Modified".to_owned(),
            "Wed, 25 Nov 2026 21:12:04 GMT".to_owned(),
        ),
    ];
    let body = if gzip {
        headers.push(("Content-Encoding".to_owned(), "gzip".to_owned()));
        let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(body).unwrap();
        z.finish().unwrap()
    } else {
        body.to_vec()
    };
    Reply::Send(200, headers, body)
}

/// A server on 127.0.0.1 answering one connection per reply; returns the
/// feed's URL and the request heads it receives.
fn server(replies: Vec<Reply>) -> (String, mpsc::Receiver<String>) {
    let (tx, rx) = mpsc::channel();
    let replies = replies.into_iter().map(|r| (r, tx.clone())).collect();
    let addr = loopback_server(replies, |stream, (reply, tx)| {
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        let mut out = stream.try_clone().unwrap();
        let mut reader = BufReader::new(stream);
        let _ = tx.send(read_request_head(&mut reader));
        match reply {
            Reply::Send(status, headers, body) => {
                let mut h = format!(
                    "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                    body.len()
                );
                for (k, v) in headers {
                    h.push_str(&format!("{k}: {v}\r\n"));
                }
                h.push_str("\r\n");
                let _ = out.write_all(h.as_bytes());
                let _ = out.write_all(&body);
            }
            Reply::Silent => std::thread::sleep(Duration::from_secs(4)),
            Reply::Drip => {
                let head = "HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n<rss>";
                for b in head.bytes().chain(std::iter::repeat(b' ')).take(200) {
                    if out.write_all(&[b]).is_err() {
                        return;
                    }
                    std::thread::sleep(Duration::from_millis(200));
                }
            }
        }
        let mut rest = Vec::new();
        let _ = reader.read_to_end(&mut rest);
    });
    (format!("http://{addr}/feed/"), rx)
}

fn remote_site(url: &str) -> Site {
    let site = site("wordpress.xml");
    site.edit(
        "feed.toml",
        "path = \"feeds/wordpress.xml\"",
        format!("path = \"{url}\"\ntimeout_s = 1"),
    );
    site
}

fn fixture_bytes(file: &str) -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/feed-source/feeds")
            .join(file),
    )
    .unwrap()
}

#[test]
fn a_remote_feed_is_fetched_once_then_revalidated() {
    let body = fixture_bytes("wordpress.xml");
    let (url, rx) = server(vec![
        ok_feed("\"v1\"", &body, true),
        Reply::Send(304, vec![], vec![]),
    ]);
    let site = remote_site(&url);
    let run = site.ok(&["build"]);
    assert_eq!(run.stderr, "");
    assert!(
        run.stdout
            .starts_with(&format!("read 3 articles from {url} ")),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("edition, 2 articles"), "{}", run.stdout);
    let first = rx.recv().unwrap();
    assert!(first.starts_with("GET /feed/ HTTP/1.1\r\n"), "{first}");
    assert_eq!(
        header(&first, "User-Agent"),
        Some("matinale/0.1.0 (+https://lefiltechno.example/)")
    );
    assert!(
        header(&first, "Accept-Encoding").is_some_and(|v| v.contains("gzip")),
        "{first}"
    );
    assert_eq!(header(&first, "If-None-Match"), None);
    assert_eq!(
        site.read(".matinale/cache/source.body").as_bytes(),
        body.as_slice()
    );

    // Again: a conditional request, answered 304; the kept copy is used
    // and nothing changes.
    let before = site.contents("public");
    let run = site.ok(&["build"]);
    assert_eq!(run.stderr, "");
    let second = rx.recv().unwrap();
    assert_eq!(header(&second, "If-None-Match"), Some("\"v1\""));
    assert_eq!(
        header(&second, "If-Modified-Since"),
        Some("Wed, 25 Nov 2026 21:12:04 GMT")
    );
    assert_eq!(site.contents("public"), before);
}

#[test]
fn a_failing_server_falls_back_on_the_kept_copy_with_a_warning() {
    let body = fixture_bytes("wordpress.xml");
    let (url, _rx) = server(vec![
        ok_feed("\"v1\"", &body, false),
        Reply::Send(500, vec![], b"oops".to_vec()),
        Reply::Silent,
    ]);
    let site = remote_site(&url);
    site.ok(&["feeds"]);
    let run = site.ok(&["build"]);
    assert_eq!(
        run.stderr,
        format!("warning: {url}: the server answered 500 Internal Server Error; using the copy fetched before\n")
    );
    assert!(run.stdout.contains("edition, 2 articles"), "{}", run.stdout);
    let run = site.ok(&["feeds"]);
    assert_eq!(
        run.stderr,
        format!("warning: {url}: no complete answer within 1 s ([content] timeout_s); using the copy fetched before\n")
    );
}

/// Runs `build` on a remote source with no kept copy: exit 3, this
/// message, nothing written.
fn fails_with(replies: Vec<Reply>, what: &str) {
    let (url, _rx) = server(replies);
    let site = remote_site(&url);
    let run = site.run_now(&["build"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "error: cannot fetch {url}: {what}\n  hint: check [content] path, and that the server is up; \
             there is no copy fetched before to fall back on\n"
        )
    );
    assert!(!site.path("public").exists());
    assert!(!site.path(".matinale/cache").exists());
}

#[test]
fn a_remote_source_that_cannot_be_read_is_exit_3() {
    fails_with(
        vec![Reply::Send(404, vec![], b"not here".to_vec())],
        "the server answered 404 Not Found",
    );
    fails_with(
        vec![Reply::Silent],
        "no complete answer within 1 s ([content] timeout_s)",
    );
    fails_with(
        vec![Reply::Send(200, vec![], vec![b' '; 21 * 1024 * 1024])],
        "the feed is over 20 MB, more than a feed should be",
    );
}

#[test]
fn a_server_that_trickles_the_feed_is_given_up_at_the_timeout() {
    let (url, _rx) = server(vec![Reply::Drip]);
    let site = remote_site(&url);
    site.edit("feed.toml", "timeout_s = 1", "timeout_s = 2");
    let started = std::time::Instant::now();
    let run = site.run_now(&["build"]);
    let took = started.elapsed();
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "error: cannot fetch {url}: no complete answer within 2 s ([content] timeout_s)\n  hint: \
             check [content] path, and that the server is up; there is no copy fetched before to \
             fall back on\n"
        )
    );
    // Each byte came well within the timeout of one read; the server's
    // bytes last 40 s.
    assert!(took < Duration::from_secs(15), "{took:?}");
}

#[test]
fn a_redirect_loop_is_exit_3() {
    // Each answer sends the reader back to the same URL.
    let replies = vec![
        Reply::Send(
            302,
            vec![("Location".to_owned(), "/feed/".to_owned())],
            vec![]
        );
        8
    ];
    fails_with(replies, "more than 5 redirects (a redirect loop?)");
}

#[test]
fn an_html_page_served_instead_of_the_feed_is_exit_1() {
    let (url, _rx) = server(vec![Reply::Send(
        200,
        vec![("Content-Type".to_owned(), "text/html".to_owned())],
        b"<!doctype html><html><body>Maintenance</body></html>".to_vec(),
    )]);
    let site = remote_site(&url);
    let run = site.run_now(&["build"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        format!("error: 1 problem found:\n{url}: not a feed (no RSS, Atom or JSON Feed root); it begins with `<!doctype html><html><body>Maintenance</body></html>`\n")
    );
    assert!(
        !site.path(".matinale/cache").exists(),
        "a page that is not a feed is not kept"
    );
}

#[test]
fn an_item_withdrawn_before_its_date_is_never_published() {
    let site = site("wordpress.xml");
    // At 20:00 (19:00 UTC) the feed already lists the fibre article, dated
    // 20:30 UTC: scheduled, not yet published, so not remembered.
    site.write("feeds/wordpress.xml", &wordpress_with(&[1, 2]));
    let run = site.run(&["--now", "2026-11-25T20:00:00+01:00", "feeds"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .starts_with("read 1 article from feeds/wordpress.xml (0 drafts, 1 scheduled after "),
        "{}",
        run.stdout
    );
    let seen = site.read("out/newsletter/seen.jsonl");
    assert_eq!(seen.lines().count(), 2, "{seen}");
    assert!(!seen.contains("fibre"), "{seen}");

    // The source withdraws it before its time: the morning's edition and
    // the feeds never carry it.
    site.write("feeds/wordpress.xml", &wordpress_with(&[2]));
    let run = site.ok(&["build"]);
    assert!(
        run.stdout.contains(
            "newsletter 2026-11-26: edition, 1 article, subject « Test : le casque audio à 99 euros qui fait mieux que les grands »"
        ),
        "{}",
        run.stdout
    );
    assert!(!site.read("out/newsletter/2026-11-26.txt").contains("Fibre"));
    assert!(!site.read("public/feed.xml").contains("fibre"));
    assert!(!site.read("out/newsletter/seen.jsonl").contains("fibre"));

    // Listed once its time has come, it is remembered like any other.
    site.write("feeds/wordpress.xml", &wordpress_with(&[1, 2]));
    site.ok(&["feeds"]);
    site.write("feeds/wordpress.xml", &wordpress_with(&[2]));
    let run = site.ok(&["feeds"]);
    assert!(
        run.stdout
            .starts_with("read 2 articles from feeds/wordpress.xml "),
        "{}",
        run.stdout
    );
    assert!(site.read("public/feed.xml").contains("fibre"));
}

/// Every file of the site but feed.toml that holds `secret`.
fn files_holding(site: &Site, secret: &str) -> Vec<String> {
    site.contents("")
        .into_iter()
        .filter(|(f, bytes)| f != "feed.toml" && String::from_utf8_lossy(bytes).contains(secret))
        .map(|(f, _)| f)
        .collect()
}

#[test]
fn credentials_in_the_source_url_are_sent_but_never_shown_or_stored() {
    let body = fixture_bytes("wordpress.xml");
    let (url, rx) = server(vec![
        ok_feed("\"v1\"", &body, false),
        Reply::Send(500, vec![], b"oops".to_vec()),
    ]);
    // The password is `s3cr@t`, percent-encoded as a URL writes it.
    let site = remote_site(&url.replace("http://", "http://jean:s3cr%40t@"));
    let shown = url.replace("http://", "http://jean:***@");
    let run = site.ok(&["build"]);
    assert_eq!(run.stderr, "");
    assert!(
        run.stdout
            .starts_with(&format!("read 3 articles from {shown} (0 drafts")),
        "{}",
        run.stdout
    );
    let head = rx.recv().unwrap();
    assert!(head.starts_with("GET /feed/ HTTP/1.1\r\n"), "{head}");
    // base64 of "jean:s3cr@t".
    assert_eq!(
        header(&head, "Authorization"),
        Some("Basic amVhbjpzM2NyQHQ=")
    );
    assert_eq!(
        site.read(".matinale/cache/source.json"),
        format!(
            "{{\n  \"url\": \"{shown}\",\n  \"etag\": \"\\\"v1\\\"\",\n  \"last_modified\": \"Wed, 25 Nov 2026 21:12:04 GMT\"\n}}\n"
        )
    );
    let seen = site.read("out/newsletter/seen.jsonl");
    let from = format!("{{\"matinale_seen_from\":\"{}", shown.trim_end_matches('/'));
    assert!(seen.starts_with(&from), "{seen}");

    // The server fails: the kept copy (of this URL, whatever its password)
    // is used, and the warning names the source without its password.
    let run = site.ok(&["build"]);
    assert_eq!(
        run.stderr,
        format!("warning: {shown}: the server answered 500 Internal Server Error; using the copy fetched before\n")
    );
    assert_eq!(
        header(&rx.recv().unwrap(), "Authorization"),
        Some("Basic amVhbjpzM2NyQHQ=")
    );
    assert_eq!(files_holding(&site, "s3cr"), Vec::<String>::new());

    // Nothing to fall back on: the error names it without its password.
    let (url, _rx) = server(vec![Reply::Send(404, vec![], b"not here".to_vec())]);
    let site = remote_site(&url.replace("http://", "http://jean:s3cr%40t@"));
    let run = site.run_now(&["build"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.starts_with(&format!(
            "error: cannot fetch {}: the server answered 404 Not Found\n",
            url.replace("http://", "http://jean:***@")
        )),
        "{}",
        run.stderr
    );

    // A feed without a site link of its own: its relative links resolve
    // against the source's URL, without the credentials.
    let relative = "<?xml version=\"1.0\"?>\n<rss version=\"2.0\"><channel><title>t</title>\n\
        <item><title>Relatif</title><link>/relatif/</link><description>Un article.</description>\
        <pubDate>Wed, 25 Nov 2026 20:00:00 +0000</pubDate></item>\n</channel></rss>\n";
    let (url, _rx) = server(vec![ok_feed("\"r\"", relative.as_bytes(), false)]);
    let site = remote_site(&url.replace("http://", "http://jean:s3cr%40t@"));
    site.ok(&["build"]);
    let base = url.trim_end_matches("/feed/");
    assert!(
        site.read("public/feed.xml")
            .contains(&format!("<link>{base}/relatif/</link>")),
        "{}",
        site.read("public/feed.xml")
    );
    assert_eq!(files_holding(&site, "s3cr"), Vec::<String>::new());
    for (f, bytes) in site.contents("public") {
        assert!(!String::from_utf8_lossy(&bytes).contains("jean"), "{f}");
    }

    // A source URL feed.toml cannot use is reported without its password.
    let site = site_with_path("https://jean:s3cr%40t@/feed.xml");
    let run = site.run_now(&["check"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: in the configuration feed.toml\n  caused by: 1 problem found:\n\
         feed.toml:10: content.path: `https://***@/feed.xml` is not an absolute http(s) URL; \
         expected e.g. \"https://www.example.com/\"\n"
    );
}

/// The feed-source fixture reading `path`.
fn site_with_path(path: &str) -> Site {
    let site = site("wordpress.xml");
    site.edit(
        "feed.toml",
        "path = \"feeds/wordpress.xml\"",
        format!("path = \"{path}\""),
    );
    site
}
