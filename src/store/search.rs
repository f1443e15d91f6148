//! `search=` (API.md §4.2): every whitespace-separated word must occur, case-insensitively, as a
//! plain substring of one of first/last/middle name, company, e-mails, phones or job title.
//!
//! Each contact has one lower-cased search text (the fields each followed by a newline),
//! indexed by an FTS5 trigram table. A word of three or more characters is looked up either as
//! an FTS5 phrase (its consecutive trigrams: exactly a substring, no text read; right for common
//! words) or by its two rarest trigrams (each quoted, so FTS5 operators and `%`/`_` are plain
//! text) and then checked as a whole with `instr()`, so that the common trigrams of a rare word
//! (`com`, `.co` of an e-mail) never have to be read; `contacts::plan::long_word_matches` picks by
//! the trigram counts.
//!
//! A two-character word is no trigram, but since every field ends with a newline, each of its
//! occurrences starts one: a text holds `hu` exactly when it holds one of the indexed trigrams
//! beginning with `hu` (`hua`, `hu\n`, …), which the vocabulary lists. A search of two-character
//! words only is answered from the index that way, without reading any search text. One-character
//! words are checked with `instr()` alone.

/// Longest word that can match: no searched field holds more than 255 characters.
const MAX_WORD_CHARS: usize = 255;

/// The text the index holds for one contact.
pub fn index_text(fields: &[Option<&str>]) -> String {
    let mut body = String::new();
    for f in fields {
        // A terminator after every field, the last one included: see the two-character words
        // of the module comment.
        body.push_str(&f.unwrap_or("").to_lowercase());
        body.push('\n');
    }
    body
}

/// Every trigram of an indexed text, as the trigram tokenizer (`case_sensitive 1`) makes its
/// terms: each run of three characters.
pub fn trigrams_of(text: &str) -> impl Iterator<Item = &str> {
    let starts: Vec<usize> = text.char_indices().map(|(i, _)| i).chain([text.len()]).collect();
    (0..starts.len().saturating_sub(3)).map(move |i| &text[starts[i]..starts[i + 3]])
}

/// How a set of words is answered.
#[derive(Debug, Default, PartialEq)]
pub struct SearchPlan {
    /// Words of 3+ characters with their trigrams (a 3-character word is its own trigram).
    pub long_words: Vec<(String, Vec<String>)>,
    /// Two-character words: each is the start of the trigrams that hold it.
    pub two_char_words: Vec<String>,
    /// One-character words, which only `instr()` can test.
    pub one_char_words: Vec<String>,
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
        } else if chars.len() == 2 {
            plan.two_char_words.push(w.clone());
        } else {
            plan.one_char_words.push(w.clone());
        }
    }
    plan
}

/// An FTS5 query for texts holding every one of `trigrams` (each quoted, so that FTS5 syntax
/// and `%`/`_` are plain text).
pub fn match_all(trigrams: &[&str]) -> String {
    quoted(trigrams).join(" AND ")
}

/// An FTS5 query for texts holding any of `trigrams` (quoted as in [`match_all`]).
pub fn match_any(trigrams: &[&str]) -> String {
    quoted(trigrams).join(" OR ")
}

fn quoted(trigrams: &[&str]) -> Vec<String> {
    trigrams.iter().map(|t| format!("\"{}\"", t.replace('"', "\"\""))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::query::words;

    #[test]
    fn operators_and_quotes_become_plain_trigrams() {
        let p = plan(&words("tom OR \"x* 50%_"));
        assert_eq!(p.long_words[0], ("tom".to_string(), vec!["tom".to_string()]));
        assert_eq!(p.long_words[1].1, vec!["\"x*".to_string()]);
        assert_eq!(p.long_words[2].1, vec!["0%_".to_string(), "50%".to_string()]);
        assert_eq!(p.long_words.len(), 3, "`or` is too short for trigrams");
        assert_eq!((p.two_char_words, p.one_char_words), (vec!["or".to_string()], vec![]));
        assert_eq!(match_all(&["\"x*", "a b"]), "\"\"\"x*\" AND \"a b\"");
        assert_eq!(match_any(&["na\n", "nab"]), "\"na\n\" OR \"nab\"");
    }

    #[test]
    fn trigrams_are_every_run_of_three_characters() {
        assert_eq!(trigrams_of("né\nab").collect::<Vec<_>>(), ["né\n", "é\na", "\nab"]);
        assert_eq!(trigrams_of("ab").count(), 0);
    }

    #[test]
    fn every_field_ends_with_a_newline() {
        assert_eq!(index_text(&[Some("Li"), None, Some("ÉMILE Hu")]), "li\n\némile hu\n");
    }

    #[test]
    fn nul_and_overlong_words() {
        assert!(plan(&words("a\0bc")).impossible);
        assert!(plan(&[String::from("x").repeat(300)]).impossible);
    }
}
