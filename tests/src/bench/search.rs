//! Benchmark `search`: knowledge-base search on a corpus generated from the seed articles (100,000 by
//! default), every labelled query plus every prefix typed character by character, on the tantivy index
//! of the `search` crate and on SQLite FTS5 with the trigram tokenizer, in the same run.
//!
//! `cargo run --release -p tests --bin bench -- search [--size N]`

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

use ::search::seed::{SeedArticle, load_dir, repo_seed_dir};
use ::search::{Analyzer, ArticleRecord, IndexOptions, KbIndex, Lexicon, SearchRequest};
use anyhow::{Context, Result};
use hotline_model::article::ArticleStatus;
use serde::Deserialize;
use serde_json::json;
use time::Date;
use time::macros::date;

use super::{Args, emit, percentile};

const DEFAULT_SIZE: usize = 100_000;
const TODAY: Date = date!(2026 - 11 - 24);
const TOP_K: usize = 10;

#[derive(Deserialize)]
struct Case {
    q: String,
    expect: Vec<String>,
}

#[derive(Deserialize)]
struct CaseFile {
    case: Vec<Case>,
}

/// A small deterministic generator (xorshift64*), so every run builds the same corpus.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const PLACES: &[&str] = &[
    "东湖区",
    "西山区",
    "滨江区",
    "东湖区人民街道",
    "东湖区解放街道",
    "东湖区湖滨街道",
    "西山区和平街道",
    "西山区建设街道",
    "西山区青石镇",
    "滨江区江城街道",
    "滨江区临港街道",
    "滨江区白沙镇",
    "东湖区梅园社区",
    "西山区枫林社区",
    "滨江区望江社区",
    "临江新区",
    "高新区",
    "北岸镇",
    "南湖镇",
    "龙泉镇",
];

const OPENERS: &[&str] = &[
    "",
    "",
    "",
    "请问",
    "咨询一下，",
    "想了解",
    "市民来电：",
    "您好，",
];

const CLOSERS: &[&str] = &[
    "如有疑问可拨打12345市民服务热线咨询。",
    "具体以窗口公布的最新规定为准。",
    "办理进度可在“临江通”小程序查询。",
    "节假日期间办理时间另行通知。",
    "请提前在网上预约，避免排队等候。",
    "委托他人办理的，须提供授权委托书和双方身份证。",
    "材料不齐全的，窗口一次性告知需补正的内容。",
    "",
];

/// Replaces about half of the numbers with other numbers of the same length.
fn mutate_numbers(text: &str, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(text.len());
    let mut change = false;
    let mut in_number = false;
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                change = rng.chance(50);
                in_number = true;
            }
            if change {
                out.push(char::from(b'0' + rng.below(10) as u8));
                continue;
            }
        } else {
            in_number = false;
        }
        out.push(c);
    }
    out
}

fn sentences(text: &str) -> Vec<String> {
    text.split_inclusive('。')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Swaps some words for a synonym of theirs.
fn swap_synonyms(text: &str, groups: &[Vec<String>], rng: &mut Rng) -> String {
    let mut out = text.to_string();
    for group in groups {
        for word in group {
            if word.chars().count() >= 2 && out.contains(word.as_str()) && rng.chance(40) {
                let other = rng.pick(group);
                out = out.replacen(word.as_str(), other, 1);
                break;
            }
        }
    }
    out
}

/// A corpus of `size` articles varied from the seed: the seed articles themselves, then variants with
/// other places, openers, synonyms, numbers, sentences borrowed from articles of the same unit, regions,
/// statuses, validity and popularity.
fn generate(
    seed: &[SeedArticle],
    groups: &[Vec<String>],
    size: usize,
) -> Result<Vec<ArticleRecord>> {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let base_ms: i64 = 1_764_000_000_000; // late 2025
    let mut out = Vec::with_capacity(size);
    for a in seed.iter().take(size) {
        out.push(a.to_record(base_ms)?);
    }
    let mut k = 0usize;
    while out.len() < size {
        k += 1;
        let s = rng.pick(seed);
        let same_unit: Vec<&SeedArticle> = seed
            .iter()
            .filter(|o| o.content.unit == s.content.unit)
            .collect();
        let mut c = s.content.clone();
        let place = *rng.pick(PLACES);
        let opener = *rng.pick(OPENERS);
        let question = swap_synonyms(&c.question, groups, &mut rng);
        c.question = if rng.chance(60) {
            format!("{opener}{place}{question}")
        } else {
            format!("{opener}{question}")
        };

        let mut parts = sentences(&mutate_numbers(&c.answer, &mut rng));
        for _ in 0..1 + rng.below(3) {
            let donor = rng.pick(&same_unit);
            let donor_sentences = sentences(&donor.content.answer);
            if !donor_sentences.is_empty() {
                let pos = 1 + rng.below(parts.len().max(1));
                let borrowed = rng.pick(&donor_sentences).clone();
                parts.insert(pos.min(parts.len()), mutate_numbers(&borrowed, &mut rng));
            }
        }
        parts.push((*rng.pick(CLOSERS)).to_string());
        c.answer = swap_synonyms(&parts.concat(), groups, &mut rng);

        c.alternatives.retain(|_| rng.chance(70));
        if rng.chance(40) {
            let donor = rng.pick(&same_unit);
            if let Some(alt) = donor.content.alternatives.first() {
                c.alternatives.push(alt.clone());
            }
        }
        c.keywords.retain(|_| rng.chance(80));
        c.keywords.push(place.to_string());
        c.region = match rng.below(4) {
            0 => Some("D01".into()),
            1 => Some("D02".into()),
            2 => Some("D03".into()),
            _ => None,
        };
        if rng.chance(5) {
            c.valid_until = Some(date!(2025 - 06 - 30));
        } else if rng.chance(20) {
            c.valid_until = Some(date!(2027 - 12 - 31));
        }
        let status = match rng.below(100) {
            0..=2 => ArticleStatus::Draft,
            3 => ArticleStatus::InReview,
            _ => ArticleStatus::Published,
        };
        let popularity = (rng.next() % 1000).pow(2) / 1000;
        out.push(ArticleRecord {
            id: format!("{}-v{k}", s.id),
            content: c,
            status,
            popularity,
            updated_at_ms: base_ms - (rng.below(3 * 365) as i64) * 86_400_000,
        });
    }
    Ok(out)
}

/// Every labelled query, then every proper prefix of each, character by character.
fn query_stream(cases: &[Case]) -> Vec<String> {
    let mut out: Vec<String> = cases.iter().map(|c| c.q.clone()).collect();
    for c in cases {
        let chars: Vec<char> = c.q.chars().collect();
        for n in 1..chars.len() {
            out.push(chars[..n].iter().collect());
        }
    }
    out
}

/// Latency summary of one engine.
struct Timing {
    /// The five slowest queries with their milliseconds.
    slowest: Vec<(String, f64)>,
    p50_ms: f64,
    /// p99 over every single run of every pass (no median), for comparison.
    p99_all_passes_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    qps: f64,
}

fn timing(queries: &[String], mut micros: Vec<f64>) -> Timing {
    let total: f64 = micros.iter().sum();
    let mut order: Vec<usize> = (0..micros.len()).collect();
    order.sort_by(|&a, &b| micros[b].total_cmp(&micros[a]));
    let slowest = order
        .iter()
        .take(5)
        .map(|&i| (queries[i].clone(), micros[i] / 1000.0))
        .collect();
    micros.sort_by(f64::total_cmp);
    let at = |q: f64| percentile(&micros, q) / 1000.0;
    Timing {
        slowest,
        p50_ms: at(0.50),
        p99_all_passes_ms: 0.0,
        p99_ms: at(0.99),
        max_ms: micros.last().copied().unwrap_or(0.0) / 1000.0,
        qps: micros.len() as f64 / (total / 1e6),
    }
}

/// Whether a hit is the expected seed article or a variant of it.
fn matches_expected(hit: &str, expect: &[String]) -> bool {
    expect.iter().any(|e| {
        hit == e
            || hit
                .strip_prefix(e.as_str())
                .is_some_and(|rest| rest.starts_with("-v"))
    })
}

struct Quality {
    zero_rate_labelled: f64,
    zero_rate_prefixes: f64,
    recall_at_10: f64,
}

fn quality(
    cases: &[Case],
    prefixes: &[String],
    run: &mut dyn FnMut(&str) -> Result<Vec<String>>,
) -> Result<Quality> {
    let mut zero = 0;
    let mut found = 0;
    for c in cases {
        let ids = run(&c.q)?;
        if ids.is_empty() {
            zero += 1;
        }
        if ids.iter().any(|h| matches_expected(h, &c.expect)) {
            found += 1;
        }
    }
    let mut zero_prefix = 0;
    for p in prefixes {
        if run(p)?.is_empty() {
            zero_prefix += 1;
        }
    }
    Ok(Quality {
        zero_rate_labelled: zero as f64 / cases.len() as f64,
        zero_rate_prefixes: zero_prefix as f64 / prefixes.len().max(1) as f64,
        recall_at_10: found as f64 / cases.len() as f64,
    })
}

/// Passes over the query stream; each query's latency is its median over the passes, so a pass
/// preempted by another process on a shared machine does not decide the figures.
const PASSES: usize = 5;

fn measure(queries: &[String], run: &mut dyn FnMut(&str) -> Result<Vec<String>>) -> Result<Timing> {
    for q in queries {
        run(q)?; // warm-up pass
    }
    let mut per_query: Vec<Vec<f64>> = vec![Vec::with_capacity(PASSES); queries.len()];
    let mut all = Vec::with_capacity(queries.len() * PASSES);
    for _ in 0..PASSES {
        for (i, q) in queries.iter().enumerate() {
            let t = Instant::now();
            let hits = run(q)?;
            let us = t.elapsed().as_secs_f64() * 1e6;
            std::hint::black_box(hits);
            per_query[i].push(us);
            all.push(us);
        }
    }
    let medians: Vec<f64> = per_query
        .into_iter()
        .map(|mut v| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        })
        .collect();
    let mut timing = timing(queries, medians);
    all.sort_by(f64::total_cmp);
    timing.p99_all_passes_ms = percentile(&all, 0.99) / 1000.0;
    Ok(timing)
}

/// The FTS5 query for a question: every stop-word-free stretch and every segmented word of at least three
/// characters (the trigram tokenizer cannot match anything shorter), ORed and ranked by bm25.
fn fts5_query(analyzer: &Analyzer, q: &str) -> Option<String> {
    let lex = analyzer.lexicon();
    let words = analyzer.words(q);
    let mut terms: Vec<String> = Vec::new();
    let mut stretch = String::new();
    let flush = |stretch: &mut String, terms: &mut Vec<String>| {
        if stretch.chars().count() >= 3 {
            terms.push(std::mem::take(stretch));
        }
        stretch.clear();
    };
    for w in &words {
        if lex.is_stop_word(&w.text) {
            flush(&mut stretch, &mut terms);
        } else {
            stretch.push_str(&w.text);
            if w.char_len >= 3 {
                terms.push(w.text.clone());
            }
        }
    }
    flush(&mut stretch, &mut terms);
    terms.sort();
    terms.dedup();
    if terms.is_empty() {
        return None;
    }
    Some(
        terms
            .iter()
            .map(|t| format!("\"{}\"", t.replace('"', "")))
            .collect::<Vec<_>>()
            .join(" OR "),
    )
}

pub fn run(args: &Args) -> Result<()> {
    let size = args.size.unwrap_or(DEFAULT_SIZE);
    let seed = load_dir(&repo_seed_dir()).context("loading the seed knowledge base")?;
    let cases_path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../search/tests/relevance.toml");
    let cases: CaseFile = toml::from_str(&std::fs::read_to_string(&cases_path)?)?;
    let cases = cases.case;
    let lexicon = Lexicon::builtin()?;
    let groups = lexicon.groups().to_vec();
    let analyzer = Analyzer::new(lexicon);

    let t = Instant::now();
    let corpus = generate(&seed, &groups, size)?;
    let text_bytes: usize = corpus
        .iter()
        .map(|r| {
            r.content.question.len()
                + r.content.answer.len()
                + r.content.alternatives.concat().len()
        })
        .sum();
    let distinct_questions = corpus
        .iter()
        .map(|r| r.content.question.as_str())
        .collect::<HashSet<_>>()
        .len();
    emit(&json!({
        "scenario": "search", "phase": "generate", "articles": corpus.len(), "seed_articles": seed.len(),
        "distinct_questions": distinct_questions, "text_mb": text_bytes as f64 / 1e6,
        "seconds": t.elapsed().as_secs_f64(),
    }));

    let labelled: Vec<String> = cases.iter().map(|c| c.q.clone()).collect();
    let queries = query_stream(&cases);
    let prefixes: Vec<String> = queries[labelled.len()..].to_vec();

    // tantivy, on disk.
    let tdir = tempfile::tempdir()?;
    let t = Instant::now();
    let index = KbIndex::open_in_dir(
        tdir.path(),
        analyzer.clone(),
        IndexOptions {
            writer_threads: 2,
            writer_memory: 256 << 20,
        },
    )?;
    for r in &corpus {
        index.upsert(r)?;
    }
    index.commit(corpus.len() as u64)?;
    let build_s = t.elapsed().as_secs_f64();
    index.optimize()?;
    let build_merged_s = t.elapsed().as_secs_f64();
    let tantivy_bytes = KbIndex::size_on_disk(tdir.path());
    emit(
        &json!({"scenario": "search", "engine": "tantivy", "phase": "build", "seconds": build_s,
        "seconds_with_merge": build_merged_s, "index_mb": tantivy_bytes as f64 / 1e6, "docs": index.num_docs()}),
    );

    let mut tantivy_run = |q: &str| -> Result<Vec<String>> {
        let mut req = SearchRequest::new(q, TODAY);
        req.limit = TOP_K;
        req.snippets = false;
        Ok(index.search(&req)?.hits.into_iter().map(|h| h.id).collect())
    };
    let tq = quality(&cases, &prefixes, &mut tantivy_run)?;
    let tt = measure(&queries, &mut tantivy_run)?;
    let tt_labelled = measure(&labelled, &mut tantivy_run)?;
    let mut tantivy_snippets = |q: &str| -> Result<Vec<String>> {
        let mut req = SearchRequest::new(q, TODAY);
        req.limit = TOP_K;
        Ok(index.search(&req)?.hits.into_iter().map(|h| h.id).collect())
    };
    let ts = measure(&queries, &mut tantivy_snippets)?;
    emit(
        &json!({"scenario": "search", "engine": "tantivy", "phase": "query", "queries": queries.len(),
        "p50_ms": tt.p50_ms, "p99_ms": tt.p99_ms, "max_ms": tt.max_ms, "qps": tt.qps, "p99_all_passes_ms": tt.p99_all_passes_ms, "slowest": tt.slowest,
        "labelled_p50_ms": tt_labelled.p50_ms, "labelled_p99_ms": tt_labelled.p99_ms,
        "with_snippets_p50_ms": ts.p50_ms, "with_snippets_p99_ms": ts.p99_ms, "with_snippets_qps": ts.qps,
        "zero_result_rate_labelled": tq.zero_rate_labelled, "zero_result_rate_prefixes": tq.zero_rate_prefixes,
        "recall_at_10_seed_or_variant": tq.recall_at_10}),
    );

    // SQLite FTS5 with the trigram tokenizer, on disk.
    let sdir = tempfile::tempdir()?;
    let db_path = sdir.path().join("kb.sqlite");
    let t = Instant::now();
    let mut conn = rusqlite::Connection::open(&db_path)?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
         CREATE VIRTUAL TABLE kb USING fts5(id UNINDEXED, question, alternatives, keywords, answer, tokenize='trigram');",
    )?;
    {
        let tx = conn.transaction()?;
        {
            let mut stmt = tx.prepare("INSERT INTO kb(id, question, alternatives, keywords, answer) VALUES (?1, ?2, ?3, ?4, ?5)")?;
            for r in &corpus {
                let c = &r.content;
                stmt.execute(rusqlite::params![
                    r.id,
                    c.question,
                    c.alternatives.join("；"),
                    c.keywords.join(" "),
                    c.answer
                ])?;
            }
        }
        tx.commit()?;
    }
    conn.execute_batch("INSERT INTO kb(kb) VALUES('optimize'); PRAGMA wal_checkpoint(TRUNCATE);")?;
    let fts_build_s = t.elapsed().as_secs_f64();
    let fts_bytes = KbIndex::size_on_disk(sdir.path());
    emit(
        &json!({"scenario": "search", "engine": "fts5_trigram", "phase": "build", "seconds": fts_build_s,
        "index_mb": fts_bytes as f64 / 1e6}),
    );

    let mut stmt = conn.prepare(
        "SELECT id FROM kb WHERE kb MATCH ?1 ORDER BY bm25(kb, 0.0, 3.0, 2.0, 2.0, 1.0) LIMIT 10",
    )?;
    let mut fts_run = |q: &str| -> Result<Vec<String>> {
        let Some(m) = fts5_query(&analyzer, q) else {
            return Ok(Vec::new());
        };
        let rows = stmt.query_map([m], |row| row.get::<_, String>(0))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    };
    let fq = quality(&cases, &prefixes, &mut fts_run)?;
    let ft = measure(&queries, &mut fts_run)?;
    let ft_labelled = measure(&labelled, &mut fts_run)?;
    emit(
        &json!({"scenario": "search", "engine": "fts5_trigram", "phase": "query", "queries": queries.len(),
        "p50_ms": ft.p50_ms, "p99_ms": ft.p99_ms, "max_ms": ft.max_ms, "qps": ft.qps, "p99_all_passes_ms": ft.p99_all_passes_ms, "slowest": ft.slowest,
        "labelled_p50_ms": ft_labelled.p50_ms, "labelled_p99_ms": ft_labelled.p99_ms,
        "zero_result_rate_labelled": fq.zero_rate_labelled, "zero_result_rate_prefixes": fq.zero_rate_prefixes,
        "recall_at_10_seed_or_variant": fq.recall_at_10}),
    );

    let ratio = ft.p99_ms / tt.p99_ms.max(1e-9);
    emit(&json!({
        "scenario": "search", "summary": true, "articles": corpus.len(), "text_mb": text_bytes as f64 / 1e6,
        "queries": queries.len(), "labelled_queries": labelled.len(),
        "tantivy": {"build_s": build_s, "build_with_merge_s": build_merged_s, "index_mb": tantivy_bytes as f64 / 1e6,
            "p50_ms": tt.p50_ms, "p99_ms": tt.p99_ms, "qps": tt.qps, "zero_result_rate": tq.zero_rate_labelled,
            "zero_result_rate_prefixes": tq.zero_rate_prefixes, "recall_at_10": tq.recall_at_10},
        "fts5_trigram": {"build_s": fts_build_s, "index_mb": fts_bytes as f64 / 1e6, "p50_ms": ft.p50_ms,
            "p99_ms": ft.p99_ms, "qps": ft.qps, "zero_result_rate": fq.zero_rate_labelled,
            "zero_result_rate_prefixes": fq.zero_rate_prefixes, "recall_at_10": fq.recall_at_10},
        "p99_ratio_fts5_over_tantivy": ratio,
        "goals": {"p50_le_0_5ms": tt.p50_ms <= 0.5, "p99_le_5ms": tt.p99_ms <= 5.0,
            "zero_result_rate_0": tq.zero_rate_labelled == 0.0, "p99_3x_better_than_fts5": ratio >= 3.0},
    }));
    Ok(())
}
