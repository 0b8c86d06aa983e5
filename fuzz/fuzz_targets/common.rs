//! What every content fuzz target checks: the input, written as the site's
//! source, either gives a clean error (a `Problem` list or a read error) or
//! feeds in all three formats that an independent parser (feed-rs, and
//! serde_json for JSON Feed) reads back with one entry per article.

use matinale::content::{self, Input};
use matinale::feed::select::FeedSelection;
use matinale::feed::{FeedSet, Format};
use matinale::Config;
use std::path::{Path, PathBuf};

/// A site in a folder of its own (in RAM when /dev/shm exists), with
/// `source` read from `file`.
pub fn site(source: &str, file: &str) -> (Config, PathBuf) {
    let root = Path::new(if Path::new("/dev/shm").is_dir() {
        "/dev/shm"
    } else {
        "/tmp"
    })
    .join(format!("matinale-fuzz-{}-{}", std::process::id(), source));
    std::fs::create_dir_all(&root).unwrap();
    let toml = format!(
        "[site]\ntitle = \"Fuzz\"\nurl = \"https://fuzz.example/\"\ntimezone = \"Europe/Paris\"\n\n\
         [content]\nsource = \"{source}\"\npath = \"{file}\"\non_invalid = \"skip\"\n\n\
         [feeds]\nmax_items = 0\n\n[[cta]]\nid = \"n\"\ntext = \"Lettre\"\nurl = \"https://fuzz.example/n/\"\n"
    );
    let config = Config::parse(&toml, &root.join("feed.toml")).unwrap();
    (config, root)
}

pub fn check(config: &Config, input: &[u8], write_to: &Path) {
    if let Some(dir) = write_to.parent() {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::fs::write(write_to, input).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339("2026-11-26T07:30:00+01:00")
        .unwrap()
        .to_utc();
    let Ok(source) = Input::open(config) else {
        return;
    };
    let mut selection = FeedSelection::new(None, true);
    let Ok(report) = content::load(config, now, source.as_ref(), &mut selection) else {
        return;
    };
    // `skip`: two categories with one slug leave the later one out.
    let none = matinale::cache::Previous::none();
    let Ok(set) = FeedSet::build(config, selection, config.content.on_invalid, &none) else {
        return;
    };
    assert!(set.feeds[0].entries.len() <= report.published);
    for feed in &set.feeds {
        for format in Format::ALL {
            let bytes = format.render(feed, &feed.entries).expect("a feed renders");
            // Written in parts and entries (how the cache cuts them), the
            // bytes are those of one render.
            let (written, entries) = format
                .write(feed, Vec::new(), 2, &none)
                .expect("a feed writes");
            assert_eq!(written, bytes, "{format:?} written in parts");
            assert_eq!(entries.len(), feed.entries.len());
            let parsed = feed_rs::parser::parse(bytes.as_slice())
                .unwrap_or_else(|e| panic!("{format:?} of {} does not parse: {e}", feed.dir));
            assert_eq!(parsed.entries.len(), feed.entries.len(), "{format:?}");
            if format == Format::Json {
                let v: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
                assert_eq!(
                    v["items"].as_array().map(Vec::len),
                    Some(feed.entries.len())
                );
            }
            for entry in &parsed.entries {
                assert!(!entry.links.is_empty(), "an entry without a link");
            }
        }
    }
}
