//! The Markdown source: a folder of `.md` files, each an article with
//! front matter and a Markdown body.
//!
//! Front matter is TOML between `+++` lines (matinale's own, Zola, Hugo) or
//! YAML between `---` lines (Hugo, Jekyll, Eleventy, Astro), with those
//! generators' field names ([`front`]). An article without `url` gets one
//! from `[content] permalink`; its slug is `slug`, else its file name
//! without Jekyll's `YYYY-MM-DD-` prefix (or its folder's name for a Hugo
//! page bundle's `index.md`), and a date in that prefix is its date when
//! the front matter gives none. Hugo's `_index.md` files describe a
//! section's list page, not an article: they are skipped.
//!
//! Files are read in path order (sub-folders included), so that reports and
//! duplicate detection are the same on every machine.

mod front;

use super::raw::{RawArticle, RawAuthor, RawDate, RawImage};
use super::{check, ArticleSink, Body, Checked, Origin, Validator};
use crate::config::permalink::{Permalink, Values};
use crate::error::{Error, Problem};
use crate::text::line_of;
use front::{Front, Published};
use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use url::Url;

/// What the loader needs besides the files.
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    /// The content folder.
    pub dir: &'a Path,
    /// What a relative `url` and a permalink are joined to.
    pub site_url: &'a Url,
    pub permalink: Option<&'a Permalink>,
}
pub fn load(
    settings: &Settings<'_>,
    v: &mut Validator,
    sink: &mut dyn ArticleSink,
) -> Result<(), Error> {
    let mut files = Vec::new();
    let mut odd = Vec::new();
    collect(settings.dir, &mut files, &mut odd)?;
    files.sort();
    odd.sort();
    for path in odd {
        v.report.warnings.push(crate::error::Problem::new(
            &path,
            None,
            "",
            "not a regular file (a named pipe, socket, device or broken link): skipped",
        ));
    }
    for path in files {
        let src = std::fs::read(&path).map_err(|source| Error::ReadContent {
            path: path.clone(),
            source,
        })?;
        let path: Arc<Path> = Arc::from(path);
        let origin = Origin {
            path: path.clone(),
            line: 1,
        };
        let src = match String::from_utf8(src) {
            Ok(s) => s,
            Err(e) => {
                let line = line_of(e.as_bytes(), e.utf8_error().valid_up_to());
                v.problem(
                    &Origin { path, line },
                    "",
                    "not valid UTF-8; save the file as UTF-8",
                );
                continue;
            }
        };
        read_article(&src, origin, settings, v, sink);
    }
    Ok(())
}

/// The `.md` files under `dir`, and in `odd` those that are not regular
/// files (reading a named pipe would wait forever). Links to folders are
/// not followed, so a link loop cannot make the walk endless.
fn collect(dir: &Path, files: &mut Vec<PathBuf>, odd: &mut Vec<PathBuf>) -> Result<(), Error> {
    let read_err = |source| Error::ReadContent {
        path: dir.to_path_buf(),
        source,
    };
    for entry in std::fs::read_dir(dir).map_err(read_err)? {
        let entry = entry.map_err(read_err)?;
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.') || name == "_index.md" {
            continue;
        }
        let ft = entry.file_type().map_err(read_err)?;
        if ft.is_dir() {
            collect(&path, files, odd)?;
        } else if path.extension().is_some_and(|e| e == "md") {
            if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                files.push(path);
            } else {
                odd.push(path);
            }
        }
    }
    Ok(())
}

/// A file's front matter and body, or why there is none.
#[derive(Debug, PartialEq, Eq)]
enum Split<'a> {
    Toml(&'a str, &'a str),
    Yaml(&'a str, &'a str),
    /// An opening line with no closing one.
    Unclosed(&'static str),
    None,
}

/// Splits a file into front matter and body.
fn split(src: &str) -> Split<'_> {
    let src = src.strip_prefix('\u{feff}').unwrap_or(src);
    let first = src.split_inclusive('\n').next().unwrap_or("");
    let (fence, yaml) = match first.trim_end() {
        "+++" => ("+++", false),
        "---" => ("---", true),
        _ => return Split::None,
    };
    let rest = &src[first.len()..];
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        let t = line.trim_end();
        // YAML may also end its document with `...`.
        if t == fence || (yaml && t == "...") {
            let (front, body) = (&rest[..offset], &rest[offset + line.len()..]);
            return if yaml {
                Split::Yaml(front, body)
            } else {
                Split::Toml(front, body)
            };
        }
        offset += line.len();
    }
    Split::Unclosed(fence)
}

/// The first line of a file without front matter, for the message.
fn starts_with(src: &str) -> String {
    match src.lines().find(|l| !l.trim().is_empty()) {
        None => "the file is empty".to_owned(),
        Some(l) => {
            let cut: String = l.trim().chars().take(40).collect();
            let more = if cut.len() < l.trim().len() {
                "…"
            } else {
                ""
            };
            format!("the file starts with `{cut}{more}`")
        }
    }
}

fn read_article(
    src: &str,
    origin: Origin,
    settings: &Settings<'_>,
    v: &mut Validator,
    sink: &mut dyn ArticleSink,
) {
    let (front, body, yaml) = match split(src) {
        Split::Toml(f, b) => (f, b, false),
        Split::Yaml(f, b) => (f, b, true),
        Split::Unclosed(fence) => {
            v.problem(
                &origin,
                "",
                format!("the front matter opened by `{fence}` on line 1 is never closed; expected a `{fence}` line after its fields, before the body"),
            );
            return;
        }
        Split::None => {
            v.problem(
                &origin,
                "",
                format!(
                    "no front matter: {}; expected a first line `+++` (TOML fields, as matinale, Zola and Hugo write them) or `---` (YAML, as Hugo and Jekyll write them), the fields, and the same line again before the body",
                    starts_with(src)
                ),
            );
            return;
        }
    };
    let fence = if yaml { "---" } else { "+++" };
    if front.trim().is_empty() {
        v.problem(
            &origin,
            "",
            format!("the front matter between the `{fence}` lines is empty; expected the article's fields, such as its title and date"),
        );
        return;
    }
    // Line numbers inside the front matter are offset by the opening line.
    let field_line = |field: &str| key_line(front, field, yaml).map(|l| l + 1);
    let parsed = if yaml {
        parse_yaml(front, &origin)
    } else {
        parse_toml(front, &origin)
    };
    let fields = match parsed {
        Ok(f) => f,
        Err((at, field, message)) => {
            v.problem(&at, &field, message);
            return;
        }
    };
    if fields.content_html.is_some() {
        let at = Origin {
            path: origin.path.clone(),
            line: field_line("content_html").unwrap_or(1),
        };
        v.problem(
            &at,
            "content_html",
            format!("not used in a Markdown file: write the body after the closing `{fence}`"),
        );
        return;
    }
    let has_body = !body.trim().is_empty();
    let name = Name::of(&origin.path, settings.dir);
    let (raw, slug, url_from) = article(fields, &name, settings, v.tz());
    let mut checked = check(raw, has_body, &origin, &field_line, v.tz());
    if let Checked::Invalid { problems, .. } = &mut checked {
        explain_url(problems, url_from);
    }
    if let (UrlFrom::Permalink, Err(e)) = (url_from, slug) {
        let line = field_line("slug").unwrap_or(origin.line);
        let problem = Problem::new(&origin.path, Some(line), "slug", e);
        match &mut checked {
            Checked::Invalid { problems, .. } => {
                problems.push(problem);
                problems.sort();
            }
            Checked::Valid { .. } => {
                checked = Checked::Invalid {
                    problems: vec![problem],
                    warnings: Vec::new(),
                }
            }
            Checked::Draft => {}
        }
    }
    v.admit(
        checked,
        || Ok(has_body.then(|| Body::Markdown(body.to_owned()))),
        sink,
    );
}

/// Where an article's URL came from, to explain its absence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UrlFrom {
    Field,
    Permalink,
    /// No `url` and no permalink.
    Nowhere,
}

/// Adds to a missing URL's problem what the user can do; with a
/// permalink, a URL that could not be made for want of a date is said by
/// the date's problem alone.
fn explain_url(problems: &mut Vec<Problem>, url_from: UrlFrom) {
    match url_from {
        UrlFrom::Field => {}
        UrlFrom::Permalink => {
            problems.retain(|p| !(p.field == "url" && p.message.starts_with("missing")));
        }
        UrlFrom::Nowhere => {
            for p in problems.iter_mut().filter(|p| p.field == "url") {
                p.message = "missing; give the article page's URL, or set [content] permalink in feed.toml to make one from each article's date and file name, e.g. \"/{year}/{month}/{day}/{slug}/\"".to_owned();
            }
        }
    }
}

/// TOML front matter, strictly: every key must be one matinale knows.
fn parse_toml<'s>(front: &'s str, origin: &Origin) -> Result<Front<'s>, (Origin, String, String)> {
    toml::from_str::<Front<'_>>(front).map_err(|e| {
        let line = e.span().map(|s| line_of(front, s.start));
        let field = e
            .message()
            .strip_prefix("unknown field `")
            .or_else(|| e.message().strip_prefix("missing field `"))
            .and_then(|r| r.split('`').next())
            .map(str::to_owned)
            .or_else(|| line.and_then(|l| key_at(front, l)))
            .unwrap_or_default();
        let at = Origin {
            path: origin.path.clone(),
            line: line.map_or(1, |l| l + 1),
        };
        (at, field, e.message().trim().to_owned())
    })
}

/// YAML front matter: the keys matinale knows, the others ignored.
fn parse_yaml(front: &str, origin: &Origin) -> Result<Front<'static>, (Origin, String, String)> {
    let at = |line: Option<usize>| Origin {
        path: origin.path.clone(),
        line: line.map_or(1, |l| l + 1),
    };
    let mut value = front::parse_yaml(front).map_err(|(line, message)| {
        let field = line.and_then(|l| key_at_yaml(front, l)).unwrap_or_default();
        (at(line), field, message)
    })?;
    let Some(map) = value.as_object_mut() else {
        return Err((
            at(None),
            String::new(),
            format!(
                "the front matter between the `---` lines holds {}, not fields; expected YAML `key: value` lines such as `title: …` and `date: …`",
                front::describe(&value)
            ),
        ));
    };
    front::keep_known(map);
    serde_path_to_error::deserialize::<_, Front<'static>>(value).map_err(|e| {
        let field = e
            .path()
            .iter()
            .next()
            .map(|s| s.to_string())
            .unwrap_or_default();
        let line = key_line(front, &field, true);
        let message = e.into_inner().to_string();
        (at(line), field, message)
    })
}

/// The parts of an article's path that its URL may be made of.
#[derive(Debug, PartialEq, Eq)]
struct Name {
    /// The file name without `.md` and without a date prefix; for a page
    /// bundle's `index.md`, its folder's name.
    slug: String,
    /// Jekyll's `YYYY-MM-DD-` prefix, as a date.
    date: Option<String>,
    /// The first folder under the content folder (not the bundle's own).
    section: String,
}

impl Name {
    fn of(path: &Path, dir: &Path) -> Name {
        let rel = path.strip_prefix(dir).unwrap_or(path);
        let mut folders: Vec<String> = rel
            .parent()
            .into_iter()
            .flat_map(Path::iter)
            .map(|c| c.to_string_lossy().into_owned())
            .collect();
        let stem = rel
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let stem = if stem == "index" {
            folders.pop().unwrap_or(stem)
        } else {
            stem
        };
        let (date, slug) = match date_prefix(&stem) {
            Some((date, rest)) if !rest.is_empty() => (Some(date.to_owned()), rest.to_owned()),
            _ => (None, stem),
        };
        Name {
            slug,
            date,
            section: folders.into_iter().next().unwrap_or_default(),
        }
    }
}

/// `2026-11-24-velo` as (`2026-11-24`, `velo`).
fn date_prefix(stem: &str) -> Option<(&str, &str)> {
    let (date, rest) = (stem.get(..10)?, stem.get(10..)?);
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let is_date = digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10);
    let rest = rest.strip_prefix('-')?;
    (is_date && chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok()).then_some((date, rest))
}

/// The front matter as matinale's article record: the first of each
/// field's names that is set wins, categories come before tags, and a URL
/// is made when none is given. Also returns the slug used (or why it is
/// not one) and where the URL came from.
fn article<'s>(
    f: Front<'s>,
    name: &Name,
    settings: &Settings<'_>,
    tz: chrono_tz::Tz,
) -> (RawArticle<'s, String>, Result<String, String>, UrlFrom) {
    let (published_date, published_flag) = match f.published {
        Some(Published::Date(d)) => (Some(d), None),
        Some(Published::Flag(b)) => (None, Some(b)),
        None => (None, None),
    };
    let published = published_date
        .or(f.publish_date)
        .or(f.pub_date)
        .or(f.date)
        .or_else(|| name.date.clone().map(|d| RawDate(Cow::Owned(d))));
    let slug = match &f.slug {
        Some(s) => slug_of(s).map(|()| s.trim().to_owned()),
        None => Ok(name.slug.clone()),
    };
    let (url, url_from) = match &f.url {
        Some(u) => (Some(site_relative(u, settings.site_url)), UrlFrom::Field),
        None => match settings.permalink {
            None => (None, UrlFrom::Nowhere),
            Some(p) => {
                let day = published
                    .as_ref()
                    .and_then(|d| super::date::parse(&d.0, tz).ok())
                    .map(|d| d.with_timezone(&tz).date_naive());
                let url = match (day, &slug) {
                    (Some(date), Ok(s)) => {
                        let path = p.path(&Values {
                            date,
                            slug: s,
                            section: &name.section,
                        });
                        Some(Cow::Owned(join(settings.site_url, &path)))
                    }
                    _ => None,
                };
                (url, UrlFrom::Permalink)
            }
        },
    };
    let mut categories = f.categories.map(|c| c.0).unwrap_or_default();
    categories.extend(f.tags.map(|t| t.0).unwrap_or_default());
    let image = f
        .image
        .or_else(|| f.images.and_then(|i| i.0.into_iter().next()))
        .or(f.hero_image)
        .and_then(|i| {
            Some(RawImage {
                // Site-relative as generators write them; a path relative
                // to the article is resolved against its URL later.
                url: site_relative(&i.url?, settings.site_url),
                alt: i.alt.unwrap_or(Cow::Borrowed("")),
                width: i.width,
                height: i.height,
                mime_type: i.mime_type,
                length: i.length,
            })
        });
    let authors: Option<Vec<RawAuthor<'s>>> = f.authors.or(f.author).map(|a| a.0);
    let raw = RawArticle {
        title: f.title,
        url,
        published,
        id: f.id,
        updated: f
            .updated
            .or(f.lastmod)
            .or(f.last_modified_at)
            .or(f.updated_date),
        authors,
        categories: Some(categories),
        summary: f.summary.or(f.description).or(f.excerpt),
        content_html: None,
        image,
        comments: f.comments,
        featured: f.featured,
        draft: Some(f.draft == Some(true) || published_flag == Some(false)),
    };
    (raw, slug, url_from)
}

/// A slug from the front matter must be one segment of a path.
fn slug_of(s: &str) -> Result<(), String> {
    let t = s.trim();
    if t.is_empty() || t == "." || t == ".." || t.contains(['/', '\\', '?', '#']) {
        Err(format!(
            "`{s}` cannot be the last part of a URL; expected a name such as \"velo-electrique\", without `/`, `?` or `#`"
        ))
    } else {
        Ok(())
    }
}

/// A `url` given as a path from the site's root (Hugo) joined to the
/// site's URL; anything else is left for validation to judge.
fn site_relative<'s>(u: &Cow<'s, str>, site: &Url) -> Cow<'s, str> {
    let t = u.trim();
    if t.starts_with('/') && !t.starts_with("//") {
        Cow::Owned(join(site, t.trim_start_matches('/')))
    } else {
        u.clone()
    }
}

/// `path` (without its leading `/`) under the site's URL, which may itself
/// have a path (`https://example.org/blog/`).
fn join(site: &Url, path: &str) -> String {
    let mut base = site.clone();
    if !base.path().ends_with('/') {
        let p = format!("{}/", base.path());
        base.set_path(&p);
    }
    base.join(path)
        .map_or_else(|_| format!("{base}{path}"), |u| u.to_string())
}

/// The key defined on a 1-based line of TOML, if any.
fn key_at(toml: &str, line: usize) -> Option<String> {
    let l = toml.lines().nth(line.checked_sub(1)?)?;
    let (key, _) = l.split_once('=')?;
    let key = key.trim();
    (!key.is_empty() && !key.starts_with('[')).then(|| key.to_owned())
}

/// The top-level key defined on a 1-based line of YAML, if any.
fn key_at_yaml(yaml: &str, line: usize) -> Option<String> {
    let l = yaml.lines().nth(line.checked_sub(1)?)?;
    if l.starts_with([' ', '\t', '-', '#']) {
        return None;
    }
    let (key, _) = l.split_once(':')?;
    let key = key.trim().trim_matches(['"', '\'']);
    (!key.is_empty()).then(|| key.to_owned())
}

/// The 1-based line where top-level `key` is defined (`key =` in TOML,
/// `key:` at the start of a line in YAML).
fn key_line(front: &str, key: &str, yaml: bool) -> Option<usize> {
    if key.is_empty() {
        return None;
    }
    front
        .lines()
        .position(|l| {
            if yaml {
                l.strip_prefix(key)
                    .is_some_and(|r| r.trim_start().starts_with(':'))
            } else {
                l.trim_start()
                    .strip_prefix(key)
                    .is_some_and(|r| r.trim_start().starts_with('='))
            }
        })
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_finds_front_matter_and_body() {
        assert_eq!(
            split("+++\na = 1\n+++\nbody\n"),
            Split::Toml("a = 1\n", "body\n")
        );
        assert_eq!(
            split("+++\r\na = 1\r\n+++\r\nbody"),
            Split::Toml("a = 1\r\n", "body")
        );
        assert_eq!(split("---\na: 1\n---\nbody"), Split::Yaml("a: 1\n", "body"));
        assert_eq!(split("---\na: 1\n...\nbody"), Split::Yaml("a: 1\n", "body"));
        assert_eq!(split("---\n---\n"), Split::Yaml("", ""));
        assert_eq!(split("no front matter"), Split::None);
        assert_eq!(split("+++\nunclosed"), Split::Unclosed("+++"));
        assert_eq!(split("---\nunclosed\n+++\n"), Split::Unclosed("---"));
    }

    #[test]
    fn names_give_slug_date_and_section() {
        let dir = Path::new("content");
        let name = |p: &str| Name::of(Path::new(p), dir);
        assert_eq!(
            name("content/_posts/2026-11-24-velo-cargo.md"),
            Name {
                slug: "velo-cargo".into(),
                date: Some("2026-11-24".into()),
                section: "_posts".into()
            }
        );
        assert_eq!(
            name("content/posts/velo/index.md"),
            Name {
                slug: "velo".into(),
                date: None,
                section: "posts".into()
            }
        );
        assert_eq!(
            name("content/2026-13-45-x.md"),
            Name {
                slug: "2026-13-45-x".into(),
                date: None,
                section: String::new()
            }
        );
        assert_eq!(name("content/2026-11-24.md").slug, "2026-11-24");
    }
}
