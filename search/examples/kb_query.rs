//! Loads the seed knowledge base into an in-memory index and prints the top hits of each query given on
//! the command line: `cargo run -p search --example kb_query -- 社保卡怎么补办 sbk`.

use search::seed::{load_dir, repo_seed_dir};
use search::{Analyzer, IndexOptions, KbIndex, Lexicon, SearchRequest};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let index = KbIndex::in_ram(Analyzer::new(Lexicon::builtin()?), IndexOptions::default())?;
    let records = load_dir(&repo_seed_dir())?
        .iter()
        .map(|a| a.to_record(1_760_000_000_000))
        .collect::<Result<Vec<_>, _>>()?;
    index.rebuild(records, 1)?;
    let today = time::macros::date!(2026 - 11 - 24);
    for q in std::env::args().skip(1) {
        let mut req = SearchRequest::new(&q, today);
        req.limit = 5;
        let resp = index.search(&req)?;
        println!("== {q}  (relaxed {})", resp.relaxed);
        for h in resp.hits {
            let snippet = h.answer_snippet.map(|s| s.html).unwrap_or_default();
            println!(
                "  {:>7.3} {} {} [{}] {}",
                h.score,
                h.id,
                h.question,
                h.status,
                snippet.chars().take(60).collect::<String>()
            );
        }
    }
    Ok(())
}
