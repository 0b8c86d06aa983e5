//! Text as every input and output needs it: plain-text cleaning, the
//! characters XML 1.0 allows, HTML escaping, character references, and
//! the line of a byte offset in a source (for messages).
//!
//! Titles, summaries and names are plain text: characters that XML 1.0
//! forbids are dropped (neither `rss` nor `atom_syndication` does it, and one
//! such character makes the whole feed unreadable), and runs of whitespace,
//! CR/LF included, become one space. No-break spaces are kept: French
//! typography puts them before `:` `?` `!` and inside « ».
//!
//! Nothing here knows about the config or the article model: both use it.

use std::borrow::Cow;

/// Whether XML 1.0 allows this character in a document.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn is_collapsible_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | '\r' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Plain text cleaned for any output: XML-illegal characters dropped,
/// whitespace runs collapsed to one space, ends trimmed.
pub fn plain(s: &str) -> Cow<'_, str> {
    if !needs_cleaning(s) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.chars().filter(|&c| is_xml_char(c)) {
        if is_collapsible_space(c) {
            pending_space = !out.is_empty();
        } else {
            if pending_space {
                out.push(' ');
                pending_space = false;
            }
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Whether `s` holds a character XML 1.0 forbids: a byte scan, since
/// this runs over every body (a C0 control other than tab, CR, LF, or
/// U+FFFE / U+FFFF, encoded EF BF BE / EF BF BF).
pub fn has_xml_illegal(s: &str) -> bool {
    let b = s.as_bytes();
    // Blocks folded without an early exit, which the compiler vectorises:
    // a byte-at-a-time `any` was a visible part of a build.
    let illegal = |c: u8| (c < 0x20) & !matches!(c, b'\t' | b'\n' | b'\r');
    let mut ef = false;
    for block in b.chunks(64) {
        if block.iter().fold(false, |acc, &c| acc | illegal(c)) {
            return true;
        }
        ef |= block.iter().fold(false, |acc, &c| acc | (c == 0xEF));
    }
    ef && (s.contains('\u{FFFE}') || s.contains('\u{FFFF}'))
}

/// Whether [`plain`] leaves `s` as it is. Then `s` holds no character
/// XML 1.0 forbids either: [`plain`] would drop it.
pub fn is_plain(s: &str) -> bool {
    !needs_cleaning(s)
}

/// Whether [`plain`] would change `s`: one pass over the bytes, since
/// nearly every title and summary is already clean. Looks for C0 controls,
/// doubled or edge spaces, and the encodings of U+0085, U+2028, U+2029,
/// U+FFFE and U+FFFF.
fn needs_cleaning(s: &str) -> bool {
    let b = s.as_bytes();
    if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
        return true;
    }
    // Each byte with the two after it; `&` and `|` rather than `&&` and
    // `||` keep it free of branches, so that the blocks below vectorise
    // (titles and names are short, and each is looked at on every run).
    let suspect = |c: u8, d: u8, e: u8| {
        (c < 0x20)
            | ((c == b' ') & (d == b' '))
            | ((c == 0xC2) & (d == 0x85))
            | ((c == 0xE2) & (d == 0x80) & ((e == 0xA8) | (e == 0xA9)))
            | ((c == 0xEF) & (d == 0xBF) & ((e == 0xBE) | (e == 0xBF)))
    };
    let n = b.len();
    let body = n.saturating_sub(2);
    let mut from = 0;
    while from < body {
        let to = (from + 64).min(body);
        let hit = b[from..to]
            .iter()
            .zip(&b[from + 1..to + 1])
            .zip(&b[from + 2..to + 2])
            .fold(false, |acc, ((&c, &d), &e)| acc | suspect(c, d, e));
        if hit {
            return true;
        }
        from = to;
    }
    // The last two bytes, with nothing (a zero) after the end.
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    (body..n).any(|i| suspect(at(i), at(i + 1), at(i + 2)))
}

/// How many characters of `s` XML 1.0 forbids.
pub fn count_xml_illegal(s: &str) -> usize {
    if !has_xml_illegal(s) {
        return 0;
    }
    s.chars().filter(|&c| !is_xml_char(c)).count()
}

/// `s` without the characters XML 1.0 forbids (for HTML bodies, whose
/// whitespace is meaningful and kept).
pub fn strip_xml_illegal(s: &str) -> Cow<'_, str> {
    if !has_xml_illegal(s) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|&c| is_xml_char(c)).collect())
    }
}

/// Escapes text for HTML element content and double- or single-quoted
/// attribute values.
pub fn escape_html(s: &str) -> Cow<'_, str> {
    // Bytes, not chars: every character escaped is ASCII, and this runs
    // on the calls to action of every article.
    let special = |b: &u8| matches!(b, b'&' | b'<' | b'>' | b'"' | b'\'');
    let b = s.as_bytes();
    let Some(first) = b.iter().position(special) else {
        return Cow::Borrowed(s);
    };
    let mut out = String::with_capacity(s.len() + 16);
    let mut from = 0;
    for (i, c) in b.iter().enumerate().skip(first) {
        let escaped = match c {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#39;",
            _ => continue,
        };
        out.push_str(&s[from..i]);
        out.push_str(escaped);
        from = i + 1;
    }
    out.push_str(&s[from..]);
    Cow::Owned(out)
}

/// `s` with its character references decoded (`&amp;`, `&#8230;`,
/// `&#x2F;`…); an unknown or broken one is kept as written.
pub fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let end = rest[1..].find(';').map(|e| e + 1).filter(|&e| e <= 12);
        let decoded = end.and_then(|e| {
            let name = &rest[1..e];
            let c = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => '\u{a0}',
                "hellip" => '…',
                _ => {
                    let n = name.strip_prefix('#')?;
                    let code = match n.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => n.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &rest[e + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// 1-based line of a byte offset in a source (a file read as text or as
/// bytes); an offset past the end is the last line.
pub fn line_of(src: impl AsRef<[u8]>, offset: usize) -> usize {
    let bytes = src.as_ref();
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_collapses_and_drops() {
        assert_eq!(plain("  a\r\n\tb  c\u{0}\u{1b}d\u{FFFF} "), "a b cd");
        assert_eq!(
            plain("C++ <template> & “AT&T” 🟣 שלום"),
            "C++ <template> & “AT&T” 🟣 שלום"
        );
        assert!(matches!(plain("déjà vu"), Cow::Borrowed(_)));
        assert_eq!(plain("Quoi\u{a0}?"), "Quoi\u{a0}?");
        for s in [
            "a\u{85}b",
            "a\u{2028}b",
            "a\u{2029}b",
            "a  b",
            " a",
            "a ",
            "a\u{FFFE}",
            "a\nb",
        ] {
            assert!(matches!(plain(s), Cow::Owned(_)), "{s:?}");
        }
    }

    #[test]
    fn illegal_characters_are_found_by_the_byte_scan() {
        for s in ["a\u{0}", "\u{1f}", "x\u{FFFE}", "\u{FFFF}y", "\u{b}"] {
            assert!(has_xml_illegal(s), "{s:?}");
        }
        for s in ["", "a\tb\r\n", "é ’ 🟣 \u{FFFD} \u{EFFF}"] {
            assert!(!has_xml_illegal(s), "{s:?}");
        }
    }

    /// The scans as first written, a byte at a time: the block scans
    /// must agree with them on every string.
    fn needs_cleaning_bytewise(s: &str) -> bool {
        let b = s.as_bytes();
        if b.first() == Some(&b' ') || b.last() == Some(&b' ') {
            return true;
        }
        let mut prev_space = false;
        for (i, &c) in b.iter().enumerate() {
            let next = |k: usize| b.get(i + k).copied();
            match c {
                0..=0x1F => return true,
                b' ' if prev_space => return true,
                0xC2 if next(1) == Some(0x85) => return true,
                0xE2 if next(1) == Some(0x80) && matches!(next(2), Some(0xA8 | 0xA9)) => {
                    return true
                }
                0xEF if next(1) == Some(0xBF) && matches!(next(2), Some(0xBE | 0xBF)) => {
                    return true
                }
                _ => {}
            }
            prev_space = c == b' ';
        }
        false
    }

    fn has_xml_illegal_charwise(s: &str) -> bool {
        s.chars().any(|c| !is_xml_char(c))
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn block_scans_agree_with_bytewise_scans(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "a", "é", " ", "  ", "\t", "\n", "\r", "\u{0}", "\u{1f}", "\u{7f}",
                "\u{85}", "\u{a0}", "\u{2028}", "\u{2029}", "\u{2027}", "\u{202a}",
                "’", "…", "\u{FFFD}", "\u{FFFE}", "\u{FFFF}", "\u{EFFF}", "\u{10000}",
                "🟣", "xyzxyzxyzxyzxyzxyzxyzxyzxyzxyzxyz",
            ]), 0..90)
        ) {
            let s: String = pieces.concat();
            proptest::prop_assert_eq!(needs_cleaning(&s), needs_cleaning_bytewise(&s), "{:?}", s);
            proptest::prop_assert_eq!(has_xml_illegal(&s), has_xml_illegal_charwise(&s), "{:?}", s);
            // What `plain` leaves alone holds nothing XML forbids.
            if is_plain(&s) {
                proptest::prop_assert!(!has_xml_illegal(&s));
                proptest::prop_assert_eq!(plain(&s), s.as_str());
            }
        }
    }

    #[test]
    fn lines_are_counted_from_one_up_to_the_offset() {
        let src = "a\nbc\n\nd";
        assert_eq!(line_of(src, 0), 1);
        assert_eq!(line_of(src, 1), 1);
        assert_eq!(line_of(src, 2), 2);
        assert_eq!(line_of(src.as_bytes(), 6), 4);
        assert_eq!(line_of(src, 1000), 4);
        assert_eq!(line_of("", 3), 1);
    }

    #[test]
    fn escape_quotes_everything_html_needs() {
        assert_eq!(escape_html(r#"a&b<c>"d'"#), "a&amp;b&lt;c&gt;&quot;d&#39;");
        assert_eq!(
            escape_html("«\u{a0}é<ü>\u{a0}» 🟣&"),
            "«\u{a0}é&lt;ü&gt;\u{a0}» 🟣&amp;"
        );
        assert!(matches!(escape_html("déjà vu"), Cow::Borrowed(_)));
    }
}
