//! Finding server binaries, installing Debian's package when they are missing.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

/// The directory holding `binary`: on `PATH`, or in one of `extra_dirs` (globs are not
/// needed: callers list candidates). Installs `package` with apt-get if it is nowhere.
pub fn locate(binary: &str, extra_dirs: &dyn Fn() -> Vec<PathBuf>, package: &str) -> PathBuf {
    if let Some(dir) = find(binary, extra_dirs) {
        return dir;
    }
    install(package);
    find(binary, extra_dirs).unwrap_or_else(|| {
        panic!("{binary} is still missing after installing the Debian package {package}")
    })
}

fn find(binary: &str, extra_dirs: &dyn Fn() -> Vec<PathBuf>) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(extra_dirs())
        .find(|dir| dir.join(binary).is_file())
}

fn install(package: &str) {
    eprintln!("testkit: installing the Debian package {package} (its binaries are missing)");
    let sudo = !is_root();
    let run = |args: &[&str]| {
        let mut command = if sudo {
            Command::new("sudo")
        } else {
            Command::new(args[0])
        };
        if sudo {
            command.arg(args[0]);
        }
        command
            .args(&args[1..])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .map(|status| status.success())
            .unwrap_or(false)
    };
    // A stale package index is the usual reason an install fails on a fresh machine.
    if !run(&[
        "apt-get",
        "install",
        "-y",
        "--no-install-recommends",
        package,
    ]) {
        assert!(run(&["apt-get", "update"]), "apt-get update failed");
        assert!(
            run(&[
                "apt-get",
                "install",
                "-y",
                "--no-install-recommends",
                package
            ]),
            "apt-get install {package} failed"
        );
    }
}

/// Whether this process runs as root (the owner of `/proc/self` is our effective user).
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

/// Sub-directories of `root` named like versions, newest first (e.g. PostgreSQL's
/// `/usr/lib/postgresql/15/bin`).
pub fn versioned_dirs(root: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut dirs: Vec<(u32, PathBuf)> = std::fs::read_dir(root)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| {
                    let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
                    Some((version, entry.path().join(suffix)))
                })
                .collect()
        })
        .unwrap_or_default();
    dirs.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    dirs.into_iter().map(|(_, dir)| dir).collect()
}
