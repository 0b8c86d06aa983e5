//! A JSON Lines export (one article per line). Each line is also read by
//! the scanner that runs before serde: what it reads, serde must read the
//! same.
#![no_main]
mod common;

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static SITE: OnceLock<(matinale::Config, std::path::PathBuf)> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let (config, root) = SITE.get_or_init(|| common::site("jsonl", "articles.jsonl"));
    for line in data.split_inclusive(|&b| b == b'\n') {
        if let Ok(line) = std::str::from_utf8(line) {
            if let Err(e) = matinale::content::jsonl::scan::keeps_its_promise(line) {
                panic!("{line:?}: {e}");
            }
        }
    }
    common::check(config, data, &root.join("articles.jsonl"));
});
