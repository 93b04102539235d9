//! `moonlight`: every Moonlight service in one process on embedded defaults, or one role
//! per process. The configuration is [`moonlight::config`]; the work is
//! [`moonlight::Application`].

use std::{io::Write as _, process::ExitCode};

use clap::Parser;
use moonlight::{
    Application,
    config::{Cli, Task},
};
use moonlight_common::serve::shutdown_signal;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    moonlight_common::telemetry::init_tracing(cli.log_format());
    let config = match cli.into_task() {
        Task::Serve(config) => config,
        Task::CheckContent(dir) => return moonlight::check_content(&dir),
        Task::Simulate(args) => return moonlight::simulate_content(&args),
        Task::Admin {
            action,
            name,
            database_url,
        } => {
            return match moonlight::admin::run(action, &name, &database_url).await {
                Ok(done) => {
                    println!("{done}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("error: {error:#}");
                    ExitCode::FAILURE
                }
            };
        }
    };
    // Listen for SIGTERM/Ctrl-C before anything else: one that arrives while the services
    // start is then a clean stop, not a killed process.
    let stop = shutdown_signal();
    match serve(*config, stop).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!(
                error = format!("{error:#}"),
                "moonlight stopped with an error"
            );
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: moonlight::Config, stop: impl Future<Output = ()>) -> anyhow::Result<()> {
    let app = Application::build(config).await?;
    // One line per listener on stdout, so scripts (and tests on port 0) find them. Not
    // println!: a closed stdout must not bring the service down.
    let mut stdout = std::io::stdout();
    for (role, addr) in app.addresses() {
        let _ = writeln!(stdout, "{role} listening on http://{addr}");
    }
    app.run_until_stopped(stop).await
}
