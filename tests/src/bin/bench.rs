//! Benchmark scenarios: `cargo run --release -p tests --bin bench -- NAME [--size N]`.
//! Prints one JSON object per line; the last line is the summary.
fn main() -> anyhow::Result<()> {
    tests::bench::main()
}
