//! Where in `feed.toml` a problem is: the line of `key = …` in a table, and
//! the table a line belongs to. Reading the text again is enough for a file
//! of a few dozen lines, and spares carrying spans through serde.

/// The header (`site`, `cta`) of the table a line belongs to, with the
/// table's index when it is one of an array of tables (`[[cta]]`).
fn table_at(src: &str, line: usize) -> Option<(String, Option<usize>)> {
    let mut found: Option<(&str, Option<usize>)> = None;
    let mut arrays: Vec<(&str, usize)> = Vec::new();
    for l in src.lines().take(line) {
        let Some(h) = table_header(l) else { continue };
        let index = if l.trim_start().starts_with("[[") {
            match arrays.iter_mut().find(|(name, _)| *name == h) {
                Some((_, n)) => {
                    *n += 1;
                    Some(*n)
                }
                None => {
                    arrays.push((h, 0));
                    Some(0)
                }
            }
        } else {
            None
        };
        found = Some((h, index));
    }
    found.map(|(h, i)| (h.to_owned(), i))
}

fn table_header(line: &str) -> Option<&str> {
    let t = line.trim();
    if !t.starts_with('[') {
        return None;
    }
    let end = t.find(']')?;
    Some(t[..end].trim_start_matches('[').trim())
}

/// The bare key of a `key = value` line, if the line is one.
fn key_of(line: &str) -> Option<&str> {
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    let bare = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    bare.then_some(key)
}

/// Names the field a TOML parse error is about, as `table.key` (or
/// `table[i].key`): the key the message quotes (unknown or missing
/// field), else the key of the line the error is on (a value of the
/// wrong type or out of range).
pub(super) fn toml_error_field(src: &str, line: Option<usize>, message: &str) -> String {
    let (table, index) = line.and_then(|l| table_at(src, l)).unwrap_or_default();
    let table = match index {
        Some(i) => format!("{table}[{i}]"),
        None => table,
    };
    let key = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split('`').next())
        .or_else(|| {
            let text = src.lines().nth(line?.checked_sub(1)?)?;
            // A header's own line (a missing field's) holds no key.
            table_header(text).is_none().then(|| key_of(text))?
        });
    match (table.is_empty(), key) {
        (false, Some(k)) => format!("{table}.{k}"),
        (true, Some(k)) => k.to_owned(),
        (false, None) => table,
        (true, None) => String::new(),
    }
}

/// Line of `key = …` in `[table]` (or in the `index`-th `[[table]]`).
pub(super) fn key_line(src: &str, table: &str, index: Option<usize>, key: &str) -> Option<usize> {
    let mut current: Option<&str> = None;
    let mut seen = 0usize;
    let mut in_target = false;
    for (n, line) in src.lines().enumerate() {
        if let Some(h) = table_header(line) {
            current = Some(h);
            in_target = h == table
                && match index {
                    Some(i) => {
                        let hit = seen == i;
                        seen += 1;
                        hit
                    }
                    None => true,
                };
            continue;
        }
        if in_target && current.is_some() {
            let t = line.trim_start();
            if let Some(rest) = t.strip_prefix(key) {
                if rest.trim_start().starts_with('=') {
                    return Some(n + 1);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_type_error_is_named_by_the_key_of_its_line() {
        let src = "[site]\ntitle = \"T\"\n\n[[cta]]\nid = \"a\"\n\n[[cta]]\nid = 5\n\n[smtp]\nport = \"x\"\n";
        assert_eq!(toml_error_field(src, Some(8), "invalid type"), "cta[1].id");
        assert_eq!(toml_error_field(src, Some(11), "invalid type"), "smtp.port");
        assert_eq!(
            toml_error_field(src, Some(4), "missing field `url`"),
            "cta[0].url"
        );
        assert_eq!(toml_error_field(src, Some(10), "invalid type"), "smtp");
        assert_eq!(toml_error_field(src, None, "invalid type"), "");
    }
}
