//! What the bots measure. Each worker keeps one [`Recorder`]; every second it takes the
//! interval's [`Sample`] (counters, latency histograms, errors by kind) and the current
//! [`Gauges`], and ships them to the coordinator, which merges them into the timeline and
//! the run's totals.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use hdrhistogram::Histogram;
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// Latencies are recorded in microseconds, from 1 µs to 10 minutes, 3 significant digits.
const HIST_MAX_MICROS: u64 = 600_000_000;

/// An HdrHistogram of microseconds that travels between processes as its non-empty
/// buckets (`[value, count]` pairs), which merge back exactly.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(into = "Vec<[u64; 2]>", from = "Vec<[u64; 2]>")]
pub struct Hist(Histogram<u64>);

impl Default for Hist {
    fn default() -> Self {
        Self(Histogram::new_with_bounds(1, HIST_MAX_MICROS, 3).expect("valid histogram bounds"))
    }
}

impl From<Hist> for Vec<[u64; 2]> {
    fn from(hist: Hist) -> Self {
        hist.0
            .iter_recorded()
            .map(|v| [v.value_iterated_to(), v.count_at_value()])
            .collect()
    }
}

impl From<Vec<[u64; 2]>> for Hist {
    fn from(buckets: Vec<[u64; 2]>) -> Self {
        let mut hist = Self::default();
        for [value, count] in buckets {
            hist.0.saturating_record_n(value, count);
        }
        hist
    }
}

impl Hist {
    pub fn record(&mut self, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.0.saturating_record(micros.max(1));
    }

    pub fn merge(&mut self, other: &Self) {
        // Same bounds on both sides, so this cannot fail; saturate rather than panic anyway.
        let _ = self.0.add(&other.0);
    }

    pub fn len(&self) -> u64 {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The value at quantile `q`, in milliseconds.
    pub fn ms(&self, q: f64) -> f64 {
        self.0.value_at_quantile(q) as f64 / 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.0.max() as f64 / 1000.0
    }

    pub fn summary(&self) -> Percentiles {
        Percentiles {
            count: self.len(),
            p50_ms: self.ms(0.5),
            p90_ms: self.ms(0.9),
            p99_ms: self.ms(0.99),
            p999_ms: self.ms(0.999),
            max_ms: self.max_ms(),
        }
    }
}

/// A histogram's headline figures, for tables and the JSON report.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Percentiles {
    pub count: u64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
}

/// What the bots timed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    /// An action sent → the update that acknowledges it.
    Action,
    /// Socket opened with a room ticket → the welcome.
    Connect,
    /// The first part of a connect: socket opened → the upgrade answered (the node has
    /// checked the ticket and opened the room).
    Upgrade,
    /// A dropped socket → the match resumed on a (new) socket.
    Resume,
    /// Queue or room joined → the room ticket in hand.
    Matchmaking,
    /// A register, login or refresh request → its answer.
    Login,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Histograms {
    pub action: Hist,
    pub connect: Hist,
    pub upgrade: Hist,
    pub resume: Hist,
    pub matchmaking: Hist,
    pub login: Hist,
}

impl Histograms {
    fn get_mut(&mut self, timing: Timing) -> &mut Hist {
        match timing {
            Timing::Action => &mut self.action,
            Timing::Connect => &mut self.connect,
            Timing::Upgrade => &mut self.upgrade,
            Timing::Resume => &mut self.resume,
            Timing::Matchmaking => &mut self.matchmaking,
            Timing::Login => &mut self.login,
        }
    }

    fn merge(&mut self, other: &Self) {
        self.action.merge(&other.action);
        self.connect.merge(&other.connect);
        self.upgrade.merge(&other.upgrade);
        self.resume.merge(&other.resume);
        self.matchmaking.merge(&other.matchmaking);
        self.login.merge(&other.login);
    }
}

/// Things counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Action,
    MatchStarted,
    MatchCompleted,
    Login,
    /// A socket that dropped and came back (a storm, a failover, a flaky network).
    Resumed,
    /// A resumed socket that came back on another node than it left.
    MovedNode,
    /// A try at opening or resuming a socket that failed and was made again (a dead node,
    /// a refusal, a busy room, a hello the network delayed).
    ResumeRetry,
    /// A socket given up on: silent while an action waited for its answer.
    GaveUpOnSilence,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Counters {
    pub actions: u64,
    pub matches_started: u64,
    pub matches_completed: u64,
    pub logins: u64,
    pub resumed: u64,
    pub moved_node: u64,
    pub resume_retries: u64,
    #[serde(default)]
    pub gave_up_on_silence: u64,
    pub frames_out: u64,
    pub frames_in: u64,
    pub bytes_out: u64,
    pub bytes_in: u64,
}

impl Counters {
    fn merge(&mut self, other: &Self) {
        self.actions += other.actions;
        self.matches_started += other.matches_started;
        self.matches_completed += other.matches_completed;
        self.logins += other.logins;
        self.resumed += other.resumed;
        self.moved_node += other.moved_node;
        self.resume_retries += other.resume_retries;
        self.gave_up_on_silence += other.gave_up_on_silence;
        self.frames_out += other.frames_out;
        self.frames_in += other.frames_in;
        self.bytes_out += other.bytes_out;
        self.bytes_in += other.bytes_in;
    }
}

/// One interval's (or, merged, a whole run's) measurements.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Sample {
    pub counters: Counters,
    pub hist: Histograms,
    /// Errors by kind (`lobby 409 busy`, `rejected not_your_turn`, `closed 1008`…).
    pub errors: BTreeMap<String, u64>,
    /// Sockets the network or a server dropped (no close frame), by the node they were on:
    /// an error, unless the run killed that node on purpose.
    pub drops: BTreeMap<String, u64>,
}

impl Sample {
    pub fn merge(&mut self, other: &Self) {
        self.counters.merge(&other.counters);
        self.hist.merge(&other.hist);
        for (kind, n) in &other.errors {
            *self.errors.entry(kind.clone()).or_default() += n;
        }
        for (node, n) in &other.drops {
            *self.drops.entry(node.clone()).or_default() += n;
        }
    }

    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }
}

/// How many bots are doing what, right now.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Gauges {
    /// Bots started (signed in and going).
    pub active: u64,
    /// Bots with a match socket open.
    pub playing: u64,
    /// Bots in the lobby: queued, in a room, or between matches.
    pub waiting: u64,
    /// Bots whose socket dropped and who are coming back.
    pub resuming: u64,
    /// Playing bots by node id.
    pub per_node: BTreeMap<String, u64>,
    /// Node id → the node's base URL, as tickets named them (for its `/metrics`).
    pub nodes: BTreeMap<String, String>,
}

impl Gauges {
    pub fn merge(&mut self, other: &Self) {
        self.active += other.active;
        self.playing += other.playing;
        self.waiting += other.waiting;
        self.resuming += other.resuming;
        for (node, n) in &other.per_node {
            *self.per_node.entry(node.clone()).or_default() += n;
        }
        for (node, url) in &other.nodes {
            self.nodes
                .entry(node.clone())
                .or_insert_with(|| url.clone());
        }
    }
}

/// Where a bot is, for the gauges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    Waiting,
    Playing { node: String },
    Resuming,
}

/// One worker's measurements in progress, shared by its bots.
#[derive(Default)]
pub struct Recorder {
    sample: Mutex<Sample>,
    active: AtomicI64,
    waiting: AtomicI64,
    resuming: AtomicI64,
    per_node: Mutex<BTreeMap<String, i64>>,
    nodes: Mutex<BTreeMap<String, String>>,
}

impl Recorder {
    pub fn time(&self, timing: Timing, took: Duration) {
        self.with(|s| s.hist.get_mut(timing).record(took));
    }

    pub fn count(&self, count: Count) {
        self.with(|s| {
            let c = &mut s.counters;
            match count {
                Count::Action => c.actions += 1,
                Count::MatchStarted => c.matches_started += 1,
                Count::MatchCompleted => c.matches_completed += 1,
                Count::Login => c.logins += 1,
                Count::Resumed => c.resumed += 1,
                Count::MovedNode => c.moved_node += 1,
                Count::ResumeRetry => c.resume_retries += 1,
                Count::GaveUpOnSilence => c.gave_up_on_silence += 1,
            }
        });
    }

    pub fn error(&self, kind: impl Into<String>) {
        let kind = kind.into();
        self.with(|s| *s.errors.entry(kind).or_default() += 1);
    }

    pub fn dropped(&self, node: &str) {
        self.with(|s| *s.drops.entry(node.to_owned()).or_default() += 1);
    }

    pub fn node_seen(&self, id: &str, base_url: &str) {
        let mut nodes = self.nodes.lock();
        if !nodes.contains_key(id) {
            nodes.insert(id.to_owned(), base_url.to_owned());
        }
    }

    /// A bot started: it counts as active until the guard drops.
    pub fn started(self: &Arc<Self>) -> ActiveGuard {
        self.active.fetch_add(1, Ordering::Relaxed);
        ActiveGuard(Arc::clone(self))
    }

    /// A bot is in `phase` until the guard drops.
    pub fn in_phase(self: &Arc<Self>, phase: Phase) -> PhaseGuard {
        self.shift(&phase, 1);
        PhaseGuard {
            recorder: Arc::clone(self),
            phase,
        }
    }

    fn shift(&self, phase: &Phase, by: i64) {
        match phase {
            Phase::Waiting => {
                self.waiting.fetch_add(by, Ordering::Relaxed);
            }
            Phase::Resuming => {
                self.resuming.fetch_add(by, Ordering::Relaxed);
            }
            Phase::Playing { node } => {
                let mut per_node = self.per_node.lock();
                let n = per_node.entry(node.clone()).or_default();
                *n += by;
                if *n == 0 {
                    per_node.remove(node);
                }
            }
        }
    }

    /// The interval so far, leaving an empty one in its place.
    pub fn take(&self) -> Sample {
        std::mem::take(&mut *self.sample.lock())
    }

    pub fn gauges(&self) -> Gauges {
        let unsigned = |v: &AtomicI64| u64::try_from(v.load(Ordering::Relaxed)).unwrap_or(0);
        let per_node: BTreeMap<String, u64> = self
            .per_node
            .lock()
            .iter()
            .map(|(node, n)| (node.clone(), u64::try_from(*n).unwrap_or(0)))
            .collect();
        Gauges {
            active: unsigned(&self.active),
            playing: per_node.values().sum(),
            waiting: unsigned(&self.waiting),
            resuming: unsigned(&self.resuming),
            per_node,
            nodes: self.nodes.lock().clone(),
        }
    }

    fn with(&self, f: impl FnOnce(&mut Sample)) {
        f(&mut self.sample.lock());
    }
}

pub struct PhaseGuard {
    recorder: Arc<Recorder>,
    phase: Phase,
}

impl moonlight_client::Traffic for Recorder {
    fn sent(&self, bytes: usize) {
        self.with(|s| {
            s.counters.frames_out += 1;
            s.counters.bytes_out += bytes as u64;
        });
    }

    fn received(&self, bytes: usize) {
        self.with(|s| {
            s.counters.frames_in += 1;
            s.counters.bytes_in += bytes as u64;
        });
    }
}

impl Drop for PhaseGuard {
    fn drop(&mut self) {
        self.recorder.shift(&self.phase, -1);
    }
}

pub struct ActiveGuard(Arc<Recorder>);

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        self.0.active.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_crosses_processes_unchanged() {
        let mut hist = Hist::default();
        for micros in [1, 250, 999, 1_000, 4_321, 20_000, 1_500_000] {
            hist.record(Duration::from_micros(micros));
        }
        let wire = serde_json::to_string(&hist).unwrap();
        let back: Hist = serde_json::from_str(&wire).unwrap();
        assert_eq!(back.len(), hist.len());
        for q in [0.0, 0.5, 0.9, 0.99, 1.0] {
            assert_eq!(back.ms(q), hist.ms(q), "quantile {q}");
        }
    }

    #[test]
    fn samples_and_gauges_merge() {
        let recorder = Arc::new(Recorder::default());
        recorder.count(Count::Action);
        recorder.time(Timing::Action, Duration::from_millis(3));
        recorder.error("socket dropped");
        let playing = recorder.in_phase(Phase::Playing {
            node: "node-1".into(),
        });
        let mut total = recorder.take();
        total.merge(&recorder.take());
        recorder.count(Count::Action);
        total.merge(&recorder.take());
        assert_eq!(total.counters.actions, 2);
        assert_eq!(total.hist.action.len(), 1);
        assert_eq!(total.error_count(), 1);

        let mut gauges = recorder.gauges();
        gauges.merge(&recorder.gauges());
        assert_eq!(gauges.playing, 2);
        assert_eq!(gauges.per_node["node-1"], 2);
        drop(playing);
        assert_eq!(recorder.gauges().playing, 0);
        assert!(recorder.gauges().per_node.is_empty());
    }
}
