//! The `matinale` binary: parse arguments, run, report errors. Everything
//! else lives in the library.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = matinale::cli::Args::parse();
    match matinale::cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {}", matinale::cli::error_chain(&err));
            ExitCode::from(matinale::cli::exit_code(&err))
        }
    }
}

// html5ever (under ammonia) and the feed crates allocate many small
// strings from several threads: mimalloc builds the 100,000-article archive
// in 11 s where glibc's allocator takes 17 s. Its v2 line keeps the daily
// build over the same export at 57 MB, where v3 holds 95 MB
// (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
