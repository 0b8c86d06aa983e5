//! feed.toml: any text is a valid configuration or a list of problems,
//! each naming a line that exists.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(problems) = matinale::Config::parse(text, std::path::Path::new("feed.toml")) {
        let lines = text.lines().count().max(1);
        for p in &problems.0 {
            assert!(p.line.is_none_or(|l| l >= 1 && l <= lines + 1), "{p}");
        }
    }
});
