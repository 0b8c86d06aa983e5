//! matinale packages a news site's articles for its subscribers: RSS 2.0,
//! Atom 1.0 and JSON Feed 1.1 feeds, the morning newsletter, the subscribe
//! page and the site's snippets, all carrying the site's calls to action.
//!
//! The crate is a library with a thin binary. Pure modules do no I/O:
//! [`config`] (the validated `feed.toml`), [`content`]'s model and cleaning,
//! [`feed`] (the format-neutral feed and its three writers), [`newsletter`]
//! (editions, ledger, email), [`pages`] (subscribe page, archive,
//! snippets), [`sitemap`] (the site's and Google News's sitemaps),
//! [`templates`]. The doors to the outside are the loaders in
//! [`content`], [`fetch`] (a remote source), [`output`] (atomic writes, run
//! lock), [`mail`] (SMTP, and the hand-off to the engine that sends an
//! edition on), [`websub`] (the hub), [`serve`] (the preview server) and
//! [`clock`]. [`build`] ties them into the commands, [`deliver`] gives
//! each edition, once, to that engine, and [`init`] writes a new site's
//! starter files.
//!
//! Beneath them all, depending on no other module of the crate: [`error`]
//! (the error type and the problem report), [`text`] (plain text, escaping,
//! the line of an offset) and [`stable_hash`].

pub mod build;
pub mod cache;
pub mod cli;
pub mod clock;
pub mod config;
pub mod content;
pub mod deliver;
pub mod error;
pub mod feed;
pub mod fetch;
pub mod init;
pub mod layout;
pub mod mail;
pub mod newsletter;
pub mod output;
pub mod pages;
pub mod serve;
pub mod sitemap;
pub mod stable_hash;
pub mod templates;
pub mod text;
pub mod websub;

pub use config::Config;
pub use error::{Error, Problem, Problems};
