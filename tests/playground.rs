//! The web playground (`playground/`) against this build of the server: its committed
//! `dist/` is what its sources build to (the binary embeds those files), and its browser
//! tests, in Debian's Chromium driven by playwright-core, sign up, play a practice match to
//! the end, play a private room between two browsers, reload mid-match, watch a quick
//! match as a spectator who never sees a hidden card, and browse the gallery, all on the
//! pages the real `moonlight` serves. Node.js, npm and Chromium are installed from
//! Debian's packages if they are missing.

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use moonlight_testkit::packages;

#[test]
fn the_playground_is_built_and_passes_its_browser_tests_against_this_server() {
    let node_dir = packages::locate("node", &Vec::new, "nodejs");
    let npm_dir = packages::locate("npm", &Vec::new, "npm");
    let chromium = packages::locate("chromium", &Vec::new, "chromium").join("chromium");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let playground = root.join("playground");
    let path = search_path(&[node_dir, npm_dir]);
    for script in [
        &["ci", "--no-audit", "--no-fund"][..],
        &["run", "check-built"],
        &["test"],
    ] {
        let started = Instant::now();
        let output = Command::new("npm")
            .args(script)
            .current_dir(&playground)
            .env("PATH", &path)
            .env("MOONLIGHT_BIN", env!("CARGO_BIN_EXE_moonlight"))
            .env("MOONLIGHT_CONTENT_DIR", root.join("content"))
            .env("CHROMIUM", &chromium)
            .output()
            .expect("running npm");
        eprintln!(
            "npm {} took {:.1} s",
            script.join(" "),
            started.elapsed().as_secs_f64()
        );
        assert!(
            output.status.success(),
            "npm {} failed ({}):\n{}\n{}",
            script.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr),
        );
    }
}

/// `PATH` with `dirs` first, so that npm's scripts find the same `node`.
fn search_path(dirs: &[PathBuf]) -> OsString {
    let current = std::env::var_os("PATH").unwrap_or_default();
    let all = dirs.iter().cloned().chain(std::env::split_paths(&current));
    std::env::join_paths(all).expect("a PATH of valid directories")
}
