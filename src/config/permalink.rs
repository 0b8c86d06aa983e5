//! `[content] permalink`: the URL pattern of a Markdown article that gives
//! no `url` of its own, as static-site generators make theirs
//! (`"/{year}/{month}/{day}/{slug}/"`).
//!
//! Parsed once with the configuration, so that a typo in a placeholder is
//! a configuration problem with its line, not one problem per article.
//! Pure: the Markdown loader supplies the values.

use chrono::{Datelike, NaiveDate};

/// The placeholders a pattern may hold.
const PLACEHOLDERS: [(&str, Part); 5] = [
    ("{year}", Part::Year),
    ("{month}", Part::Month),
    ("{day}", Part::Day),
    ("{slug}", Part::Slug),
    ("{section}", Part::Section),
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Year,
    Month,
    Day,
    Slug,
    Section,
}

/// A checked permalink pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permalink {
    parts: Vec<Part>,
}

/// What one article puts in a pattern's placeholders.
#[derive(Debug, Clone, Copy)]
pub struct Values<'a> {
    /// The publication day, in the site's time zone.
    pub date: NaiveDate,
    pub slug: &'a str,
    /// The first folder under the content folder; empty for an article at
    /// its top.
    pub section: &'a str,
}

impl Permalink {
    /// Reads a pattern; the error says what is wrong with it.
    pub fn parse(s: &str) -> Result<Permalink, String> {
        let example = "e.g. \"/{year}/{month}/{day}/{slug}/\"";
        if !s.starts_with('/') {
            return Err(format!(
                "`{s}` must be a path from the site's root, starting with `/`; {example}"
            ));
        }
        if s.contains(['?', '#', '\\', '%']) || s.chars().any(char::is_control) {
            return Err(format!(
                "`{s}` must be a plain path: no `?`, `#`, `%`, backslash or control character; {example}"
            ));
        }
        if s.split('/').any(|seg| seg == "." || seg == "..") {
            return Err(format!(
                "`{s}` must not hold `.` or `..` segments; {example}"
            ));
        }
        let mut parts = Vec::new();
        let mut rest = s;
        while let Some(open) = rest.find(['{', '}']) {
            if rest[open..].starts_with('}') {
                return Err(format!("`{s}` has a `}}` that closes nothing; {example}"));
            }
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let Some((name, part)) = PLACEHOLDERS
                .iter()
                .find(|(name, _)| rest[open..].starts_with(name))
            else {
                let found = rest[open..].split_inclusive('}').next().unwrap_or("");
                return Err(format!(
                    "`{s}`: unknown placeholder `{found}`; the placeholders are {}",
                    PLACEHOLDERS.map(|(n, _)| format!("`{n}`")).join(", ")
                ));
            };
            parts.push(part.clone());
            rest = &rest[open + name.len()..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        if !parts.contains(&Part::Slug) {
            return Err(format!(
                "`{s}` has no `{{slug}}`: every article needs a URL of its own; {example}"
            ));
        }
        Ok(Permalink { parts })
    }

    /// The article's path under the site's URL, without its leading `/`
    /// and with empty segments (an article with no section) left out.
    /// Characters that would end a path (`?`, `#`) or climb out of it are
    /// percent-encoded in the values.
    pub fn path(&self, values: &Values<'_>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Year => out.push_str(&format!("{:04}", values.date.year())),
                Part::Month => out.push_str(&format!("{:02}", values.date.month())),
                Part::Day => out.push_str(&format!("{:02}", values.date.day())),
                Part::Slug => out.push_str(&segment(values.slug)),
                Part::Section => out.push_str(&segment(values.section)),
            }
        }
        let trailing = out.ends_with('/');
        let mut path = out
            .split('/')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("/");
        if trailing && !path.is_empty() {
            path.push('/');
        }
        path
    }
}

/// `s` as one path segment: what a URL would read as the end of the path
/// or a separator is encoded, and a segment of dots stays a name.
fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '%' => out.push_str("%25"),
            '?' => out.push_str("%3F"),
            '#' => out.push_str("%23"),
            '/' => out.push_str("%2F"),
            '\\' => out.push_str("%5C"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    if out.chars().all(|c| c == '.') && !out.is_empty() {
        out = out.replace('.', "%2E");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<'a>(slug: &'a str, section: &'a str) -> Values<'a> {
        Values {
            date: NaiveDate::from_ymd_opt(2026, 3, 9).unwrap(),
            slug,
            section,
        }
    }

    #[test]
    fn placeholders_are_filled_and_empty_segments_dropped() {
        let p = Permalink::parse("/{year}/{month}/{day}/{slug}/").unwrap();
        assert_eq!(p.path(&values("velo", "")), "2026/03/09/velo/");
        let p = Permalink::parse("/{section}/{slug}.html").unwrap();
        assert_eq!(p.path(&values("velo", "posts")), "posts/velo.html");
        assert_eq!(p.path(&values("velo", "")), "velo.html");
        assert_eq!(
            p.path(&values("a?b#c/d", "..")),
            "%2E%2E/a%3Fb%23c%2Fd.html"
        );
    }

    #[test]
    fn bad_patterns_say_why() {
        let err = |s: &str| Permalink::parse(s).unwrap_err();
        assert!(err("{slug}/").contains("starting with `/`"));
        assert!(err("/{title}/{slug}/").contains("unknown placeholder `{title}`"));
        assert!(err("/{year}/").contains("has no `{slug}`"));
        assert!(err("/{slug}?x=1").contains("plain path"));
        assert!(err("/../{slug}").contains("`..`"));
        assert!(err("/}{slug}").contains("closes nothing"));
    }
}
