//! `loadtest`: see the crate documentation and `loadtest/README.md`.

fn main() -> std::process::ExitCode {
    moonlight_loadtest::main()
}
