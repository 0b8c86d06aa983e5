//! Large feeds are rendered in parts and spliced: the bytes must be those
//! of a single render, for every format and every part size.

use matinale::config::OnInvalid;
use matinale::content::load;
use matinale::feed::select::FeedSelection;
use matinale::feed::{FeedSet, Format};
use matinale::Config;

#[test]
fn a_feed_written_in_parts_is_byte_identical_to_one_render() {
    let site = crate::harness::Site::fixture("hostile");
    let config = Config::load(&site.path("feed.toml")).unwrap();
    let config = Config {
        content: matinale::config::Content {
            path: site.path("articles.jsonl"),
            ..config.content.clone()
        },
        ..config
    };
    let now = chrono::DateTime::parse_from_rfc3339(crate::harness::SAMPLE_NOW)
        .unwrap()
        .to_utc();
    let mut selection = FeedSelection::new(config.feeds.max_items, config.feeds.per_category);
    let report = load(&config, now, None, &mut selection).unwrap();
    assert!(report.problems.is_empty());
    let none = matinale::cache::Previous::none();
    let set = FeedSet::build(&config, selection, OnInvalid::Fail, &none).unwrap();
    let feed = &set.feeds[0];
    assert_eq!(feed.entries.len(), 13);
    for format in Format::ALL {
        let whole = format.render(feed, &feed.entries).unwrap();
        for part in [1, 2, 3, 5, 12, 13, 100] {
            let (spliced, entries) = format.write(feed, Vec::new(), part, &none).unwrap();
            assert_eq!(
                String::from_utf8(spliced.clone()).unwrap(),
                String::from_utf8(whole.clone()).unwrap(),
                "{format:?} in parts of {part}"
            );
            // Where each entry was written, as the cache will reuse it:
            // one after the other (a comma apart in JSON), each a whole
            // entry rendered alone.
            assert_eq!(entries.len(), 13);
            let gap = usize::from(format == Format::Json);
            for (i, (item, e)) in feed.entries.iter().zip(&entries).enumerate() {
                let (at, len) = (e.offset as usize, e.len as usize);
                if let Some(next) = entries.get(i + 1) {
                    assert_eq!(at + len + gap, next.offset as usize);
                }
                assert_eq!(e.sum, matinale::cache::checksum(&spliced[at..at + len]));
                let alone =
                    String::from_utf8(format.render(feed, std::slice::from_ref(item)).unwrap())
                        .unwrap();
                let entry = std::str::from_utf8(&spliced[at..at + len]).unwrap();
                assert!(alone.contains(entry), "{format:?} entry {i}: {entry}");
                assert!(entry.starts_with('\n'), "{format:?} entry {i}: {entry}");
            }
        }
    }
}
