//! The sitemaps: the site's (every article, the subscribe page and the
//! archive; an index of parts past the protocol's limits), the Google News
//! sitemap of the last 48 hours, the robots.txt lines, and their pruning.
//! Every file is read back with quick-xml, namespaces resolved.

use crate::harness::Site;
use chrono::{DateTime, FixedOffset};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use std::collections::BTreeSet;

const SM: &str = "http://www.sitemaps.org/schemas/sitemap/0.9";
const NEWS: &str = "http://www.google.com/schemas/sitemap-news/0.9";
const BASE: &str = "https://www.journaldugeek.com/";

/// One element: its namespace, local name, text and children.
#[derive(Debug, Default)]
struct Node {
    ns: String,
    name: String,
    text: String,
    children: Vec<Node>,
}

impl Node {
    /// The children named `name` in namespace `ns`.
    fn all(&self, ns: &'static str, name: &'static str) -> impl Iterator<Item = &Node> {
        self.children
            .iter()
            .filter(move |c| c.ns == ns && c.name == name)
    }

    /// The only child named `name` in `ns`.
    fn one(&self, ns: &'static str, name: &'static str) -> &Node {
        let found: Vec<&Node> = self.all(ns, name).collect();
        assert_eq!(found.len(), 1, "one <{name}> in <{}>: {self:?}", self.name);
        found[0]
    }

    fn text_of(&self, ns: &'static str, name: &'static str) -> &str {
        &self.one(ns, name).text
    }

    /// The names of the children, `prefix:name` by namespace, in order.
    fn child_names(&self) -> Vec<String> {
        self.children
            .iter()
            .map(|c| match c.ns.as_str() {
                SM => c.name.clone(),
                NEWS => format!("news:{}", c.name),
                other => format!("{{{other}}}{}", c.name),
            })
            .collect()
    }
}

/// Parses a whole document, failing on anything not well-formed; returns
/// its root element.
fn parse(xml: &str) -> Node {
    assert!(
        xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"),
        "{}",
        &xml[..xml.len().min(80)]
    );
    let mut reader = quick_xml::reader::NsReader::from_str(xml);
    let mut stack = vec![Node::default()];
    loop {
        let at = reader.buffer_position();
        let (ns, event) = reader
            .read_resolved_event()
            .unwrap_or_else(|e| panic!("not well-formed after byte {at}: {e}"));
        let ns = match ns {
            ResolveResult::Bound(n) => n.as_ref().to_owned(),
            _ => String::new(),
        };
        let node = |e: &quick_xml::events::BytesStart| Node {
            ns: ns.clone(),
            name: e.local_name().as_ref().to_owned(),
            ..Node::default()
        };
        match event {
            Event::Start(e) => stack.push(node(&e)),
            Event::Empty(e) => stack.last_mut().unwrap().children.push(node(&e)),
            Event::End(_) => {
                let done = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(done);
            }
            Event::Text(t) => {
                let text = t.xml10_content();
                if stack.len() > 1 {
                    stack.last_mut().unwrap().text.push_str(&text);
                } else {
                    assert!(text.trim().is_empty(), "text outside the root: {text:?}");
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().unwrap() {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&r)
                        .unwrap_or_else(|| panic!("undeclared entity &{};", &*r))
                        .to_owned(),
                };
                stack.last_mut().unwrap().text.push_str(&c);
            }
            Event::CData(_) => panic!("no CDATA expected"),
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "unclosed elements");
    let mut top = stack.pop().unwrap();
    assert_eq!(top.children.len(), 1, "one root element");
    top.children.pop().unwrap()
}

/// A `<url>` of a site's sitemap: its `loc` and `lastmod`.
fn site_urls(root: &Node) -> Vec<(String, Option<String>)> {
    assert_eq!((root.ns.as_str(), root.name.as_str()), (SM, "urlset"));
    root.children
        .iter()
        .map(|u| {
            assert_eq!((u.ns.as_str(), u.name.as_str()), (SM, "url"));
            let lastmod = u.all(SM, "lastmod").next().map(|l| l.text.clone());
            (u.text_of(SM, "loc").to_owned(), lastmod)
        })
        .collect()
}

/// One article of a news sitemap, every field.
#[derive(Debug, PartialEq, Eq)]
struct NewsUrl {
    loc: String,
    name: String,
    language: String,
    date: String,
    title: String,
}

fn news_urls(root: &Node) -> Vec<NewsUrl> {
    assert_eq!((root.ns.as_str(), root.name.as_str()), (SM, "urlset"));
    root.children
        .iter()
        .map(|u| {
            assert_eq!(u.child_names(), ["loc", "news:news"]);
            let news = u.one(NEWS, "news");
            assert_eq!(
                news.child_names(),
                ["news:publication", "news:publication_date", "news:title"]
            );
            let publication = news.one(NEWS, "publication");
            assert_eq!(publication.child_names(), ["news:name", "news:language"]);
            NewsUrl {
                loc: u.text_of(SM, "loc").to_owned(),
                name: publication.text_of(NEWS, "name").to_owned(),
                language: publication.text_of(NEWS, "language").to_owned(),
                date: news.text_of(NEWS, "publication_date").to_owned(),
                title: news.text_of(NEWS, "title").to_owned(),
            }
        })
        .collect()
}

/// The sample's articles as their front matter says: url, title,
/// published, updated (as written there, in +01:00).
fn sample_articles(site: &Site) -> Vec<(String, String, String, String)> {
    let mut out = Vec::new();
    for f in site.files("content") {
        let text = site.read(&format!("content/{f}"));
        let front = text.split("+++").nth(1).unwrap();
        let t: toml::Table = toml::from_str(front).unwrap();
        let s = |k: &str| {
            t.get(k)
                .map(|v| v.as_str().map_or(v.to_string(), str::to_owned))
        };
        let published = s("published").unwrap();
        out.push((
            s("url").unwrap(),
            s("title").unwrap(),
            published.clone(),
            s("updated").unwrap_or(published),
        ));
    }
    out
}

fn instant(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn the_sample_lists_every_article_and_the_news_of_the_last_48_hours() {
    let site = Site::sample();
    let run = site.ok(&["build"]);
    assert!(
        run.stdout.contains(
            "public/sitemap.xml: 14 URLs; public/news-sitemap.xml: 12 articles of the last 48 hours; public/_partials/robots.txt: their Sitemap: lines for robots.txt\n"
        ),
        "{}",
        run.stdout
    );
    let news = site.read("public/news-sitemap.xml");
    let sitemap = site.read("public/sitemap.xml");
    insta::assert_snapshot!("sample_news_sitemap", news);
    insta::assert_snapshot!("sample_sitemap", sitemap);
    assert_eq!(
        site.read("public/_partials/robots.txt"),
        format!("# The sitemaps matinale writes: add these lines to the site's robots.txt.\nSitemap: {BASE}sitemap.xml\nSitemap: {BASE}news-sitemap.xml\n")
    );

    // Every article once, with its last update, after the two pages.
    let articles = sample_articles(&site);
    let urls = site_urls(&parse(&sitemap));
    assert_eq!(
        urls[..2],
        [
            (format!("{BASE}abonnement/"), None),
            (format!("{BASE}newsletter/"), None)
        ]
    );
    let mut expected: Vec<(String, Option<String>)> = articles
        .iter()
        .map(|(url, _, _, updated)| (url.clone(), Some(updated.clone())))
        .collect();
    expected.sort();
    let mut listed = urls[2..].to_vec();
    listed.sort();
    assert_eq!(listed, expected);

    // At SAMPLE_NOW all 12 are of the last 48 hours: newest first.
    let mut by_date: Vec<&(String, String, String, String)> = articles.iter().collect();
    by_date.sort_by_key(|a| std::cmp::Reverse(instant(&a.2)));
    let expected: Vec<NewsUrl> = by_date
        .iter()
        .map(|(url, title, published, _)| NewsUrl {
            loc: url.clone(),
            name: "Journal du Geek".into(),
            language: "fr".into(),
            date: published.clone(),
            title: title.clone(),
        })
        .collect();
    assert_eq!(news_urls(&parse(&news)), expected);
}

#[test]
fn the_news_sitemap_holds_exactly_the_48_hours_before_now() {
    let site = Site::sample();
    site.edit(
        "feed.toml",
        "publication_name = \"Journal du Geek\"",
        "publication_name = \"JDG & Co <Actu>\"",
    );
    site.edit(
        "feed.toml",
        "language = \"fr-FR\"",
        "language = \"zh-Hant-HK\"",
    );
    // 48 hours before is exactly the Hera probe's publication: it is in.
    let now = "2026-11-27T10:10:00+01:00";
    let r = site.run(&["--now", now, "feeds"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let news = news_urls(&parse(&site.read("public/news-sitemap.xml")));
    let since = instant(now) - chrono::Duration::hours(48);
    let mut expected: Vec<(String, String)> = sample_articles(&site)
        .into_iter()
        .filter(|a| instant(&a.2) >= since)
        .map(|a| (a.2, a.0))
        .collect();
    expected.sort_by_key(|a| std::cmp::Reverse(instant(&a.0)));
    assert_eq!(expected.len(), 9);
    assert_eq!(
        news.iter()
            .map(|n| (n.date.clone(), n.loc.clone()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(
        news.last().unwrap().loc,
        format!("{BASE}2026/11/25/sonde-europeenne-asteroide/")
    );
    assert!(news
        .iter()
        .all(|n| n.name == "JDG & Co <Actu>" && n.language == "zh-tw"));
    let raw = site.read("public/news-sitemap.xml");
    assert!(raw.contains("<news:name>JDG &amp; Co &lt;Actu&gt;</news:name>"));
    // The full sitemap still has them all.
    assert_eq!(
        site_urls(&parse(&site.read("public/sitemap.xml"))).len(),
        14
    );
}

#[test]
fn hostile_titles_are_escaped_and_drafts_and_scheduled_articles_left_out() {
    let site = Site::fixture("hostile");
    // The draft (11-21 04:00) is inside this window; articles after this
    // now are scheduled.
    let r = site.run(&["--now", "2026-11-22T12:00:00+01:00", "feeds"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let news_xml = site.read("public/news-sitemap.xml");
    let news = news_urls(&parse(&news_xml));
    let got: Vec<(&str, &str, &str)> = news
        .iter()
        .map(|n| (n.loc.as_str(), n.date.as_str(), n.title.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "https://fil.example/8/",
                "2026-11-22T08:00:00+01:00",
                "AT&T <template> & \"guillemets\" 'simples'"
            ),
            (
                "https://fil.example/2/",
                "2026-11-22T02:00:00+01:00",
                "CDATA ]]> fin"
            ),
            (
                "https://fil.example/7/",
                "2026-11-21T07:00:00+01:00",
                "Catégories piégées"
            ),
            (
                "https://fil.example/1/",
                "2026-11-21T01:00:00+01:00",
                "Contrôle caractères interdits"
            ),
        ]
    );
    assert!(news
        .iter()
        .all(|n| n.name == "Le Fil" && n.language == "fr"));
    assert!(news_xml.contains(
        "<news:title>AT&amp;T &lt;template&gt; &amp; &quot;guillemets&quot; &#39;simples&#39;</news:title>"
    ));
    assert!(news_xml.contains("<news:title>CDATA ]]&gt; fin</news:title>"));
    let locs: BTreeSet<String> = site_urls(&parse(&site.read("public/sitemap.xml")))
        .into_iter()
        .map(|u| u.0)
        .collect();
    let expected: BTreeSet<String> = [
        "https://fil.example/1/",
        "https://fil.example/2/",
        "https://fil.example/6/",
        "https://fil.example/7/",
        "https://fil.example/8/",
        "https://fil.example/9/",
        "https://fil.example/10/",
        "https://fil.example/12/",
        "https://fil.example/abonnement/",
        "https://fil.example/newsletter/",
    ]
    .map(str::to_owned)
    .into();
    assert_eq!(locs, expected);

    // A day later, the script tag's title is in the window.
    let r = site.run(&["--now", "2026-11-23T12:00:00+01:00", "feeds"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let news_xml = site.read("public/news-sitemap.xml");
    let news = news_urls(&parse(&news_xml));
    let titles: Vec<&str> = news.iter().map(|n| n.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Image avec taille",
            "Script <script>alert(1)</script>",
            "AT&T <template> & \"guillemets\" 'simples'",
            "CDATA ]]> fin"
        ]
    );
    assert!(news_xml.contains("Script &lt;script&gt;alert(1)&lt;/script&gt;"));
}

#[test]
fn a_day_with_no_article_gives_an_empty_news_sitemap() {
    let site = Site::sample();
    site.ok(&["build"]);
    let r = site.run(&["--now", "2027-01-10T00:00:00+01:00", "feeds"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        site.read("public/news-sitemap.xml"),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" xmlns:news=\"http://www.google.com/schemas/sitemap-news/0.9\">\n</urlset>\n"
    );
    assert!(news_urls(&parse(&site.read("public/news-sitemap.xml"))).is_empty());
    assert!(r
        .stdout
        .contains("public/news-sitemap.xml: 0 articles of the last 48 hours;"));
}

/// A JSON Lines export of `n` articles, one a minute back from
/// 2026-11-26 06:00 +01:00, newest first; `from` numbers the first.
fn export(from: usize, n: usize) -> String {
    let start = instant("2026-11-26T06:00:00+01:00");
    let mut out = String::with_capacity(n * 140);
    for i in from..from + n {
        let published = start - chrono::Duration::minutes(i as i64);
        out.push_str(&format!(
            "{{\"title\":\"N° {i} & co\",\"url\":\"https://ex.example/a/{i}/\",\"published\":\"{}\",\"summary\":\"s\"}}\n",
            published.to_rfc3339()
        ));
    }
    out
}

/// The hostile fixture's config, on a generated export, feeds kept small.
fn generated_site(articles: &str) -> Site {
    let site = Site::fixture("hostile");
    site.edit(
        "feed.toml",
        "max_items = 0",
        "max_items = 5\nper_category = false",
    );
    site.write("articles.jsonl", articles);
    site
}

#[test]
fn more_than_1000_articles_in_48_hours_give_the_newest_1000() {
    let site = generated_site(&export(0, 1500));
    let r = site.run(&["--now", "2026-11-26T07:00:00+01:00", "feeds"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let news = news_urls(&parse(&site.read("public/news-sitemap.xml")));
    let locs: Vec<String> = news.iter().map(|n| n.loc.clone()).collect();
    let expected: Vec<String> = (0..1000)
        .map(|i| format!("https://ex.example/a/{i}/"))
        .collect();
    assert_eq!(locs, expected);
    assert_eq!(news[0].date, "2026-11-26T06:00:00+01:00");
    assert_eq!(news[999].title, "N° 999 & co");
    assert_eq!(
        site_urls(&parse(&site.read("public/sitemap.xml"))).len(),
        1502
    );
}

/// Every part of a sitemap index, checked against the limits; returns the
/// parts' names and every URL listed.
fn read_index(site: &Site) -> (Vec<String>, Vec<String>) {
    let index = parse(&site.read("public/sitemap.xml"));
    assert_eq!(
        (index.ns.as_str(), index.name.as_str()),
        (SM, "sitemapindex")
    );
    let mut names = Vec::new();
    let mut all = Vec::new();
    for s in &index.children {
        assert_eq!(s.child_names(), ["loc", "lastmod"]);
        let loc = s.text_of(SM, "loc");
        let name = loc.strip_prefix("https://fil.example/").unwrap().to_owned();
        let text = site.read(&format!("public/{name}"));
        assert!(text.len() <= 52_428_800, "{name}: {} bytes", text.len());
        let urls = site_urls(&parse(&text));
        assert!(urls.len() <= 50_000, "{name}: {} URLs", urls.len());
        let newest = urls
            .iter()
            .filter_map(|u| u.1.as_deref())
            .max_by_key(|d| instant(d))
            .unwrap();
        assert_eq!(s.text_of(SM, "lastmod"), newest, "{name}");
        names.push(name);
        all.extend(urls.into_iter().map(|u| u.0));
    }
    (names, all)
}

#[test]
fn past_50000_urls_the_sitemap_is_an_index_of_parts_each_url_once() {
    let site = generated_site(&export(1, 60_000));
    let now = ["--now", "2026-11-26T07:00:00+01:00"];
    let r = site.run(&[now[0], now[1], "feeds"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(
            "public/sitemap.xml: index of 2 sitemaps (sitemap-1.xml to sitemap-2.xml), 60002 URLs;"
        ),
        "{}",
        r.stdout
    );
    let (names, urls) = read_index(&site);
    assert_eq!(names, ["sitemap-1.xml", "sitemap-2.xml"]);
    let mut expected: Vec<String> = (1..=60_000)
        .map(|i| format!("https://ex.example/a/{i}/"))
        .collect();
    expected.push("https://fil.example/abonnement/".into());
    expected.push("https://fil.example/newsletter/".into());
    let mut sorted = urls.clone();
    sorted.sort();
    expected.sort();
    assert_eq!(sorted, expected, "every URL exactly once");
    // Oldest first: the first part starts with the pages, then the oldest.
    assert_eq!(urls[2], "https://ex.example/a/60000/");
    assert_eq!(urls.last().unwrap(), "https://ex.example/a/1/");

    // A new article lands in the last part: the first keeps its bytes and
    // is not rewritten.
    let first = site.read("public/sitemap-1.xml");
    let mut more = export(0, 1);
    more.push_str(&site.read("articles.jsonl"));
    site.write("articles.jsonl", &more);
    let r = site.run(&[now[0], now[1], "-v", "feeds"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("  unchanged public/sitemap-1.xml ("),
        "{}",
        r.stdout
    );
    assert_eq!(site.read("public/sitemap-1.xml"), first);
    let (_, urls) = read_index(&site);
    assert_eq!(urls.len(), 60_003);
    assert_eq!(urls.last().unwrap(), "https://ex.example/a/0/");

    // Back under the limits: one urlset again, the parts matinale wrote
    // are deleted, a file of the site's own with a part's name is not.
    site.write("public/sitemap-7.xml", "the site's own");
    site.write("articles.jsonl", &export(0, 10));
    let r = site.run(&[now[0], now[1], "feeds", "--allow-shrink"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for part in ["sitemap-1.xml", "sitemap-2.xml"] {
        assert!(
            r.stdout.contains(&format!(
                "removed public/{part} (a sitemap output this build no longer writes)"
            )),
            "{}",
            r.stdout
        );
    }
    let sitemaps: Vec<String> = site
        .files("public")
        .into_iter()
        .filter(|f| f.contains("sitemap"))
        .collect();
    assert_eq!(
        sitemaps,
        ["news-sitemap.xml", "sitemap-7.xml", "sitemap.xml"]
    );
    assert_eq!(site.read("public/sitemap-7.xml"), "the site's own");
    assert_eq!(
        site_urls(&parse(&site.read("public/sitemap.xml"))).len(),
        12
    );
}

#[test]
fn turned_off_no_sitemap_is_written_and_earlier_ones_are_removed() {
    let site = Site::sample();
    site.ok(&["-q", "build"]);
    site.edit("feed.toml", "news = true", "news = false");
    let r = site.ok(&["feeds"]);
    assert!(
        r.stdout.contains(
            "public/sitemap.xml: 14 URLs; public/_partials/robots.txt: their Sitemap: lines for robots.txt\n"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(
        "removed public/news-sitemap.xml (a sitemap output this build no longer writes)"
    ));
    assert!(!site.path("public/news-sitemap.xml").exists());
    assert_eq!(
        site.read("public/_partials/robots.txt"),
        format!("# The sitemaps matinale writes: add these lines to the site's robots.txt.\nSitemap: {BASE}sitemap.xml\n")
    );

    site.edit("feed.toml", "enabled = true", "enabled = false");
    let r = site.ok(&["feeds"]);
    assert!(!r.stdout.contains("sitemap.xml:"), "{}", r.stdout);
    let left: Vec<String> = site
        .files("public")
        .into_iter()
        .filter(|f| f.contains("sitemap") || f.contains("robots"))
        .collect();
    assert_eq!(left, Vec::<String>::new());
    let manifest = site.read(".matinale/manifest.json");
    assert!(!manifest.contains("sitemap") && !manifest.contains("robots"));
    // And nothing comes back while they are off.
    site.ok(&["build"]);
    assert!(!site.path("public/sitemap.xml").exists());
}

#[test]
fn check_refuses_a_bad_sitemaps_table_with_its_line() {
    let site = Site::sample();
    site.edit(
        "feed.toml",
        "publication_name = \"Journal du Geek\"",
        "publication_name = \" \\u0007 \"",
    );
    let r = site.run_now(&["check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("feed.toml:70: sitemaps.publication_name: must not be empty; leave it out to use [site] title, or give the name Google News shows, e.g. \"Journal du Geek\""),
        "{}",
        r.stderr
    );
    site.edit(
        "feed.toml",
        "enabled = true",
        "enabled = true\nnewz = false",
    );
    let r = site.run_now(&["check"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains(
            "feed.toml:69: sitemaps.newz: unknown field `newz`, expected one of `enabled`, `news`, `publication_name`"
        ),
        "{}",
        r.stderr
    );
}
