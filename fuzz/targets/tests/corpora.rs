//! Every committed input of every fuzz target, through the target: the corpora in
//! `fuzz/corpus/<target>/` and the regression inputs of crashes found and fixed, in
//! `fuzz/regressions/<target>/`. This is how CI runs the fuzz targets (`cargo test
//! --workspace`); `cargo fuzz run` explores further (see `fuzz/README.md`).

use std::{
    path::{Path, PathBuf},
    sync::{Mutex, Once},
};

use moonlight_fuzz_targets::TARGETS;

/// Panics anywhere (a node's tasks catch theirs), by the name of the thread they were on:
/// a target's tasks run on its test's thread.
static PANICS: Mutex<Vec<(String, String)>> = Mutex::new(Vec::new());

fn record_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current().name().unwrap_or_default().to_owned();
            PANICS
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((thread, info.to_string()));
            default(info);
        }));
    });
}

/// The panics recorded on this thread since the last call.
fn panics_here() -> Vec<String> {
    let thread = std::thread::current().name().unwrap_or_default().to_owned();
    let mut panics = PANICS.lock().unwrap_or_else(|p| p.into_inner());
    let (here, elsewhere) = std::mem::take(&mut *panics)
        .into_iter()
        .partition(|(t, _)| *t == thread);
    *panics = elsewhere;
    here.into_iter().map(|(_, message)| message).collect()
}

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The committed inputs of `target`, sorted.
fn inputs(target: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for kind in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz_dir().join(kind).join(target)) else {
            continue;
        };
        files.extend(entries.flatten().map(|e| e.path()).filter(|p| p.is_file()));
    }
    files.sort();
    files
}

fn run(name: &str) {
    record_panics();
    let (_, target) = TARGETS.iter().find(|(n, _)| *n == name).expect("a target");
    let files = inputs(name);
    assert!(!files.is_empty(), "fuzz/corpus/{name}/ has inputs");
    for file in &files {
        let data = std::fs::read(file).expect("readable");
        target(&data);
        let panics = panics_here();
        assert!(panics.is_empty(), "{}: {panics:?}", file.display());
    }
}

#[test]
fn first_frame() {
    run("first_frame");
}

#[test]
fn later_frames() {
    run("later_frames");
}

#[test]
fn actions() {
    run("actions");
}

#[test]
fn content() {
    run("content");
}

#[test]
fn snapshot() {
    run("snapshot");
}

#[test]
fn ticket() {
    run("ticket");
}

/// Each target has its test above, its `cargo fuzz` binary and a corpus.
#[test]
fn every_target_has_a_test_here_a_fuzz_binary_and_a_corpus() {
    let names: Vec<&str> = TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "first_frame",
            "later_frames",
            "actions",
            "content",
            "snapshot",
            "ticket"
        ]
    );
    let manifest = std::fs::read_to_string(fuzz_dir().join("Cargo.toml")).expect("fuzz/Cargo.toml");
    for name in names {
        let binary = fuzz_dir().join("fuzz_targets").join(format!("{name}.rs"));
        let body = std::fs::read_to_string(&binary).expect("the target's binary");
        assert!(
            body.contains(&format!("moonlight_fuzz_targets::{name}(")),
            "{}",
            binary.display()
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "{name} in fuzz/Cargo.toml"
        );
        assert!(
            fuzz_dir().join("corpus").join(name).is_dir(),
            "fuzz/corpus/{name}/"
        );
    }
}
