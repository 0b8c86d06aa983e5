//! A foreign feed as the source (RSS, Atom, JSON Feed).
#![no_main]
mod common;

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static SITE: OnceLock<(matinale::Config, std::path::PathBuf)> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let (config, root) = SITE.get_or_init(|| common::site("feed", "feed.xml"));
    // The memory of earlier fetches is not this run's business.
    let _ = std::fs::remove_file(config.layout.seen());
    common::check(config, data, &root.join("feed.xml"));
});
