//! A foreign feed as the source (RSS, Atom, JSON Feed).
#![no_main]
mod common;

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// libFuzzer's panic hook aborts on every panic, even one that matinale
/// catches and reports as a clean error (an XML parser giving up on a
/// hostile document): as the binary does, such a panic is let through
/// quietly, and any other still reaches libFuzzer's hook.
fn quiet_guarded_panics() {
    let libfuzzer = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !matinale::content::foreign::quiet_panic() {
            libfuzzer(info);
        }
    }));
}

static SITE: OnceLock<(matinale::Config, std::path::PathBuf)> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let (config, root) = SITE.get_or_init(|| {
        quiet_guarded_panics();
        common::site("feed", "feed.xml")
    });
    // The memory of earlier fetches is not this run's business.
    let _ = std::fs::remove_file(config.layout.seen());
    common::check(config, data, &root.join("feed.xml"));
});
