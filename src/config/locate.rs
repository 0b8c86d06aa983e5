//! Where in `feed.toml` a problem is: the line of `key = …` in a table, and
//! the table a line belongs to. Reading the text again is enough for a file
//! of a few dozen lines, and spares carrying spans through serde.

/// The header (`site`, `cta`) of the table a line belongs to.
fn table_at(src: &str, line: usize) -> Option<String> {
    src.lines()
        .take(line)
        .filter_map(table_header)
        .last()
        .map(str::to_owned)
}

fn table_header(line: &str) -> Option<&str> {
    let t = line.trim();
    if !t.starts_with('[') {
        return None;
    }
    let end = t.find(']')?;
    Some(t[..end].trim_start_matches('[').trim())
}

/// Names the field a TOML parse error is about, as `table.key` when the
/// message quotes the key (unknown or missing field).
pub(super) fn toml_error_field(src: &str, line: Option<usize>, message: &str) -> String {
    let table = line.and_then(|l| table_at(src, l)).unwrap_or_default();
    let key = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split('`').next());
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
