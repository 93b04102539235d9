//! The TypeScript SDK (`clients/typescript`) passes its own suite against this build of
//! the server: its generated code matches `proto/`, and its tests play real matches on a
//! real `moonlight` process. Node.js and npm are installed from Debian's packages if they
//! are missing (Node 18.19 or newer is enough).

use std::{
    ffi::OsString,
    path::{Path, PathBuf},
    process::Command,
};

use moonlight_testkit::packages;

#[test]
fn the_typescript_sdk_passes_its_suite_against_this_server() {
    let node_dir = packages::locate("node", &Vec::new, "nodejs");
    let npm_dir = packages::locate("npm", &Vec::new, "npm");
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/typescript");
    let path = search_path(&[node_dir, npm_dir]);
    for script in [
        &["ci", "--no-audit", "--no-fund"][..],
        &["run", "check-generated"],
        &["test"],
    ] {
        let output = Command::new("npm")
            .args(script)
            .current_dir(&sdk)
            .env("PATH", &path)
            .env("MOONLIGHT_BIN", env!("CARGO_BIN_EXE_moonlight"))
            .env(
                "MOONLIGHT_CONTENT_DIR",
                Path::new(env!("CARGO_MANIFEST_DIR")).join("content"),
            )
            .output()
            .expect("running npm");
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
