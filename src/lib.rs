//! Moonlight Online, as one library: the [`Application`] that `main`, the integration tests
//! and `loadtest --spawn` all build and run, and its [`config`].

pub mod admin;
mod app;
pub mod config;
mod content;
mod data_dir;
mod playground;

pub use app::Application;
pub use config::{Config, Roles};
pub use content::{check_content, simulate_content};
