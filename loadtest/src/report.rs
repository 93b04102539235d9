//! The run's report: a timeline point a second, the totals, what the servers cost, the
//! scenario's own result; printed as a table and written as JSON.

use std::{collections::BTreeMap, fmt::Write as _, path::Path};

use anyhow::Context;
use serde::Serialize;

use crate::{
    network::Impairment,
    servers::{ProcessCost, ServerSide},
    stats::{Counters, Gauges, Percentiles, Sample},
};

/// One second of the run.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// Seconds since the players started arriving.
    pub t: f64,
    pub active: u64,
    pub playing: u64,
    pub waiting: u64,
    pub resuming: u64,
    pub actions: u64,
    pub matches_completed: u64,
    pub logins: u64,
    pub errors: u64,
    pub drops: u64,
    /// Action → update latency this second.
    pub action: Percentiles,
    pub frames_out: u64,
    pub frames_in: u64,
    pub bytes_out: u64,
    pub bytes_in: u64,
    /// Resident memory of every server process, summed.
    pub server_rss_mib: f64,
}

impl Point {
    pub fn new(t: f64, sample: &Sample, gauges: &Gauges, server_rss_mib: f64) -> Self {
        let c = &sample.counters;
        Self {
            t,
            active: gauges.active,
            playing: gauges.playing,
            waiting: gauges.waiting,
            resuming: gauges.resuming,
            actions: c.actions,
            matches_completed: c.matches_completed,
            logins: c.logins,
            errors: sample.error_count(),
            drops: sample.drops.values().sum(),
            action: sample.hist.action.summary(),
            frames_out: c.frames_out,
            frames_in: c.frames_in,
            bytes_out: c.bytes_out,
            bytes_in: c.bytes_in,
            server_rss_mib,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Latencies {
    pub action: Percentiles,
    /// Action latency once every player had arrived (the steady state).
    pub action_after_arrival: Percentiles,
    pub connect: Percentiles,
    /// Of a connect, the part up to the upgrade's answer.
    #[serde(default)]
    pub upgrade: Percentiles,
    pub resume: Percentiles,
    pub matchmaking: Percentiles,
    pub login: Percentiles,
}

#[derive(Debug, Clone, Serialize)]
pub struct Rates {
    pub actions: f64,
    pub matches_completed: f64,
    pub logins: f64,
    pub frames_out: f64,
    pub frames_in: f64,
    pub bytes_out: f64,
    pub bytes_in: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RampStep {
    pub players: usize,
    pub action_p99_ms: f64,
    pub errors: u64,
    pub actions_per_sec: f64,
    pub held: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct RampResult {
    pub steps: Vec<RampStep>,
    /// The most players a step held within the limits.
    pub knee_players: Option<usize>,
    pub limit: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct StormResult {
    pub at_secs: f64,
    pub asked: usize,
    pub cut: usize,
    pub resumed: u64,
    pub resume: Percentiles,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailoverResult {
    pub node: String,
    pub at_secs: f64,
    /// Players with a socket on the node when it died (two per match).
    pub players_on_node: u64,
    pub matches_on_node: u64,
    /// Players back in their match on another node.
    pub resumed_elsewhere: u64,
    /// From each player's dropped socket to its match resumed.
    pub resume: Percentiles,
}

/// The slow-readers scenario's result: what clients that stop reading cost the game
/// servers, and how soon the servers dropped them.
#[derive(Debug, Clone, Serialize)]
pub struct SlowReadersResult {
    pub at_secs: f64,
    pub asked: usize,
    pub opened: usize,
    /// Why the others did not open, by reason.
    pub failed: BTreeMap<String, u64>,
    /// Dropped by the servers by the end, as too slow to take their frames or silent for
    /// two heartbeats (`game_slow_clients_dropped_total` + `game_silent_clients_dropped_total`).
    pub dropped_by_servers: u64,
    /// Seconds from their arrival until the servers had dropped them all.
    pub all_dropped_after_secs: Option<f64>,
    /// The game servers' resident memory just before they came, at its peak after, and at
    /// the end.
    pub rss_before_mib: f64,
    pub rss_peak_mib: f64,
    pub rss_end_mib: f64,
    /// The bots' action latency from their arrival on.
    pub action: Percentiles,
}

/// What the bots' ledgers found (the crash and bad-network scenarios), and whether the
/// lobby had every player free after the stop.
#[derive(Debug, Clone, Serialize)]
pub struct LedgerResult {
    /// Actions acknowledged in the window (from the first crash on; the whole run).
    pub acknowledged: u64,
    /// Sockets that dropped and came back, and how long it took.
    pub resumed: u64,
    pub resume: Percentiles,
    /// Sockets the bots gave up on as dead (silent while an action waited).
    pub gave_up_on_silence: u64,
    pub matches_completed: u64,
    /// Acknowledged actions a room had lost after a resume (must be 0).
    pub lost: u64,
    /// Actions applied a second time (must be 0).
    pub applied_twice: u64,
    /// Matches a bot saw end whose result the lobby never had (must be 0).
    pub results_missing: u64,
    /// Matches that did not come back within two minutes (must be 0).
    pub not_resumed: u64,
    /// Players the lobby still had queued, in a room or in a match two minutes after the
    /// stop (must be 0), of those checked.
    pub stuck_after_stop: usize,
    /// The first twenty of them, `name: state`.
    pub stuck: Vec<String>,
    pub players_checked: usize,
    /// From the stop until the lobby had every player free.
    pub all_free_after_secs: f64,
    /// Other errors, by kind (requests that found a server down, or the network dark).
    pub other_errors: BTreeMap<String, u64>,
}

impl LedgerResult {
    /// What must be zero and is not, as the report's failures.
    pub fn failures(&self) -> Vec<String> {
        [
            ("acknowledged actions lost", self.lost as usize),
            ("actions applied twice", self.applied_twice as usize),
            (
                "finished matches without a result",
                self.results_missing as usize,
            ),
            ("matches not resumed in time", self.not_resumed as usize),
            ("players stuck after the stop", self.stuck_after_stop),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(what, n)| format!("{n} {what}"))
        .chain((!self.stuck.is_empty()).then(|| format!("stuck: {}", self.stuck.join(", "))))
        .chain(
            (self.players_checked == 0).then(|| "no player was checked after the stop".to_owned()),
        )
        .collect()
    }

    fn table(&self, w: &mut String) {
        let p = &self.resume;
        let _ = writeln!(
            w,
            "             {} actions acknowledged, {} matches completed, {} sockets resumed (p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms), {} given up on as silent\nledger       lost {}, applied twice {}, results missing {}, not resumed {}\nafter stop   {} of {} players stuck; all free {:.1} s after the stop",
            self.acknowledged,
            self.matches_completed,
            self.resumed,
            p.p50_ms,
            p.p99_ms,
            p.max_ms,
            self.gave_up_on_silence,
            self.lost,
            self.applied_twice,
            self.results_missing,
            self.not_resumed,
            self.stuck_after_stop,
            self.players_checked,
            self.all_free_after_secs
        );
    }
}

/// The crash scenario's result: the crashes, and what the ledgers found from the first on.
#[derive(Debug, Clone, Serialize)]
pub struct CrashResult {
    pub asked: usize,
    pub kills: usize,
    /// From the SIGKILL to the restarted process listening again.
    pub restart_p50_secs: f64,
    pub restart_max_secs: f64,
    /// Actions acknowledged after the last crash: play went on.
    pub actions_after_last: u64,
    pub ledger: LedgerResult,
}

/// The bad-network scenario's result: the link, its blackouts, and what the ledgers found.
#[derive(Debug, Clone, Serialize)]
pub struct BadNetworkResult {
    pub link: Impairment,
    /// Each blackout: start (seconds into the run) and length.
    pub blackouts: Vec<(f64, f64)>,
    /// Sockets the game servers dropped as silent (no pong for two heartbeats) or too slow
    /// to take their frames: the servers' side of the heartbeat.
    pub dropped_by_servers: u64,
    pub ledger: LedgerResult,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: String,
    pub deployment: String,
    pub started_unix: u64,
    pub players: usize,
    pub think_ms: u64,
    pub mode: String,
    pub workers: usize,
    pub accounts_signed_in: usize,
    pub sign_in_secs: f64,
    pub duration_secs: f64,
    pub arrival_secs: f64,
    pub peak_playing: u64,
    pub counters: Counters,
    pub per_sec: Rates,
    pub latency_ms: Latencies,
    pub errors: BTreeMap<String, u64>,
    /// Sockets dropped without a close, by node.
    pub drops: BTreeMap<String, u64>,
    pub servers: Vec<ProcessCost>,
    /// The servers' own view of the run: their action latency and their CPU.
    pub server_side: Option<ServerSide>,
    /// CPU of every watched server process over the run ÷ actions acknowledged, in µs.
    pub cpu_per_action_us: Option<f64>,
    /// Server memory (every process) with the most players playing, less what it used
    /// before the players arrived, per playing player.
    pub memory_per_player_kib: Option<f64>,
    pub ramp: Option<RampResult>,
    pub storm: Option<StormResult>,
    pub failover: Option<FailoverResult>,
    pub crash: Option<CrashResult>,
    pub bad_network: Option<BadNetworkResult>,
    pub slow_readers: Option<SlowReadersResult>,
    /// Why the run failed, if it did.
    pub failures: Vec<String>,
    pub timeline: Vec<Point>,
}

impl Report {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    pub fn write_json(&self, path: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))
    }

    /// The summary table.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let w = &mut out;
        let _ = writeln!(
            w,
            "\nloadtest {} against {}\n{} players, think {} ms, {} match, {} worker(s); {:.0} s of play after {:.1} s of arrival",
            self.scenario,
            self.deployment,
            self.players,
            self.think_ms,
            self.mode,
            self.workers,
            self.duration_secs - self.arrival_secs,
            self.arrival_secs
        );
        let _ = writeln!(
            w,
            "\n{:<34}{:>9}{:>10}{:>10}{:>10}{:>10}{:>10}",
            "latency (ms)", "count", "p50", "p90", "p99", "p99.9", "max"
        );
        let l = &self.latency_ms;
        for (name, p) in [
            ("action → acknowledged update", &l.action),
            ("  the same, after arrival", &l.action_after_arrival),
            ("connect (socket → welcome)", &l.connect),
            ("  of which socket → upgraded", &l.upgrade),
            ("resume (drop → back in match)", &l.resume),
            ("matchmaking (queue → ticket)", &l.matchmaking),
            ("login", &l.login),
        ] {
            if p.count > 0 {
                let _ = writeln!(
                    w,
                    "{name:<34}{:>9}{:>10.2}{:>10.2}{:>10.2}{:>10.2}{:>10.2}",
                    p.count, p.p50_ms, p.p90_ms, p.p99_ms, p.p999_ms, p.max_ms
                );
            }
        }
        let r = &self.per_sec;
        let c = &self.counters;
        let _ = writeln!(
            w,
            "\nthroughput   {:.0} actions/s, {:.1} matches completed/s ({} started, {} completed), {:.0} logins/s",
            r.actions, r.matches_completed, c.matches_started, c.matches_completed, r.logins
        );
        let per_frame = |bytes: u64, frames: u64| bytes.checked_div(frames).unwrap_or(0);
        let _ = writeln!(
            w,
            "traffic      out {:.0} frames/s {}/s ({} B a frame), in {:.0} frames/s {}/s ({} B a frame)",
            r.frames_out,
            bytes(r.bytes_out),
            per_frame(c.bytes_out, c.frames_out),
            r.frames_in,
            bytes(r.bytes_in),
            per_frame(c.bytes_in, c.frames_in),
        );
        let _ = writeln!(w, "players      {} playing at the peak", self.peak_playing);
        if c.resumed > 0 {
            let _ = writeln!(
                w,
                "resumed      {} sockets ({} on another node), {} tries refused on the way; {} given up on as silent",
                c.resumed, c.moved_node, c.resume_retries, c.gave_up_on_silence
            );
        }
        let errors = if self.errors.is_empty() {
            "none".to_owned()
        } else {
            self.errors
                .iter()
                .map(|(kind, n)| format!("{kind}: {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(w, "errors       {errors}");
        if !self.drops.is_empty() {
            let drops: Vec<String> = self
                .drops
                .iter()
                .map(|(n, d)| format!("{n}: {d}"))
                .collect();
            let _ = writeln!(w, "drops        {}", drops.join(", "));
        }
        if !self.servers.is_empty() {
            let _ = writeln!(
                w,
                "\n{:<30}{:>10}{:>12}{:>12}{:>10}",
                "server process", "CPU %", "RSS idle", "RSS peak", "fds peak"
            );
            for s in &self.servers {
                let _ = writeln!(
                    w,
                    "{:<30}{:>10.0}{:>8.1} MiB{:>8.1} MiB{:>10.0}",
                    s.name, s.cpu_percent, s.rss_idle_mib, s.rss_peak_mib, s.open_fds_peak
                );
            }
        }
        if let Some(side) = &self.server_side
            && side.actions > 0.0
        {
            let _ = writeln!(
                w,
                "servers      their own action time (receive → durable → sent; game_action_seconds) p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms over {:.0} actions",
                side.action_p50_ms, side.action_p90_ms, side.action_p99_ms, side.actions
            );
        }
        if let Some(us) = self.cpu_per_action_us {
            let _ = writeln!(
                w,
                "cpu          {us:.0} µs of server CPU per acknowledged action (every watched process)"
            );
        }
        if let Some(kib) = self.memory_per_player_kib {
            let _ = writeln!(
                w,
                "memory       {kib:.1} KiB of server memory per playing player"
            );
        }
        if let Some(ramp) = &self.ramp {
            let _ = writeln!(w, "\nramp steps ({})", ramp.limit);
            for s in &ramp.steps {
                let _ = writeln!(
                    w,
                    "  {:>6} players  p99 {:>8.2} ms  {:>6.0} actions/s  {} errors  {}",
                    s.players,
                    s.action_p99_ms,
                    s.actions_per_sec,
                    s.errors,
                    if s.held { "held" } else { "over the limit" }
                );
            }
            let knee = ramp
                .knee_players
                .map_or_else(|| "no step held".to_owned(), |k| format!("{k} players"));
            let _ = writeln!(w, "knee         {knee}");
        }
        if let Some(storm) = &self.storm {
            let p = &storm.resume;
            let _ = writeln!(
                w,
                "\nstorm        at {:.0} s cut {} of {} asked; {} resumed: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
                storm.at_secs, storm.cut, storm.asked, storm.resumed, p.p50_ms, p.p99_ms, p.max_ms
            );
        }
        if let Some(f) = &self.failover {
            let p = &f.resume;
            let _ = writeln!(
                w,
                "\nfailover     {} killed at {:.0} s with {} players ({} matches); {} resumed on another node: p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms",
                f.node,
                f.at_secs,
                f.players_on_node,
                f.matches_on_node,
                f.resumed_elsewhere,
                p.p50_ms,
                p.p99_ms,
                p.max_ms
            );
        }
        if let Some(s) = &self.slow_readers {
            let dropped_all = s.all_dropped_after_secs.map_or_else(
                || "not all by the end".to_owned(),
                |secs| format!("all {secs:.0} s after they came"),
            );
            let _ = writeln!(
                w,
                "\nslow readers {} of {} opened at {:.0} s; the servers dropped {} ({dropped_all}); game-server memory {:.0} MiB before, peak {:.0} MiB, {:.0} MiB at the end; action p99 since {:.1} ms",
                s.opened,
                s.asked,
                s.at_secs,
                s.dropped_by_servers,
                s.rss_before_mib,
                s.rss_peak_mib,
                s.rss_end_mib,
                s.action.p99_ms
            );
        }
        if let Some(c) = &self.crash {
            let _ = writeln!(
                w,
                "\ncrashes      {} of {} (restart p50 {:.2} s, max {:.2} s); {} actions after the last; since the first:",
                c.kills, c.asked, c.restart_p50_secs, c.restart_max_secs, c.actions_after_last
            );
            c.ledger.table(w);
        }
        if let Some(b) = &self.bad_network {
            let l = &b.link;
            let _ = writeln!(
                w,
                "\nbad network  {} ± {} ms each way, {:.0} % of segments lost, {} blackouts of {:.0} s; {} sockets dropped by the servers as silent or slow; over the run:",
                l.delay_ms,
                l.jitter_ms,
                l.loss * 100.0,
                b.blackouts.len(),
                l.blackout_secs,
                b.dropped_by_servers
            );
            b.ledger.table(w);
        }
        let _ = writeln!(
            w,
            "\n{}",
            if self.passed() {
                "PASSED".to_owned()
            } else {
                format!("FAILED: {}", self.failures.join("; "))
            }
        );
        out
    }
}

fn bytes(per_sec: f64) -> String {
    if per_sec >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", per_sec / (1024.0 * 1024.0))
    } else {
        format!("{:.1} KiB", per_sec / 1024.0)
    }
}

/// Rates over `seconds`.
pub fn rates(counters: &Counters, seconds: f64) -> Rates {
    let per = |n: u64| n as f64 / seconds.max(0.001);
    Rates {
        actions: per(counters.actions),
        matches_completed: per(counters.matches_completed),
        logins: per(counters.logins),
        frames_out: per(counters.frames_out),
        frames_in: per(counters.frames_in),
        bytes_out: per(counters.bytes_out),
        bytes_in: per(counters.bytes_in),
    }
}
