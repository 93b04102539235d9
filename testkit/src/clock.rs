//! Deterministic time for tests of timers in-process: tokio's paused clock, held still.
//!
//! A paused tokio clock advances by itself to the next timer whenever the runtime has
//! nothing to do, and "nothing to do" includes waiting for real I/O on other threads
//! (SQLite's worker, the private PostgreSQL and Redis): a turn timer would fire while a
//! move is being written. [`Frozen`] keeps the clock from moving by itself (tokio never
//! auto-advances while a blocking task runs), so time moves only when the test says
//! (`tokio::time::advance`); [`Frozen`] also puts a real-time bound on the test, since
//! the tests' `PATIENCE` timeouts never fire on a frozen clock.

use std::{
    sync::mpsc,
    time::{Duration, Instant},
};

/// How long a test on a frozen clock may run, in real time, before the test process is
/// aborted (a hang becomes a failure).
pub const REAL_TIME_LIMIT: Duration = Duration::from_secs(180);

/// Holds a paused clock still while it lives (see the module docs). Needs the
/// `current_thread` runtime with `start_paused = true`.
pub struct Frozen {
    release: mpsc::Sender<()>,
}

impl Frozen {
    pub fn hold() -> Self {
        let (release, released) = mpsc::channel::<()>();
        let started = Instant::now();
        tokio::task::spawn_blocking(move || {
            match released.recv_timeout(REAL_TIME_LIMIT) {
                // Released, or the test ended (the sender dropped): done.
                Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {}
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    eprintln!(
                        "a test on a frozen clock ran for {:?} of real time; aborting",
                        started.elapsed()
                    );
                    std::process::abort();
                }
            }
        });
        Self { release }
    }
}

impl Drop for Frozen {
    fn drop(&mut self) {
        let _ = self.release.send(());
    }
}
