//! French typography for the edition's text: the spaces that must not
//! break.
//!
//! French sets a space before `?` `!` `:` `;` `»` and after `«`, and groups
//! the digits of a number with spaces (`20 000`). Written as ordinary
//! spaces, as most sites write them, a line may then start with a lone
//! `?` or split a number in two, in the text part (wrapped at 78 columns)
//! as in the HTML one (wrapped by the reader's client). Each such space
//! becomes a no-break space (U+00A0), which every mail client's fonts
//! have; [`crate::templates::wrap`] never breaks at one.

use std::borrow::Cow;

const NBSP: char = '\u{a0}';

/// Whether the edition of a site in `language` (a BCP 47 tag) follows
/// French typography.
pub fn applies(language: &str) -> bool {
    language
        .split(['-', '_'])
        .next()
        .is_some_and(|l| l.eq_ignore_ascii_case("fr"))
}

/// `s` with the spaces French binds made no-break: before `? ! : ; »`,
/// after `«`, and between the digit groups of a number. Only spaces already
/// there change: none is added, so URLs (`https://`) and times (`10:30`)
/// are left as they are.
pub fn french(s: &str) -> Cow<'_, str> {
    let chars: Vec<char> = s.chars().collect();
    let binds = |i: usize| -> bool {
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1).copied();
        matches!(after, Some('?' | '!' | ':' | ';' | '»'))
            || before == Some('«')
            || (before.is_some_and(|c| c.is_ascii_digit()) && starts_digit_group(&chars[i + 1..]))
    };
    let spaces: Vec<usize> = chars
        .iter()
        .enumerate()
        .filter(|&(i, &c)| c == ' ' && binds(i))
        .map(|(i, _)| i)
        .collect();
    if spaces.is_empty() {
        return Cow::Borrowed(s);
    }
    let mut out: Vec<char> = chars;
    for i in spaces {
        out[i] = NBSP;
    }
    Cow::Owned(out.into_iter().collect())
}

/// Whether `rest` starts with a group of exactly three digits that ends
/// the number or is followed by another group: `000 euros`, `000 000`,
/// `000,5`, but not `2022` nor `12 mai`.
fn starts_digit_group(rest: &[char]) -> bool {
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits != 3 {
        return false;
    }
    match rest.get(3) {
        None => true,
        Some(c) => !c.is_alphanumeric(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(s: &str) -> String {
        french(s).replace(NBSP, "~")
    }

    #[test]
    fn binds_the_spaces_french_puts_around_punctuation() {
        assert_eq!(
            f("Kiwi Farms : c’est quoi ce forum qui fait peur à la Russie ?"),
            "Kiwi Farms~: c’est quoi ce forum qui fait peur à la Russie~?"
        );
        assert_eq!(f("« Enfin ! » ; oui"), "«~Enfin~!~»~; oui");
        assert_eq!(f("Pas d’espace?"), "Pas d’espace?");
    }

    #[test]
    fn binds_the_digit_groups_of_a_number_only() {
        assert_eq!(
            f("moins de 20 000 euros, 1 200 000 habitants"),
            "moins de 20~000 euros, 1~200~000 habitants"
        );
        assert_eq!(f("20 000,50 € ?"), "20~000,50 €~?");
        assert_eq!(
            f("en 2022 2 joueurs, le 12 mai"),
            "en 2022 2 joueurs, le 12 mai"
        );
        assert_eq!(f("les 100 1000 premiers"), "les 100 1000 premiers");
        assert_eq!(f("de 10 000"), "de 10~000");
    }

    #[test]
    fn leaves_urls_times_and_clean_text_alone() {
        for s in ["https://ex.org/a?b=1", "à 10:30", "rien à changer", ""] {
            assert!(matches!(french(s), Cow::Borrowed(_)), "{s}");
        }
    }

    #[test]
    fn only_french_sites() {
        assert!(applies("fr-FR") && applies("fr") && applies("FR_ca"));
        assert!(!applies("en-GB") && !applies("frr") && !applies(""));
    }
}
