//! A JSON Lines export (one article per line).
#![no_main]
mod common;

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static SITE: OnceLock<(matinale::Config, std::path::PathBuf)> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let (config, root) = SITE.get_or_init(|| common::site("jsonl", "articles.jsonl"));
    common::check(config, data, &root.join("articles.jsonl"));
});
