//! The knowledge-base index: built and updated from article records, searched with the Chinese query
//! builder, committed with the store sequence it has caught up to.
//!
//! The store is the source of truth. A node applies changed articles with [`KbIndex::upsert`] and
//! [`KbIndex::remove`], then [`KbIndex::commit`] with the store's change-feed sequence number; after a
//! crash it reads [`KbIndex::applied_seq`] and replays the feed from there (or rebuilds from scratch).

use std::path::Path;
use std::sync::{Arc, Mutex};

use tantivy::collector::TopDocs;
use tantivy::directory::MmapDirectory;
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{
    DocAddress, DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, Searcher,
    SegmentReader, TantivyDocument, Term,
};
use time::Date;

use crate::analyzer::{Analyzer, TOKENIZER_NAME};
use crate::error::SearchError;
use crate::facets::FacetCounter;
use crate::query::{DfCache, QueryBuilder, Strictness};
use crate::ranking::{EXPIRED, NOT_YET, RankCache, UNPUBLISHED};
use crate::record::ArticleRecord;
use crate::request::{Hit, SearchRequest, SearchResponse, Snippet};
use crate::schema::{CITY_WIDE, Fields, build_schema, status_code, status_of_code, to_document};

/// Version of what the index holds for a record (analysis, extra fields). Kept in every commit's payload
/// with the store sequence; an index written by another version is emptied when opened, so the node
/// re-applies every article. Bump it whenever `schema::to_document` or the analyzer changes.
pub const ANALYSIS_VERSION: &str = "kb4";

/// Below this many strict hits, a relaxed query adds more.
const MIN_STRICT_HITS: usize = 3;
/// Score of a hit the request must not show; such hits are dropped after collection.
const EXCLUDED: Score = f32::NEG_INFINITY;
/// Characters of an answer snippet.
const SNIPPET_CHARS: usize = 120;

/// Writer settings.
#[derive(Debug, Clone, Copy)]
pub struct IndexOptions {
    pub writer_threads: usize,
    /// Memory budget of the writer, in bytes, all threads together.
    pub writer_memory: usize,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            writer_threads: 1,
            writer_memory: 64 << 20,
        }
    }
}

/// One change to apply to the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexChange {
    /// The article was created or changed (any status: drafts are indexed for editors, hidden otherwise).
    Upsert(ArticleRecord),
    /// The article is gone from this node (purged, or out of its scope).
    Remove(String),
}

/// The index of one node.
pub struct KbIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<IndexWriter>,
    fields: Fields,
    analyzer: Analyzer,
    df_cache: Mutex<DfCache>,
    ranks: Arc<RankCache>,
}

impl std::fmt::Debug for KbIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KbIndex").finish_non_exhaustive()
    }
}

impl KbIndex {
    /// An index in memory (tests, benchmarks, nodes that rebuild at start).
    pub fn in_ram(analyzer: Analyzer, options: IndexOptions) -> Result<KbIndex, SearchError> {
        let (schema, fields) = build_schema();
        KbIndex::setup(Index::create_in_ram(schema), fields, analyzer, options)
    }

    /// Opens the index in `dir`, creating the directory and an empty index if needed.
    pub fn open_in_dir(
        dir: &Path,
        analyzer: Analyzer,
        options: IndexOptions,
    ) -> Result<KbIndex, SearchError> {
        let open_err = |message: String| SearchError::OpenDirectory {
            path: dir.to_path_buf(),
            message,
        };
        std::fs::create_dir_all(dir).map_err(|e| open_err(e.to_string()))?;
        let directory = MmapDirectory::open(dir).map_err(|e| open_err(e.to_string()))?;
        let (schema, fields) = build_schema();
        let index = Index::open_or_create(directory, schema)?;
        let kb = KbIndex::setup(index, fields, analyzer, options)?;
        kb.reset_if_stale()?;
        Ok(kb)
    }

    /// Opens the index in `dir`; if it cannot be opened (a schema from another version, a damaged
    /// directory), empties the directory and starts a new index, whose `applied_seq()` is `None`: the
    /// caller then rebuilds it from the store.
    pub fn open_in_dir_or_reset(
        dir: &Path,
        analyzer: Analyzer,
        options: IndexOptions,
    ) -> Result<KbIndex, SearchError> {
        match KbIndex::open_in_dir(dir, analyzer.clone(), options) {
            Ok(index) => Ok(index),
            Err(_) => {
                std::fs::remove_dir_all(dir).map_err(|source| SearchError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
                KbIndex::open_in_dir(dir, analyzer, options)
            }
        }
    }

    fn setup(
        index: Index,
        fields: Fields,
        analyzer: Analyzer,
        options: IndexOptions,
    ) -> Result<KbIndex, SearchError> {
        index
            .tokenizers()
            .register(TOKENIZER_NAME, analyzer.tokenizer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let writer =
            index.writer_with_num_threads(options.writer_threads.max(1), options.writer_memory)?;
        Ok(KbIndex {
            index,
            reader,
            writer: Mutex::new(writer),
            fields,
            analyzer,
            df_cache: Mutex::default(),
            ranks: Arc::default(),
        })
    }

    fn with_writer<T>(
        &self,
        f: impl FnOnce(&mut IndexWriter) -> Result<T, SearchError>,
    ) -> Result<T, SearchError> {
        let mut guard = self
            .writer
            .lock()
            .map_err(|_| SearchError::WriterPoisoned)?;
        f(&mut guard)
    }

    /// Applies a batch of changes from the store's feed and commits them with the feed sequence they
    /// bring the index up to. Returns how many changes were applied.
    pub fn apply(
        &self,
        changes: impl IntoIterator<Item = IndexChange>,
        applied_seq: u64,
    ) -> Result<usize, SearchError> {
        let mut n = 0;
        for change in changes {
            match change {
                IndexChange::Upsert(record) => self.upsert(&record)?,
                IndexChange::Remove(id) => self.remove(&id)?,
            }
            n += 1;
        }
        self.commit(applied_seq)?;
        Ok(n)
    }

    /// Adds or replaces an article (visible after the next [`KbIndex::commit`]).
    pub fn upsert(&self, record: &ArticleRecord) -> Result<(), SearchError> {
        let doc = to_document(&self.fields, &self.analyzer, record);
        let id = Term::from_field_text(self.fields.id, &record.id);
        self.with_writer(|w| {
            w.delete_term(id);
            w.add_document(doc)?;
            Ok(())
        })
    }

    /// Removes an article (visible after the next [`KbIndex::commit`]).
    pub fn remove(&self, id: &str) -> Result<(), SearchError> {
        let term = Term::from_field_text(self.fields.id, id);
        self.with_writer(|w| {
            w.delete_term(term);
            Ok(())
        })
    }

    /// Makes every change so far durable and searchable, recording that the index reflects the store up
    /// to `applied_seq`.
    pub fn commit(&self, applied_seq: u64) -> Result<(), SearchError> {
        self.with_writer(|w| {
            let mut prepared = w.prepare_commit()?;
            prepared.set_payload(&format!("{ANALYSIS_VERSION}:{applied_seq}"));
            prepared.commit()?;
            Ok(())
        })?;
        self.reader.reload()?;
        Ok(())
    }

    /// The store sequence number of the last commit (`None` for an index never committed).
    pub fn applied_seq(&self) -> Result<Option<u64>, SearchError> {
        match self.index.load_metas()?.payload {
            None => Ok(None),
            Some(p) => match p.trim().split_once(':') {
                Some((version, seq)) if version == ANALYSIS_VERSION => seq
                    .parse()
                    .map(Some)
                    .map_err(|_| SearchError::BadPayload(p.clone())),
                _ => Err(SearchError::BadPayload(p)),
            },
        }
    }

    /// Whether the index was built by another version of the analysis (or its payload is unreadable):
    /// then its documents are dropped so that the caller re-applies the store from the start.
    fn reset_if_stale(&self) -> Result<(), SearchError> {
        let stale = match self.index.load_metas()?.payload {
            None => false,
            Some(p) => !p.trim().starts_with(&format!("{ANALYSIS_VERSION}:")),
        };
        if stale {
            self.with_writer(|w| {
                w.delete_all_documents()?;
                Ok(())
            })?;
            self.commit(0)?;
        }
        Ok(())
    }

    /// Replaces the whole index with `records` and commits with `applied_seq`. Returns how many were added.
    pub fn rebuild(
        &self,
        records: impl IntoIterator<Item = ArticleRecord>,
        applied_seq: u64,
    ) -> Result<usize, SearchError> {
        self.with_writer(|w| {
            w.delete_all_documents()?;
            Ok(())
        })?;
        let mut n = 0;
        for r in records {
            self.upsert(&r)?;
            n += 1;
        }
        self.commit(applied_seq)?;
        Ok(n)
    }

    /// Merges all segments into one (after a bulk build) and waits for it.
    pub fn optimize(&self) -> Result<(), SearchError> {
        let ids = self.index.searchable_segment_ids()?;
        if ids.len() > 1 {
            self.with_writer(|w| {
                w.merge(&ids).wait()?;
                Ok(())
            })?;
        }
        self.reader.reload()?;
        Ok(())
    }

    /// Number of searchable articles (all statuses).
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Bytes the index takes in its directory (`None` in RAM).
    pub fn size_on_disk(dir: &Path) -> u64 {
        std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok()?.metadata().ok())
                    .filter(|m| m.is_file())
                    .map(|m| m.len())
                    .sum()
            })
            .unwrap_or(0)
    }

    /// Runs a search.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResponse, SearchError> {
        let searcher = self.reader.searcher();
        let builder = QueryBuilder {
            fields: &self.fields,
            analyzer: &self.analyzer,
            searcher: &searcher,
            cache: &self.df_cache,
        };
        let today = i64::from(req.today.to_julian_day());
        let limit = req.limit.max(1);

        let mut relaxed = false;
        let mut hits: Vec<(Score, DocAddress)> = Vec::new();
        let mut final_query: Option<Box<dyn Query>> = None;
        let strict = builder.build(&req.query, Strictness::Strict);
        let strict_groups = strict.as_ref().map_or(0, |b| b.groups);
        if let Some(built) = strict {
            let q = self.filtered(built.query, req);
            hits = self.collect(&searcher, &*q, req, today, limit)?;
            final_query = Some(q);
        }
        if hits.len() < MIN_STRICT_HITS.min(limit)
            && (strict_groups > 1 || hits.is_empty())
            && let Some(built) = builder.build(&req.query, Strictness::Relaxed)
        {
            let q = self.filtered(built.query, req);
            let more = self.collect(&searcher, &*q, req, today, limit)?;
            for h in more {
                if hits.len() >= limit {
                    break;
                }
                if !hits.iter().any(|(_, a)| *a == h.1) {
                    hits.push(h);
                    relaxed = true;
                }
            }
            if final_query.is_none() || relaxed {
                final_query = Some(q);
            }
            // Strict and relaxed hits are ranked together by score.
            hits.sort_by(|a, b| b.0.total_cmp(&a.0));
        }

        if hits.is_empty() && builder.only_stop_words(&req.query) {
            // Only question words typed so far: offer the most used articles rather than nothing.
            let q = self.filtered(Box::new(AllQuery), req);
            hits = self.collect(&searcher, &*q, req, today, limit)?;
            relaxed = true;
        }

        let facets = match (&final_query, req.facets) {
            (Some(q), true) => Some(searcher.search(
                &**q,
                &FacetCounter {
                    today,
                    include_expired: req.include_expired,
                    include_unpublished: req.include_unpublished,
                },
            )?),
            _ => None,
        };
        let hits = self.render(&searcher, final_query.as_deref(), &hits, req, today)?;
        let matched = facets.as_ref().map(|f| f.matched);
        Ok(SearchResponse {
            hits,
            matched,
            relaxed,
            facets,
        })
    }

    fn filtered(&self, query: Box<dyn Query>, req: &SearchRequest) -> Box<dyn Query> {
        let term = |field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, value),
                IndexRecordOption::Basic,
            ))
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(unit) = &req.unit {
            clauses.push((Occur::Must, term(self.fields.unit, unit)));
        }
        if let Some(category) = &req.category {
            clauses.push((Occur::Must, term(self.fields.category, category)));
        }
        if let Some(region) = &req.region {
            let either = BooleanQuery::new(vec![
                (Occur::Should, term(self.fields.region, region)),
                (Occur::Should, term(self.fields.region, CITY_WIDE)),
            ]);
            clauses.push((Occur::Must, Box::new(either)));
        }
        if clauses.is_empty() {
            return query;
        }
        // Filters do not score: they are intersected with the scored query.
        let filters: Box<dyn Query> = Box::new(tantivy::query::ConstScoreQuery::new(
            Box::new(BooleanQuery::new(clauses)),
            0.0,
        ));
        Box::new(BooleanQuery::new(vec![
            (Occur::Must, query),
            (Occur::Must, filters),
        ]))
    }

    /// Top hits by score × popularity × freshness; hidden (unpublished, not yet valid) and, unless asked
    /// for, expired articles are excluded. Expired ones asked for rank after all valid ones.
    fn collect(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        req: &SearchRequest,
        today: i64,
        limit: usize,
    ) -> Result<Vec<(Score, DocAddress)>, SearchError> {
        let include_expired = req.include_expired;
        let include_unpublished = req.include_unpublished;
        let ranks = Arc::clone(&self.ranks);
        let collector = TopDocs::with_limit(limit).tweak_score(move |seg: &SegmentReader| {
            let seg_ranks = ranks.for_segment(seg, today);
            move |doc: DocId, score: Score| {
                let r = seg_ranks.get(doc as usize).copied().unwrap_or_default();
                if r.flags & (UNPUBLISHED | NOT_YET) != 0 && !include_unpublished {
                    return EXCLUDED;
                }
                let tweaked = score * r.boost;
                if r.flags & EXPIRED != 0 {
                    // Expired: only when asked for, and after every valid hit.
                    if include_expired {
                        tweaked - 1.0e6
                    } else {
                        EXCLUDED
                    }
                } else {
                    tweaked
                }
            }
        });
        let top = searcher.search(query, &collector)?;
        Ok(top.into_iter().filter(|(s, _)| *s > EXCLUDED).collect())
    }

    fn render(
        &self,
        searcher: &Searcher,
        query: Option<&dyn Query>,
        hits: &[(Score, DocAddress)],
        req: &SearchRequest,
        today: i64,
    ) -> Result<Vec<Hit>, SearchError> {
        let generators = match (req.snippets, query) {
            (true, Some(q)) => {
                let mut answer = SnippetGenerator::create(searcher, q, self.fields.answer)?;
                answer.set_max_num_chars(SNIPPET_CHARS);
                let mut question = SnippetGenerator::create(searcher, q, self.fields.question)?;
                question.set_max_num_chars(200);
                Some((question, answer))
            }
            _ => None,
        };
        let mut out = Vec::with_capacity(hits.len());
        for &(score, addr) in hits {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let text = |field| {
                doc.get_first(field)
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string()
            };
            let int = |field| doc.get_first(field).and_then(|v| v.as_i64());
            let status_code_v = doc
                .get_first(self.fields.status)
                .and_then(|v| v.as_u64())
                .unwrap_or(0);
            let until = int(self.fields.valid_until).filter(|d| *d != i64::MAX);
            let status = status_of_code(status_code_v);
            let status_str = if status_code(status) == 0 && until.is_some_and(|u| today > u) {
                "expired"
            } else {
                status.code()
            };
            let region = text(self.fields.region);
            let (question_snippet, answer_snippet) = match &generators {
                Some((qg, ag)) => {
                    let answer_text = text(self.fields.answer);
                    let mut a = ag.snippet_from_doc(&doc);
                    if a.is_empty() {
                        a = ag
                            .snippet(&answer_text.chars().take(SNIPPET_CHARS).collect::<String>());
                    }
                    (
                        Some(to_snippet(
                            &qg.snippet_from_doc(&doc),
                            &text(self.fields.question),
                        )),
                        Some(to_snippet(&a, &answer_text)),
                    )
                }
                None => (None, None),
            };
            out.push(Hit {
                id: text(self.fields.id),
                question: text(self.fields.question),
                answer: text(self.fields.answer),
                unit: text(self.fields.unit),
                category: text(self.fields.category),
                region: (region != CITY_WIDE && !region.is_empty()).then_some(region),
                status: status_str,
                valid_until: until.and_then(julian_to_iso),
                score,
                question_snippet,
                answer_snippet,
            });
        }
        Ok(out)
    }
}

fn to_snippet(s: &tantivy::snippet::Snippet, whole: &str) -> Snippet {
    if s.fragment().is_empty() {
        let text: String = whole.chars().take(SNIPPET_CHARS).collect();
        return Snippet {
            html: escape(&text),
            text,
            highlights: Vec::new(),
        };
    }
    let fragment = s.fragment();
    let mut html = String::with_capacity(fragment.len() + 32);
    let mut at = 0;
    for r in s.highlighted() {
        if r.start < at || r.end > fragment.len() {
            continue;
        }
        html.push_str(&escape(&fragment[at..r.start]));
        html.push_str("<em>");
        html.push_str(&escape(&fragment[r.start..r.end]));
        html.push_str("</em>");
        at = r.end;
    }
    html.push_str(&escape(&fragment[at..]));
    Snippet {
        text: fragment.to_string(),
        html,
        highlights: s.highlighted().iter().map(|r| (r.start, r.end)).collect(),
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn julian_to_iso(day: i64) -> Option<String> {
    let d = Date::from_julian_day(i32::try_from(day).ok()?).ok()?;
    Some(format!(
        "{:04}-{:02}-{:02}",
        d.year(),
        u8::from(d.month()),
        d.day()
    ))
}
