//! Login throughput under a storm, and what the storm does to `/healthz` latency.
//!
//! Starts the real auth service on a port-0 socket with a SQLite database (the embedded
//! default), then for `STORM_SECS` runs `CLIENTS` concurrent login loops while a prober
//! hits `/healthz` every 10 ms. Password hashing is bounded by the hashing semaphore, so
//! logins queue (or get 503) while the runtime stays free for everything else.
//!
//! Run: `cargo bench -p moonlight-auth --bench login_storm`
//! (env `CLIENTS`, `STORM_SECS` override the defaults of 64 and 10).

use std::time::{Duration, Instant};

use moonlight_auth::{AuthConfig, AuthService};
use moonlight_common::{CancellationToken, Database, serve::serve};
use serde_json::json;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn main() {
    // `cargo test --benches` runs benches with no `--bench` flag: keep that quick.
    let quick = !std::env::args().any(|arg| arg == "--bench");
    let clients = env_or("CLIENTS", if quick { 4 } else { 64 });
    let storm = Duration::from_secs(env_or("STORM_SECS", if quick { 1 } else { 10 }));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(run(clients, storm));
}

async fn run(clients: u64, storm: Duration) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = Database::connect(&Database::sqlite_url_in(dir.path()))
        .await
        .expect("SQLite");
    let mut config = AuthConfig::default();
    // One IP sends everything here: lift the per-IP limit out of the way.
    config.rate_limit.burst = u32::MAX.try_into().expect("non-zero");
    config.rate_limit.per_minute = u32::MAX.try_into().expect("non-zero");
    let (workers, queue) = (config.hash_workers, config.hash_queue);
    let service = AuthService::build(&config, db).await.expect("auth");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let shutdown = CancellationToken::new();
    tokio::spawn(serve(listener, service.into_router(), shutdown.clone()));

    let client = reqwest::Client::new();
    let password = "correct horse battery";
    for i in 0..clients {
        let body = json!({"username": format!("storm{i}"), "password": password});
        let status = client
            .post(format!("{base}/v1/auth/register"))
            .json(&body)
            .send()
            .await
            .expect("register")
            .status();
        assert!(status.is_success(), "register: {status}");
    }

    let deadline = Instant::now() + storm;
    let prober = {
        let (client, base) = (client.clone(), base.clone());
        tokio::spawn(async move {
            let mut samples = Vec::new();
            while Instant::now() < deadline {
                let started = Instant::now();
                let status = client
                    .get(format!("{base}/healthz"))
                    .send()
                    .await
                    .expect("healthz")
                    .status();
                assert!(status.is_success());
                samples.push(started.elapsed());
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            samples
        })
    };
    let mut storms = tokio::task::JoinSet::new();
    for i in 0..clients {
        let (client, base) = (client.clone(), base.clone());
        storms.spawn(async move {
            let body = json!({"username": format!("storm{i}"), "password": password});
            let (mut ok, mut busy, mut latencies) = (0u64, 0u64, Vec::new());
            while Instant::now() < deadline {
                let started = Instant::now();
                let status = client
                    .post(format!("{base}/v1/auth/login"))
                    .json(&body)
                    .send()
                    .await
                    .expect("login")
                    .status();
                match status.as_u16() {
                    200 => {
                        ok += 1;
                        latencies.push(started.elapsed());
                    }
                    503 => busy += 1,
                    other => panic!("unexpected login status {other}"),
                }
            }
            (ok, busy, latencies)
        });
    }
    let (mut ok, mut busy, mut logins) = (0, 0, Vec::new());
    for (o, b, l) in storms.join_all().await {
        ok += o;
        busy += b;
        logins.extend(l);
    }
    let mut health = prober.await.expect("prober");
    shutdown.cancel();
    health.sort();
    logins.sort();
    let secs = storm.as_secs_f64();
    println!(
        "login storm: {clients} clients for {secs:.0} s, {workers} hashing workers, queue {queue}"
    );
    println!(
        "  logins ok      {ok} ({:.1}/s), refused busy (503): {busy}",
        ok as f64 / secs
    );
    println!(
        "  login latency  p50 {:?}  p99 {:?}",
        percentile(&logins, 50.0),
        percentile(&logins, 99.0)
    );
    println!(
        "  /healthz       {} probes, p50 {:?}  p99 {:?}  max {:?}",
        health.len(),
        percentile(&health, 50.0),
        percentile(&health, 99.0),
        health.last().copied().unwrap_or_default()
    );
}
