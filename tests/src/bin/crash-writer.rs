//! A child process for the crash test: creates tickets from 16 concurrent tasks and prints each
//! acknowledged ticket number on its own line, until it is killed.
use rand::SeedableRng;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: crash-writer DB"))?;
    let round: u64 = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let store = replica_store::Store::open(std::path::Path::new(&path), "HUB", [round as u8; 16])?;
    let mut tasks = Vec::new();
    for client in 0..16u64 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut rng = rand::rngs::StdRng::seed_from_u64(round * 1000 + client);
            for i in 0.. {
                let req = tests::fixtures::new_ticket(
                    client * 1_000_000 + i,
                    tests::fixtures::now_ms(),
                    &mut rng,
                );
                let created = store.create_ticket(req).await?;
                println!("{}", created.ticket.number);
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    Ok(())
}
