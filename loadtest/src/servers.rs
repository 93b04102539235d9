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
    pub metrics_url: String,
    /// Whether it is a game-server node (whose memory is per connected player).
    pub game: bool,
}

/// One reading of a process.
#[derive(Debug, Clone, Copy, Default, Serialize)]
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
}

/// The game servers' counts of clients dropped for not keeping up.
const DROPPED: [&str; 2] = [
    "game_slow_clients_dropped_total",
    "game_silent_clients_dropped_total",
];

/// Reads `process_*` metrics (and [`DROPPED`]) from a Prometheus text page.
pub fn parse(text: &str) -> Option<Reading> {
    let mut values = BTreeMap::new();
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
    })
}

pub async fn read(http: &reqwest::Client, url: &str) -> Option<Reading> {
    let response = http
        .get(url)
        .timeout(Duration::from_secs(2))
        .send()
        .await
        .ok()?;
    parse(&response.text().await.ok()?)
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
        if !self.seen.insert(process.metrics_url.clone()) {
            return;
        }
        let first = read(&self.http, &process.metrics_url).await;
        if let Some(new) = first {
            let host = host_of(&process.metrics_url);
            let same = self
                .processes
                .iter()
                .zip(&self.readings)
                .position(|(p, r)| {
                    host_of(&p.metrics_url) == host
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
        let reads = self
            .processes
            .iter()
            .map(|p| read(&self.http, &p.metrics_url));
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
        assert_eq!(host_of("http://127.0.0.1:8080/metrics"), "127.0.0.1");
    }
}
