//! Per-segment ranking data: for every document, its popularity × freshness boost and whether it is
//! unpublished, expired or not yet valid on a given day. Computed once per segment and day from the fast
//! fields, so scoring a broad query (one letter typed) reads one array entry per document.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tantivy::index::SegmentId;
use tantivy::{DocId, SegmentReader};

use crate::schema::names;

/// The document is a draft, in review or withdrawn.
pub const UNPUBLISHED: u8 = 1;
/// The document's `valid_until` has passed.
pub const EXPIRED: u8 = 2;
/// The document's `valid_from` has not come yet.
pub const NOT_YET: u8 = 4;

/// What ranking needs of one document.
#[derive(Debug, Clone, Copy, Default)]
pub struct DocRank {
    pub boost: f32,
    pub flags: u8,
}

/// Ranking data of one segment, by document id.
pub type SegmentRanks = Arc<Vec<DocRank>>;

/// Segments kept before the cache is emptied (segments come and go with merges).
const MAX_SEGMENTS: usize = 256;

/// Ranking data of the segments searched lately, by segment and day.
#[derive(Debug, Default)]
pub struct RankCache {
    entries: Mutex<HashMap<(SegmentId, i64), SegmentRanks>>,
}

/// Popularity × freshness multiplier of a BM25 score.
pub fn boost(popularity: u64, age_days: i64) -> f32 {
    (1.0 + 0.04 * (1.0 + popularity as f32).ln())
        * (1.0 + 0.1 * (-(age_days.max(0) as f32) / 365.0).exp())
}

impl RankCache {
    /// The ranking data of a segment on `today` (Julian day).
    pub fn for_segment(&self, seg: &SegmentReader, today: i64) -> Arc<Vec<DocRank>> {
        let key = (seg.segment_id(), today);
        if let Ok(entries) = self.entries.lock()
            && let Some(v) = entries.get(&key)
        {
            return Arc::clone(v);
        }
        let computed = Arc::new(compute(seg, today));
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= MAX_SEGMENTS {
                entries.clear();
            }
            entries.insert(key, Arc::clone(&computed));
        }
        computed
    }
}

fn compute(seg: &SegmentReader, today: i64) -> Vec<DocRank> {
    let ff = seg.fast_fields();
    let status = ff.u64(names::STATUS).ok();
    let from = ff.i64(names::VALID_FROM).ok();
    let until = ff.i64(names::VALID_UNTIL).ok();
    let popularity = ff.u64(names::POPULARITY).ok();
    let updated = ff.i64(names::UPDATED_DAY).ok();
    (0..seg.max_doc())
        .map(|doc: DocId| {
            let mut flags = 0;
            if status.as_ref().and_then(|c| c.first(doc)).unwrap_or(0) != 0 {
                flags |= UNPUBLISHED;
            }
            if today < from.as_ref().and_then(|c| c.first(doc)).unwrap_or(i64::MIN) {
                flags |= NOT_YET;
            }
            if today
                > until
                    .as_ref()
                    .and_then(|c| c.first(doc))
                    .unwrap_or(i64::MAX)
            {
                flags |= EXPIRED;
            }
            let pop = popularity.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
            let age = today - updated.as_ref().and_then(|c| c.first(doc)).unwrap_or(today);
            DocRank {
                boost: boost(pop, age),
                flags,
            }
        })
        .collect()
}
