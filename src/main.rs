//! The `matinale` binary: parse arguments, run, report errors, and own the
//! process's panic hook. Everything else lives in the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    quiet_guarded_panics();
    let args = matinale::cli::Args::parse();
    match matinale::cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", matinale::cli::error_chain(&err));
            ExitCode::from(matinale::cli::exit_code(&err))
        }
    }
}

/// Sets the panic hook, once: silent for a panic that the library catches
/// and reports as an error (a hostile feed that makes the XML parser give
/// up), the default one for any other, which is a bug.
fn quiet_guarded_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !matinale::content::foreign::quiet_panic() {
            default(info);
        }
    }));
}

// html5ever (under ammonia) and the feed crates allocate many small
// strings from several threads: mimalloc builds the 100,000-article archive
// in 11 s where glibc's allocator takes 17 s. Its v2 line keeps the daily
// build over the same export at 57 MB, where v3 holds 95 MB
// (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
