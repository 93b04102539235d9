//! `moonlight content …`: designers' tools.

use std::{path::Path, process::ExitCode};

/// `moonlight content check DIR`: every problem as file:line:col; exit 1 if any is an
/// error.
pub fn check_content(dir: &Path) -> ExitCode {
    let report = moonlight_engine::check_dir(dir);
    print!("{report}");
    if report.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
