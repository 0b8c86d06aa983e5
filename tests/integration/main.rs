//! Integration tests: each copies a fixture site into a temporary folder,
//! runs the real `matinale` binary there, and checks its whole output.
//! One test binary (see `autotests = false` in Cargo.toml), one module per
//! feature.

mod harness;

mod atomic;
mod cache;
mod cli;
mod daily;
mod deliver;
mod edition;
mod errors;
mod extremes;
mod feed_source;
mod generators;
mod hardening;
mod hostile;
mod init;
mod newsletter;
mod pages;
mod parts;
mod sample;
mod send_test;
mod send_tls;
mod serve;
mod signup;
mod sitemaps;
mod websub;
