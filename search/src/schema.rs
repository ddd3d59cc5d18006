//! The index schema: which fields exist, how each is analyzed, and the document built from a record.

use std::collections::HashSet;

use hotline_model::article::ArticleStatus;
use tantivy::TantivyDocument;
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::analyzer::{Analyzer, TOKENIZER_NAME, is_cjk};
use crate::phonetic::{full_pinyin, latin_prefix_terms, prefix_terms};
use crate::record::ArticleRecord;

/// Region value of a city-wide article (no region).
pub const CITY_WIDE: &str = "all";

/// Status codes kept in the `status` fast field.
pub fn status_code(status: ArticleStatus) -> u64 {
    match status {
        ArticleStatus::Published | ArticleStatus::Expired => 0,
        ArticleStatus::Draft => 1,
        ArticleStatus::InReview => 2,
        ArticleStatus::Withdrawn => 3,
    }
}

/// The status of a code from [`status_code`].
pub fn status_of_code(code: u64) -> ArticleStatus {
    match code {
        0 => ArticleStatus::Published,
        1 => ArticleStatus::Draft,
        2 => ArticleStatus::InReview,
        _ => ArticleStatus::Withdrawn,
    }
}

/// Handles to every field.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub id: Field,
    pub question: Field,
    pub alternatives: Field,
    pub keywords: Field,
    pub answer: Field,
    /// Pinyin edge n-grams (full and initials) of the question's and keywords' words.
    pub pinyin: Field,
    /// Toneless pinyin of every word (homophones).
    pub sound: Field,
    /// Single ideographs of question, alternatives and keywords (one-character queries).
    pub unigram: Field,
    pub unit: Field,
    pub category: Field,
    pub region: Field,
    pub status: Field,
    pub valid_from: Field,
    pub valid_until: Field,
    pub popularity: Field,
    pub updated_day: Field,
}

/// Fast-field names read at query time.
pub mod names {
    pub const UNIT: &str = "unit";
    pub const CATEGORY: &str = "category";
    pub const REGION: &str = "region";
    pub const STATUS: &str = "status";
    pub const VALID_FROM: &str = "valid_from";
    pub const VALID_UNTIL: &str = "valid_until";
    pub const POPULARITY: &str = "popularity";
    pub const UPDATED_DAY: &str = "updated_day";
}

/// Builds the schema and its field handles.
pub fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let text = |record: IndexRecordOption| {
        TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(TOKENIZER_NAME)
                    .set_index_option(record),
            )
            .set_stored()
    };
    let fields = Fields {
        id: b.add_text_field("id", STRING | STORED),
        question: b.add_text_field("question", text(IndexRecordOption::WithFreqsAndPositions)),
        alternatives: b.add_text_field("alternatives", text(IndexRecordOption::WithFreqs)),
        keywords: b.add_text_field("keywords", text(IndexRecordOption::WithFreqs)),
        answer: b.add_text_field("answer", text(IndexRecordOption::WithFreqs)),
        pinyin: b.add_text_field("pinyin", STRING),
        sound: b.add_text_field("sound", STRING),
        unigram: b.add_text_field("unigram", STRING),
        unit: b.add_text_field(names::UNIT, STRING | FAST | STORED),
        category: b.add_text_field(names::CATEGORY, STRING | FAST | STORED),
        region: b.add_text_field(names::REGION, STRING | FAST | STORED),
        status: b.add_u64_field(names::STATUS, FAST | STORED),
        valid_from: b.add_i64_field(names::VALID_FROM, FAST | STORED),
        valid_until: b.add_i64_field(names::VALID_UNTIL, FAST | STORED),
        popularity: b.add_u64_field(names::POPULARITY, FAST | STORED | INDEXED),
        updated_day: b.add_i64_field(names::UPDATED_DAY, FAST),
    };
    (b.build(), fields)
}

/// Milliseconds since the epoch to a Julian day number.
pub fn ms_to_julian_day(ms: i64) -> i64 {
    // 2440588 is the Julian day of 1970-01-01.
    2_440_588 + ms.div_euclid(86_400_000)
}

/// The tantivy document of a record.
pub fn to_document(fields: &Fields, analyzer: &Analyzer, rec: &ArticleRecord) -> TantivyDocument {
    let c = &rec.content;
    let mut doc = TantivyDocument::default();
    doc.add_text(fields.id, &rec.id);
    doc.add_text(fields.question, &c.question);
    for alt in &c.alternatives {
        doc.add_text(fields.alternatives, alt);
    }
    for kw in &c.keywords {
        doc.add_text(fields.keywords, kw);
    }
    doc.add_text(fields.answer, &c.answer);

    // Pinyin prefixes of the question's and keywords' words, sound keys of every word, single ideographs.
    let mut pinyin_terms = HashSet::new();
    let mut sounds = HashSet::new();
    let mut chars = HashSet::new();
    let short_texts = std::iter::once(c.question.as_str())
        .chain(c.keywords.iter().map(String::as_str))
        .chain(c.alternatives.iter().map(String::as_str));
    for (i, t) in short_texts.enumerate() {
        let words = analyzer.words(t);
        let word_texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
        // Alternatives (after the question and keywords) feed sounds and unigrams, not pinyin prefixes.
        if i <= c.keywords.len() {
            prefix_terms(&word_texts, 3, &mut pinyin_terms);
            latin_prefix_terms(&word_texts, &mut pinyin_terms);
        }
        for w in analyzer.index_words(t) {
            if w.char_len >= 2
                && let Some(p) = full_pinyin(&w.text)
            {
                sounds.insert(p);
            }
        }
        chars.extend(t.chars().filter(|ch| is_cjk(*ch)));
    }
    // Hotline numbers and other Latin words of three or more characters in the answer can be typed too.
    let answer_words = analyzer.words(&c.answer);
    let latin: Vec<&str> = answer_words
        .iter()
        .map(|w| w.text.as_str())
        .filter(|w| w.len() >= 3)
        .collect();
    latin_prefix_terms(&latin, &mut pinyin_terms);
    for t in pinyin_terms {
        doc.add_text(fields.pinyin, &t);
    }
    for s in sounds {
        doc.add_text(fields.sound, &s);
    }
    let mut buf = [0u8; 4];
    for ch in chars {
        doc.add_text(fields.unigram, ch.encode_utf8(&mut buf));
    }

    doc.add_text(fields.unit, &c.unit);
    doc.add_text(fields.category, &c.category);
    doc.add_text(fields.region, c.region.as_deref().unwrap_or(CITY_WIDE));
    doc.add_u64(fields.status, status_code(rec.status));
    doc.add_i64(
        fields.valid_from,
        c.valid_from
            .map_or(i64::MIN, |d| i64::from(d.to_julian_day())),
    );
    doc.add_i64(
        fields.valid_until,
        c.valid_until
            .map_or(i64::MAX, |d| i64::from(d.to_julian_day())),
    );
    doc.add_u64(fields.popularity, rec.popularity);
    doc.add_i64(fields.updated_day, ms_to_julian_day(rec.updated_at_ms));
    doc
}
