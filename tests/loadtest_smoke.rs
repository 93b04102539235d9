//! The load-test tool keeps working: a short steady run (a few hundred players, a few
//! seconds of play, two worker processes) against a real `moonlight` process, through the
//! real flow, must finish every phase with no error and write its report and plot; and a
//! short crash run (the server SIGKILLed and restarted twice while bots play) and a short
//! run across a bad network (delay, loss, blackouts) must find every acknowledged action
//! kept, none applied twice, every finished match recorded, and every player free after.
//!
//! Not a libtest harness: the tool's worker processes are this executable started again
//! (with the tool's worker variable set), so `main` is the tool's when that is set.

#[path = "system/support/mod.rs"]
mod support;

use std::{path::Path, process::ExitCode};

use serde_json::Value;

const PLAYERS: &str = "200";

fn main() -> ExitCode {
    if std::env::var_os(moonlight_loadtest::workers::WORKER_ENV).is_some() {
        return moonlight_loadtest::main();
    }
    // Enough of libtest's interface for `--list` and name filters.
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--list") {
        println!("smoke_run: test");
        return ExitCode::SUCCESS;
    }
    let filters: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if !filters.is_empty() && !filters.iter().any(|f| "smoke_run".contains(f.as_str())) {
        println!("running 0 tests");
        return ExitCode::SUCCESS;
    }
    println!("running 1 test");
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(async {
            smoke_run().await;
            scaled_out_run().await;
            crash_run().await;
            bad_network_run().await;
        });
    println!("test smoke_run ... ok");
    ExitCode::SUCCESS
}

async fn smoke_run() {
    let data = tempfile::tempdir().unwrap();
    let server = support::start(
        data.path(),
        support::Role::All,
        &[
            "--auth-rate-per-minute",
            "100000",
            "--auth-rate-burst",
            "100000",
            "--hash-queue",
            "1000",
        ],
        &[],
    )
    .await;
    let (passed, report, plot) = run(
        data.path(),
        &[
            "steady",
            "--auth",
            server.url("auth"),
            "--lobby",
            server.url("lobby"),
            "--players",
            PLAYERS,
            "--seconds",
            "5",
            "--think-ms",
            "40",
            "--arrival-per-sec",
            "400",
            "--workers",
            "2",
        ],
    )
    .await;
    assert!(passed, "the run failed: {}", report["failures"]);
    assert_eq!(
        report["errors"],
        serde_json::json!({}),
        "no error of any kind"
    );
    assert_eq!(report["accounts_signed_in"], 200);
    let most_active = report["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|point| point["active"].as_u64())
        .max();
    assert_eq!(most_active, Some(200), "every player took part");
    let counters = &report["counters"];
    assert!(counters["actions"].as_u64().unwrap() > 500, "{counters}");
    assert!(
        counters["matches_completed"].as_u64().unwrap() > 0,
        "{counters}"
    );
    assert!(report["latency_ms"]["action"]["p99_ms"].as_f64().unwrap() > 0.0);
    // One process serves all three roles: it is watched once, and costs something.
    let servers = report["servers"].as_array().unwrap();
    assert_eq!(servers.len(), 1, "{servers:?}");
    assert!(servers[0]["rss_peak_mib"].as_f64().unwrap() > 0.0);
    assert!(is_svg(&plot));
    server.stop().await;
}

/// Runs `loadtest` with `args`, its report and plot written into `dir`: whether it passed,
/// the JSON report, and where the plot is.
async fn run(dir: &Path, args: &[&str]) -> (bool, Value, std::path::PathBuf) {
    let json = dir.join("report.json");
    let plot = dir.join("report.svg");
    let paths = [
        "--json",
        json.to_str().unwrap(),
        "--plot",
        plot.to_str().unwrap(),
    ];
    let all = std::iter::once("loadtest")
        .chain(args.iter().copied())
        .chain(paths);
    let cli = <moonlight_loadtest::cli::Cli as clap::Parser>::parse_from(all);
    let passed = moonlight_loadtest::run(&cli)
        .await
        .expect("the run completes");
    let report = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    (passed, report, plot)
}

fn is_svg(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|s| s.starts_with("<svg") && s.contains("p99"))
}

/// `scenario` with `args` against a private embedded deployment of this build, by 40
/// players in one worker: whether it passed, and the JSON report.
async fn spawned_run(scenario: &str, args: &[&str]) -> (bool, Value) {
    spawned_run_of("embedded", scenario, args).await
}

/// [`spawned_run`] on the deployment `layout` (`--spawn`).
async fn spawned_run_of(layout: &str, scenario: &str, args: &[&str]) -> (bool, Value) {
    let data = tempfile::tempdir().unwrap();
    let content = Path::new(env!("CARGO_MANIFEST_DIR")).join("content");
    let spawn = [
        scenario,
        "--spawn",
        layout,
        "--server",
        env!("CARGO_BIN_EXE_moonlight"),
        "--content-dir",
        content.to_str().unwrap(),
        "--players",
        "40",
        "--workers",
        "1",
    ];
    let (passed, report, _) = run(data.path(), &[&spawn[..], args].concat()).await;
    (passed, report)
}

/// A scaled-out deployment, small: auth, two lobby processes behind one address and a
/// node, on PostgreSQL and a Redis Cluster; every process watched on its own.
async fn scaled_out_run() {
    let (passed, report) = spawned_run_of(
        "cluster:1",
        "steady",
        &[
            "--spawn-lobbies",
            "2",
            "--redis-cluster",
            "--seconds",
            "4",
            "--think-ms",
            "100",
        ],
    )
    .await;
    assert!(passed, "the scaled-out run failed: {}", report["failures"]);
    assert_eq!(
        report["errors"],
        serde_json::json!({}),
        "no error of any kind"
    );
    assert!(report["counters"]["actions"].as_u64().unwrap() > 0);
    let names: Vec<&str> = report["servers"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|server| server["name"].as_str())
        .collect();
    for name in [
        "lobby 0",
        "lobby 1",
        "node node-0",
        "Redis Cluster master 1",
        "Redis Cluster master 3",
    ] {
        assert!(names.contains(&name), "{name} not in {names:?}");
    }
}

/// The crash scenario, small: a private embedded deployment killed and restarted twice.
async fn crash_run() {
    let (passed, report) = spawned_run(
        "crash",
        &[
            "--kills",
            "2",
            "--every-secs",
            "2",
            "--seconds",
            "4",
            "--think-ms",
            "100",
        ],
    )
    .await;
    assert!(passed, "the crash run failed: {}", report["failures"]);
    let crash = &report["crash"];
    assert_eq!(crash["kills"], 2, "{crash}");
    assert!(crash["actions_after_last"].as_u64().unwrap() > 0, "{crash}");
    let ledger = &crash["ledger"];
    assert_kept(ledger, 40);
    assert!(ledger["resumed"].as_u64().unwrap() > 0, "{ledger}");
}

/// The bad-network scenario, small: 40 players behind a slow, lossy link with blackouts.
async fn bad_network_run() {
    let (passed, report) = spawned_run(
        "bad-network",
        &[
            "--seconds",
            "30",
            "--think-ms",
            "200",
            "--blackout-every-secs",
            "12",
            "--blackout-secs",
            "10",
        ],
    )
    .await;
    assert!(passed, "the bad-network run failed: {}", report["failures"]);
    let bad = &report["bad_network"];
    assert!(!bad["blackouts"].as_array().unwrap().is_empty(), "{bad}");
    let ledger = &bad["ledger"];
    assert_kept(ledger, 40);
    // A blackout longer than the bots' patience: sockets given up on, and resumed.
    assert!(
        ledger["gave_up_on_silence"].as_u64().unwrap() > 0,
        "{ledger}"
    );
    assert!(ledger["resumed"].as_u64().unwrap() > 0, "{ledger}");
}

/// What a ledger must find: nothing lost, nothing applied twice, every result recorded,
/// every match back, and all `players` free after the stop.
fn assert_kept(ledger: &Value, players: u64) {
    for must_be_zero in [
        "lost",
        "applied_twice",
        "results_missing",
        "not_resumed",
        "stuck_after_stop",
    ] {
        assert_eq!(ledger[must_be_zero], 0, "{must_be_zero}: {ledger}");
    }
    assert_eq!(ledger["players_checked"], players, "{ledger}");
    assert!(ledger["acknowledged"].as_u64().unwrap() > 0, "{ledger}");
}
