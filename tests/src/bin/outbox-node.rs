//! The outbox crash test's child node (see `tests::outbox_node`).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tests::outbox_node::run(std::env::args().collect()).await
}
