//! What a search asks for and what it answers.

use serde::{Deserialize, Serialize};
use time::Date;

/// One search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchRequest {
    /// What the operator typed (a question, keywords, pinyin or its initials, a few characters).
    pub query: String,
    /// The day validity is judged on (passed in; the index reads no clock).
    pub today: Date,
    /// Maximum number of hits.
    pub limit: usize,
    /// Also return expired articles, marked as such (after the valid ones).
    pub include_expired: bool,
    /// Also return drafts and articles in review (for knowledge-base editors).
    pub include_unpublished: bool,
    /// Only articles of this unit.
    pub unit: Option<String>,
    /// Only articles of this category.
    pub category: Option<String>,
    /// Only articles that hold in this region (its own and city-wide ones).
    pub region: Option<String>,
    /// Count hits by unit, category and region.
    pub facets: bool,
    /// Return highlighted snippets.
    pub snippets: bool,
}

impl SearchRequest {
    /// A request with the usual options: 10 hits, published and valid only, snippets, no facets.
    pub fn new(query: &str, today: Date) -> SearchRequest {
        SearchRequest {
            query: query.to_string(),
            today,
            limit: 10,
            include_expired: false,
            include_unpublished: false,
            unit: None,
            category: None,
            region: None,
            facets: false,
            snippets: true,
        }
    }
}

/// Query-string parameters of `GET /api/kb/search`, turned into a request with the server's day.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchParams {
    pub q: String,
    pub limit: Option<usize>,
    #[serde(default)]
    pub include_expired: bool,
    #[serde(default)]
    pub include_unpublished: bool,
    pub unit: Option<String>,
    pub category: Option<String>,
    pub region: Option<String>,
    #[serde(default)]
    pub facets: bool,
}

impl SearchParams {
    /// The request these parameters describe, judged on `today`; the limit is capped at 50.
    pub fn into_request(self, today: Date) -> SearchRequest {
        let mut req = SearchRequest::new(&self.q, today);
        req.limit = self.limit.unwrap_or(10).clamp(1, 50);
        req.include_expired = self.include_expired;
        req.include_unpublished = self.include_unpublished;
        req.unit = self.unit.filter(|s| !s.is_empty());
        req.category = self.category.filter(|s| !s.is_empty());
        req.region = self.region.filter(|s| !s.is_empty());
        req.facets = self.facets;
        req
    }
}

/// A highlighted piece of text: `html` has the matched words in `<em>`, `highlights` are byte ranges in `text`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Snippet {
    pub text: String,
    pub html: String,
    pub highlights: Vec<(usize, usize)>,
}

/// One article found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub id: String,
    pub question: String,
    /// The whole answer, as indexed (what an operator reads out).
    pub answer: String,
    pub unit: String,
    pub category: String,
    /// `None` = city-wide.
    pub region: Option<String>,
    /// `published`, `expired`, `draft`, `in_review` or `withdrawn`, as of the request's day.
    pub status: &'static str,
    /// The last valid day, ISO.
    pub valid_until: Option<String>,
    pub score: f32,
    /// The question with matched words highlighted.
    pub question_snippet: Option<Snippet>,
    /// The best passage of the answer, highlighted.
    pub answer_snippet: Option<Snippet>,
}

/// A facet value and how many hits have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetCount {
    pub value: String,
    pub count: u32,
}

/// Hit counts by unit, category and region (most frequent first).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// Hits counted.
    pub matched: u32,
    pub unit: Vec<FacetCount>,
    pub category: Vec<FacetCount>,
    pub region: Vec<FacetCount>,
}

/// The answer to a search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResponse {
    pub hits: Vec<Hit>,
    /// Articles the request may show that matched (counted only when facets are asked for).
    pub matched: Option<u32>,
    /// Whether the strict query found too little and a looser one was used.
    pub relaxed: bool,
    pub facets: Option<Facets>,
}
