//! The node's own account of its actions between two heartbeats, reported in its directory
//! entry for the operator's console (Prometheus gets the same from `/metrics`, over any
//! window it likes; the console needs no Prometheus).

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use moonlight_rooms::NodeVitals;
use parking_lot::Mutex;

/// Counts actions as the rooms apply them; [`Vitals::take`] reads and restarts the window.
/// Rooms record from every worker thread: the lock is held for a histogram increment,
/// tens of nanoseconds against the hundreds of microseconds an action costs.
pub(crate) struct Vitals {
    window: Mutex<Window>,
}

struct Window {
    started: Instant,
    /// Microseconds, 1 µs to 1 minute at 2 significant figures (a 1 % error, ~2 KB).
    latency: Histogram<u64>,
    rejected: u64,
    failed: u64,
}

const LONGEST_US: u64 = 60_000_000;

impl Window {
    fn new() -> Self {
        Self {
            started: Instant::now(),
            latency: Histogram::new_with_bounds(1, LONGEST_US, 2)
                .expect("bounds 1..=60e6 at 2 figures are valid"),
            rejected: 0,
            failed: 0,
        }
    }
}

impl Default for Vitals {
    fn default() -> Self {
        Self {
            window: Mutex::new(Window::new()),
        }
    }
}

impl Vitals {
    /// An action applied and acknowledged `took` after it arrived.
    pub fn applied(&self, took: Duration) {
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.window
            .lock()
            .latency
            .saturating_record(micros.clamp(1, LONGEST_US));
    }

    /// An action the rules refused.
    pub fn rejected(&self) {
        self.window.lock().rejected += 1;
    }

    /// An action the node could not make durable.
    pub fn failed(&self) {
        self.window.lock().failed += 1;
    }

    /// The window so far; the next one starts now.
    pub fn take(&self) -> NodeVitals {
        let window = std::mem::replace(&mut *self.window.lock(), Window::new());
        let quantile = |q| {
            if window.latency.is_empty() {
                0
            } else {
                window.latency.value_at_quantile(q)
            }
        };
        NodeVitals {
            window_ms: u64::try_from(window.started.elapsed().as_millis()).unwrap_or(u64::MAX),
            actions: window.latency.len(),
            rejected: window.rejected,
            failed: window.failed,
            p50_us: quantile(0.5),
            p99_us: quantile(0.99),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::Vitals;

    #[test]
    fn a_window_counts_its_actions_and_the_next_starts_empty() {
        let vitals = Vitals::default();
        for micros in 1..=100 {
            vitals.applied(Duration::from_micros(micros * 10));
        }
        vitals.rejected();
        vitals.failed();
        vitals.failed();
        let window = vitals.take();
        assert_eq!(
            (window.actions, window.rejected, window.failed),
            (100, 1, 2)
        );
        // 2 significant figures: within 1 % of 500 µs and 990 µs.
        assert!((495..=505).contains(&window.p50_us), "{window:?}");
        assert!((980..=1000).contains(&window.p99_us), "{window:?}");
        let next = vitals.take();
        assert_eq!((next.actions, next.p50_us, next.p99_us), (0, 0, 0));
    }
}
