//! The only place that reads the system clock.
//!
//! Everything else receives "now" as a value, so that `--now` makes a run
//! reproducible and tests never depend on the day they run.
//! `clippy.toml` forbids reading the clock anywhere else.

use chrono::{DateTime, Utc};

/// Reads the wall clock once. Called by the CLI when `--now` is not given.
#[allow(clippy::disallowed_methods)]
pub fn system_now() -> DateTime<Utc> {
    Utc::now()
}
