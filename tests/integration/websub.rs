//! WebSub: the hub link in every feed, and `ping` / `build --ping` against a
//! hub run by the test on loopback.

use crate::harness::{header, loopback_server, read_request_head, Site};
use std::io::{BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::Duration;

/// How the test hub answers one connection.
#[derive(Clone, Copy)]
enum Answer {
    Status(u16),
    /// Reads the request and never answers.
    Silent,
    /// Reads the request, then answers one byte every 200 ms, for 30 s,
    /// never ending its head.
    Drip,
}

/// One request the hub received.
#[derive(Debug)]
struct Received {
    head: String,
    body: String,
}

/// A hub on 127.0.0.1 answering one connection per item of `answers`;
/// returns its URL and the requests it receives.
fn hub(answers: &[Answer]) -> (String, mpsc::Receiver<Received>) {
    let (tx, rx) = mpsc::channel();
    let replies = answers.iter().map(|a| (*a, tx.clone())).collect();
    let addr = loopback_server(replies, |stream, (answer, tx)| {
        answer_one(stream, answer, &tx)
    });
    (format!("http://{addr}/hub"), rx)
}

fn answer_one(stream: std::net::TcpStream, answer: Answer, tx: &mpsc::Sender<Received>) {
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let mut out = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let head = read_request_head(&mut reader);
    let length = header(&head, "Content-Length").map_or(0, |v| v.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let body = String::from_utf8(body).unwrap();
    tx.send(Received { head, body }).unwrap();
    match answer {
        Answer::Status(code) => {
            let text = if code >= 400 { "nope: not today" } else { "" };
            let _ = write!(
                out,
                "HTTP/1.1 {code} X\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
        }
        Answer::Silent => std::thread::sleep(Duration::from_secs(4)),
        Answer::Drip => {
            let head = "HTTP/1.1 204 No Content\r\nX-Slow: ".bytes();
            for b in head.chain(std::iter::repeat(b'x')).take(150) {
                if out.write_all(&[b]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}

/// The sample site with `websub_hub = hub` and a one-second timeout; with
/// `per_category = false` it has six feeds: the site's three and the
/// newsletter's three.
fn site_with_hub(hub: &str, per_category: bool) -> Site {
    let site = Site::sample();
    site.edit(
        "feed.toml",
        "websub_hub = \"\"",
        format!("websub_hub = \"{hub}\"\nwebsub_timeout_s = 1"),
    );
    if !per_category {
        site.edit("feed.toml", "per_category = true", "per_category = false");
    }
    site
}

const SIX: [&str; 6] = [
    "https://www.journaldugeek.com/atom.xml",
    "https://www.journaldugeek.com/feed.json",
    "https://www.journaldugeek.com/feed.xml",
    "https://www.journaldugeek.com/newsletter/atom.xml",
    "https://www.journaldugeek.com/newsletter/feed.json",
    "https://www.journaldugeek.com/newsletter/feed.xml",
];

fn form(topic: &str) -> String {
    let enc: String = url::form_urlencoded::byte_serialize(topic.as_bytes()).collect();
    format!("hub.mode=publish&hub.url={enc}")
}

fn pending(site: &Site) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(&site.read(".matinale/ping.json")).unwrap();
    v["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn every_feed_names_the_hub() {
    let site = site_with_hub("https://hub.example.org/", true);
    site.ok(&["feeds"]);
    for dir in ["", "category/tech/", "newsletter/"] {
        let rss = site.read(&format!("public/{dir}feed.xml"));
        assert!(
            rss.contains(r#"<atom:link href="https://hub.example.org/" rel="hub"/>"#),
            "{dir}feed.xml: {rss}"
        );
        let atom = site.read(&format!("public/{dir}atom.xml"));
        assert!(
            atom.contains(r#"<link href="https://hub.example.org/" rel="hub"/>"#),
            "{dir}atom.xml"
        );
        let json: serde_json::Value =
            serde_json::from_str(&site.read(&format!("public/{dir}feed.json"))).unwrap();
        assert_eq!(
            json["hubs"],
            serde_json::json!([{"type": "WebSub", "url": "https://hub.example.org/"}]),
            "{dir}feed.json"
        );
    }
}

#[test]
fn ping_tells_the_hub_each_changed_feed_then_nothing_more() {
    let (url, rx) = hub(&[Answer::Status(204); 21]);
    let site = site_with_hub(&url, true);
    site.ok(&["build"]);
    let run = site.ok(&["ping"]);
    assert_eq!(
        run.stdout,
        format!("ping: told {url} about 21 changed feeds\n")
    );
    let got: Vec<Received> = rx.try_iter().collect();
    assert_eq!(got.len(), 21);
    let mut topics = pending_topics_of(&got);
    topics.sort();
    let mut expected: Vec<String> = SIX.iter().map(|s| s.to_string()).collect();
    for slug in ["cinema-series", "jeux-video", "sciences", "tech", "web"] {
        for f in ["feed.xml", "atom.xml", "feed.json"] {
            expected.push(format!("https://www.journaldugeek.com/category/{slug}/{f}"));
        }
    }
    expected.sort();
    assert_eq!(topics, expected);
    let first = &got[0];
    assert!(
        first.head.starts_with("POST /hub HTTP/1.1\r\n"),
        "{}",
        first.head
    );
    let head = first.head.to_ascii_lowercase();
    assert!(
        head.contains("content-type: application/x-www-form-urlencoded"),
        "{head}"
    );
    assert!(
        head.contains("user-agent: matinale/0.1.0 (+https://www.journaldugeek.com/)"),
        "{head}"
    );
    assert_eq!(first.body, form("https://www.journaldugeek.com/atom.xml"));
    assert!(pending(&site).is_empty());

    // Nothing changed since: nothing to tell (the hub accepts no more
    // connections, so a request would fail the run).
    let run = site.ok(&["ping"]);
    assert_eq!(
        run.stdout,
        format!("ping: no feed changed since the last ping; nothing to tell {url}\n")
    );
}

fn pending_topics_of(got: &[Received]) -> Vec<String> {
    got.iter()
        .map(|r| {
            let pairs: Vec<(String, String)> = url::form_urlencoded::parse(r.body.as_bytes())
                .into_owned()
                .collect();
            assert_eq!(pairs[0], ("hub.mode".to_owned(), "publish".to_owned()));
            assert_eq!(pairs[1].0, "hub.url");
            pairs[1].1.clone()
        })
        .collect()
}

#[test]
fn only_the_feeds_a_build_changed_are_pinged() {
    let (url, rx) = hub(&[Answer::Status(204); 27]);
    let site = site_with_hub(&url, true);
    site.ok(&["build", "--ping"]);
    assert_eq!(rx.try_iter().count(), 21);
    // A new word in one Sciences article: the site's feeds and the
    // Sciences feeds change; the others, and the past edition, do not.
    site.edit(
        "content/2026-11-25-corail-resistant-chaleur.md",
        "title = \"Des chercheurs",
        "title = \"Exclusif : des chercheurs",
    );
    let run = site.ok(&["build", "--ping", "-q"]);
    assert_eq!(run.stdout, "");
    let mut topics = pending_topics_of(&rx.try_iter().collect::<Vec<_>>());
    topics.sort();
    assert_eq!(
        topics,
        [
            "https://www.journaldugeek.com/atom.xml",
            "https://www.journaldugeek.com/category/sciences/atom.xml",
            "https://www.journaldugeek.com/category/sciences/feed.json",
            "https://www.journaldugeek.com/category/sciences/feed.xml",
            "https://www.journaldugeek.com/feed.json",
            "https://www.journaldugeek.com/feed.xml",
        ]
    );
}

#[test]
fn a_hub_answering_500_is_retried() {
    let mut answers = vec![Answer::Status(500)];
    answers.extend([Answer::Status(204); 6]);
    let (url, rx) = hub(&answers);
    let site = site_with_hub(&url, false);
    site.ok(&["build"]);
    assert_eq!(pending(&site), SIX);
    let run = site.ok(&["ping"]);
    assert_eq!(
        run.stdout,
        format!("ping: told {url} about 6 changed feeds\n")
    );
    let topics = pending_topics_of(&rx.try_iter().collect::<Vec<_>>());
    assert_eq!(topics[0], SIX[0]);
    assert_eq!(topics[1..], SIX);
    assert!(pending(&site).is_empty());
}

#[test]
fn an_unreachable_hub_exits_3_and_the_next_ping_catches_up() {
    // A port with nobody listening.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dead = format!("http://127.0.0.1:{port}/");
    let site = site_with_hub(&dead, false);
    let run = site.run_now(&["build", "--ping"]);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    // The build itself was done and kept.
    assert!(site.path("public/feed.xml").is_file());
    assert!(
        run.stdout.contains("newsletter 2026-11-26: edition"),
        "{}",
        run.stdout
    );
    let err = run.stderr;
    assert!(
        err.starts_with(&format!(
            "error: cannot notify the WebSub hub {dead} of https://www.journaldugeek.com/atom.xml: "
        )),
        "{err}"
    );
    assert!(err.contains("(3 attempts)\n  hint: check [feeds] websub_hub and that the hub is up; the changed feeds stay recorded and the next `matinale ping` sends them\n"), "{err}");
    assert_eq!(pending(&site), SIX);

    // The hub is back: the next ping sends everything still recorded.
    let (url, rx) = hub(&[Answer::Status(202); 6]);
    site.edit("feed.toml", &dead, &url);
    let run = site.ok(&["ping"]);
    assert_eq!(
        run.stdout,
        format!("ping: told {url} about 6 changed feeds\n")
    );
    assert_eq!(pending_topics_of(&rx.try_iter().collect::<Vec<_>>()), SIX);
}

#[test]
fn a_silent_hub_times_out_and_exits_3() {
    let (url, rx) = hub(&[Answer::Silent; 3]);
    let site = site_with_hub(&url, false);
    site.ok(&["build"]);
    let run = site.run_now(&["ping"]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "atom.xml: no complete answer within 1 s ([feeds] websub_timeout_s) (3 attempts)\n"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("(3 attempts)"), "{}", run.stderr);
    assert_eq!(rx.try_iter().count(), 3);
    assert_eq!(pending(&site), SIX);
}

#[test]
fn a_hub_that_trickles_its_answer_is_given_up_at_the_timeout() {
    let (url, rx) = hub(&[Answer::Drip; 3]);
    let site = site_with_hub(&url, false);
    site.ok(&["build"]);
    let started = std::time::Instant::now();
    let run = site.run_now(&["ping"]);
    let took = started.elapsed();
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert_eq!(
        run.stderr,
        format!(
            "error: cannot notify the WebSub hub {url} of https://www.journaldugeek.com/atom.xml: \
             no complete answer within 1 s ([feeds] websub_timeout_s) (3 attempts)\n  hint: check \
             [feeds] websub_hub and that the hub is up; the changed feeds stay recorded and the next \
             `matinale ping` sends them\n"
        )
    );
    assert_eq!(rx.try_iter().count(), 3);
    assert_eq!(pending(&site), SIX);
    // Three attempts of at most 1 s, 1 s and 2 s apart: 6 s, where the
    // hub's bytes, each well within the timeout of one read, last 30 s.
    assert!(took < Duration::from_secs(12), "{took:?}");
}

#[test]
fn a_hub_refusing_is_not_retried() {
    let (url, rx) = hub(&[Answer::Status(403)]);
    let site = site_with_hub(&url, false);
    site.ok(&["build"]);
    let run = site.run_now(&["ping"]);
    assert_eq!(run.code, 3);
    assert_eq!(
        run.stderr,
        format!(
            "error: cannot notify the WebSub hub {url} of https://www.journaldugeek.com/atom.xml: \
             the hub answered 403 Forbidden: nope: not today\n  hint: the hub refused the notification; \
             check [feeds] websub_hub and that the hub accepts this feed\n"
        )
    );
    assert_eq!(rx.try_iter().count(), 1);
    assert_eq!(pending(&site), SIX);
}

#[test]
fn ping_without_a_hub_says_what_to_set() {
    let site = Site::sample();
    let run = site.run_now(&["ping"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr,
        "error: 1 problem found:\nfeed.toml: feeds.websub_hub: not set, so there is no hub to tell; \
         set it to your hub's URL, e.g. \"https://pubsubhubbub.appspot.com/\"\n"
    );
    assert!(!site.path(".matinale/ping.json").exists());
}
