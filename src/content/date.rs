//! Reading article dates.
//!
//! RFC 3339 with an offset is taken as is. A date-time without offset is a
//! wall-clock time in the site's time zone: one that does not exist there
//! (the hour skipped in spring) is an error, an ambiguous one (the hour
//! repeated in autumn) is the earlier instant, the first time the clock showed it.
//!
//! Every date is kept within [`YEARS`], in UTC and in the site's time zone
//! alike: RSS writes RFC 822 dates (RFC 5322 starts at 1900) and Atom
//! RFC 3339 dates with four-digit years, so a date outside cannot be
//! written by every output and is refused where it is read.

use chrono::{
    DateTime, Datelike, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc,
};
use chrono_tz::Tz;
use std::ops::RangeInclusive;

/// The years a date may fall in.
pub const YEARS: RangeInclusive<i32> = 1900..=9999;

/// `d` if every output can write it, in UTC and in `tz`; else what is
/// expected (the caller names the value).
pub fn in_range(d: DateTime<Utc>, tz: Tz) -> Result<DateTime<Utc>, String> {
    let local = d.with_timezone(&tz).year();
    if YEARS.contains(&d.year()) && YEARS.contains(&local) {
        Ok(d)
    } else {
        Err(format!(
            "outside the years {} to {} that RSS and Atom dates can hold",
            YEARS.start(),
            YEARS.end()
        ))
    }
}

/// `d` in `tz` as RFC 822 and RFC 3339 can write it. Their offsets are in
/// whole minutes, and chrono drops the seconds of one that has them (local
/// mean time, before zones were standardised: Paris was +00:09:21 until
/// 1911), which would move the instant: such a date is written in UTC.
pub fn writable(d: DateTime<Utc>, tz: Tz) -> DateTime<FixedOffset> {
    let local = d.with_timezone(&tz).fixed_offset();
    if local.offset().local_minus_utc() % 60 == 0 {
        local
    } else {
        d.fixed_offset()
    }
}

/// `d` if it lies within [`YEARS`].
pub fn day_in_range(d: NaiveDate) -> Result<NaiveDate, String> {
    if YEARS.contains(&d.year()) {
        Ok(d)
    } else {
        Err(format!(
            "outside the years {} to {}",
            YEARS.start(),
            YEARS.end()
        ))
    }
}

/// Date-times with an offset that static-site generators write besides
/// RFC 3339: Jekyll's `2026-11-24 09:30:00 +0100`, and an offset without
/// its colon.
const OFFSET_FORMATS: [&str; 4] = [
    "%Y-%m-%d %H:%M:%S%.f %z",
    "%Y-%m-%d %H:%M %z",
    "%Y-%m-%dT%H:%M:%S%.f%z",
    "%Y-%m-%d %H:%M:%S%.f%z",
];

const NAIVE_FORMATS: [&str; 4] = [
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
];

/// Parses an article date; the error says what was expected.
pub fn parse(s: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    parse_any(s, tz).and_then(|d| in_range(d, tz).map_err(|e| format!("`{s}` is {e}")))
}

fn parse_any(s: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Ok(d.with_timezone(&Utc));
    }
    if let Some(d) = OFFSET_FORMATS
        .iter()
        .find_map(|f| DateTime::parse_from_str(s, f).ok())
    {
        return Ok(d.with_timezone(&Utc));
    }
    let naive = NAIVE_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| {
            NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
        })
        .ok_or_else(|| {
            format!("`{s}` is not a date; expected RFC 3339 such as \"2026-11-26T07:00:00+01:00\"")
        })?;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(d) => Ok(d.with_timezone(&Utc)),
        LocalResult::Ambiguous(a, b) => Ok(a.min(b).with_timezone(&Utc)),
        LocalResult::None => Err(format!(
            "`{s}` does not exist in {tz} (clocks go forward at that time); give an offset, e.g. \"{}+01:00\"",
            naive.format("%Y-%m-%dT%H:%M:%S")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::Europe::Paris;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn naive_dates_follow_daylight_saving() {
        assert_eq!(
            parse("2026-11-26T07:00:00", Paris).unwrap(),
            utc("2026-11-26T06:00:00Z")
        );
        assert_eq!(
            parse("2026-07-01 07:00", Paris).unwrap(),
            utc("2026-07-01T05:00:00Z")
        );
        // 2026-10-25 02:30 happens twice in Paris: the earlier is CEST (+02:00).
        assert_eq!(
            parse("2026-10-25T02:30:00", Paris).unwrap(),
            utc("2026-10-25T00:30:00Z")
        );
        // 2026-03-29 02:30 never happens in Paris.
        let e = parse("2026-03-29T02:30:00", Paris).unwrap_err();
        assert!(e.contains("does not exist in Europe/Paris"), "{e}");
    }

    #[test]
    fn the_forms_of_static_site_generators_are_read() {
        for (s, utc_s) in [
            ("2026-11-24 09:30:00 +0100", "2026-11-24T08:30:00Z"),
            ("2026-11-24 09:30:00 +01:00", "2026-11-24T08:30:00Z"),
            ("2026-11-24 09:30 -0500", "2026-11-24T14:30:00Z"),
            ("2026-11-24T09:30:00+0100", "2026-11-24T08:30:00Z"),
            ("2026-11-24 09:30:00.5 +0000", "2026-11-24T09:30:00.5Z"),
            ("2026-11-24", "2026-11-23T23:00:00Z"),
        ] {
            assert_eq!(parse(s, Paris).unwrap(), utc(utc_s), "{s}");
        }
    }

    #[test]
    fn offsets_win_and_garbage_is_explained() {
        assert_eq!(
            parse("2026-11-26T07:00:00-05:00", Paris).unwrap(),
            utc("2026-11-26T12:00:00Z")
        );
        assert!(parse("hier", Paris)
            .unwrap_err()
            .contains("expected RFC 3339"));
    }

    #[test]
    fn dates_outside_the_years_feeds_can_hold_are_refused() {
        let out = |s: &str| parse(s, Paris).unwrap_err();
        assert_eq!(
            out("0000-01-01T00:00:00Z"),
            "`0000-01-01T00:00:00Z` is outside the years 1900 to 9999 that RSS and Atom dates can hold"
        );
        assert!(out("1899-12-31T23:59:59Z").contains("outside the years"));
        assert!(out("1899-12-31").contains("outside the years"));
        // In UTC, past the year 9999.
        assert!(out("9999-12-31T23:00:00-05:00").contains("outside the years"));
        // In Paris, past the year 9999.
        assert!(out("9999-12-31T23:30:00Z").contains("outside the years"));
        assert_eq!(
            parse("1900-01-01T00:00:00Z", Paris).unwrap(),
            utc("1900-01-01T00:00:00Z")
        );
        assert_eq!(
            parse("9999-12-31T22:00:00Z", Paris).unwrap(),
            utc("9999-12-31T22:00:00Z")
        );
    }
}
