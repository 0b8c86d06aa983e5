//! Category slugs: the folder names of per-category feeds.
//!
//! A slug is made only of lowercase ASCII letters, digits and single
//! hyphens, so it can never name a path outside the output folder
//! (`../x` → `x`) nor differ by case on a case-insensitive disk. Names are
//! transliterated (« Jeux vidéo » → `jeux-video`); a name with nothing
//! transliterable gets a short hash of itself, stable across builds.

use crate::stable_hash::fnv1a32;

/// The slug of a category name. Never empty.
pub fn slugify(name: &str) -> String {
    let ascii = deunicode::deunicode(name);
    let mut slug = String::with_capacity(ascii.len());
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.is_empty() && !slug.ends_with('-') {
            slug.push('-');
        }
    }
    while slug.ends_with('-') {
        slug.pop();
    }
    // Keep folder names reasonable; cut on a character boundary (ASCII).
    if slug.len() > 80 {
        slug.truncate(80);
        while slug.ends_with('-') {
            slug.pop();
        }
    }
    if slug.is_empty() {
        format!("c-{:08x}", fnv1a32(name.as_bytes()))
    } else {
        slug
    }
}

#[cfg(test)]
mod tests {
    use super::slugify;

    #[test]
    fn slugs_are_safe_ascii() {
        assert_eq!(slugify("Jeux vidéo"), "jeux-video");
        assert_eq!(slugify("Cinéma & Séries"), "cinema-series");
        assert_eq!(slugify("C++ & Rust"), "c-rust");
        assert_eq!(slugify("../x"), "x");
        assert_eq!(slugify(".."), slugify(".."));
        // The hash is part of a published feed's URL: it never changes.
        assert_eq!(slugify(".."), "c-a3d4a70d");
        assert_eq!(slugify("🟣"), slugify("🟣"));
        assert_ne!(slugify("!!"), slugify("??"));
        assert_eq!(slugify("Ελληνικά"), "ellenika");
    }
}
