//! Text helpers of the generator: ASCII folding (e-mails, logins, domains), templates with
//! random digits and letters, surnames in the form for a gender, optional texts.

use super::rng::Rng;
use super::vocab::Locale;

/// Lower-case ASCII for e-mail addresses, logins and domains: accents dropped, umlauts and ß
/// spelled out, Cyrillic transliterated; anything else but letters, digits and `-` left out.
pub(super) fn fold_ascii(s: &str, out: &mut String) {
    for c in s.chars().flat_map(char::to_lowercase) {
        let mapped: &str = match c {
            'a'..='z' | '0'..='9' | '-' => {
                out.push(c);
                continue;
            }
            'à' | 'á' | 'â' | 'ã' | 'å' | 'ā' => "a",
            'ä' | 'æ' => "ae",
            'ç' => "c",
            'è' | 'é' | 'ê' | 'ë' => "e",
            'ì' | 'í' | 'î' | 'ï' => "i",
            'ñ' => "n",
            'ò' | 'ó' | 'ô' | 'õ' => "o",
            'ö' | 'œ' => "oe",
            'ù' | 'ú' | 'û' => "u",
            'ü' => "ue",
            'ß' => "ss",
            'ÿ' => "y",
            'а' => "a",
            'б' => "b",
            'в' => "v",
            'г' => "g",
            'д' => "d",
            'е' | 'ё' | 'э' => "e",
            'ж' => "zh",
            'з' => "z",
            'и' => "i",
            'й' | 'ы' => "y",
            'к' => "k",
            'л' => "l",
            'м' => "m",
            'н' => "n",
            'о' => "o",
            'п' => "p",
            'р' => "r",
            'с' => "s",
            'т' => "t",
            'у' => "u",
            'ф' => "f",
            'х' => "kh",
            'ц' => "ts",
            'ч' => "ch",
            'ш' => "sh",
            'щ' => "shch",
            'ю' => "yu",
            'я' => "ya",
            _ => "",
        };
        out.push_str(mapped);
    }
}

/// `#` → digit, `%` → digit but 0 and 1, `@` → capital letter.
pub(super) fn fill(rng: &mut Rng, template: &str, out: &mut String) {
    for c in template.chars() {
        match c {
            '#' => out.push((b'0' + rng.below(10) as u8) as char),
            '%' => out.push((b'2' + rng.below(8) as u8) as char),
            '@' => out.push((b'A' + rng.below(26) as u8) as char),
            c => out.push(c),
        }
    }
}

/// A surname in the form for the person's gender.
pub(super) fn surname(locale: &Locale, index: usize, female: bool, out: &mut String) {
    let base = locale.last[index];
    if !(female && locale.gendered_last) {
        out.push_str(base);
    } else if let Some(stem) = base.strip_suffix("sky") {
        out.push_str(stem);
        out.push_str("skaya");
    } else if let Some(stem) = base.strip_suffix("ский") {
        out.push_str(stem);
        out.push_str("ская");
    } else if base.ends_with('v') || base.ends_with('n') {
        out.push_str(base);
        out.push('a');
    } else if base.ends_with('в') || base.ends_with('н') {
        out.push_str(base);
        out.push('а');
    } else {
        out.push_str(base);
    }
}

/// Sets an optional text, reusing its buffer; empty means None.
pub(super) fn set(slot: &mut Option<String>, value: &str) {
    if value.is_empty() {
        *slot = None;
    } else {
        let s = slot.get_or_insert_with(String::new);
        s.clear();
        s.push_str(value);
    }
}

pub(super) fn opt(s: &str) -> Option<&str> {
    if s.is_empty() {
        None
    } else {
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::super::vocab::vocab;
    use super::*;

    #[test]
    fn folding_spells_out_what_ascii_lacks() {
        let mut out = String::new();
        for name in ["Müller", "Peña", "Ольга", "O'Brien", "Weiß"] {
            fold_ascii(name, &mut out);
            out.push(' ');
        }
        assert_eq!(out, "mueller pena olga obrien weiss ");
    }

    #[test]
    fn surnames_take_the_form_for_the_gender() {
        let v = vocab();
        let russian = v.locales.iter().find(|l| l.gendered_last && l.last[0] == "Ivanov").unwrap();
        let form = |index: usize, female: bool| {
            let mut out = String::new();
            surname(russian, index, female, &mut out);
            out
        };
        let kovalevsky = russian.last.iter().position(|l| *l == "Kovalevsky").unwrap();
        assert_eq!(
            (form(0, false), form(0, true), form(kovalevsky, true)),
            ("Ivanov".into(), "Ivanova".into(), "Kovalevskaya".into())
        );
    }

    #[test]
    fn templates_draw_digits_and_capitals_the_same_way_per_seed() {
        let draw = |seed| {
            let mut out = String::new();
            fill(&mut Rng::new(seed), "+1 (%##) @#", &mut out);
            out
        };
        let a = draw(1);
        assert_eq!(a, draw(1));
        let b = a.as_bytes();
        assert!(a.starts_with("+1 (") && (b'2'..=b'9').contains(&b[4]) && b[9].is_ascii_uppercase(), "{a}");
    }
}
