//! `loadtest`: bots that play real Moonlight matches through the real flow, at scale, and
//! report latency, throughput, errors and what the servers cost.
//!
//! - [`cli`]: scenarios (steady, ramp, reconnect storm, login storm, failover, slow
//!   readers, crash, bad network) and options;
//! - [`coordinator`]: the run's timeline, its moments, and the report;
//! - [`worker`] / [`workers`]: bots in this process or in child processes (the
//!   file-descriptor limit is per process), reporting once a second;
//! - [`bot`]: one player, through the protocol's Rust client (`moonlight-client`: auth
//!   and lobby over HTTP, the protobuf game WebSocket);
//! - [`stats`]: counters and HdrHistograms; [`servers`]: each server process's CPU and
//!   memory from its `/metrics`; [`report`] and [`plot`]: the table, the JSON, the SVG;
//! - [`deploy`]: private local deployments for `--spawn` (crashed and restarted by the
//!   crash scenario); [`slow_readers`]: the slow-readers scenario's sockets;
//!   [`network`]: the bad-network scenario's relays (delay, loss, blackouts).

pub mod bot;
pub mod cli;
pub mod coordinator;
pub mod deploy;
pub mod network;
pub mod plot;
pub mod report;
pub mod servers;
pub mod slow_readers;
pub mod stats;
pub mod worker;
pub mod workers;

use std::process::ExitCode;

use clap::Parser as _;

/// The `loadtest` program: a coordinator, or (in a child started by one) a worker.
pub fn main() -> ExitCode {
    if std::env::var_os(workers::WORKER_ENV).is_some() {
        return worker_main();
    }
    let cli = cli::Cli::parse();
    match runtime(None).and_then(|rt| rt.block_on(run(&cli))) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(error) => {
            eprintln!("loadtest: {error:#}");
            ExitCode::from(2)
        }
    }
}

/// Runs the scenario, prints the summary, writes the JSON report and the plot; `true` if
/// the run passed (no errors, everything resumed).
pub async fn run(cli: &cli::Cli) -> anyhow::Result<bool> {
    let report = coordinator::run(&cli.scenario).await?;
    print!("{}", report.table());
    let paths = &cli.scenario.run_args().report;
    report.write_json(&paths.json)?;
    plot::draw(
        &paths.plot,
        &format!("loadtest {}", report.scenario),
        &report.timeline,
    )?;
    println!(
        "report: {} and {}",
        paths.json.display(),
        paths.plot.display()
    );
    Ok(report.passed())
}

fn worker_main() -> ExitCode {
    let threads = std::env::var(workers::THREADS_ENV)
        .ok()
        .and_then(|t| t.parse().ok());
    match runtime(threads).and_then(|rt| rt.block_on(worker::serve_stdio())) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("loadtest worker: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn runtime(threads: Option<usize>) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = threads {
        builder.worker_threads(threads.max(1));
    }
    Ok(builder.enable_all().build()?)
}
