//! `search=` (API.md §4.2): every whitespace-separated word must occur, case-insensitively, as a
//! plain substring of one of first/last/middle name, company, e-mails, phones or job title.
//!
//! Each contact has one lower-cased search text (the fields joined by newlines), indexed by an
//! FTS5 trigram table. A word of three or more characters is looked up by its two rarest
//! trigrams (each quoted, so FTS5 operators and `%`/`_` are plain text) and then checked as a
//! whole with `instr()`: common trigrams (`com`, `.co`) never have to be read. Shorter words
//! cannot use trigrams and are checked with `instr()` alone.

/// Longest word that can match: no searched field holds more than 255 characters.
const MAX_WORD_CHARS: usize = 255;

/// The text the index holds for one contact.
pub fn index_text(fields: &[Option<&str>]) -> String {
    let mut body = String::new();
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            body.push('\n');
        }
        body.push_str(&f.unwrap_or("").to_lowercase());
    }
    body
}

/// The words of a search string, lower-cased.
pub fn words(search: &str) -> Vec<String> {
    search.split(char::is_whitespace).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// How a set of words is answered.
#[derive(Debug, Default, PartialEq)]
pub struct SearchPlan {
    /// Words of 3+ characters with their trigrams (a 3-character word is its own trigram).
    pub long_words: Vec<(String, Vec<String>)>,
    /// A word longer than any searchable field, or holding NUL (which no stored text holds):
    /// nothing can match.
    pub impossible: bool,
}

pub fn plan(words: &[String]) -> SearchPlan {
    let mut plan = SearchPlan::default();
    for w in words {
        let chars: Vec<char> = w.chars().collect();
        if chars.len() > MAX_WORD_CHARS || w.contains('\0') {
            plan.impossible = true;
        } else if chars.len() >= 3 {
            let mut trigrams: Vec<String> = chars.windows(3).map(|t| t.iter().collect()).collect();
            trigrams.sort();
            trigrams.dedup();
            plan.long_words.push((w.clone(), trigrams));
        }
    }
    plan
}

/// An FTS5 query for texts holding every one of `trigrams` (each quoted, so that FTS5 syntax
/// and `%`/`_` are plain text).
pub fn match_all(trigrams: &[&str]) -> String {
    trigrams.iter().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect::<Vec<_>>().join(" AND ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_and_quotes_become_plain_trigrams() {
        let p = plan(&words("tom OR \"x* 50%_"));
        assert_eq!(p.long_words[0], ("tom".to_string(), vec!["tom".to_string()]));
        assert_eq!(p.long_words[1].1, vec!["\"x*".to_string()]);
        assert_eq!(p.long_words[2].1, vec!["0%_".to_string(), "50%".to_string()]);
        assert_eq!(p.long_words.len(), 3, "`or` is too short for trigrams");
        assert_eq!(match_all(&["\"x*", "a b"]), "\"\"\"x*\" AND \"a b\"");
    }

    #[test]
    fn nul_and_overlong_words() {
        assert!(plan(&words("a\0bc")).impossible);
        assert!(plan(&[String::from("x").repeat(300)]).impossible);
    }
}
