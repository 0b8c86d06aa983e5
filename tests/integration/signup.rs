//! The signup form (`[newsletter.signup]`) on every page that carries it,
//! read back by an HTML parse (quick-xml, tolerant of HTML's unclosed
//! tags), the email that asks no subscriber to subscribe, and the web copy
//! as a web page.

use crate::harness::Site;
use quick_xml::events::{BytesStart, Event};
use std::collections::BTreeMap;

/// The pages that carry the form, under `public/`.
const PAGES: [&str; 5] = [
    "abonnement/index.html",
    "newsletter/index.html",
    "newsletter/2026-11-26.html",
    "_partials/cta.html",
    "_partials/signup.html",
];

const SAMPLE_ACTION: &str = "https://lists.journaldugeek.com/subscribe";
const SAMPLE_JOIN: &str = "mailto:matinale-join@lists.journaldugeek.com?subject=subscribe";

/// One element's attributes, by name (a valueless one, e.g. `required`,
/// holds "").
type Attrs = BTreeMap<String, String>;

/// A form as a browser would submit it.
#[derive(Debug, Default)]
struct Form {
    attrs: Attrs,
    inputs: Vec<Attrs>,
    buttons: Vec<(Attrs, String)>,
}

/// What the tests read of a page.
#[derive(Debug, Default)]
struct Html {
    forms: Vec<Form>,
    /// `for` of each label, with its text.
    labels: BTreeMap<String, String>,
    /// Every `<a href>`, with its text.
    links: Vec<(String, String)>,
    /// Every `<link>` and `<meta>`.
    heads: Vec<Attrs>,
    /// Every element's id.
    ids: Vec<String>,
    /// Element names seen.
    tags: Vec<String>,
}

impl Html {
    fn parse(text: &str) -> Html {
        let mut reader = quick_xml::Reader::from_str(text);
        let config = reader.config_mut();
        config.check_end_names = false;
        config.allow_unmatched_ends = true;
        config.expand_empty_elements = false;
        let mut html = Html::default();
        // The element whose text is being read: a label, a link, a button.
        let mut reading: Option<(String, Attrs, String)> = None;
        let mut in_form = false;
        loop {
            let event = reader
                .read_event()
                .unwrap_or_else(|e| panic!("not parsable at {}: {e}", reader.buffer_position()));
            match event {
                Event::Start(e) | Event::Empty(e) => {
                    let (name, attrs) = element(&e);
                    html.tags.push(name.clone());
                    if let Some(id) = attrs.get("id") {
                        html.ids.push(id.clone());
                    }
                    match name.as_str() {
                        "form" => {
                            in_form = true;
                            html.forms.push(Form {
                                attrs,
                                ..Form::default()
                            });
                        }
                        "input" if in_form => html.forms.last_mut().unwrap().inputs.push(attrs),
                        "label" | "a" | "button" => reading = Some((name, attrs, String::new())),
                        "link" | "meta" => html.heads.push(attrs),
                        _ => {}
                    }
                }
                Event::Text(t) => {
                    if let Some((_, _, text)) = reading.as_mut() {
                        text.push_str(&t.xml10_content());
                    }
                }
                Event::GeneralRef(r) => {
                    if let Some((_, _, text)) = reading.as_mut() {
                        let name = r.xml10_content();
                        text.push_str(match name.as_ref() {
                            "nbsp" => "\u{a0}",
                            "amp" => "&",
                            "lt" => "<",
                            "gt" => ">",
                            "quot" => "\"",
                            other => panic!("entity {other}"),
                        });
                    }
                }
                Event::End(e) => {
                    let name = e.local_name().into_inner().to_lowercase();
                    if name == "form" {
                        in_form = false;
                    }
                    if reading.as_ref().is_some_and(|(n, _, _)| *n == name) {
                        let (_, attrs, text) = reading.take().unwrap();
                        let text = text.trim().to_owned();
                        match name.as_str() {
                            "label" => {
                                html.labels
                                    .insert(attrs.get("for").cloned().unwrap_or_default(), text);
                            }
                            "a" => html
                                .links
                                .push((attrs.get("href").cloned().unwrap_or_default(), text)),
                            _ if in_form => {
                                html.forms.last_mut().unwrap().buttons.push((attrs, text))
                            }
                            _ => {}
                        }
                    }
                }
                Event::Eof => return html,
                _ => {}
            }
        }
    }

    fn meta(&self, key: &str, name: &str) -> Option<&str> {
        self.heads
            .iter()
            .find(|a| a.get(key).map(String::as_str) == Some(name))
            .and_then(|a| a.get("content").or_else(|| a.get("href")))
            .map(String::as_str)
    }
}

fn element(e: &BytesStart) -> (String, Attrs) {
    let name = e.local_name().into_inner().to_lowercase();
    let attrs = e
        .html_attributes()
        .map(|a| {
            let a = a.unwrap();
            let key = a.key.into_inner().to_lowercase();
            (key, unescape(&a.value))
        })
        .collect();
    (name, attrs)
}

/// An attribute's value as a browser reads it (the entities matinale's
/// escaping writes).
fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&")
}

/// What a page's one form must be: posting to `action`, an e-mail field
/// named `email_field` with a visible label, the hidden `fields`, a submit
/// button; and the join link when there is one.
struct Expected<'a> {
    action: &'a str,
    email_field: &'a str,
    fields: &'a [(&'a str, &'a str)],
    join: Option<&'a str>,
}

fn assert_form(rel: &str, html: &Html, want: &Expected) {
    assert_eq!(html.forms.len(), 1, "{rel}: one form");
    let form = &html.forms[0];
    assert_eq!(
        form.attrs.get("method").map(String::as_str),
        Some("post"),
        "{rel}"
    );
    assert_eq!(
        form.attrs.get("action").map(String::as_str),
        Some(want.action),
        "{rel}"
    );
    let email: Vec<&Attrs> = form
        .inputs
        .iter()
        .filter(|i| i.get("type").map(String::as_str) == Some("email"))
        .collect();
    assert_eq!(email.len(), 1, "{rel}: one e-mail field");
    let email = email[0];
    assert_eq!(
        email.get("name").map(String::as_str),
        Some(want.email_field),
        "{rel}"
    );
    assert!(email.contains_key("required"), "{rel}: required");
    assert_eq!(
        email.get("autocomplete").map(String::as_str),
        Some("email"),
        "{rel}"
    );
    let id = email.get("id").expect("the e-mail field has an id");
    let label = html.labels.get(id).map(String::as_str);
    assert!(
        label.is_some_and(|l| !l.is_empty()),
        "{rel}: no visible label for #{id}"
    );
    assert_eq!(
        html.ids.iter().filter(|i| *i == id).count(),
        1,
        "{rel}: #{id} is unique"
    );
    let hidden: Vec<(&str, &str)> = form
        .inputs
        .iter()
        .filter(|i| i.get("type").map(String::as_str) == Some("hidden"))
        .map(|i| (i["name"].as_str(), i["value"].as_str()))
        .collect();
    assert_eq!(hidden, want.fields, "{rel}: hidden fields");
    assert_eq!(
        form.inputs.len(),
        1 + want.fields.len(),
        "{rel}: no other field"
    );
    let submits: Vec<&(Attrs, String)> = form
        .buttons
        .iter()
        .filter(|(a, _)| a.get("type").map(String::as_str) == Some("submit"))
        .collect();
    assert_eq!(submits.len(), 1, "{rel}: one submit button");
    assert!(!submits[0].1.is_empty(), "{rel}: the button says something");
    let joins: Vec<&(String, String)> = html
        .links
        .iter()
        .filter(|(href, _)| href.starts_with("mailto:") && href.ends_with("?subject=subscribe"))
        .collect();
    match want.join {
        Some(join) => {
            assert_eq!(joins.len(), 1, "{rel}: one join link");
            assert_eq!(joins[0].0, join, "{rel}");
            assert!(!joins[0].1.is_empty(), "{rel}");
        }
        None => assert!(joins.is_empty(), "{rel}: no join link"),
    }
}

fn page(site: &Site, rel: &str) -> Html {
    Html::parse(&site.read(&format!("public/{rel}")))
}

const SAMPLE: Expected = Expected {
    action: SAMPLE_ACTION,
    email_field: "email",
    fields: &[("list", "matinale")],
    join: Some(SAMPLE_JOIN),
};

#[test]
fn every_page_carries_the_form_of_feed_toml() {
    let site = Site::sample();
    site.ok(&["build"]);
    for rel in PAGES {
        assert_form(rel, &page(&site, rel), &SAMPLE);
    }
    // The form is where the call to action leads: on the subscribe page
    // and the archive, the block holding it has the id the links name.
    let subscribe = page(&site, "abonnement/index.html");
    assert!(subscribe.ids.contains(&"inscription".to_owned()));
    let button = subscribe
        .links
        .iter()
        .find(|(_, text)| text == "Recevoir la newsletter")
        .unwrap();
    assert_eq!(button.0, "#inscription");
    let archive = page(&site, "newsletter/index.html");
    assert!(archive.ids.contains(&"inscription".to_owned()));
    // In every feed, the newsletter's call to action leads to the form.
    for feed in [
        "feed.xml",
        "atom.xml",
        "feed.json",
        "category/tech/feed.xml",
    ] {
        let text = site.read(&format!("public/{feed}"));
        assert!(
            text.contains("https://www.journaldugeek.com/newsletter/#inscription"),
            "{feed}"
        );
        assert!(
            !text.contains("https://www.journaldugeek.com/newsletter/\\\""),
            "{feed}"
        );
    }
}

#[test]
fn the_form_posts_what_the_platform_reads() {
    // Mailchimp's embedded form: `EMAIL`, a bot trap left empty, fields in
    // a table of their own; values escaped in the attribute.
    let site = Site::sample();
    site.edit(
        "feed.toml",
        "[newsletter.signup]\naction = \"https://lists.journaldugeek.com/subscribe\"\nemail_field = \"email\"\nfields = { list = \"matinale\" }\nmailto = \"matinale-join@lists.journaldugeek.com\"\n",
        "[newsletter.signup]\naction = \"https://jdg.us1.list-manage.com/subscribe/post?u=abc&id=123\"\nemail_field = \"EMAIL\"\n\n[newsletter.signup.fields]\nb_abc_123 = \"\"\n\"group[1]\" = \"\\\"A&B\\\" <c>\"\n",
    );
    site.ok(&["build"]);
    let want = Expected {
        action: "https://jdg.us1.list-manage.com/subscribe/post?u=abc&id=123",
        email_field: "EMAIL",
        fields: &[("b_abc_123", ""), ("group[1]", "\"A&B\" <c>")],
        join: None,
    };
    for rel in PAGES {
        assert_form(rel, &page(&site, rel), &want);
    }
}

#[test]
fn without_signup_there_is_no_form_anywhere() {
    let site = Site::sample();
    let config = site.read("feed.toml");
    let start = config.find("\n# Where readers sign up").unwrap();
    site.write("feed.toml", &config[..start]);
    site.ok(&["build"]);
    for rel in PAGES {
        let html = page(&site, rel);
        assert!(html.forms.is_empty(), "{rel}: a form");
        assert!(
            !html
                .links
                .iter()
                .any(|(h, _)| h.ends_with("#inscription") || h.contains("subject=subscribe")),
            "{rel}"
        );
    }
    assert_eq!(
        site.read("public/_partials/signup.html"),
        "<!-- Generated by matinale from feed.toml: no [newsletter.signup], no form. -->\n"
    );
    // The newsletter's call to action leads where feed.toml says, and the
    // pages still say how to follow it by feed.
    let cta = page(&site, "_partials/cta.html");
    assert!(cta.links.contains(&(
        "https://www.journaldugeek.com/newsletter/".to_owned(),
        "Recevoir la newsletter".to_owned()
    )));
    let subscribe = site.read("public/abonnement/index.html");
    assert!(subscribe.contains("La newsletter dans votre lecteur de flux"));
    assert!(subscribe.contains("value=\"https://www.journaldugeek.com/newsletter/feed.xml\""));
}

#[test]
fn a_call_to_action_of_the_sites_own_keeps_its_url() {
    let site = Site::sample();
    site.edit(
        "feed.toml",
        "url = \"https://www.journaldugeek.com/newsletter/\"",
        "url = \"https://www.journaldugeek.com/la-matinale/\"",
    );
    site.ok(&["feeds"]);
    let cta = site.read("public/feed.xml");
    assert!(cta.contains("href=\"https://www.journaldugeek.com/la-matinale/\""));
    assert!(!cta.contains("#inscription"));
}

/// The HTML part of an `.eml`.
fn html_part(eml: &[u8]) -> String {
    let msg = mail_parser::MessageParser::default().parse(eml).unwrap();
    msg.body_html(0).unwrap().into_owned()
}

#[test]
fn the_email_asks_no_subscriber_to_subscribe_but_offers_to_forward_it() {
    let site = Site::sample();
    site.edit("feed.toml", "host = \"127.0.0.1\"", "host = \"\"");
    site.ok(&["build"]);
    site.ok(&["send-test", "--to", "moi@example.org"]);
    let web_copy = "https://www.journaldugeek.com/newsletter/2026-11-26.html";
    let emails = [
        (
            "master copy (html)",
            site.read("out/newsletter/2026-11-26.html"),
        ),
        (
            "master copy (eml)",
            html_part(&std::fs::read(site.path("out/newsletter/2026-11-26.eml")).unwrap()),
        ),
        (
            "test send",
            html_part(
                &std::fs::read(site.path("out/outbox/2026-11-26-test-moi_example.org.eml"))
                    .unwrap(),
            ),
        ),
    ];
    for (what, text) in &emails {
        let html = Html::parse(text);
        assert!(html.forms.is_empty(), "{what}: a form");
        assert!(!text.contains("Et si vous nous adorez"), "{what}");
        for (href, _) in &html.links {
            assert!(
                !href.starts_with("https://www.journaldugeek.com/newsletter/#")
                    && href != "https://www.journaldugeek.com/newsletter/"
                    && !href.starts_with("https://www.journaldugeek.com/abonnement/")
                    && !href.contains("subject=subscribe"),
                "{what}: a call to subscribe: {href}"
            );
        }
        assert!(
            html.links
                .contains(&(web_copy.to_owned(), "Transférer à un ami".to_owned())),
            "{what}: {:?}",
            html.links
        );
        // The email still says why it comes and how to leave.
        assert!(text.contains("Vous recevez cet e-mail"), "{what}");
    }
    let text = site.read("out/newsletter/2026-11-26.txt");
    assert!(!text.contains("Et si vous nous adorez"));
    assert!(text.contains(&format!(
        "Cette édition plairait à un proche\u{a0}? Transférez-la-lui.\n{web_copy}\n"
    )));
}

#[test]
fn the_web_copy_is_a_web_page() {
    let site = Site::sample();
    site.ok(&["build"]);
    let url = "https://www.journaldugeek.com/newsletter/2026-11-26.html";
    let text = site.read("public/newsletter/2026-11-26.html");
    let html = Html::parse(&text);
    assert!(html.tags.contains(&"main".to_owned()));
    assert_eq!(html.meta("rel", "canonical"), Some(url));
    assert_eq!(html.meta("property", "og:url"), Some(url));
    assert_eq!(
        html.meta("property", "og:title"),
        Some("Batterie sodium-ion : une voiture électrique française à moins de 20 000 euros")
    );
    assert!(html
        .meta("property", "og:description")
        .is_some_and(|d| d.starts_with("Aussi\u{a0}: Un smartphone entièrement réparable")));
    assert_eq!(
        html.meta("property", "og:image"),
        Some(
            "https://www.journaldugeek.com/wp-content/uploads/2026/11/batterie-sodium-voiture.jpg"
        )
    );
    assert_eq!(
        html.meta("name", "twitter:card"),
        Some("summary_large_image")
    );
    assert!(
        !html.links.iter().any(|(href, _)| href == url),
        "a link to itself"
    );
    for email_only in [
        "Voir dans le navigateur",
        "Vous recevez cet e-mail",
        "Se désinscrire",
        "Transférer à un ami",
    ] {
        assert!(!text.contains(email_only), "{email_only}");
    }
    assert!(html.ids.contains(&"inscription".to_owned()));
}

#[test]
fn signup_values_are_checked_like_every_value() {
    let site = Site::sample();
    site.edit(
        "feed.toml",
        "[newsletter.signup]\naction = \"https://lists.journaldugeek.com/subscribe\"\nemail_field = \"email\"\nfields = { list = \"matinale\" }\nmailto = \"matinale-join@lists.journaldugeek.com\"\n",
        "[newsletter.signup]\naction = \"javascript:alert(1)\"\nemail_field = \"e mail\"\nfields = { \"\" = \"x\", email = \"y\" }\nmailto = \"matinale-join\"\n",
    );
    let run = site.run_now(&["check"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let line = |key: &str| {
        site.read("feed.toml")
            .lines()
            .position(|l| l.starts_with(key))
            .unwrap()
            + 1
    };
    let (action, email_field, fields, mailto) = (
        line("action ="),
        line("email_field ="),
        line("fields ="),
        line("mailto ="),
    );
    assert_eq!(
        run.stderr,
        format!(
            "error: in the configuration feed.toml\n  caused by: 4 problems found:\n\
             feed.toml:{action}: newsletter.signup.action: `javascript:alert(1)` is not an absolute http(s) URL; expected e.g. \"https://www.example.com/\"\n\
             feed.toml:{email_field}: newsletter.signup.email_field: `e mail` is not a form field name: expected one or more letters, digits, `_`, `-`, `[`, `]` or `.`, e.g. \"email\" or \"EMAIL\"\n\
             feed.toml:{fields}: newsletter.signup.fields: `` is not a form field name: expected one or more letters, digits, `_`, `-`, `[`, `]` or `.`, e.g. \"list\"\n\
             feed.toml:{mailto}: newsletter.signup.mailto: `matinale-join` is not an address (Missing domain or user); expected a list's join address, e.g. \"matinale-join@lists.example.com\"\n"
        )
    );
    // A hidden field named as the e-mail field, a value with a line break,
    // an unknown key, each at its line.
    site.edit(
        "feed.toml",
        "action = \"javascript:alert(1)\"\nemail_field = \"e mail\"\nfields = { \"\" = \"x\", email = \"y\" }\nmailto = \"matinale-join\"\n",
        "action = \"https://lists.journaldugeek.com/subscribe\"\n\n[newsletter.signup.fields]\nemail = \"y\"\nlist = \"a\\nb\"\n",
    );
    let run = site.run_now(&["check"]);
    let (email, list) = (line("email ="), line("list ="));
    assert_eq!(
        run.stderr,
        format!(
            "error: in the configuration feed.toml\n  caused by: 2 problems found:\n\
             feed.toml:{email}: newsletter.signup.fields: `email` is already the e-mail field (email_field): a hidden field of the same name would send the platform two values\n\
             feed.toml:{list}: newsletter.signup.fields: the value of `list` must be plain text, without control characters such as line breaks\n"
        )
    );
    site.edit(
        "feed.toml",
        "action = \"https://lists.journaldugeek.com/subscribe\"",
        "acton = \"https://lists.journaldugeek.com/subscribe\"",
    );
    let run = site.run_now(&["check"]);
    assert_eq!(
        run.stderr,
        format!(
            "error: in the configuration feed.toml\n  caused by: 1 problem found:\nfeed.toml:{action}: newsletter.signup.acton: unknown field `acton`, expected one of `action`, `email_field`, `fields`, `mailto`\n",
            action = line("acton =")
        )
    );
}
