//! The incremental cache: a build copies the entries of unchanged articles
//! from the last build's feeds, and its outputs are byte for byte those of
//! a cold build of the same input, whatever state the cache is in.

use crate::harness::{Site, SAMPLE_NOW};
use std::collections::BTreeMap;
use std::path::Path;

const INDEX: &str = ".matinale/cache/feed-entries.bin";

/// Every file under `public/`, by path.
fn outputs(site: &Site) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, root, out);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&site.path("public"), &site.path(""), &mut out);
    out
}

/// `feeds -v` on `site`; returns the cache's line and stderr.
fn build(site: &Site) -> (String, String) {
    let run = site.run(&["--now", SAMPLE_NOW, "-v", "feeds"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let line = run
        .stdout
        .lines()
        .find(|l| l.contains("copied from the last build's feeds"))
        .unwrap_or_else(|| panic!("no cache line in {}", run.stdout))
        .to_owned();
    (line, run.stderr)
}

/// The same site's files built from nothing.
fn cold(site: &Site) -> (BTreeMap<String, Vec<u8>>, String) {
    let fresh = Site::fixture("hostile");
    std::fs::copy(site.path("feed.toml"), fresh.path("feed.toml")).unwrap();
    std::fs::copy(site.path("articles.jsonl"), fresh.path("articles.jsonl")).unwrap();
    let (line, stderr) = build(&fresh);
    assert!(line.starts_with("0 of "), "{line}");
    (outputs(&fresh), stderr)
}

fn assert_same(site: &Site, stderr: &str) {
    let (files, cold_stderr) = cold(site);
    let warm = outputs(site);
    assert_eq!(
        warm.keys().collect::<Vec<_>>(),
        files.keys().collect::<Vec<_>>()
    );
    for (path, bytes) in &files {
        assert!(warm[path] == *bytes, "{path} differs from a cold build");
    }
    assert_eq!(stderr, cold_stderr);
}

#[test]
fn a_second_build_copies_every_entry_and_writes_the_same_bytes() {
    let site = Site::fixture("hostile");
    let (line, first_stderr) = build(&site);
    assert_eq!(
        line,
        "0 of 13 articles copied from the last build's feeds, 13 rendered"
    );
    // Cleaning warnings (the control characters of article 1) are told
    // again when its entries are copied.
    assert!(
        first_stderr.contains("articles.jsonl:1: content:"),
        "{first_stderr}"
    );
    let before = outputs(&site);
    let (line, stderr) = build(&site);
    assert_eq!(
        line,
        "13 of 13 articles copied from the last build's feeds, 0 rendered"
    );
    assert_eq!(stderr, first_stderr);
    assert!(outputs(&site) == before);
    assert_same(&site, &stderr);
}

#[test]
fn edited_added_and_removed_articles_are_rendered_and_the_rest_copied() {
    let site = Site::fixture("hostile");
    build(&site);
    let text = site.read("articles.jsonl");
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    // An edited title, a removed article, a new one at the top.
    lines[2] = lines[2].replace("Script", "Scénario");
    lines.remove(4);
    lines.push(
        r#"{"title": "Nouveau", "url": "https://fil.example/new/", "published": "2026-11-25T06:00:00+01:00", "content_html": "<p>Tout <b>neuf</b>.</p>"}"#
            .to_owned(),
    );
    site.write("articles.jsonl", &(lines.join("\n") + "\n"));
    let (line, stderr) = build(&site);
    assert_eq!(
        line,
        "11 of 13 articles copied from the last build's feeds, 2 rendered"
    );
    assert!(site.read("public/feed.xml").contains("Scénario"));
    assert!(site.read("public/feed.json").contains("Tout <b>neuf</b>."));
    assert_same(&site, &stderr);
}

#[test]
fn a_damaged_stale_or_foreign_cache_is_a_cold_build() {
    let site = Site::fixture("hostile");
    build(&site);
    let index = std::fs::read(site.path(INDEX)).unwrap();
    let other = Site::fixture("hostile");
    let toml = other
        .read("feed.toml")
        .replace("tous les matins", "chaque matin");
    other.write("feed.toml", &toml);
    build(&other);
    let foreign = std::fs::read(other.path(INDEX)).unwrap();

    let mut flipped = index.clone();
    let middle = flipped.len() / 2;
    flipped[middle] ^= 1;
    let damages: Vec<(&str, Vec<u8>)> = vec![
        ("cut short", index[..index.len() / 2].to_vec()),
        ("one bit flipped", flipped),
        ("empty", Vec::new()),
        (
            "not an index",
            b"matinale feed entries\n{\"json\": true}".to_vec(),
        ),
        ("another site's", foreign),
    ];
    for (what, bytes) in damages {
        std::fs::write(site.path(INDEX), &bytes).unwrap();
        let (line, stderr) = build(&site);
        assert!(line.starts_with("0 of 13"), "{what}: {line}");
        assert_same(&site, &stderr);
    }

    // A feed the index points into, changed by someone else: its entries
    // are not trusted, whatever their offsets still say.
    build(&site);
    let rss = site
        .read("public/feed.xml")
        .replace("Sans résumé", "Sans résumé!");
    site.write("public/feed.xml", &rss);
    let (line, stderr) = build(&site);
    assert!(line.starts_with("0 of 13"), "{line}");
    assert_same(&site, &stderr);

    // One changed in place, same size, its modification time put back:
    // its inode, size and time are those recorded, but not its bytes.
    build(&site);
    let atom = site.path("public/atom.xml");
    let stamp = site.path("stamp");
    std::fs::copy(&atom, &stamp).unwrap();
    let status = std::process::Command::new("touch")
        .arg("-r")
        .arg(&atom)
        .arg(&stamp)
        .status()
        .unwrap();
    assert!(status.success());
    let text = site
        .read("public/atom.xml")
        .replace("Sans résumé", "Sans RÉSUMÉ");
    assert_eq!(text.len(), site.read("public/atom.xml").len());
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().write(true).open(&atom).unwrap();
        f.write_all(text.as_bytes()).unwrap();
    }
    let status = std::process::Command::new("touch")
        .arg("-r")
        .arg(&stamp)
        .arg(&atom)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::remove_file(&stamp).unwrap();
    let (_, stderr) = build(&site);
    assert!(site.read("public/atom.xml").contains("Sans résumé"));
    assert_same(&site, &stderr);

    // And one removed.
    build(&site);
    std::fs::remove_file(site.path("public/atom.xml")).unwrap();
    let (line, stderr) = build(&site);
    assert!(line.starts_with("0 of 13"), "{line}");
    assert_same(&site, &stderr);
}

#[test]
fn a_settings_change_renders_everything_again() {
    let site = Site::fixture("hostile");
    build(&site);
    let toml = site.read("feed.toml").replace(
        "Notre newsletter, tous les matins.",
        "La newsletter du matin.",
    );
    site.write("feed.toml", &toml);
    let (line, stderr) = build(&site);
    assert!(line.starts_with("0 of 13"), "{line}");
    assert!(site
        .read("public/atom.xml")
        .contains("La newsletter du matin."));
    assert!(!site.read("public/atom.xml").contains("tous les matins"));
    assert_same(&site, &stderr);
}
