//! A collector counting the valid hits of a query by unit, category and region (fast-field ordinals,
//! resolved to strings once per segment).

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::request::{FacetCount, Facets};
use crate::schema::{CITY_WIDE, names};

/// Counts hits by facet; hits that the request would not show (expired, unpublished) are skipped.
pub struct FacetCounter {
    pub today: i64,
    pub include_expired: bool,
    pub include_unpublished: bool,
}

pub struct SegmentFacetCounter {
    columns: [Option<StrColumn>; 3],
    counts: [HashMap<u64, u32>; 3],
    matched: u32,
    status: Column<u64>,
    valid_from: Column<i64>,
    valid_until: Column<i64>,
    today: i64,
    include_expired: bool,
    include_unpublished: bool,
}

type Counts = ([HashMap<String, u32>; 3], u32);

impl Collector for FacetCounter {
    type Fruit = Facets;
    type Child = SegmentFacetCounter;

    fn for_segment(
        &self,
        _ord: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFacetCounter> {
        let ff = reader.fast_fields();
        Ok(SegmentFacetCounter {
            columns: [
                ff.str(names::UNIT)?,
                ff.str(names::CATEGORY)?,
                ff.str(names::REGION)?,
            ],
            counts: Default::default(),
            matched: 0,
            status: ff.u64(names::STATUS)?,
            valid_from: ff.i64(names::VALID_FROM)?,
            valid_until: ff.i64(names::VALID_UNTIL)?,
            today: self.today,
            include_expired: self.include_expired,
            include_unpublished: self.include_unpublished,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Counts>) -> tantivy::Result<Facets> {
        let mut total: [HashMap<String, u32>; 3] = Default::default();
        let mut matched = 0;
        for (fruit, n) in fruits {
            matched += n;
            for (t, f) in total.iter_mut().zip(fruit) {
                for (k, v) in f {
                    *t.entry(k).or_default() += v;
                }
            }
        }
        let [unit, category, region] = total.map(|m| {
            let mut v: Vec<FacetCount> = m
                .into_iter()
                .filter(|(k, _)| k != CITY_WIDE)
                .map(|(value, count)| FacetCount { value, count })
                .collect();
            v.sort_by(|a, b| b.count.cmp(&a.count).then(a.value.cmp(&b.value)));
            v
        });
        Ok(Facets {
            matched,
            unit,
            category,
            region,
        })
    }
}

impl SegmentCollector for SegmentFacetCounter {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        let status = self.status.first(doc).unwrap_or(u64::MAX);
        if status != 0 && !self.include_unpublished {
            return;
        }
        if !self.include_expired {
            let from = self.valid_from.first(doc).unwrap_or(i64::MIN);
            let until = self.valid_until.first(doc).unwrap_or(i64::MAX);
            if self.today < from || self.today > until {
                return;
            }
        }
        self.matched += 1;
        for (col, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            if let Some(col) = col
                && let Some(ord) = col.ords().first(doc)
            {
                *counts.entry(ord).or_default() += 1;
            }
        }
    }

    fn harvest(self) -> Counts {
        let mut out: [HashMap<String, u32>; 3] = Default::default();
        for ((col, counts), target) in self.columns.iter().zip(self.counts).zip(out.iter_mut()) {
            let Some(col) = col else { continue };
            let mut buf = String::new();
            for (ord, n) in counts {
                buf.clear();
                if col.ord_to_str(ord, &mut buf).unwrap_or(false) {
                    *target.entry(buf.clone()).or_default() += n;
                }
            }
        }
        (out, self.matched)
    }
}
