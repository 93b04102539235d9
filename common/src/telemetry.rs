//! Logs and metrics set-up, done once per process by the binary (and by test harnesses).

use std::{io::IsTerminal as _, sync::OnceLock};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing_subscriber::{EnvFilter, fmt, prelude::*};

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable, one line per event.
    #[default]
    Human,
    /// One JSON object per line, for log shippers.
    Json,
}

/// Installs the global tracing subscriber, writing to stderr (stdout is for what scripts
/// read, like the listeners' addresses), in colour only when stderr is a terminal.
/// `RUST_LOG` overrides the default filter (`info`). Calling it twice is harmless (the
/// second call changes nothing).
pub fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let _already_set = match format {
        LogFormat::Human => registry
            .with(
                fmt::layer()
                    .with_writer(std::io::stderr)
                    .with_ansi(std::io::stderr().is_terminal()),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_writer(std::io::stderr),
            )
            .try_init(),
    };
}

/// The process-wide Prometheus recorder, installed on first use. The `metrics` facade has
/// one global recorder, so every service of a process shares this registry.
pub fn metrics_handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(
                Matcher::Suffix("_seconds".to_owned()),
                // From 100 µs: an action on Redis takes a few hundred microseconds, and a
                // percentile estimated inside a bucket is only as fine as the bucket.
                &[
                    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                    0.5, 1.0, 2.5, 5.0, 10.0,
                ],
            )
            .expect("the bucket list is non-empty");
        match builder.install_recorder() {
            Ok(handle) => handle,
            // Another recorder is already installed (only possible if a library user
            // installed their own): keep a private registry so /metrics still answers.
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        }
    })
}

/// The Prometheus text for `/metrics`: the services' own metrics and the standard process
/// ones (`process_cpu_seconds_total`, `process_resident_memory_bytes`, `process_open_fds`…),
/// read afresh at each scrape, so load tests and dashboards see each process's cost, and
/// `moonlight_process_id` (the pid), which tells apart several processes on one host that
/// started in the same second (the start time has one-second resolution).
pub fn render_metrics() -> String {
    static PROCESS: OnceLock<metrics_process::Collector> = OnceLock::new();
    let handle = metrics_handle();
    let process = PROCESS.get_or_init(|| {
        let collector = metrics_process::Collector::default();
        collector.describe();
        metrics::describe_gauge!("moonlight_process_id", "The process id of this server.");
        metrics::gauge!("moonlight_process_id").set(f64::from(std::process::id()));
        collector
    });
    process.collect();
    handle.render()
}
