//! Cleanup that runs when the test process exits, however it exits (success, panic,
//! abort, SIGKILL): a tiny shell process blocks reading a pipe from us; when our end closes
//! (which the kernel does at our exit), it runs the cleanup command.

use std::process::{ChildStdin, Command, Stdio};

use parking_lot::Mutex;

/// Write ends of the watchdogs' pipes, kept open for the life of the process.
static PIPES: Mutex<Vec<ChildStdin>> = Mutex::new(Vec::new());

/// Runs `cleanup` (a shell command) once this process has exited.
#[allow(
    clippy::zombie_processes,
    reason = "the watchdog must outlive this process, so it is never waited for"
)]
pub fn on_exit(cleanup: &str) {
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!("cat >/dev/null; {cleanup}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawning a cleanup watchdog");
    if let Some(stdin) = child.stdin {
        PIPES.lock().push(stdin);
    }
}
