//! Pinyin keys: full pinyin and initials for typing "sbk" or "shebaoka" to find 社保卡, and toneless sound
//! keys that let a homophone slip (社宝) find the word meant (社保).

use std::collections::HashSet;

use pinyin::ToPinyin;

use crate::analyzer::{fold_char, is_cjk};

/// Longest pinyin prefix indexed.
pub const MAX_PREFIX_CHARS: usize = 24;

/// Toneless pinyin of a word, syllables joined (`社保卡` → `shebaoka`); letters and digits are kept.
/// `None` if the word has no ideograph.
pub fn full_pinyin(word: &str) -> Option<String> {
    let mut out = String::with_capacity(word.len() * 2);
    let mut any_cjk = false;
    for c in word.chars() {
        if is_cjk(c) {
            any_cjk = true;
            match c.to_pinyin() {
                Some(p) => push_plain(&mut out, p.plain()),
                None => return None,
            }
        } else if c.is_alphanumeric() {
            out.push(fold_char(c));
        }
    }
    any_cjk.then_some(out)
}

/// Initials of a word's syllables (`社保卡` → `sbk`). `None` if the word has no ideograph.
pub fn initials(word: &str) -> Option<String> {
    let mut out = String::with_capacity(word.len());
    let mut any_cjk = false;
    for c in word.chars() {
        if is_cjk(c) {
            any_cjk = true;
            match c.to_pinyin() {
                Some(p) => push_plain(&mut out, p.first_letter()),
                None => return None,
            }
        } else if c.is_ascii_alphanumeric() {
            out.push(fold_char(c));
        }
    }
    any_cjk.then_some(out)
}

fn push_plain(out: &mut String, syllable: &str) {
    for c in syllable.chars() {
        out.push(if c == 'ü' { 'v' } else { c });
    }
}

/// The terms of the pinyin field for a sequence of words: for every run of 1 to `window` consecutive
/// words, the full pinyin and the initials, and every prefix of them (edge n-grams), so a query typed
/// in pinyin is one `TermQuery`.
pub fn prefix_terms(words: &[&str], window: usize, out: &mut HashSet<String>) {
    let keys: Vec<(Option<String>, Option<String>)> = words
        .iter()
        .map(|w| (full_pinyin(w), initials(w)))
        .collect();
    for start in 0..keys.len() {
        let mut full = String::new();
        let mut init = String::new();
        for (f, i) in keys.iter().skip(start).take(window) {
            let (Some(f), Some(i)) = (f, i) else { break };
            full.push_str(f);
            init.push_str(i);
            add_prefixes(&full, out);
            add_prefixes(&init, out);
        }
    }
}

fn add_prefixes(key: &str, out: &mut HashSet<String>) {
    // Keys are ASCII: byte indices are character indices.
    let limit = key.len().min(MAX_PREFIX_CHARS);
    for end in 1..=limit {
        if !out.contains(&key[..end]) {
            out.insert(key[..end].to_string());
        }
    }
}

/// Whether a query looks typed in pinyin: ASCII letters (and spaces or apostrophes) only.
pub fn looks_like_pinyin(query: &str) -> bool {
    let mut letters = 0;
    for c in query.chars() {
        if c.is_ascii_alphabetic() {
            letters += 1;
        } else if !(c == ' ' || c == '\'') {
            return false;
        }
    }
    letters > 0
}

/// Whether a query is Latin letters and digits only (pinyin, initials, a hotline number being typed).
pub fn is_latin_query(query: &str) -> bool {
    query.chars().any(|c| c.is_ascii_alphanumeric())
        && query
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '\'')
}

/// Adds the prefixes of Latin words (numbers such as 12345 or 95598, names such as app) to the pinyin
/// field's terms, so they can be typed character by character too.
pub fn latin_prefix_terms(words: &[&str], out: &mut HashSet<String>) {
    for w in words {
        if !w.is_empty() && w.chars().all(|c| c.is_ascii_alphanumeric()) {
            add_prefixes(w, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_a_word() {
        assert_eq!(full_pinyin("社保卡").as_deref(), Some("shebaoka"));
        assert_eq!(initials("社保卡").as_deref(), Some("sbk"));
        assert_eq!(full_pinyin("社宝"), full_pinyin("社保"));
        assert_eq!(full_pinyin("绿化").as_deref(), Some("lvhua"));
        assert_eq!(full_pinyin("app"), None);
    }

    #[test]
    fn prefixes_span_word_runs() {
        let mut terms = HashSet::new();
        prefix_terms(&["公积金", "提取"], 3, &mut terms);
        for t in [
            "g",
            "gj",
            "gjj",
            "gjjt",
            "gjjtq",
            "gongji",
            "gongjijintiqu",
            "tq",
            "tiqu",
        ] {
            assert!(terms.contains(t), "missing {t}");
        }
        assert!(!terms.contains("jjt"));
    }

    #[test]
    fn pinyin_detection() {
        assert!(looks_like_pinyin("sbk"));
        assert!(looks_like_pinyin("she bao"));
        assert!(!looks_like_pinyin("社保"));
        assert!(!looks_like_pinyin("12333"));
    }
}
