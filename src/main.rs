//! `moonlight`: every Moonlight service in one process on embedded defaults, or one role
//! per process. Configuration is in [`config`]; the work is in [`app`].

mod app;
mod config;

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = config::Cli::parse();
    moonlight_common::telemetry::init_tracing(cli.log_format.into());
    match app::run(cli).await {
        Ok(code) => code,
        Err(error) => {
            tracing::error!(
                error = format!("{error:#}"),
                "moonlight stopped with an error"
            );
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
