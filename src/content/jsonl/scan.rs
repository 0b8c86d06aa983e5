//! A reader by hand for the common shape of one JSON Lines record, tried
//! before serde on every line: most of a load's time went into serde
//! checking each line's body a few bytes at a time, and into building
//! lists it then dropped.
//!
//! It owns one promise, which the tests check on hostile lines: when
//! [`record`] gives a record, serde (`RawArticle::<&RawValue>` read from
//! the line, then nothing but whitespace after it) succeeds on the same
//! line and gives an equal record, the body being the same raw JSON text.
//! Whatever it is not sure of (an unknown, duplicate or escaped key, a
//! number that is not plain digits in its type's range, a shape it does
//! not expect, a broken line) gives `None`, and the caller asks serde,
//! which words the error. It never reports an error itself.

use crate::content::raw::{RawArticle, RawAuthor, RawComments, RawDate, RawImage, RawPerson};
use std::borrow::Cow;

/// The record on `line` (which may end in its newline), with its body
/// (`content_html`) as its raw JSON text, quotes included, as serde's
/// `RawValue` holds it; `None` when serde must say.
///
/// A string with no escape is borrowed from the line; one with escapes is
/// decoded by serde_json itself (escapes are rare in a line, and this
/// way its decoding, surrogates included, is serde's).
#[doc(hidden)]
pub fn record(line: &str) -> Option<RawArticle<'_, &str>> {
    let mut s = Scanner::new(line);
    let raw = s.article()?;
    s.ws();
    (s.i == s.b.len()).then_some(raw)
}

struct Scanner<'a> {
    text: &'a str,
    b: &'a [u8],
    /// The next byte to read.
    i: usize,
    /// The line holds a control character before its trailing whitespace:
    /// whitespace between tokens, or one in a string that serde refuses.
    /// Only then is each string searched for one.
    control: bool,
}

/// Whether `b` holds a byte below 0x20. No early exit within a chunk, so
/// that the compiler makes each chunk a few vector instructions.
fn has_control(b: &[u8]) -> bool {
    let (chunks, rest) = b.as_chunks::<64>();
    chunks
        .iter()
        .any(|c| c.iter().fold(0u8, |acc, &x| acc | u8::from(x < 0x20)) != 0)
        || rest.iter().any(|&x| x < 0x20)
}

fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// Marks `bit` seen; `None` when it already was (a duplicate key, which
/// serde refuses).
fn once(seen: &mut u16, bit: u16) -> Option<()> {
    if *seen & bit != 0 {
        return None;
    }
    *seen |= bit;
    Some(())
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        let b = text.as_bytes();
        let end = b.len() - b.iter().rev().take_while(|&&c| is_ws(c)).count();
        Scanner {
            text,
            b,
            i: 0,
            control: has_control(&b[..end]),
        }
    }

    /// Skips whitespace, as serde_json does between tokens.
    fn ws(&mut self) {
        while self.b.get(self.i).is_some_and(|&c| is_ws(c)) {
            self.i += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    /// `word` right here (after a [`Self::peek`]).
    fn literal(&mut self, word: &[u8]) -> Option<()> {
        self.b[self.i..]
            .starts_with(word)
            .then(|| self.i += word.len())
    }

    /// `null`, or what `value` reads.
    fn nullable<T>(&mut self, value: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.peek()? == b'n' {
            self.literal(b"null")?;
            Some(None)
        } else {
            value(self).map(Some)
        }
    }

    /// A string token, quotes included, and whether it holds an escape.
    /// Checks what serde checks of a string it does not decode (its raw
    /// body): every escape well formed, no control character, the closing
    /// quote. Surrogates are left to the decoding.
    fn string_token(&mut self) -> Option<(&'a str, bool)> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i;
        let mut j = start + 1;
        let mut escaped = false;
        loop {
            j += memchr::memchr2(b'"', b'\\', &self.b[j..])?;
            if self.b[j] == b'"' {
                break;
            }
            escaped = true;
            j += match *self.b.get(j + 1)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                b'u' if self.b.get(j + 2..j + 6)?.iter().all(u8::is_ascii_hexdigit) => 6,
                _ => return None,
            };
        }
        if self.control && has_control(&self.b[start + 1..j]) {
            return None;
        }
        self.i = j + 1;
        // Both ends are quotes, so on character boundaries.
        Some((&self.text[start..=j], escaped))
    }

    fn string(&mut self) -> Option<Cow<'a, str>> {
        let (token, escaped) = self.string_token()?;
        if escaped {
            serde_json::from_str::<String>(token).ok().map(Cow::Owned)
        } else {
            Some(Cow::Borrowed(&token[1..token.len() - 1]))
        }
    }

    /// A key: a string without escapes (an escaped key is left to serde),
    /// and its colon.
    fn key(&mut self) -> Option<&'a [u8]> {
        if self.peek()? != b'"' {
            return None;
        }
        let start = self.i + 1;
        // Keys are short: a loop beats setting up a vector search.
        let end = start
            + self.b[start..]
                .iter()
                .position(|&c| c == b'"' || c == b'\\')?;
        if self.b[end] != b'"' {
            return None;
        }
        self.i = end + 1;
        self.eat(b':')?;
        Some(&self.b[start..end])
    }

    /// A non-negative integer written plainly, within `T`'s range: what
    /// serde reads into an unsigned field. Anything else (a sign, a
    /// fraction, an exponent, a leading zero, too large) is left to serde.
    fn uint<T: TryFrom<u64>>(&mut self) -> Option<T> {
        self.ws();
        let digits = self.b[self.i..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if digits == 0 || (digits > 1 && self.b[self.i] == b'0') {
            return None;
        }
        if matches!(self.b.get(self.i + digits), Some(b'.' | b'e' | b'E')) {
            return None;
        }
        let mut v: u64 = 0;
        for &c in &self.b[self.i..self.i + digits] {
            v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
        }
        self.i += digits;
        T::try_from(v).ok()
    }

    fn boolean(&mut self) -> Option<bool> {
        match self.peek()? {
            b't' => self.literal(b"true").map(|()| true),
            b'f' => self.literal(b"false").map(|()| false),
            _ => None,
        }
    }

    /// An object, each member read by `member` from its key.
    fn object(&mut self, mut member: impl FnMut(&mut Self, &[u8]) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            let key = self.key()?;
            member(self, key)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn array<T>(&mut self, mut item: impl FnMut(&mut Self) -> Option<T>) -> Option<Vec<T>> {
        self.eat(b'[')?;
        let mut items = Vec::new();
        if self.peek()? == b']' {
            self.i += 1;
            return Some(items);
        }
        loop {
            items.push(item(self)?);
            match self.peek()? {
                b',' => self.i += 1,
                b']' => {
                    self.i += 1;
                    return Some(items);
                }
                _ => return None,
            }
        }
    }

    fn article(&mut self) -> Option<RawArticle<'a, &'a str>> {
        let mut r = RawArticle {
            title: None,
            url: None,
            published: None,
            id: None,
            updated: None,
            authors: None,
            categories: None,
            summary: None,
            content_html: None,
            image: None,
            comments: None,
            featured: None,
            draft: None,
        };
        let mut seen = 0u16;
        self.object(|s, key| {
            match key {
                b"title" => {
                    once(&mut seen, 1)?;
                    r.title = s.nullable(Self::string)?;
                }
                b"url" => {
                    once(&mut seen, 1 << 1)?;
                    r.url = s.nullable(Self::string)?;
                }
                b"published" => {
                    once(&mut seen, 1 << 2)?;
                    r.published = s.nullable(|s| s.string().map(RawDate))?;
                }
                b"id" => {
                    once(&mut seen, 1 << 3)?;
                    r.id = s.nullable(Self::string)?;
                }
                b"updated" => {
                    once(&mut seen, 1 << 4)?;
                    r.updated = s.nullable(|s| s.string().map(RawDate))?;
                }
                b"authors" => {
                    once(&mut seen, 1 << 5)?;
                    r.authors = s.nullable(|s| s.array(Self::author))?;
                }
                b"categories" => {
                    once(&mut seen, 1 << 6)?;
                    r.categories = s.nullable(|s| s.array(Self::string))?;
                }
                b"summary" => {
                    once(&mut seen, 1 << 7)?;
                    r.summary = s.nullable(Self::string)?;
                }
                b"content_html" => {
                    once(&mut seen, 1 << 8)?;
                    r.content_html = s.nullable(|s| s.string_token().map(|(t, _)| t))?;
                }
                b"image" => {
                    once(&mut seen, 1 << 9)?;
                    r.image = s.nullable(Self::image)?;
                }
                b"comments" => {
                    once(&mut seen, 1 << 10)?;
                    r.comments = s.nullable(Self::comments)?;
                }
                b"featured" => {
                    once(&mut seen, 1 << 11)?;
                    r.featured = s.nullable(Self::boolean)?;
                }
                b"draft" => {
                    once(&mut seen, 1 << 12)?;
                    r.draft = s.nullable(Self::boolean)?;
                }
                _ => return None,
            }
            Some(())
        })?;
        Some(r)
    }

    fn author(&mut self) -> Option<RawAuthor<'a>> {
        match self.peek()? {
            b'"' => self.string().map(RawAuthor::Name),
            b'{' => self.person().map(RawAuthor::Full),
            _ => None,
        }
    }

    fn person(&mut self) -> Option<RawPerson<'a>> {
        let (mut name, mut email, mut url) = (None, None, None);
        let mut seen = 0u16;
        self.object(|s, key| {
            match key {
                b"name" => {
                    once(&mut seen, 1)?;
                    name = Some(s.string()?);
                }
                b"email" => {
                    once(&mut seen, 1 << 1)?;
                    email = s.nullable(Self::string)?;
                }
                b"url" => {
                    once(&mut seen, 1 << 2)?;
                    url = s.nullable(Self::string)?;
                }
                _ => return None,
            }
            Some(())
        })?;
        Some(RawPerson {
            name: name?,
            email,
            url,
        })
    }

    fn image(&mut self) -> Option<RawImage<'a>> {
        let (mut url, mut alt, mut width, mut height, mut mime_type, mut length) =
            (None, None, None, None, None, None);
        let mut seen = 0u16;
        self.object(|s, key| {
            match key {
                b"url" => {
                    once(&mut seen, 1)?;
                    url = Some(s.string()?);
                }
                b"alt" => {
                    once(&mut seen, 1 << 1)?;
                    alt = Some(s.string()?);
                }
                b"width" => {
                    once(&mut seen, 1 << 2)?;
                    width = s.nullable(|s| s.uint())?;
                }
                b"height" => {
                    once(&mut seen, 1 << 3)?;
                    height = s.nullable(|s| s.uint())?;
                }
                b"type" => {
                    once(&mut seen, 1 << 4)?;
                    mime_type = s.nullable(Self::string)?;
                }
                b"length" => {
                    once(&mut seen, 1 << 5)?;
                    length = s.nullable(|s| s.uint())?;
                }
                _ => return None,
            }
            Some(())
        })?;
        Some(RawImage {
            url: url?,
            alt: alt?,
            width,
            height,
            mime_type,
            length,
        })
    }

    fn comments(&mut self) -> Option<RawComments<'a>> {
        let (mut count, mut url) = (None, None);
        let mut seen = 0u16;
        self.object(|s, key| {
            match key {
                b"count" => {
                    once(&mut seen, 1)?;
                    count = Some(s.uint()?);
                }
                b"url" => {
                    once(&mut seen, 1 << 1)?;
                    url = s.nullable(Self::string)?;
                }
                _ => return None,
            }
            Some(())
        })?;
        Some(RawComments { count: count?, url })
    }
}

/// For the tests and the fuzz target: whether the promise holds on `line`.
/// `Ok(true)`: read, and equal to what serde reads; `Ok(false)`: left to
/// serde; `Err`: the promise is broken, and how.
#[doc(hidden)]
pub fn keeps_its_promise(line: &str) -> Result<bool, String> {
    use serde::Deserialize;
    use serde_json::value::RawValue;
    let Some(ours) = record(line) else {
        return Ok(false);
    };
    let mut de = serde_json::Deserializer::from_str(line);
    let theirs = RawArticle::<&RawValue>::deserialize(&mut de)
        .map_err(|e| format!("read {ours:?}, serde says {e}"))?;
    de.end()
        .map_err(|e| format!("read {ours:?}, serde says {e} after it"))?;
    let (ours, theirs) = (
        format!("{ours:?}"),
        format!("{:?}", theirs.map_body(|h| h.get())),
    );
    if ours == theirs {
        Ok(true)
    } else {
        Err(format!("read {ours}, serde reads {theirs}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Read, as serde reads it.
    #[track_caller]
    fn read(line: &str) -> RawArticle<'_, &str> {
        assert_eq!(keeps_its_promise(line), Ok(true), "{line:?}");
        record(line).unwrap()
    }

    /// Left to serde, which refuses it too.
    #[track_caller]
    fn refused(line: &str) {
        assert_eq!(keeps_its_promise(line), Ok(false), "{line:?}");
        let mut de = serde_json::Deserializer::from_str(line);
        let ok =
            <RawArticle<&serde_json::value::RawValue> as serde::Deserialize>::deserialize(&mut de)
                .is_ok()
                && de.end().is_ok();
        assert!(!ok, "serde reads {line:?}");
    }

    /// Left to serde, which reads it (rare shapes not worth a fast path).
    #[track_caller]
    fn left_to_serde(line: &str) {
        assert_eq!(keeps_its_promise(line), Ok(false), "{line:?}");
        let mut de = serde_json::Deserializer::from_str(line);
        <RawArticle<&serde_json::value::RawValue> as serde::Deserialize>::deserialize(&mut de)
            .unwrap();
        de.end().unwrap();
    }

    const CORPUS: &str = r#"{"id": "https://www.example-news.fr/?p=100000", "title": "Le moteur C++ <template> bouscule ses propres ingénieurs : ce qu’il faut savoir", "url": "https://www.example-news.fr/2026/11/26/article-0/", "published": "2026-11-26T06:28:00+01:00", "updated": "2026-11-26T06:28:00+01:00", "authors": [{"name": "Léa Dubois", "url": "https://www.example-news.fr/auteur/lea-dubois/"}], "categories": ["Sécurité", "Société"], "summary": "Le moteur C++ <template> bouscule.", "content_html": "<p>Des le techniques.</p>\n<p>Vite budget.</p>", "image": {"url": "https://cdn.example-news.fr/2026/11/26/article-0-1200x675.jpg", "alt": "Illustration : Le moteur C++ <template>", "width": 1200, "height": 675, "type": "image/jpeg"}, "comments": {"count": 71, "url": "https://www.example-news.fr/2026/11/26/article-0/#comments"}}
"#;

    #[test]
    fn the_corpus_shape_is_read_and_borrowed() {
        let r = read(CORPUS);
        assert!(matches!(r.title, Some(Cow::Borrowed(_))));
        assert_eq!(r.published.unwrap().0, "2026-11-26T06:28:00+01:00");
        assert_eq!(
            r.content_html,
            Some(r#""<p>Des le techniques.</p>\n<p>Vite budget.</p>""#)
        );
        let cats = r.categories.unwrap();
        assert_eq!(cats, ["Sécurité", "Société"]);
        assert!(cats.iter().all(|c| matches!(c, Cow::Borrowed(_))));
        let image = r.image.unwrap();
        assert_eq!(
            (image.width, image.height, image.length),
            (Some(1200), Some(675), None)
        );
        assert_eq!(r.comments.unwrap().count, 71);
        // Without its newline, in CRLF, indented.
        read(CORPUS.trim_end());
        read(&CORPUS.replace('\n', "\r\n"));
        read(&format!("  \t{}", CORPUS.replace(", \"", ",\r\n\t \"")));
    }

    #[test]
    fn every_field_kind_is_read() {
        let r = read(
            r#"{"draft":false,"featured":true,"authors":["Léa",{"name":"Paul","email":"p@ex.fr","url":null},{"name":"Zoé","email":null}],"image":{"alt":"","url":"u","width":0,"height":4294967295,"type":null,"length":18446744073709551615},"comments":{"url":"c","count":0},"id":null,"summary":null,"content_html":null,"categories":[],"updated":null}"#,
        );
        assert_eq!((r.draft, r.featured), (Some(false), Some(true)));
        assert!(r.content_html.is_none() && r.summary.is_none() && r.title.is_none());
        assert_eq!(r.categories.unwrap().len(), 0);
        let a = r.authors.unwrap();
        assert!(matches!(&a[0], RawAuthor::Name(n) if n == "Léa"));
        assert!(
            matches!(&a[1], RawAuthor::Full(p) if p.email.as_deref() == Some("p@ex.fr") && p.url.is_none())
        );
        let i = r.image.unwrap();
        assert_eq!(
            (i.width, i.height, i.length),
            (Some(0), Some(u32::MAX), Some(u64::MAX))
        );
        read("{}");
        read(" { } \n");
        read(
            r#"{"authors":null,"image":null,"comments":null,"featured":null,"draft":null,"title":null,"url":null,"published":null}"#,
        );
        read(r#"{"image":{"url":"u","alt":"a","width":null,"height":null,"length":null}}"#);
        // A body is any string: serde does not look into it.
        read(r#"{"content_html":"\ud800 \uDFFF \u0000"}"#);
        read(r#"{"content_html":""}"#);
    }

    #[test]
    fn escapes_are_decoded_as_serde_decodes_them() {
        let r = read(
            r#"{"title":"a\nb \"c\" d\\e","url":"https:\/\/ex.org\/a\/","summary":"\u00e9t\u00E9 \ud83d\ude00","id":"\b\f\r\t\/","categories":["Soci\u00e9t\u00e9"],"authors":["L\u00e9a",{"name":"Zo\u00e9"}]}"#,
        );
        assert_eq!(r.title.as_deref(), Some("a\nb \"c\" d\\e"));
        assert_eq!(r.url.as_deref(), Some("https://ex.org/a/"));
        assert_eq!(r.summary.as_deref(), Some("été 😀"));
        assert_eq!(r.id.as_deref(), Some("\u{8}\u{c}\r\t/"));
        assert_eq!(r.categories.unwrap(), ["Société"]);
        let r = read(r#"{"content_html":"<p>\"Caf\u00e9\"<\/p>\n"}"#);
        assert_eq!(r.content_html, Some(r#""<p>\"Caf\u00e9\"<\/p>\n""#));
    }

    #[test]
    fn unsure_lines_are_left_to_serde() {
        // Unknown, duplicate, escaped or misspelt keys.
        refused(r#"{"titel":"a"}"#);
        refused(r#"{"title":"a","title":"b"}"#);
        refused(r#"{"title":null,"title":"b"}"#);
        refused(r#"{"image":{"url":"u","alt":"a","url":"v"}}"#);
        refused(r#"{"image":{"url":"u","alt":"a","mime_type":"v"}}"#);
        left_to_serde(r#"{"ti\u0074le":"a"}"#);
        // More than a record, or less.
        refused(r#"{"title":"a"} x"#);
        refused(r#"{"title":"a"}{"title":"b"}"#);
        refused(r#"{"title":"a"},"#);
        refused(r#"{"title":"a""#);
        refused(r#"{"title":"a"#);
        refused(r#"{"title":"a\"#);
        refused(r#"{"content_html":"a\u00e"}"#);
        refused(r#"{"title":"a",}"#);
        refused(r#"{"categories":["a",]}"#);
        refused(r#"{,"title":"a"}"#);
        refused("");
        refused("\u{feff}{}");
        refused("[]");
        // Control characters within strings, bad escapes.
        refused("{\"title\":\"a\tb\"}");
        refused("{\"content_html\":\"a\nb\"}");
        refused("{\"content_html\":\"a\u{1f}b\"}");
        refused(r#"{"content_html":"a\x"}"#);
        refused(r#"{"content_html":"a\'"}"#);
        refused(r#"{"title":"\ud800"}"#);
        refused(r#"{"title":"\udc00\ud800"}"#);
        // Numbers that are not plain digits in range.
        for n in [
            "1.0",
            "-1",
            "-0",
            "1e2",
            "1E2",
            "01",
            "00",
            "+1",
            "4294967296",
            "0x10",
            "",
        ] {
            refused(&format!(
                r#"{{"image":{{"url":"u","alt":"a","width":{n}}}}}"#
            ));
        }
        refused(r#"{"comments":{"count":18446744073709551616}}"#);
        refused(r#"{"comments":{"count":99999999999999999999999}}"#);
        refused(r#"{"comments":{"count":"3"}}"#);
        // Missing required fields of the nested records.
        refused(r#"{"comments":{"url":"c"}}"#);
        refused(r#"{"comments":{"count":null}}"#);
        refused(r#"{"image":{"url":"u"}}"#);
        refused(r#"{"image":{"alt":"a"}}"#);
        refused(r#"{"image":{"url":null,"alt":"a"}}"#);
        refused(r#"{"authors":[{"email":"e"}]}"#);
        refused(r#"{"authors":[{"name":null}]}"#);
        // Wrong types.
        refused(r#"{"title":3}"#);
        refused(r#"{"title":["a"]}"#);
        refused(r#"{"draft":"true"}"#);
        refused(r#"{"draft":True}"#);
        refused(r#"{"draft":nul}"#);
        refused(r#"{"categories":"a"}"#);
        refused(r#"{"categories":[null]}"#);
        refused(r#"{"authors":[3]}"#);
        refused(r#"{"authors":{"name":"a"}}"#);
        refused(r#"{"image":"u"}"#);
        refused(r#"{"published":3}"#);
        // Serde reads these; the scanner leaves them to it.
        left_to_serde(r#"{"published":{"date":"2026-11-26T07:00:00Z"}}"#);
        left_to_serde(r#"{"content_html":3}"#);
        left_to_serde(r#"{"content_html":{"a":[1,2]}}"#);
    }

    #[test]
    fn control_characters_are_found_anywhere() {
        for n in [0, 1, 31, 63, 64, 65, 127, 128, 200] {
            let mut s = "a".repeat(n);
            assert!(!has_control(s.as_bytes()));
            s.push('\u{1}');
            s.push_str(&"b".repeat(n));
            assert!(has_control(s.as_bytes()), "{n}");
            refused(&format!("{{\"content_html\":\"{s}\"}}"));
        }
        assert!(!has_control("é\u{7f}\u{80}".as_bytes()));
    }
}
