//! The current content for new matches, reloadable without touching running ones.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use super::{CheckReport, Content};

/// Holds the content new matches start with. A running match keeps the
/// `Arc<Content>` it started with, so reloading never changes a match midway.
#[derive(Debug)]
pub struct ContentStore {
    dir: PathBuf,
    current: RwLock<Arc<Content>>,
}

impl ContentStore {
    /// Loads `dir`; fails with the checker's report (the server refuses to start).
    pub fn open(dir: &Path) -> Result<ContentStore, CheckReport> {
        let content = Content::load(dir)?;
        Ok(ContentStore {
            dir: dir.to_path_buf(),
            current: RwLock::new(Arc::new(content)),
        })
    }

    /// The content a new match should use.
    pub fn current(&self) -> Arc<Content> {
        // A poisoned lock still holds a valid Arc: a reader never panics.
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Loads the directory again (on request, or when a watcher saw a change).
    /// Invalid content is reported and the previous content stays in use.
    /// Returns the new version if it changed, `None` if the files are the same.
    pub fn reload(&self) -> Result<Option<String>, CheckReport> {
        let fresh = Content::load(&self.dir)?;
        let mut slot = self.current.write().unwrap_or_else(|e| e.into_inner());
        if slot.version() == fresh.version() {
            return Ok(None);
        }
        let version = fresh.version().to_owned();
        *slot = Arc::new(fresh);
        Ok(Some(version))
    }
}
