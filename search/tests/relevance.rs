//! Relevance of the knowledge-base search on the labelled set: recall@1, recall@10, MRR and the
//! zero-result rate, failing below the thresholds in `relevance-thresholds.toml`.

use std::collections::BTreeMap;
use std::path::Path;

use search::seed::{load_dir, repo_seed_dir};
use search::{Analyzer, IndexOptions, KbIndex, Lexicon, SearchRequest};
use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    q: String,
    kind: String,
    expect: Vec<String>,
}

#[derive(Deserialize)]
struct CaseFile {
    case: Vec<Case>,
}

#[derive(Deserialize)]
struct Thresholds {
    recall_at_1_min: f64,
    recall_at_10_min: f64,
    mrr_min: f64,
    zero_result_rate_max: f64,
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

#[test]
fn labelled_queries_meet_the_recorded_thresholds() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let cases: CaseFile =
        toml::from_str(&read(&dir.join("relevance.toml"))).expect("relevance.toml parses");
    let thresholds: Thresholds =
        toml::from_str(&read(&dir.join("relevance-thresholds.toml"))).expect("thresholds parse");
    assert!(
        cases.case.len() >= 150,
        "the labelled set has {} queries",
        cases.case.len()
    );

    let index = KbIndex::in_ram(
        Analyzer::new(Lexicon::builtin().expect("lexicon")),
        IndexOptions::default(),
    )
    .expect("index");
    let seed = load_dir(&repo_seed_dir()).expect("seed");
    let records: Vec<_> = seed
        .iter()
        .map(|a| a.to_record(1_760_000_000_000).expect("record"))
        .collect();
    index.rebuild(records, 1).expect("build");
    let today = time::macros::date!(2026 - 11 - 24);

    let mut at1 = 0usize;
    let mut at10 = 0usize;
    let mut rr = 0f64;
    let mut zero = 0usize;
    let mut by_kind: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for c in &cases.case {
        let mut req = SearchRequest::new(&c.q, today);
        req.snippets = false;
        let resp = index.search(&req).expect("search");
        if resp.hits.is_empty() {
            zero += 1;
        }
        let rank = resp.hits.iter().position(|h| c.expect.contains(&h.id));
        let entry = by_kind.entry(c.kind.as_str()).or_default();
        entry.0 += 1;
        match rank {
            Some(r) => {
                if r == 0 {
                    at1 += 1;
                } else {
                    misses.push(format!(
                        "{} [{}] expected {:?} at rank {}",
                        c.q,
                        c.kind,
                        c.expect,
                        r + 1
                    ));
                }
                at10 += 1;
                entry.1 += 1;
                rr += 1.0 / (r as f64 + 1.0);
            }
            None => misses.push(format!(
                "{} [{}] expected {:?}, got {:?}",
                c.q,
                c.kind,
                c.expect,
                resp.hits
                    .iter()
                    .take(3)
                    .map(|h| h.id.as_str())
                    .collect::<Vec<_>>()
            )),
        }
    }
    let n = cases.case.len() as f64;
    let (r1, r10, mrr, zr) = (at1 as f64 / n, at10 as f64 / n, rr / n, zero as f64 / n);
    println!(
        "queries {n}  recall@1 {r1:.3}  recall@10 {r10:.3}  MRR {mrr:.3}  zero-result rate {zr:.3}"
    );
    for (kind, (total, found)) in &by_kind {
        println!("  {kind:<13} {found}/{total} found in top 10");
    }
    for m in &misses {
        println!("  not first: {m}");
    }
    assert!(
        r1 >= thresholds.recall_at_1_min,
        "recall@1 {r1:.3} < {}",
        thresholds.recall_at_1_min
    );
    assert!(
        r10 >= thresholds.recall_at_10_min,
        "recall@10 {r10:.3} < {}",
        thresholds.recall_at_10_min
    );
    assert!(
        mrr >= thresholds.mrr_min,
        "MRR {mrr:.3} < {}",
        thresholds.mrr_min
    );
    assert!(
        zr <= thresholds.zero_result_rate_max,
        "zero-result rate {zr:.3} > {}",
        thresholds.zero_result_rate_max
    );
}
