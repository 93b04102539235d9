//! The shipped content (`content/` at the repository root), loaded once.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, OnceLock},
};

use moonlight_engine::Content;

/// `content/` at the repository root.
pub(crate) fn content_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../content")
}

/// The shipped content, checked.
pub(crate) fn content() -> &'static Arc<Content> {
    static CONTENT: OnceLock<Arc<Content>> = OnceLock::new();
    CONTENT.get_or_init(|| match Content::load(&content_dir()) {
        Ok(content) => Arc::new(content),
        Err(report) => panic!("the shipped content does not load:\n{report}"),
    })
}

/// The shipped decks' ids, in id order.
pub(crate) fn decks() -> Vec<String> {
    content().decks().map(|d| d.id.clone()).collect()
}
