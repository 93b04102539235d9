//! Plumbing every Moonlight service shares, so each service crate holds only its own domain:
//!
//! - [`db`]: the SQL database (SQLite by default, PostgreSQL when the URL says so), with its
//!   migrations applied at connect time;
//! - [`telemetry`]: tracing set-up and the Prometheus recorder;
//! - [`http`]: the JSON error body, and the layers and routes every HTTP service gets
//!   (request ids, access logs, metrics, body limits, `/healthz`, `/readyz`, `/metrics`);
//! - [`serve`]: serving a router on an already-bound listener until a shutdown token fires.

pub mod config;
pub mod db;
pub mod http;
pub mod openapi;
pub mod serve;
pub mod telemetry;
pub mod time;
pub mod url;

pub use db::{Backend, Database};
pub use tokio_util::sync::CancellationToken;
