//! Templates: built into the binary, each replaced by a file of the same
//! name in the site's `templates/` folder.
//!
//! Loading reads the site's folder once ([`Templates::load`]); rendering is
//! pure. The labels (`labels.toml`) and [`long_date`] speak the site's
//! language. Undefined variables are errors that name the template and line.

use crate::error::{Error, Problem, Problems};
use minijinja::{Environment, UndefinedBehavior};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Built-in templates, by file name.
const BUILTIN: [(&str, &str); 8] = [
    (
        "newsletter.html.j2",
        include_str!("../templates/newsletter.html.j2"),
    ),
    (
        "newsletter.txt.j2",
        include_str!("../templates/newsletter.txt.j2"),
    ),
    ("labels.toml", include_str!("../templates/labels.toml")),
    (
        "subscribe.html.j2",
        include_str!("../templates/subscribe.html.j2"),
    ),
    (
        "archive.html.j2",
        include_str!("../templates/archive.html.j2"),
    ),
    ("head.html.j2", include_str!("../templates/head.html.j2")),
    ("cta.html.j2", include_str!("../templates/cta.html.j2")),
    (
        "signup.html.j2",
        include_str!("../templates/signup.html.j2"),
    ),
];

/// The long date in `language` (a BCP 47 tag), e.g. «jeudi 26 novembre
/// 2026»: for the newsletter and the pages alike.
pub fn long_date(language: &str, date: chrono::NaiveDate) -> String {
    let tag = language.replace('-', "_");
    let locale = chrono::Locale::try_from(tag.as_str())
        .or_else(|_| chrono::Locale::try_from(tag.split('_').next().unwrap_or("en")))
        .unwrap_or(chrono::Locale::POSIX);
    date.format_localized("%A %-d %B %Y", locale).to_string()
}

/// Where a template came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Builtin,
    Site(PathBuf),
}

#[derive(Debug, Clone)]
pub struct Templates {
    sources: BTreeMap<&'static str, (String, Origin)>,
}

impl Templates {
    /// The built-in templates only.
    pub fn builtin() -> Templates {
        Templates {
            sources: BUILTIN
                .iter()
                .map(|(n, s)| (*n, ((*s).to_owned(), Origin::Builtin)))
                .collect(),
        }
    }

    /// The built-in templates, each replaced by `dir/NAME` when it exists.
    pub fn load(dir: &Path) -> Result<Templates, Error> {
        let mut t = Templates::builtin();
        for (name, (src, origin)) in t.sources.iter_mut() {
            let path = dir.join(name);
            match std::fs::read_to_string(&path) {
                Ok(s) => {
                    *src = s;
                    *origin = Origin::Site(path);
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(Error::ReadContent { path, source }),
            }
        }
        Ok(t)
    }

    pub fn source(&self, name: &str) -> &str {
        self.sources.get(name).map_or("", |(s, _)| s.as_str())
    }

    fn path(&self, name: &str) -> PathBuf {
        match self.sources.get(name) {
            Some((_, Origin::Site(p))) => p.clone(),
            _ => PathBuf::from(format!("(built-in) templates/{name}")),
        }
    }

    /// A MiniJinja environment holding every template.
    pub fn environment(&self) -> Result<Environment<'static>, Error> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .expect("the default syntax is valid");
        env.set_syntax(syntax);
        env.add_filter("wrap", wrap_filter);
        // MiniJinja's HTML escaping also turns `/` into `&#x2f;`: valid, but
        // the URLs of a snippet pasted into a site's templates must read as
        // URLs. Escaping & < > " ' is what HTML needs.
        env.set_formatter(|out, state, value| {
            if *state.auto_escape() == minijinja::AutoEscape::Html
                && !value.is_safe()
                && value.kind() == minijinja::value::ValueKind::String
            {
                let s = value.as_str().unwrap_or_default();
                out.write_str(&crate::text::escape_html(s)).map_err(|e| {
                    minijinja::Error::new(minijinja::ErrorKind::WriteFailure, e.to_string())
                })
            } else {
                minijinja::escape_formatter(out, state, value)
            }
        });
        for (name, (src, _)) in &self.sources {
            if name.ends_with(".j2") {
                env.add_template_owned(*name, src.clone())
                    .map_err(|e| self.invalid(name, &e))?;
            }
        }
        Ok(env)
    }

    /// The fixed words of `labels.toml` for a language tag such as
    /// `fr-FR` (its part before `-`), else English.
    pub fn labels(&self, language: &str) -> Result<BTreeMap<String, String>, Error> {
        let table: BTreeMap<String, BTreeMap<String, String>> =
            toml::from_str(self.source("labels.toml")).map_err(|e| Error::Invalid {
                problems: Problems(vec![Problem::new(
                    &self.path("labels.toml"),
                    e.span()
                        .map(|s| crate::text::line_of(self.source("labels.toml"), s.start)),
                    "",
                    e.message().to_owned(),
                )]),
            })?;
        let lang = language
            .split('-')
            .next()
            .unwrap_or("en")
            .to_ascii_lowercase();
        Ok(table
            .get(&lang)
            .or_else(|| table.get("en"))
            .cloned()
            .unwrap_or_default())
    }

    /// Renders the template `name` with `ctx`.
    pub fn render(
        &self,
        env: &Environment<'_>,
        name: &str,
        ctx: &minijinja::Value,
    ) -> Result<String, Error> {
        env.get_template(name)
            .and_then(|t| t.render(ctx))
            .map_err(|e| self.invalid(name, &e))
    }

    /// A template error as a problem naming the file and line.
    pub fn invalid(&self, name: &str, e: &minijinja::Error) -> Error {
        let mut msg = e.to_string();
        if let Some(d) = e.detail() {
            if !msg.contains(d) {
                msg = format!("{msg}: {d}");
            }
        }
        Error::Invalid {
            problems: Problems(vec![Problem::new(
                &self.path(e.name().unwrap_or(name)),
                e.line(),
                "",
                msg,
            )]),
        }
    }
}

/// The calls to action as every template sees them: `id`, `text`, `label`
/// (the text when absent) and `url`.
pub fn cta_values(ctas: &[crate::config::Cta]) -> Vec<BTreeMap<&'static str, String>> {
    ctas.iter()
        .map(|c| {
            BTreeMap::from([
                ("id", c.id.clone()),
                ("text", c.text.clone()),
                ("label", c.label.clone().unwrap_or_else(|| c.text.clone())),
                ("url", c.url.to_string()),
            ])
        })
        .collect()
}

/// The signup form as every template sees it: `action`, `email_field`,
/// `fields` (a list of `name`, `value`, by name), `mailto` (a
/// `mailto:…?subject=subscribe` link, or none) and `anchor`, the id the
/// form's block carries on a page (`inscription`).
pub fn signup_value(signup: &crate::config::Signup) -> minijinja::Value {
    let fields: Vec<BTreeMap<&str, String>> = signup
        .fields
        .iter()
        .map(|(name, value)| BTreeMap::from([("name", name.clone()), ("value", value.clone())]))
        .collect();
    // Url encodes what an address may hold and a link may not.
    let mailto = signup.mailto.as_ref().and_then(|a| {
        url::Url::parse(&format!("mailto:{a}?subject=subscribe"))
            .ok()
            .map(|u| u.to_string())
    });
    minijinja::context! {
        action => signup.action.to_string(),
        email_field => signup.email_field.clone(),
        fields => fields,
        mailto => mailto,
        anchor => crate::layout::SIGNUP_ANCHOR,
    }
}

fn wrap_filter(text: String, width: Option<usize>, indent: Option<String>) -> String {
    wrap(&text, width.unwrap_or(78), indent.as_deref().unwrap_or(""))
}

/// Wraps at spaces to `width` columns, `indent` included; never cuts a
/// word, keeps existing line breaks, and never breaks at a no-break space
/// (French puts one before `:` `?` `!` and inside « »).
pub fn wrap(text: &str, width: usize, indent: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for (n, para) in text.split('\n').enumerate() {
        if n > 0 {
            out.push('\n');
        }
        let mut col = 0;
        let mut first = true;
        for word in para.split(' ').filter(|w| !w.is_empty()) {
            let len = word.chars().count();
            if first {
                out.push_str(indent);
                out.push_str(word);
                col = indent.chars().count() + len;
                first = false;
            } else if col + 1 + len > width {
                out.push('\n');
                out.push_str(indent);
                out.push_str(word);
                col = indent.chars().count() + len;
            } else {
                out.push(' ');
                out.push_str(word);
                col += 1 + len;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wraps_at_spaces_only() {
        assert_eq!(wrap("aaa bbb ccc", 7, ""), "aaa bbb\nccc");
        assert_eq!(wrap("un mot\u{a0}?", 6, ""), "un\nmot\u{a0}?");
        assert_eq!(
            wrap("https://a.very/long/url", 5, ""),
            "https://a.very/long/url"
        );
        assert_eq!(wrap("a b", 10, "  "), "  a b");
    }
}
