//! The query builder: turns what an operator typed into a tantivy query without `QueryParser`.
//!
//! Each meaningful word of the query (stop words dropped) becomes a group of alternatives: the word, its
//! synonyms, its dictionary sub-words, and — when the word is unknown to the index — its homophones by
//! pinyin or its single characters. Each alternative is searched in question, alternatives, keywords and
//! answer with field boosts. Groups are should-clauses with a minimum number that must match; a phrase
//! query on the question adds a bonus when the words appear in order. A query typed in pinyin or its
//! initials is one `TermQuery` on the pinyin edge n-gram field.

use std::collections::HashMap;
use std::sync::Mutex;

use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

use crate::analyzer::{Analyzer, Word, is_cjk, normalize};
use crate::phonetic::{MAX_PREFIX_CHARS, full_pinyin, is_latin_query};
use crate::schema::Fields;

/// How strict the query is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strictness {
    /// Most groups must match; unknown words fall back to homophones only.
    Strict,
    /// One group is enough; unknown words also fall back to their single characters.
    Relaxed,
}

/// Field boosts of a text alternative.
const FIELD_BOOSTS: [(FieldKind, f32); 4] = [
    (FieldKind::Question, 3.0),
    (FieldKind::Alternatives, 2.0),
    (FieldKind::Keywords, 2.0),
    (FieldKind::Answer, 1.0),
];

#[derive(Debug, Clone, Copy)]
enum FieldKind {
    Question,
    Alternatives,
    Keywords,
    Answer,
}

const SYNONYM_WEIGHT: f32 = 0.9;
const SUB_WORD_WEIGHT: f32 = 0.4;
const SOUND_WEIGHT: f32 = 2.0;
const UNIGRAM_WEIGHT: f32 = 2.0;
const PHRASE_BOOST: f32 = 2.0;
const PHRASE_SLOP: u32 = 4;
/// Share of documents above which a query word counts as too common to search for.
const COMMON_SHARE: f64 = 0.3;

/// A built query and what it is made of.
pub struct BuiltQuery {
    pub query: Box<dyn Query>,
    /// Number of word groups (0 for a pinyin query).
    pub groups: usize,
}

/// Document frequencies already looked up, for one searcher generation (typing repeats the same words).
#[derive(Debug, Default)]
pub struct DfCache {
    generation: u64,
    counts: HashMap<(Field, String), u64>,
}

/// Entries kept before the cache is emptied.
const DF_CACHE_MAX: usize = 200_000;

/// Builds queries against one searcher (document frequencies decide which alternatives are kept).
pub struct QueryBuilder<'a> {
    pub fields: &'a Fields,
    pub analyzer: &'a Analyzer,
    pub searcher: &'a Searcher,
    pub cache: &'a Mutex<DfCache>,
}

/// One alternative of a group.
enum Alt {
    /// A word searched in the text fields.
    Text(String, f32),
    /// A term of one raw field (sound, unigram).
    Raw(Field, String, f32),
    /// Single characters of which at least the given number must occur.
    Chars(Vec<String>, usize),
}

impl QueryBuilder<'_> {
    fn df(&self, field: Field, text: &str) -> u64 {
        let generation = self.searcher.generation().generation_id();
        let key = (field, text.to_string());
        if let Ok(cache) = self.cache.lock()
            && cache.generation == generation
            && let Some(&n) = cache.counts.get(&key)
        {
            return n;
        }
        let n = self
            .searcher
            .doc_freq(&Term::from_field_text(field, text))
            .unwrap_or(0);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.generation != generation || cache.counts.len() >= DF_CACHE_MAX {
                cache.counts.clear();
                cache.generation = generation;
            }
            cache.counts.insert(key, n);
        }
        n
    }

    fn text_df(&self, word: &str) -> u64 {
        let f = self.fields;
        [f.question, f.keywords, f.alternatives, f.answer]
            .iter()
            .map(|&fld| self.df(fld, word))
            .sum()
    }

    fn field(&self, kind: FieldKind) -> Field {
        match kind {
            FieldKind::Question => self.fields.question,
            FieldKind::Alternatives => self.fields.alternatives,
            FieldKind::Keywords => self.fields.keywords,
            FieldKind::Answer => self.fields.answer,
        }
    }

    fn term_query(field: Field, text: &str, boost: f32) -> Box<dyn Query> {
        let q = TermQuery::new(
            Term::from_field_text(field, text),
            IndexRecordOption::WithFreqs,
        );
        Box::new(BoostQuery::new(Box::new(q), boost))
    }

    fn alt_query(&self, alt: &Alt) -> Box<dyn Query> {
        match alt {
            Alt::Text(word, weight) => {
                let clauses = FIELD_BOOSTS
                    .iter()
                    .map(|&(kind, boost)| {
                        (
                            Occur::Should,
                            Self::term_query(self.field(kind), word, boost * weight),
                        )
                    })
                    .collect();
                Box::new(BooleanQuery::new(clauses))
            }
            Alt::Raw(field, term, weight) => Self::term_query(*field, term, *weight),
            Alt::Chars(chars, required) => {
                let clauses = chars
                    .iter()
                    .map(|c| {
                        (
                            Occur::Should,
                            Self::term_query(self.fields.unigram, c, UNIGRAM_WEIGHT),
                        )
                    })
                    .collect();
                Box::new(BooleanQuery::with_minimum_required_clauses(
                    clauses, *required,
                ))
            }
        }
    }

    /// The query for `text`, or `None` if nothing in it can match anything.
    pub fn build(&self, text: &str, strictness: Strictness) -> Option<BuiltQuery> {
        let normalized = normalize(text.trim());
        if normalized.is_empty() {
            return None;
        }
        if is_latin_query(&normalized) {
            return self.build_pinyin(&normalized);
        }
        let lex = self.analyzer.lexicon();
        let all_words = self.analyzer.words(&normalized);
        let mut words: Vec<_> = all_words
            .iter()
            .filter(|w| !lex.is_stop_word(&w.text))
            .cloned()
            .collect();
        if words.is_empty() {
            words = all_words;
        }
        // Runs of single ideographs that are not words of the index (社宝 cut as 社 + 宝) are merged, so
        // their pinyin can be matched as one word.
        let mut words = self.merge_unknown_chars(words);
        // Words in a large share of all answers (the city's name …) say little and cost much: like stop
        // words, they are dropped when other words remain.
        let common_limit = (self.searcher.num_docs() as f64 * COMMON_SHARE) as u64;
        if words.len() > 1 && common_limit > 0 {
            let rare: Vec<Word> = words
                .iter()
                .filter(|w| self.df(self.fields.answer, &w.text) <= common_limit)
                .cloned()
                .collect();
            if !rare.is_empty() {
                words = rare;
            }
        }

        let mut groups: Vec<Box<dyn Query>> = Vec::new();
        let mut phrase_terms: Vec<(usize, Term)> = Vec::new();
        for w in &words {
            let alts = self.alternatives(&w.text, strictness);
            if alts.is_empty() {
                continue;
            }
            if self.df(self.fields.question, &w.text) > 0 {
                phrase_terms.push((
                    w.char_start,
                    Term::from_field_text(self.fields.question, &w.text),
                ));
            }
            let clauses: Vec<(Occur, Box<dyn Query>)> = alts
                .iter()
                .map(|a| (Occur::Should, self.alt_query(a)))
                .collect();
            groups.push(if clauses.len() == 1 {
                clauses.into_iter().map(|(_, q)| q).next()?
            } else {
                Box::new(BooleanQuery::new(clauses))
            });
        }
        let n = groups.len();
        if n == 0 {
            return None;
        }
        let required = match strictness {
            Strictness::Strict if n <= 3 => n,
            Strictness::Strict => (n * 3).div_ceil(4),
            Strictness::Relaxed => 1,
        };
        let core: Box<dyn Query> = if n == 1 {
            groups.into_iter().next()?
        } else {
            Box::new(BooleanQuery::with_minimum_required_clauses(
                groups.into_iter().map(|q| (Occur::Should, q)).collect(),
                required,
            ))
        };
        if phrase_terms.len() >= 2 {
            let base = phrase_terms[0].0;
            let terms = phrase_terms
                .into_iter()
                .map(|(pos, t)| (pos - base, t))
                .collect();
            let phrase = PhraseQuery::new_with_offset_and_slop(terms, PHRASE_SLOP);
            let bonus: Box<dyn Query> = Box::new(BoostQuery::new(Box::new(phrase), PHRASE_BOOST));
            let q = BooleanQuery::new(vec![(Occur::Must, core), (Occur::Should, bonus)]);
            return Some(BuiltQuery {
                query: Box::new(q),
                groups: n,
            });
        }
        Some(BuiltQuery {
            query: core,
            groups: n,
        })
    }

    /// Whether every word of `text` is a stop word (我, 我的, 请问 …: the start of a question being typed).
    pub fn only_stop_words(&self, text: &str) -> bool {
        let words = self.analyzer.words(&normalize(text.trim()));
        !words.is_empty()
            && words
                .iter()
                .all(|w| self.analyzer.lexicon().is_stop_word(&w.text))
    }

    fn merge_unknown_chars(&self, words: Vec<Word>) -> Vec<Word> {
        let mut out: Vec<Word> = Vec::with_capacity(words.len());
        // Whether the last word is a single ideograph or a merged run, and whether it is unknown.
        let mut last_mergeable = false;
        let mut last_unknown = false;
        for w in words {
            let single = w.char_len == 1 && w.text.chars().all(is_cjk);
            let unknown = single && self.text_df(&w.text) == 0;
            if let Some(last) = out.last_mut() {
                let adjacent = last.char_start + last.char_len == w.char_start;
                if single && last_mergeable && adjacent && (unknown || last_unknown) {
                    last.text.push_str(&w.text);
                    last.char_len += 1;
                    last.byte_end = w.byte_end;
                    last_unknown = true;
                    continue;
                }
            }
            last_mergeable = single;
            last_unknown = unknown;
            out.push(w);
        }
        out
    }

    fn alternatives(&self, word: &str, strictness: Strictness) -> Vec<Alt> {
        let lex = self.analyzer.lexicon();
        let mut alts = Vec::new();
        if self.text_df(word) > 0 {
            alts.push(Alt::Text(word.to_string(), 1.0));
        }
        for syn in lex.synonyms(word) {
            if self.text_df(syn) > 0 {
                alts.push(Alt::Text(syn.to_string(), SYNONYM_WEIGHT));
            }
        }
        let chars = word.chars().count();
        if alts.is_empty() || chars >= 4 {
            for sub in self.analyzer.sub_words(word) {
                if !lex.is_stop_word(&sub) && self.text_df(&sub) > 0 {
                    alts.push(Alt::Text(sub, SUB_WORD_WEIGHT));
                }
            }
        }
        if chars == 1 && word.chars().all(is_cjk) {
            if self.df(self.fields.unigram, word) > 0 {
                alts.push(Alt::Raw(
                    self.fields.unigram,
                    word.to_string(),
                    UNIGRAM_WEIGHT,
                ));
            }
            return alts;
        }
        if alts.is_empty() {
            // An unknown word: a homophone of a known one (社宝 → shebao → 社保)?
            if let Some(sound) = full_pinyin(word)
                && self.df(self.fields.sound, &sound) > 0
            {
                alts.push(Alt::Raw(self.fields.sound, sound, SOUND_WEIGHT));
            }
        }
        if alts.is_empty() && strictness == Strictness::Relaxed {
            // Last resort: at least half of the word's characters in one question.
            let chars: Vec<String> = word
                .chars()
                .filter(|c| is_cjk(*c))
                .map(String::from)
                .collect();
            if !chars.is_empty() {
                let required = if chars.len() <= 2 {
                    chars.len()
                } else {
                    chars.len().div_ceil(2)
                };
                alts.push(Alt::Chars(chars, required));
            }
        }
        alts
    }

    fn build_pinyin(&self, text: &str) -> Option<BuiltQuery> {
        let key: String = text
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(MAX_PREFIX_CHARS)
            .collect();
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if self.df(self.fields.pinyin, &key) > 0 {
            clauses.push((
                Occur::Should,
                Self::term_query(self.fields.pinyin, &key, 3.0),
            ));
        } else if let Some(parts) = self.split_pinyin(&key, 3) {
            // "gjjtq": no single run of words has it, but 公积金 (gjj) and 提取 (tq) both occur.
            let musts = parts
                .iter()
                .map(|p| (Occur::Must, Self::term_query(self.fields.pinyin, p, 1.5)))
                .collect();
            clauses.push((Occur::Should, Box::new(BooleanQuery::new(musts))));
        }
        // Latin words that are words of the articles (app, etc, pm).
        for w in text.split_whitespace() {
            if self.text_df(w) > 0 {
                clauses.push((
                    Occur::Should,
                    self.alt_query(&Alt::Text(w.to_string(), 1.0)),
                ));
            }
        }
        if clauses.is_empty() {
            return None;
        }
        Some(BuiltQuery {
            query: Box::new(BooleanQuery::new(clauses)),
            groups: 0,
        })
    }

    /// Splits a pinyin key into at most `max_parts` pieces that each occur in the pinyin field, longest
    /// first piece first.
    fn split_pinyin(&self, key: &str, max_parts: usize) -> Option<Vec<String>> {
        if max_parts < 2 || key.len() < 2 {
            return None;
        }
        for cut in (1..key.len()).rev() {
            let (head, tail) = key.split_at(cut);
            if self.df(self.fields.pinyin, head) == 0 {
                continue;
            }
            if self.df(self.fields.pinyin, tail) > 0 {
                return Some(vec![head.to_string(), tail.to_string()]);
            }
            if let Some(mut rest) = self.split_pinyin(tail, max_parts - 1) {
                rest.insert(0, head.to_string());
                return Some(rest);
            }
        }
        None
    }
}
