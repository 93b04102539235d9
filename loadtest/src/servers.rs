//! What each server process costs, from its own `/metrics` (the standard Prometheus process
//! metrics every moonlight service exports), so it works for a deployment on other
//! machines as well as for one this tool started.

use std::{
    collections::{BTreeMap, HashSet},
    time::Duration,
};

use serde::Serialize;
use tokio::time::Instant;

/// One server process to watch.
#[derive(Debug, Clone, Serialize)]
pub struct Watched {
    /// What it runs (`moonlight (all roles)`, `lobby`, `node node-2`…).
    pub name: String,
    /// Where its readings come from: its `/metrics` URL, or `proc://PID` for a local process
    /// and its children, read from `/proc` (PostgreSQL and Redis have no `/metrics`).
    pub source: String,
    /// Whether it is a game-server node (whose memory is per connected player).
    pub game: bool,
}

impl Watched {
    /// Read from `/proc` (PostgreSQL, Redis), not a moonlight process's `/metrics`.
    pub fn is_local(&self) -> bool {
        self.source.starts_with("proc://")
    }
}

/// One reading of a process.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Reading {
    pub cpu_seconds: f64,
    pub rss_bytes: f64,
    pub open_fds: f64,
    pub start_time: f64,
    /// `moonlight_process_id`, where the server exports it.
    pub pid: Option<f64>,
    /// Clients a game server dropped for not keeping up: `game_slow_clients_dropped_total`
    /// (writes stalled) plus `game_silent_clients_dropped_total` (nothing heard, pongs
    /// included, for two heartbeats: a client that stops reading stops answering pings).
    pub slow_clients_dropped: f64,
    /// The game server's own action latency (`game_action_seconds`: receive → durable →
    /// queued to every seat): cumulative bucket counts by upper bound, in seconds.
    pub action_buckets: Option<Buckets>,
}

/// A Prometheus histogram's cumulative buckets: (upper bound, count), in order.
pub type Buckets = Vec<(f64, f64)>;

/// The histogram [`Reading::action_buckets`] is read from.
const ACTION_BUCKET: &str = "game_action_seconds_bucket{le=\"";

/// The game servers' counts of clients dropped for not keeping up.
const DROPPED: [&str; 2] = [
    "game_slow_clients_dropped_total",
    "game_silent_clients_dropped_total",
];

/// Reads `process_*` metrics (and [`DROPPED`]) from a Prometheus text page.
pub fn parse(text: &str) -> Option<Reading> {
    let mut values = BTreeMap::new();
    let mut buckets = Buckets::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix(ACTION_BUCKET)
            && let Some((le, count)) = rest.split_once("\"} ")
            && let (Ok(le), Ok(count)) = (le.parse::<f64>(), count.trim().parse::<f64>())
        {
            buckets.push((le, count));
        }
    }
    for line in text.lines().filter(|l| {
        l.starts_with("process_")
            || l.starts_with("moonlight_process_id")
            || DROPPED.iter().any(|name| l.starts_with(name))
    }) {
        let mut parts = line.split_whitespace();
        if let (Some(name), Some(value)) = (parts.next(), parts.next())
            && let Ok(value) = value.parse::<f64>()
        {
            values.insert(name, value);
        }
    }
    Some(Reading {
        cpu_seconds: *values.get("process_cpu_seconds_total")?,
        rss_bytes: *values.get("process_resident_memory_bytes")?,
        open_fds: values.get("process_open_fds").copied().unwrap_or(0.0),
        start_time: values
            .get("process_start_time_seconds")
            .copied()
            .unwrap_or(0.0),
        pid: values.get("moonlight_process_id").copied(),
        slow_clients_dropped: DROPPED.iter().filter_map(|name| values.get(name)).sum(),
        action_buckets: (!buckets.is_empty()).then_some(buckets),
    })
}

pub async fn read(http: &reqwest::Client, url: &str) -> Option<Reading> {
    if let Some(pid) = url.strip_prefix("proc://") {
        return read_tree(pid.parse().ok()?);
    }
    let response = http
        .get(url)
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .ok()?;
    parse(&response.text().await.ok()?)
}

/// CPU and memory of local process `root` and all its descendants (PostgreSQL's backends),
/// from `/proc`. Memory is the proportional set size, so what the processes share (their
/// shared buffers) counts once.
fn read_tree(root: u32) -> Option<Reading> {
    // Linux reports CPU in clock ticks of 1/100 s (USER_HZ).
    const TICK: f64 = 0.01;
    // (pid, parent, CPU seconds) of every process.
    let mut table = Vec::new();
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // After the command name in parentheses: state, ppid, …; utime and stime are the
        // 12th and 13th fields from there.
        let Some((_, rest)) = stat.rsplit_once(") ") else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let number = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
        if let (Some(ppid), Some(utime), Some(stime)) = (number(1), number(11), number(12)) {
            table.push((pid, ppid as u32, (utime + stime) * TICK));
        }
    }
    let tree = descendants(&table, root)?;
    Some(Reading {
        cpu_seconds: table
            .iter()
            .filter(|(pid, ..)| tree.contains(pid))
            .map(|(.., cpu)| cpu)
            .sum(),
        rss_bytes: tree.iter().map(|pid| pss_bytes(*pid)).sum(),
        pid: Some(f64::from(root)),
        ..Reading::default()
    })
}

/// `root` and every process below it in `table` (pid, parent, …); `None` if `root` is not
/// there.
fn descendants(table: &[(u32, u32, f64)], root: u32) -> Option<Vec<u32>> {
    if !table.iter().any(|(pid, ..)| *pid == root) {
        return None;
    }
    let mut tree = vec![root];
    let mut i = 0;
    while let Some(&parent) = tree.get(i) {
        tree.extend(
            table
                .iter()
                .filter(|(_, ppid, _)| *ppid == parent)
                .map(|(pid, ..)| *pid),
        );
        i += 1;
    }
    Some(tree)
}

/// A process's proportional set size (`Pss` in `smaps_rollup`); 0 if unreadable.
fn pss_bytes(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|rollup| {
            let line = rollup.lines().find(|l| l.starts_with("Pss:"))?;
            line.split_whitespace().nth(1)?.parse::<f64>().ok()
        })
        .map_or(0.0, |kib| kib * 1024.0)
}

/// Readings of every watched process over the run.
pub struct Watch {
    http: reqwest::Client,
    /// Every `/metrics` URL added, including those found to be a process already watched.
    seen: HashSet<String>,
    pub processes: Vec<Watched>,
    /// Per process: (seconds since the run began, reading), in time order.
    pub readings: Vec<Vec<(f64, Reading)>>,
    began: Instant,
}

impl Default for Watch {
    fn default() -> Self {
        Self {
            http: reqwest::Client::new(),
            seen: HashSet::new(),
            processes: Vec::new(),
            readings: Vec::new(),
            began: Instant::now(),
        }
    }
}

impl Watch {
    /// Starts watching `process`, unless it is one already watched: one process can serve
    /// several listeners (same host, same pid and start time).
    pub async fn add(&mut self, process: Watched) {
        if !self.seen.insert(process.source.clone()) {
            return;
        }
        let first = read(&self.http, &process.source).await;
        if let Some(new) = &first {
            let host = host_of(&process.source);
            let same = self
                .processes
                .iter()
                .zip(&self.readings)
                .position(|(p, r)| {
                    host_of(&p.source) == host
                        && r.last().is_some_and(|(_, old)| {
                            old.start_time == new.start_time && old.pid == new.pid
                        })
                });
            if let Some(same) = same {
                let known = &mut self.processes[same];
                known.name = format!("{} + {}", known.name, process.name);
                known.game |= process.game;
                return;
            }
        }
        let at = self.seconds();
        self.processes.push(process);
        self.readings
            .push(first.map(|r| (at, r)).into_iter().collect());
    }

    /// Reads every process once (those that do not answer are skipped this time).
    pub async fn sample(&mut self) {
        let at = self.began.elapsed().as_secs_f64();
        let reads = self.processes.iter().map(|p| read(&self.http, &p.source));
        let readings = futures_util::future::join_all(reads).await;
        for (history, reading) in self.readings.iter_mut().zip(readings) {
            if let Some(reading) = reading {
                history.push((at, reading));
            }
        }
    }

    pub fn seconds(&self) -> f64 {
        self.began.elapsed().as_secs_f64()
    }
}

/// What the servers say of the window from `from` to `to` (seconds since the watch began):
/// their own action latency, and their CPU.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ServerSide {
    /// Actions the game servers handled in the window, and their own latency for them
    /// (estimated within `game_action_seconds` buckets, as Prometheus's
    /// `histogram_quantile` does).
    pub actions: f64,
    pub action_p50_ms: f64,
    pub action_p90_ms: f64,
    pub action_p99_ms: f64,
    /// CPU seconds every watched process spent in the window.
    pub cpu_seconds: f64,
}

pub fn server_side(watch: &Watch, from: f64, to: f64) -> Option<ServerSide> {
    let mut merged: Buckets = Vec::new();
    let mut cpu_seconds = 0.0;
    for readings in &watch.readings {
        let before = readings
            .iter()
            .rev()
            .find(|(t, _)| *t <= from)
            .or(readings.first());
        let last = readings.iter().rev().find(|(t, _)| *t <= to);
        let (Some((_, first)), Some((_, last))) = (before, last) else {
            continue;
        };
        cpu_seconds += (last.cpu_seconds - first.cpu_seconds).max(0.0);
        if let Some(end) = &last.action_buckets {
            let start = first.action_buckets.as_deref().unwrap_or_default();
            for (i, (le, count)) in end.iter().enumerate() {
                let earlier = start.get(i).map_or(0.0, |(_, c)| *c);
                match merged.get_mut(i) {
                    Some((_, sum)) => *sum += count - earlier,
                    None => merged.push((*le, count - earlier)),
                }
            }
        }
    }
    let actions = merged.last().map_or(0.0, |(_, n)| *n);
    let ms = |q: f64| quantile(&merged, q) * 1000.0;
    Some(ServerSide {
        actions,
        action_p50_ms: ms(0.5),
        action_p90_ms: ms(0.9),
        action_p99_ms: ms(0.99),
        cpu_seconds,
    })
}

/// The `q` quantile of cumulative `buckets`, interpolating linearly inside the bucket it
/// falls in (the last finite bound if it falls in `+Inf`).
fn quantile(buckets: &[(f64, f64)], q: f64) -> f64 {
    let Some((_, total)) = buckets.last() else {
        return 0.0;
    };
    let rank = q * total;
    let mut lower = (0.0, 0.0);
    for &(le, count) in buckets {
        if count >= rank && count > 0.0 {
            if le.is_infinite() {
                return lower.0;
            }
            let inside = (rank - lower.1) / (count - lower.1).max(f64::MIN_POSITIVE);
            return lower.0 + (le - lower.0) * inside.clamp(0.0, 1.0);
        }
        lower = (le, count);
    }
    lower.0
}

fn host_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split([':', '/']).next().unwrap_or(rest)
}

/// One process over the run, for the report.
#[derive(Debug, Clone, Serialize)]
pub struct ProcessCost {
    pub name: String,
    pub game: bool,
    /// Average CPU over the measured window, in percent of one core.
    pub cpu_percent: f64,
    pub rss_idle_mib: f64,
    pub rss_peak_mib: f64,
    pub open_fds_peak: f64,
}

/// What each process cost between `from` and `to` (seconds since the watch began); the
/// idle memory is the last reading before `from`.
pub fn costs(watch: &Watch, from: f64, to: f64) -> Vec<ProcessCost> {
    const MIB: f64 = 1024.0 * 1024.0;
    watch
        .processes
        .iter()
        .zip(&watch.readings)
        .filter(|(_, r)| !r.is_empty())
        .map(|(process, readings)| {
            let before = readings
                .iter()
                .rev()
                .find(|(t, _)| *t <= from)
                .or(readings.first());
            let window: Vec<&(f64, Reading)> = readings
                .iter()
                .filter(|(t, _)| *t >= from && *t <= to)
                .collect();
            let cpu_percent = match (before, window.last()) {
                (Some((t0, r0)), Some((t1, r1))) if t1 > t0 => {
                    (r1.cpu_seconds - r0.cpu_seconds) / (t1 - t0) * 100.0
                }
                _ => 0.0,
            };
            let peak =
                |f: fn(&Reading) -> f64| window.iter().map(|(_, r)| f(r)).fold(0.0, f64::max);
            ProcessCost {
                name: process.name.clone(),
                game: process.game,
                cpu_percent,
                rss_idle_mib: before.map_or(0.0, |(_, r)| r.rss_bytes / MIB),
                rss_peak_mib: peak(|r| r.rss_bytes) / MIB,
                open_fds_peak: peak(|r| r.open_fds),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_standard_process_metrics() {
        let page = "# HELP process_cpu_seconds_total Total user and system CPU time.\n\
                    # TYPE process_cpu_seconds_total counter\n\
                    process_cpu_seconds_total 12.5\n\
                    process_resident_memory_bytes 104857600\n\
                    process_open_fds 42\n\
                    process_start_time_seconds 1764600000\n\
                    moonlight_process_id 4242\n\
                    game_slow_clients_dropped_total 7\n\
                    game_silent_clients_dropped_total 2\n\
                    http_requests_total{route=\"/x\"} 3\n";
        let reading = parse(page).expect("a reading");
        assert_eq!(reading.cpu_seconds, 12.5);
        assert_eq!(reading.rss_bytes, 104_857_600.0);
        assert_eq!(reading.open_fds, 42.0);
        assert_eq!(reading.pid, Some(4242.0));
        assert_eq!(reading.slow_clients_dropped, 9.0);
        assert!(parse("http_requests_total 3\n").is_none());
        assert!(reading.action_buckets.is_none());
        assert_eq!(host_of("http://127.0.0.1:8080/metrics"), "127.0.0.1");
    }

    #[test]
    fn a_local_process_is_read_with_its_descendants() {
        let table = [(1, 0, 1.0), (2, 1, 2.0), (3, 2, 3.0), (4, 0, 4.0)];
        assert_eq!(descendants(&table, 1), Some(vec![1, 2, 3]));
        assert_eq!(descendants(&table, 4), Some(vec![4]));
        assert_eq!(descendants(&table, 9), None);
        let me = read_tree(std::process::id()).expect("this process");
        assert!(me.rss_bytes > 0.0 && me.cpu_seconds >= 0.0, "{me:?}");
    }

    #[test]
    fn the_servers_own_action_latency_comes_from_their_buckets() {
        let page = |counts: [u32; 4]| {
            format!(
                "process_cpu_seconds_total 1\nprocess_resident_memory_bytes 1\n\
                 game_action_seconds_bucket{{le=\"0.001\"}} {}\n\
                 game_action_seconds_bucket{{le=\"0.002\"}} {}\n\
                 game_action_seconds_bucket{{le=\"0.004\"}} {}\n\
                 game_action_seconds_bucket{{le=\"+Inf\"}} {}\n",
                counts[0], counts[1], counts[2], counts[3]
            )
        };
        let before = parse(&page([10, 10, 10, 10])).unwrap();
        assert_eq!(before.action_buckets.as_ref().unwrap().len(), 4);
        // In the window: 100 actions, 50 under 1 ms, 40 more under 2 ms, 10 under 4 ms.
        let after = parse(&page([60, 100, 110, 110])).unwrap();
        let watch = Watch {
            readings: vec![vec![(0.0, before), (10.0, after)]],
            ..Watch::default()
        };
        let side = server_side(&watch, 0.0, 10.0).unwrap();
        assert_eq!(side.actions, 100.0);
        assert!((side.action_p50_ms - 1.0).abs() < 1e-9, "{side:?}");
        assert!((side.action_p90_ms - 2.0).abs() < 1e-9, "{side:?}");
        assert!((side.action_p99_ms - 3.8).abs() < 1e-9, "{side:?}");
    }
}
