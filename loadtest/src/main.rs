//! `loadtest`: a first measurement of one game-server node holding many concurrent rooms.
//!
//! It prepares a data directory (signing keys, and rooms written into the node's embedded
//! store, as the lobby will), starts the `moonlight` binary on it, connects two bots per
//! room over real WebSockets, lets them play with a think time, and reports the action →
//! acknowledged-update latency, the server's resident memory per connection and its CPU.
//! Until the lobby exists, rooms are created in the store and tickets minted with the
//! node's own keys; everything after the ticket is the real protocol.

mod bot;
mod node;

use std::{path::PathBuf, sync::Arc, time::Duration};

use anyhow::Context;
use clap::Parser;
use futures_util::{StreamExt, stream};
use hdrhistogram::Histogram;
use tokio::time::Instant;

#[derive(Debug, Parser)]
#[command(
    name = "loadtest",
    about = "Plays many concurrent matches against one moonlight node"
)]
struct Args {
    /// Concurrent rooms (two bots each).
    #[arg(long, default_value_t = 1000)]
    rooms: usize,
    /// Seconds of play once every bot is connected.
    #[arg(long, default_value_t = 30)]
    seconds: u64,
    /// Mean think time before each action, in milliseconds (drawn uniformly from half to
    /// one and a half times this).
    #[arg(long, default_value_t = 2000)]
    think_ms: u64,
    /// The `moonlight` binary to start (default: the one next to this binary).
    #[arg(long)]
    server: Option<PathBuf>,
    /// The content directory the server loads.
    #[arg(long, default_value = "content")]
    content_dir: PathBuf,
    /// Sockets opening at the same time while connecting.
    #[arg(long, default_value_t = 200)]
    connect_concurrency: usize,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let server = match &args.server {
        Some(path) => path.clone(),
        None => std::env::current_exe()?
            .parent()
            .context("locating this binary's directory")?
            .join("moonlight"),
    };
    let data = tempfile::tempdir()?;
    println!(
        "preparing {} rooms and starting {}",
        args.rooms,
        server.display()
    );
    let node = node::Node::start(&server, &args.content_dir, data.path(), args.rooms).await?;
    let idle_rss = node.rss_kib()?;

    let connecting = Instant::now();
    let seats: Vec<_> = (0..args.rooms)
        .flat_map(|room| [(room, 0u8), (room, 1u8)])
        .collect();
    let node = Arc::new(node);
    let connected: Vec<_> = stream::iter(seats)
        .map(|(room, seat)| {
            let node = Arc::clone(&node);
            async move { bot::Bot::connect(&node.play_url(room, seat)?, seat).await }
        })
        .buffer_unordered(args.connect_concurrency)
        .collect()
        .await;
    let mut connect_times = histogram();
    let mut bots = Vec::new();
    let mut connect_errors = 0u64;
    for result in connected {
        match result {
            Ok((bot, took)) => {
                connect_times.saturating_record(micros(took));
                bots.push(bot);
            }
            Err(error) => {
                connect_errors += 1;
                if connect_errors == 1 {
                    eprintln!("first connect error: {error:#}");
                }
            }
        }
    }
    let connected_rss = node.rss_kib()?;
    let connections = bots.len();
    println!(
        "{connections} sockets connected in {:.1} s ({connect_errors} failed); playing for {} s",
        connecting.elapsed().as_secs_f64(),
        args.seconds
    );

    let cpu_before = node.cpu_seconds()?;
    let started = Instant::now();
    let stop = started + Duration::from_secs(args.seconds);
    let think = Duration::from_millis(args.think_ms);
    let playing: Vec<_> = bots
        .into_iter()
        .map(|bot| tokio::spawn(bot.play(think, stop)))
        .collect();
    let mut total = bot::Report::default();
    for handle in playing {
        total.merge(handle.await.context("a bot panicked")?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = (node.cpu_seconds()? - cpu_before) / elapsed;
    let peak_rss = node.rss_kib()?;
    Arc::into_inner(node)
        .context("bots still hold the node")?
        .stop()
        .await?;

    let per_connection =
        (connected_rss.saturating_sub(idle_rss)) as f64 / connections.max(1) as f64;
    println!();
    println!("rooms                      {}", args.rooms);
    println!("connections held           {connections} ({connect_errors} failed to connect)");
    println!("connect + welcome          {}", summary(&connect_times));
    println!(
        "actions                    {} ({:.0}/s), matches finished {}",
        total.actions,
        total.actions as f64 / elapsed,
        total.matches_finished
    );
    println!("action -> ack latency      {}", summary(&total.latency));
    println!("errors                     {}", total.errors_line());
    println!(
        "server memory              {:.1} MiB idle, {:.1} MiB connected, {:.1} MiB at the end; {:.1} KiB per connection",
        idle_rss as f64 / 1024.0,
        connected_rss as f64 / 1024.0,
        peak_rss as f64 / 1024.0,
        per_connection
    );
    println!("server CPU                 {:.0}% of one core", cpu * 100.0);
    if connect_errors > 0 || !total.errors.is_empty() {
        std::process::exit(1);
    }
    Ok(())
}

/// Microsecond latencies from 1 µs to 60 s, 3 significant digits.
fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, 3).expect("valid histogram bounds")
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

fn summary(h: &Histogram<u64>) -> String {
    let ms = |q: f64| h.value_at_quantile(q) as f64 / 1000.0;
    format!(
        "p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms (n = {})",
        ms(0.5),
        ms(0.9),
        ms(0.99),
        ms(0.999),
        h.max() as f64 / 1000.0,
        h.len()
    )
}
