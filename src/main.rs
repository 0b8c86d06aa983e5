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
// strings from two threads; mimalloc cut the archive build's time by a
// measured third against glibc's allocator (docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
