//! `sqlx::migrate!` embeds the migration files at compile time, but cargo does not know
//! it reads them: without this, a new migration is silently left out of the next build.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
