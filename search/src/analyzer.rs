//! The Chinese analyzer: jieba in search mode behind tantivy's `Tokenizer` trait, with positions counted
//! in characters so that overlapping sub-words (社保 inside 社保卡) keep phrase queries meaningful.

use std::sync::Arc;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use crate::lexicon::Lexicon;

/// Name under which the tokenizer is registered in the index.
pub const TOKENIZER_NAME: &str = "zh_jieba";

/// Frequency given to user-dictionary words that carry none, high enough to keep them whole.
const DEFAULT_USER_FREQ: usize = 30_000;

/// Folds full-width ASCII to half-width and lowercases, one character for one character.
pub fn fold_char(c: char) -> char {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    };
    c.to_ascii_lowercase()
}

/// Normalizes a word for indexing and lookup.
pub fn normalize(text: &str) -> String {
    text.chars().map(fold_char).collect()
}

/// Whether a character is a CJK ideograph.
pub fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

/// Whether a token carries meaning (a letter, digit or ideograph), as opposed to space or punctuation.
fn is_meaningful(word: &str) -> bool {
    word.chars().any(|c| c.is_alphanumeric())
}

/// A segmented word with its place in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Normalized text.
    pub text: String,
    /// Offset in characters.
    pub char_start: usize,
    /// Length in characters.
    pub char_len: usize,
    pub byte_start: usize,
    pub byte_end: usize,
}

/// The shared segmenter and word lists. Cheap to clone.
#[derive(Clone)]
pub struct Analyzer {
    jieba: Arc<Jieba>,
    lexicon: Arc<Lexicon>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer").finish_non_exhaustive()
    }
}

impl Analyzer {
    /// Loads jieba's embedded dictionary plus the lexicon's user dictionary and synonym words.
    pub fn new(lexicon: Lexicon) -> Analyzer {
        let mut jieba = Jieba::new();
        for (word, freq) in &lexicon.user_dict {
            jieba.add_word(word, Some(freq.unwrap_or(DEFAULT_USER_FREQ)), None);
        }
        let synonym_words: Vec<String> = lexicon.synonym_words().map(str::to_string).collect();
        for word in synonym_words {
            if word.chars().count() > 1 {
                let freq = jieba.suggest_freq(&word).max(DEFAULT_USER_FREQ);
                jieba.add_word(&word, Some(freq), None);
            }
        }
        Analyzer {
            jieba: Arc::new(jieba),
            lexicon: Arc::new(lexicon),
        }
    }

    pub fn lexicon(&self) -> &Lexicon {
        &self.lexicon
    }

    /// Search-mode words of `text` (whole words and their dictionary sub-words), sorted by position.
    pub fn index_words(&self, text: &str) -> Vec<Word> {
        let mut words: Vec<Word> = self
            .jieba
            .cut_for_search(text, false)
            .into_iter()
            .filter(|t| is_meaningful(t.word))
            .map(|t| Word {
                text: normalize(t.word),
                char_start: t.start,
                char_len: t.end - t.start,
                byte_start: t.byte_start,
                byte_end: t.byte_end,
            })
            .collect();
        words.sort_by(|a, b| {
            a.char_start
                .cmp(&b.char_start)
                .then(a.char_len.cmp(&b.char_len))
        });
        words
    }

    /// Default-mode words of `text` (no overlaps), without space and punctuation.
    pub fn words(&self, text: &str) -> Vec<Word> {
        self.jieba
            .cut(text, false)
            .into_iter()
            .filter(|t| is_meaningful(t.word))
            .map(|t| Word {
                text: normalize(t.word),
                char_start: t.start,
                char_len: t.end - t.start,
                byte_start: t.byte_start,
                byte_end: t.byte_end,
            })
            .collect()
    }

    /// The dictionary sub-words search mode finds inside one word (excluding the word itself).
    pub fn sub_words(&self, word: &str) -> Vec<String> {
        if word.chars().count() < 3 {
            return Vec::new();
        }
        let mut subs: Vec<String> = self
            .jieba
            .cut_for_search(word, false)
            .into_iter()
            .filter(|t| t.end - t.start >= 2 && t.word != word)
            .map(|t| normalize(t.word))
            .collect();
        subs.sort();
        subs.dedup();
        subs
    }

    /// The tantivy tokenizer for this analyzer.
    pub fn tokenizer(&self) -> ChineseTokenizer {
        ChineseTokenizer {
            analyzer: self.clone(),
            tokens: Vec::new(),
        }
    }
}

/// jieba search mode as a tantivy tokenizer; `position` is the token's character offset.
#[derive(Clone)]
pub struct ChineseTokenizer {
    analyzer: Analyzer,
    tokens: Vec<Token>,
}

/// The token stream of [`ChineseTokenizer`].
pub struct ChineseTokenStream<'a> {
    tokens: &'a mut Vec<Token>,
    index: usize,
}

impl Tokenizer for ChineseTokenizer {
    type TokenStream<'a> = ChineseTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> ChineseTokenStream<'a> {
        self.tokens.clear();
        for w in self.analyzer.index_words(text) {
            self.tokens.push(Token {
                offset_from: w.byte_start,
                offset_to: w.byte_end,
                position: w.char_start,
                text: w.text,
                position_length: w.char_len,
            });
        }
        ChineseTokenStream {
            tokens: &mut self.tokens,
            index: 0,
        }
    }
}

impl TokenStream for ChineseTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.index += 1;
        self.index <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer() -> Analyzer {
        Analyzer::new(Lexicon::builtin().expect("lexicon"))
    }

    #[test]
    fn search_mode_keeps_whole_words_and_sub_words_with_char_positions() {
        let a = analyzer();
        let mut tok = a.tokenizer();
        let mut stream = tok.token_stream("我的社会保障卡丢了");
        let mut seen = Vec::new();
        while stream.advance() {
            let t = stream.token();
            seen.push((t.text.clone(), t.position));
        }
        assert!(seen.contains(&("社会保障卡".to_string(), 2)), "{seen:?}");
        assert!(seen.iter().any(|(w, p)| w == "社会" && *p == 2), "{seen:?}");
        let positions: Vec<usize> = seen.iter().map(|(_, p)| *p).collect();
        let mut sorted = positions.clone();
        sorted.sort();
        assert_eq!(positions, sorted);
    }

    #[test]
    fn user_dictionary_keeps_city_terms_whole() {
        let a = analyzer();
        let words: Vec<String> = a
            .words("临江人社APP怎么查医保码")
            .into_iter()
            .map(|w| w.text)
            .collect();
        assert!(words.contains(&"临江人社".to_string()), "{words:?}");
        assert!(words.contains(&"医保码".to_string()), "{words:?}");
        assert!(words.contains(&"app".to_string()), "{words:?}");
    }

    #[test]
    fn full_width_is_folded() {
        assert_eq!(normalize("ＡＰＰ１２３"), "app123");
    }
}
