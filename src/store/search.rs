//! `search=` (API.md §4.2): every whitespace-separated word must occur, case-insensitively, as a
//! plain substring of one of first/last/middle name, company, e-mails, phones or job title.
//!
//! The index is an FTS5 table with the trigram tokenizer over one lower-cased text per contact
//! (the fields joined by newlines). A word of three or more characters becomes a quoted FTS5
//! phrase, which for trigrams means "this exact substring"; quoting makes every FTS5 operator
//! and `%`/`_` plain text. Shorter words cannot use trigrams and fall back to `instr()` over the
//! stored text.

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
    search
        .split(char::is_whitespace)
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// How a set of words is answered.
#[derive(Debug, Default, PartialEq)]
pub struct SearchPlan {
    /// FTS5 MATCH expression for the words of 3+ characters (None when there are none).
    pub fts_match: Option<String>,
    /// Words of 1–2 characters, checked with `instr()` on the stored text.
    pub short_words: Vec<String>,
    /// A word longer than any searchable field, or holding NUL (which no stored text holds):
    /// nothing can match.
    pub impossible: bool,
}

pub fn plan(words: &[String]) -> SearchPlan {
    let mut plan = SearchPlan::default();
    let mut phrases = Vec::new();
    for w in words {
        let chars = w.chars().count();
        if chars > MAX_WORD_CHARS || w.contains('\0') {
            plan.impossible = true;
        } else if chars >= 3 {
            phrases.push(format!("\"{}\"", w.replace('"', "\"\"")));
        } else {
            plan.short_words.push(w.clone());
        }
    }
    if !phrases.is_empty() {
        plan.fts_match = Some(phrases.join(" AND "));
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_and_quotes_become_plain_phrases() {
        let p = plan(&words("tom OR \"x* NEAR(a b) 50%_"));
        assert_eq!(
            p.fts_match.as_deref(),
            Some("\"tom\" AND \"\"\"x*\" AND \"near(a\" AND \"50%_\"")
        );
        assert_eq!(p.short_words, vec!["or", "b)"]);
    }

    #[test]
    fn nul_and_overlong_words() {
        assert!(plan(&words("a\0bc")).impossible);
        assert!(plan(&[String::from("x").repeat(300)]).impossible);
    }
}
