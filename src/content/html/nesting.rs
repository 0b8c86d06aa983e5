//! Capping how deep elements nest, before the HTML5 parser sees them.
//!
//! html5ever walks its stack of open elements for most tags (is a `p` in
//! button scope, …), so its time grows with the number of tags times their
//! depth: 200,000 unclosed `<div>` took over a minute. This pass, linear in
//! the input, follows the nesting closely enough (void elements, the end
//! tags HTML lets authors leave out, raw text, comments, quoted attributes)
//! and drops the start and end tags of the elements nested deeper than
//! [`MAX_DEPTH`]: their content stays, flattened into the deepest element
//! kept. HTML nested less deeply, as every real article is, is returned as
//! it came, the same bytes.

use std::borrow::Cow;

/// The deepest nesting kept; a real article rarely goes past 30.
pub const MAX_DEPTH: usize = 256;

/// Elements without content or end tag.
const VOID: [&str; 19] = [
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
    "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
];

/// Elements whose content is text up to their end tag.
const RAW_TEXT: [&str; 9] = [
    "iframe", "noembed", "noframes", "noscript", "script", "style", "textarea", "title", "xmp",
];

/// `html` with the tags of elements deeper than [`MAX_DEPTH`] removed, and
/// how many elements were flattened so.
pub fn cap(html: &str) -> (Cow<'_, str>, usize) {
    let b = html.as_bytes();
    // Every open element came from a `<`: with no more of them than
    // MAX_DEPTH, nothing can nest too deep, and the bytes are returned as
    // they came without following the tags.
    if ::memchr::memchr_iter(b'<', b).nth(MAX_DEPTH).is_none() {
        return (Cow::Borrowed(html), 0);
    }
    let mut out: Option<String> = None;
    // `html[..copied]` is in `out` (when it is made).
    let mut copied = 0;
    let mut stack = Stack::default();
    let mut flattened = 0;
    let mut i = 0;
    while let Some(off) = memchr(b'<', &b[i..]) {
        let lt = i + off;
        i = lt + 1;
        let (is_end, name_at) = match b.get(lt + 1) {
            Some(b'!') => {
                i = if b[lt..].starts_with(b"<!--") {
                    find(b, lt + 4, b"-->").map_or(b.len(), |e| e + 3)
                } else {
                    memchr(b'>', &b[lt..]).map_or(b.len(), |e| lt + e + 1)
                };
                continue;
            }
            Some(b'?') => {
                i = memchr(b'>', &b[lt..]).map_or(b.len(), |e| lt + e + 1);
                continue;
            }
            Some(b'/') if b.get(lt + 2).is_some_and(u8::is_ascii_alphabetic) => (true, lt + 2),
            Some(c) if c.is_ascii_alphabetic() => (false, lt + 1),
            // A `<` of the text.
            _ => continue,
        };
        let name_end = b[name_at..]
            .iter()
            .position(|c| c.is_ascii_whitespace() || matches!(c, b'/' | b'>'))
            .map_or(b.len(), |p| name_at + p);
        let name: Box<str> = html[name_at..name_end].to_ascii_lowercase().into();
        let end = tag_end(b, name_end);
        i = end;
        let keep = if is_end {
            stack.close(&name)
        } else {
            let self_closing = b[..end].ends_with(b"/>");
            // Raw text holds no element: kept at any depth, so that a
            // script's or a style's text is still removed with it.
            let childless = VOID.contains(&&*name)
                || RAW_TEXT.contains(&&*name)
                || &*name == "plaintext"
                || (self_closing && stack.foreign > 0);
            let keep = if childless {
                true
            } else {
                if let Some(at) = implied_end(&stack, &name) {
                    stack.truncate(at);
                }
                let kept = stack.push(name.clone());
                flattened += usize::from(!kept);
                kept
            };
            if stack.foreign == 0 {
                if RAW_TEXT.contains(&&*name) {
                    i = raw_text_end(b, end, &name);
                } else if &*name == "plaintext" {
                    i = b.len();
                }
            }
            keep
        };
        if !keep {
            let o = out.get_or_insert_with(|| String::with_capacity(html.len()));
            o.push_str(&html[copied..lt]);
            copied = end;
        }
    }
    match out {
        None => (Cow::Borrowed(html), 0),
        Some(mut o) => {
            o.push_str(&html[copied..]);
            (Cow::Owned(o), flattened)
        }
    }
}

/// The open elements: those kept, then those flattened, which are inside
/// every kept one.
#[derive(Default)]
struct Stack {
    open: Vec<Box<str>>,
    flat: Vec<Box<str>>,
    /// `svg` and `math` in `open`: inside them, `<x/>` closes itself.
    foreign: usize,
}

/// A place in the stack: `open[i]`, or `flat[i]`.
#[derive(Clone, Copy)]
enum At {
    Open(usize),
    Flat(usize),
}

impl Stack {
    /// The open elements from the innermost out, at most `reach` of them:
    /// searching no further keeps the pass linear.
    fn innermost(&self, reach: usize) -> impl Iterator<Item = (At, &str)> {
        let from = self.flat.len().saturating_sub(reach);
        let flat = (from..self.flat.len())
            .rev()
            .map(|i| (At::Flat(i), &*self.flat[i]));
        let open = (0..self.open.len())
            .rev()
            .map(|i| (At::Open(i), &*self.open[i]));
        flat.chain(open).take(reach)
    }

    /// Closes the element at `at` and every element inside it.
    fn truncate(&mut self, at: At) {
        match at {
            At::Flat(i) => self.flat.truncate(i),
            At::Open(i) => {
                self.flat.clear();
                self.foreign -= self.open.drain(i..).filter(|n| is_foreign(n)).count();
            }
        }
    }

    /// Opens an element; whether its tag is kept.
    fn push(&mut self, name: Box<str>) -> bool {
        if self.flat.is_empty() && self.open.len() < MAX_DEPTH {
            self.foreign += usize::from(is_foreign(&name));
            self.open.push(name);
            true
        } else {
            self.flat.push(name);
            false
        }
    }

    /// Handles an end tag; whether to keep it. One that closes a flattened
    /// element goes with its start tag; one with nothing to close is left
    /// for the parser to ignore.
    fn close(&mut self, name: &str) -> bool {
        let found = self
            .innermost(2 * MAX_DEPTH)
            .find(|(_, n)| *n == name)
            .map(|(at, _)| at);
        if let Some(at) = found {
            self.truncate(at);
        }
        !matches!(found, Some(At::Flat(_)))
    }
}

fn is_foreign(name: &str) -> bool {
    matches!(name, "svg" | "math")
}

/// How far from the innermost element an element closed implicitly is
/// looked for: it is nearly always the parent, or a few inline elements up.
const IMPLIED_REACH: usize = 32;

/// Elements that bound the search for an element to close implicitly.
const SCOPE: [&str; 12] = [
    "applet", "button", "caption", "html", "marquee", "math", "object", "svg", "table", "td",
    "template", "th",
];

/// The open element that start tag `new` closes, when HTML lets its end
/// tag out: `<p>a<div>`, `<li>a<li>b`, a table's rows and cells, a link in
/// a link.
fn implied_end(stack: &Stack, new: &str) -> Option<At> {
    // What it closes, and the elements the search stops at besides SCOPE
    // (`false`: at those only, for a table's parts that sit inside cells).
    let (closes, stops, scoped): (&[&str], &[&str], bool) = match new {
        "li" => (&["li"], &["ol", "ul"], true),
        "dt" | "dd" => (&["dt", "dd"], &["dl"], true),
        "td" | "th" => (&["td", "th"], &["tr", "table"], false),
        "tr" => (&["tr"], &["table"], false),
        "thead" | "tbody" | "tfoot" => (&["thead", "tbody", "tfoot"], &["table"], false),
        "option" => (&["option"], &["select"], true),
        "optgroup" => (&["optgroup", "option"], &["select"], true),
        "rb" | "rt" | "rp" | "rtc" => (&["rb", "rt", "rp", "rtc"], &["ruby"], true),
        "a" => (&["a"], &[], true),
        _ if closes_p(new) => (&["p"], &[], true),
        _ => return None,
    };
    stack
        .innermost(IMPLIED_REACH)
        .take_while(|(_, n)| {
            closes.contains(n) || !(stops.contains(n) || (scoped && SCOPE.contains(n)))
        })
        .find(|(_, n)| closes.contains(n))
        .map(|(at, _)| at)
}

/// Start tags that close an open `p`.
fn closes_p(new: &str) -> bool {
    matches!(
        new,
        "address"
            | "article"
            | "aside"
            | "blockquote"
            | "center"
            | "details"
            | "dialog"
            | "dir"
            | "div"
            | "dl"
            | "dd"
            | "dt"
            | "fieldset"
            | "figcaption"
            | "figure"
            | "footer"
            | "form"
            | "h1"
            | "h2"
            | "h3"
            | "h4"
            | "h5"
            | "h6"
            | "header"
            | "hgroup"
            | "hr"
            | "li"
            | "listing"
            | "main"
            | "menu"
            | "nav"
            | "ol"
            | "p"
            | "pre"
            | "search"
            | "section"
            | "summary"
            | "table"
            | "ul"
    )
}

/// The index just past the `>` of a tag whose name ends at `from`, quoted
/// attribute values skipped; the end of the input if it never closes.
fn tag_end(b: &[u8], mut j: usize) -> usize {
    let mut after_eq = false;
    while j < b.len() {
        match b[j] {
            b'>' => return j + 1,
            q @ (b'"' | b'\'') if after_eq => match memchr(q, &b[j + 1..]) {
                Some(k) => {
                    j += k + 2;
                    after_eq = false;
                    continue;
                }
                None => return b.len(),
            },
            b'=' => after_eq = true,
            c if c.is_ascii_whitespace() => {}
            _ => after_eq = false,
        }
        j += 1;
    }
    b.len()
}

/// Where the end tag of raw-text element `name` starts (its text holds no
/// tags), or the end of the input.
fn raw_text_end(b: &[u8], mut from: usize, name: &str) -> usize {
    while let Some(k) = find(b, from, b"</") {
        let at = k + 2;
        let candidate = &b[at..(at + name.len()).min(b.len())];
        if candidate.eq_ignore_ascii_case(name.as_bytes()) {
            return k;
        }
        from = at;
    }
    b.len()
}

fn memchr(c: u8, b: &[u8]) -> Option<usize> {
    ::memchr::memchr(c, b)
}

/// The index of `needle` in `b` from `from`.
fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    ::memchr::memmem::find(b.get(from..)?, needle).map(|p| from + p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_the_cap_the_bytes_come_back_as_they_are() {
        // As many `<` as the cap: the fast path, nothing can nest deeper.
        let at_cap = "<div>".repeat(MAX_DEPTH);
        assert!(matches!(cap(&at_cap), (Cow::Borrowed(s), 0) if s == at_cap));
        // One more opening tag is one element too deep: flattened.
        let over = "<div>".repeat(MAX_DEPTH + 1) + "x";
        let (out, flattened) = cap(&over);
        assert_eq!(flattened, 1);
        assert_eq!(out, "<div>".repeat(MAX_DEPTH) + "x");
    }

    #[test]
    fn ordinary_html_comes_back_as_it_was() {
        let html = r#"<p>a<p>b<ul><li>x<li>y</ul><table><tr><td>1<td>2<tr><td>3</table><!-- <div> --><script>if (a<b) "<div>"</script><img src="a>b" alt='<div>'><br/></p>"#;
        let (out, n) = cap(html);
        assert!(matches!(out, Cow::Borrowed(_)));
        assert_eq!(n, 0);
        // Many siblings whose end tags are left out are not nesting.
        let rows = "<table>".to_owned() + &"<tr><td>cell<td>cell".repeat(1000) + "</table>";
        let list = "<ul>".to_owned() + &"<li><p>item".repeat(1000) + "</ul>";
        let paras = "<p>para<a href=x>link".repeat(1000);
        for html in [rows, list, paras] {
            assert_eq!(cap(&html), (Cow::Borrowed(html.as_str()), 0));
        }
    }

    #[test]
    fn elements_past_the_limit_are_flattened() {
        let deep = "<div>".repeat(MAX_DEPTH + 3) + "text" + &"</div>".repeat(MAX_DEPTH + 3);
        let (out, n) = cap(&deep);
        assert_eq!(n, 3);
        assert_eq!(
            out,
            "<div>".repeat(MAX_DEPTH) + "text" + &"</div>".repeat(MAX_DEPTH)
        );
        // A script or a style goes whole, text included, at any depth.
        let deep = "<div>".repeat(MAX_DEPTH + 1) + "<script>x()</script><style>p{}</style>";
        let (out, n) = cap(&deep);
        assert_eq!(n, 1);
        assert_eq!(
            out,
            "<div>".repeat(MAX_DEPTH) + "<script>x()</script><style>p{}</style>"
        );
        // Unclosed, and closed by an outer element: what follows is kept.
        let deep =
            "<section>".to_owned() + &"<b>".repeat(MAX_DEPTH + 10) + "x</section><p>after</p>";
        let (out, n) = cap(&deep);
        assert_eq!(n, 11);
        assert_eq!(
            out,
            "<section>".to_owned() + &"<b>".repeat(MAX_DEPTH - 1) + "x</section><p>after</p>"
        );
    }
}
