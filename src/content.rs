//! `moonlight content …`: designers' tools.

use std::{io::Write as _, path::Path, process::ExitCode, sync::Arc};

use moonlight_balance::{Plan, Report};
use moonlight_engine::Content;

use crate::config::SimulateArgs;

/// `moonlight content check DIR`: every problem as file:line:col; exit 1 if any is an
/// error.
pub fn check_content(dir: &Path) -> ExitCode {
    let report = moonlight_engine::check_dir(dir);
    emit(&report);
    if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `moonlight content simulate DIR …`: bot-vs-bot matches on the content as it is on disk;
/// the report on stdout (and as JSON and SVG if asked); exit 1 if the content does not
/// load or the plan names an unknown deck.
pub fn simulate_content(args: &SimulateArgs) -> ExitCode {
    // clap splits `--bots a,b,c` into three values past its own count: refuse it here, as
    // clap refuses other usage errors (exit 2), rather than drop the third.
    let [side_one, side_two] = match args.bots.as_slice() {
        [one] => [*one; 2],
        [one, two] => [*one, *two],
        more => {
            eprintln!("error: --bots takes one or two levels, not {}", more.len());
            return ExitCode::from(2);
        }
    };
    let content = match Content::load(&args.dir) {
        Ok(content) => Arc::new(content),
        Err(report) => {
            emit(&report);
            return ExitCode::FAILURE;
        }
    };
    let threads = args.threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        usize::from,
    );
    let plan = Plan::every_pair(&content, &args.decks).map(|pairings| Plan {
        pairings,
        games: args.games,
        bots: [side_one, side_two],
        seed: args.seed,
        threads,
    });
    let report = match plan.and_then(|plan| moonlight_balance::run(&content, &plan)) {
        Ok(report) => report,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    emit(&report);
    if let Err(error) = write_outputs(args, &report) {
        eprintln!("error: {error}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

fn write_outputs(args: &SimulateArgs, report: &Report) -> Result<(), String> {
    if let Some(path) = &args.json {
        let json = serde_json::to_string_pretty(report).map_err(|e| e.to_string())?;
        std::fs::write(path, json).map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    if let Some(path) = &args.plot {
        moonlight_balance::plot::draw(path, report)
            .map_err(|e| format!("drawing {}: {e}", path.display()))?;
    }
    Ok(())
}

/// Prints to stdout; a reader that went away (`| head`) is no error.
fn emit(text: &dyn std::fmt::Display) {
    let _ = write!(std::io::stdout().lock(), "{text}");
}
