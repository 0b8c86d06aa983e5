//! Reading article dates.
//!
//! RFC 3339 with an offset is taken as is. A date-time without offset is a
//! wall-clock time in the site's time zone: one that does not exist there
//! (the hour skipped in spring) is an error, an ambiguous one (the hour
//! repeated in autumn) is the earlier instant: the first time the clock
//! showed it.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

const NAIVE_FORMATS: [&str; 4] = [
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M",
];

/// Parses an article date; the error says what was expected.
pub fn parse(s: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
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
    fn offsets_win_and_garbage_is_explained() {
        assert_eq!(
            parse("2026-11-26T07:00:00-05:00", Paris).unwrap(),
            utc("2026-11-26T12:00:00Z")
        );
        assert!(parse("hier", Paris)
            .unwrap_err()
            .contains("expected RFC 3339"));
    }
}
