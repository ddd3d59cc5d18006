//! The `bench` binary's scenarios, one file each. Each prints JSON lines, the summary last.

use anyhow::{Result, bail};

mod blobs;
mod hub_scale;
mod intake;
mod notify;
mod portal;
mod search;
mod stats;
mod stats_year;
mod sync_bootstrap;
mod sync_common;
mod sync_heal;
mod sync_idle;
mod sync_latency;
mod view;
mod web;

/// Common arguments of every scenario.
#[derive(Debug, Clone)]
pub struct Args {
    /// `--size N`: the scenario's main data size (tickets, articles); `None` means its default.
    pub size: Option<usize>,
}

pub fn main() -> Result<()> {
    let mut argv = std::env::args().skip(1);
    let Some(name) = argv.next() else {
        bail!(
            "usage: bench NAME [--size N]; scenarios: {}",
            SCENARIOS.join(", ")
        );
    };
    // The `notify` scenario's child hub: this binary again, with the child's arguments.
    if name == "notify-node" {
        let child: Vec<String> = std::iter::once(name).chain(argv).collect();
        return notify::node(child);
    }
    let mut args = Args { size: None };
    while let Some(a) = argv.next() {
        match a.as_str() {
            "--size" => {
                let v = argv
                    .next()
                    .ok_or_else(|| anyhow::anyhow!("--size needs a number"))?;
                args.size = Some(v.parse()?);
            }
            other => bail!("unknown argument {other}"),
        }
    }
    match name.as_str() {
        "intake" => intake::run(&args),
        "hub-scale" => hub_scale::run(&args),
        "search" => search::run(&args),
        "sync-idle" => sync_idle::run(&args),
        "sync-heal" => sync_heal::run(&args),
        "sync-bootstrap" => sync_bootstrap::run(&args),
        "sync-latency" => sync_latency::run(&args),
        "view" => view::run(&args),
        "stats" => stats::run(&args),
        "stats-year" => stats_year::run(&args),
        "web" => web::run(&args),
        "portal" => portal::run(&args),
        "notify" => notify::run(&args),
        "blobs" => blobs::run(&args),
        other => bail!(
            "unknown scenario {other}; scenarios: {}",
            SCENARIOS.join(", ")
        ),
    }
}

/// The scenario names, for the usage line.
pub const SCENARIOS: &[&str] = &[
    "intake",
    "hub-scale",
    "search",
    "sync-idle",
    "sync-heal",
    "sync-bootstrap",
    "sync-latency",
    "view",
    "stats",
    "stats-year",
    "web",
    "portal",
    "notify",
    "blobs",
];

/// The value at quantile `q` (0–1, nearest rank) of an ascending slice.
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// Print one JSON line to stdout.
pub fn emit(value: &serde_json::Value) {
    println!("{value}");
}
