//! A Markdown article (TOML front matter between `+++` lines or YAML
//! between `---` lines, then the body).
#![no_main]
mod common;

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static SITE: OnceLock<(matinale::Config, std::path::PathBuf)> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let (config, root) = SITE.get_or_init(|| common::site("markdown", "content"));
    common::check(config, data, &root.join("content/article.md"));
});
