//! The ids a load has read so far, each with where it was read, so that a
//! duplicate is reported naming the earlier line.
//!
//! A daily build over an export of 100,000 articles keeps every id for the
//! length of the load. One allocation per id (a `String` key) cost as much
//! again to free at the end, on the thread the build waits for; here the
//! ids are copied into chunks that never move, and the table holds only
//! indices into them.

use super::Origin;
use hashbrown::HashTable;
use std::hash::BuildHasher;
use std::path::Path;
use std::sync::Arc;

/// Bytes of ids per chunk; a longer id takes a chunk of its own.
const CHUNK: usize = 1 << 16;

#[derive(Default)]
pub struct Seen {
    /// Keyed per process: ids come from the export, and a table whose
    /// collisions an author could choose would make a load quadratic.
    hasher: std::collections::hash_map::RandomState,
    /// Indices into `entries`, by the hash of their id.
    table: HashTable<u32>,
    entries: Vec<Entry>,
    /// The ids' bytes. A chunk is never grown past its capacity, so the
    /// bytes already in it never move.
    chunks: Vec<String>,
    /// The files ids were read from; an entry names one by index.
    paths: Vec<Arc<Path>>,
}

struct Entry {
    /// Kept: growing the table rehashes every entry, and SipHash over
    /// every id again cost as much as the inserts.
    hash: u64,
    chunk: u32,
    start: u32,
    len: u32,
    path: u32,
    line: usize,
}

impl Seen {
    /// Records `id`, read at `origin`; when it was already read, returns
    /// where, and records nothing.
    pub fn insert(&mut self, id: &str, origin: &Origin) -> Result<(), Origin> {
        let hash = self.hasher.hash_one(id);
        let Seen {
            table,
            entries,
            chunks,
            paths,
            ..
        } = self;
        let text = |e: &Entry| {
            let start = e.start as usize;
            &chunks[e.chunk as usize][start..start + e.len as usize]
        };
        if let Some(&i) = table.find(hash, |&i| text(&entries[i as usize]) == id) {
            let e = &entries[i as usize];
            return Err(Origin {
                path: paths[e.path as usize].clone(),
                line: e.line,
            });
        }
        let path = match paths.last() {
            Some(last) if Arc::ptr_eq(last, &origin.path) || *last == origin.path => {
                paths.len() - 1
            }
            _ => {
                paths.push(origin.path.clone());
                paths.len() - 1
            }
        };
        let fits = chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= id.len());
        if !fits {
            chunks.push(String::with_capacity(CHUNK.max(id.len())));
        }
        let chunk = chunks.len() - 1;
        let bytes = &mut chunks[chunk];
        let start = bytes.len();
        bytes.push_str(id);
        let index = u32::try_from(entries.len()).expect("fewer than 4 billion articles");
        entries.push(Entry {
            hash,
            chunk: u32::try_from(chunk).expect("fewer than 4 billion chunks"),
            start: u32::try_from(start).expect("a chunk is under 4 GiB"),
            len: u32::try_from(id.len()).expect("an id is under 4 GiB"),
            path: u32::try_from(path).expect("fewer than 4 billion files"),
            line: origin.line,
        });
        let entries = &*entries;
        table.insert_unique(hash, index, |&i| entries[i as usize].hash);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn at(path: &str, line: usize) -> Origin {
        Origin {
            path: Arc::from(PathBuf::from(path)),
            line,
        }
    }

    #[test]
    fn a_second_id_names_the_first_and_is_not_recorded() {
        let mut seen = Seen::default();
        let a = at("a.jsonl", 1);
        assert_eq!(seen.insert("x", &a), Ok(()));
        assert_eq!(seen.insert("y", &at("a.jsonl", 2)), Ok(()));
        assert_eq!(seen.insert("x", &at("a.jsonl", 3)), Err(a.clone()));
        assert_eq!(seen.insert("x", &at("b.md", 9)), Err(a));
        assert_eq!(seen.insert("", &at("b.md", 10)), Ok(()));
        assert_eq!(seen.insert("", &at("b.md", 11)), Err(at("b.md", 10)));
        assert_eq!(seen.insert("y", &at("c.md", 1)), Err(at("a.jsonl", 2)));
    }

    /// Across chunks, with ids longer than a chunk, and as the table
    /// grows: every id is found again, at its own line and file.
    #[test]
    fn every_id_is_found_again_at_its_origin() {
        let mut seen = Seen::default();
        let id = |i: usize| match i % 3 {
            0 => format!("https://example.com/?p={i}"),
            1 => format!("{i}-{}", "x".repeat(CHUNK / 3)),
            _ => format!("{}{i}", "é".repeat(i % 50)),
        };
        let file = |i: usize| if i % 1000 < 500 { "a.jsonl" } else { "b.md" };
        for i in 0..3000 {
            assert_eq!(seen.insert(&id(i), &at(file(i), i)), Ok(()), "{i}");
        }
        assert!(seen.chunks.len() > 10);
        for i in 0..3000 {
            assert_eq!(
                seen.insert(&id(i), &at("c.md", 0)),
                Err(at(file(i), i)),
                "{i}"
            );
        }
        assert_eq!(seen.entries.len(), 3000);
    }
}
