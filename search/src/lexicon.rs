//! The editable word lists of the Chinese analyzer: user dictionary, query stop words and synonym groups.
//!
//! The defaults live in `search/data/` and are compiled in; a deployment may load its own files instead.

use std::collections::{HashMap, HashSet};

use serde::Deserialize;

use crate::error::SearchError;

const DEFAULT_SYNONYMS: &str = include_str!("../data/synonyms.toml");
const DEFAULT_USER_DICT: &str = include_str!("../data/userdict.txt");
const DEFAULT_STOP_WORDS: &str = include_str!("../data/stopwords.txt");

/// The word lists the analyzer and the query builder use.
#[derive(Debug, Clone)]
pub struct Lexicon {
    /// Lines of a jieba dictionary: `word [freq [tag]]`.
    pub user_dict: Vec<(String, Option<usize>)>,
    stop_words: HashSet<String>,
    /// word → index of its group in `groups`.
    synonym_of: HashMap<String, Vec<usize>>,
    groups: Vec<Vec<String>>,
}

#[derive(Deserialize)]
struct SynonymFile {
    groups: Vec<Vec<String>>,
}

impl Lexicon {
    /// The lists shipped with the crate (`search/data/`).
    pub fn builtin() -> Result<Lexicon, SearchError> {
        Lexicon::from_texts(DEFAULT_USER_DICT, DEFAULT_STOP_WORDS, DEFAULT_SYNONYMS)
    }

    /// Builds the lists from file contents: a jieba user dictionary, one stop word a line (`#` starts a
    /// comment), and a TOML file with `groups = [[...], ...]`.
    pub fn from_texts(
        user_dict: &str,
        stop_words: &str,
        synonyms: &str,
    ) -> Result<Lexicon, SearchError> {
        let mut dict = Vec::new();
        for line in user_dict
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
        {
            let mut parts = line.split_whitespace();
            let Some(word) = parts.next() else { continue };
            let freq = match parts.next() {
                Some(f) => Some(f.parse::<usize>().map_err(|e| SearchError::Parse {
                    what: format!("user dictionary line {line:?}"),
                    message: e.to_string(),
                })?),
                None => None,
            };
            dict.push((word.to_lowercase(), freq));
        }
        let stop_words = stop_words
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        let file: SynonymFile = toml::from_str(synonyms).map_err(|e| SearchError::Parse {
            what: "synonyms".into(),
            message: e.to_string(),
        })?;
        let groups: Vec<Vec<String>> = file
            .groups
            .into_iter()
            .map(|g| {
                g.into_iter()
                    .map(|w| w.trim().to_lowercase())
                    .filter(|w| !w.is_empty())
                    .collect::<Vec<_>>()
            })
            .filter(|g| g.len() > 1)
            .collect();
        let mut synonym_of: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, group) in groups.iter().enumerate() {
            for word in group {
                synonym_of.entry(word.clone()).or_default().push(i);
            }
        }
        Ok(Lexicon {
            user_dict: dict,
            stop_words,
            synonym_of,
            groups,
        })
    }

    /// Whether a query word is dropped before searching.
    pub fn is_stop_word(&self, word: &str) -> bool {
        self.stop_words.contains(word)
    }

    /// The other words of every group `word` belongs to.
    pub fn synonyms<'a>(&'a self, word: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.synonym_of
            .get(word)
            .into_iter()
            .flatten()
            .flat_map(move |&g| self.groups[g].iter())
            .map(String::as_str)
            .filter(move |w| *w != word)
    }

    /// The synonym groups, as loaded.
    pub fn groups(&self) -> &[Vec<String>] {
        &self.groups
    }

    /// Every word that appears in a synonym group (all are added to the segmenter's dictionary).
    pub fn synonym_words(&self) -> impl Iterator<Item = &str> {
        self.groups.iter().flatten().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_lists_parse_and_synonyms_are_symmetric() {
        let lex = Lexicon::builtin().expect("builtin lexicon");
        assert!(lex.is_stop_word("怎么"));
        assert!(!lex.is_stop_word("社保卡"));
        let of_gjj: Vec<_> = lex.synonyms("公积金").collect();
        assert!(of_gjj.contains(&"住房公积金"));
        let back: Vec<_> = lex.synonyms("住房公积金").collect();
        assert!(back.contains(&"公积金"));
        assert!(lex.user_dict.iter().any(|(w, _)| w == "社保卡"));
    }

    #[test]
    fn bad_files_are_reported() {
        assert!(Lexicon::from_texts("社保卡 notanumber", "", "groups = []").is_err());
        assert!(Lexicon::from_texts("", "", "groups = 3").is_err());
    }
}
