//! The current content for new matches, reloadable without touching running ones.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use parking_lot::RwLock;

use super::{CheckReport, Content};

/// Holds the content new matches start with, and every version loaded since start-up, so
/// a match restored after a reload (or on another node) finds the content it began with.
/// A running match keeps the `Arc<Content>` it started with, so reloading never changes a
/// match midway.
#[derive(Debug)]
pub struct ContentStore {
    dir: PathBuf,
    versions: RwLock<Versions>,
}

#[derive(Debug)]
struct Versions {
    current: Arc<Content>,
    loaded: BTreeMap<String, Arc<Content>>,
    /// The last reload, if the checker refused it (a later good reload clears it).
    refused: Option<Arc<RefusedReload>>,
}

/// A reload the checker refused: the content in use stayed as it was.
#[derive(Debug)]
pub struct RefusedReload {
    pub at: SystemTime,
    pub report: CheckReport,
}

impl ContentStore {
    /// Loads `dir`; fails with the checker's report (the server refuses to start).
    pub fn open(dir: &Path) -> Result<ContentStore, CheckReport> {
        let content = Arc::new(Content::load(dir)?);
        let loaded = BTreeMap::from([(content.version().to_owned(), Arc::clone(&content))]);
        Ok(ContentStore {
            dir: dir.to_path_buf(),
            versions: RwLock::new(Versions {
                current: content,
                loaded,
                refused: None,
            }),
        })
    }

    /// The directory the content is loaded from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The content a new match should use.
    pub fn current(&self) -> Arc<Content> {
        Arc::clone(&self.versions.read().current)
    }

    /// A version loaded since start-up, if any.
    pub fn version(&self, version: &str) -> Option<Arc<Content>> {
        let versions = self.versions.read();
        versions.loaded.get(version).cloned()
    }

    /// Adds a version built elsewhere (from files a room store kept), so rooms begun under
    /// it can be restored here. New matches keep using the current version.
    pub fn adopt(&self, content: Arc<Content>) {
        self.versions
            .write()
            .loaded
            .entry(content.version().to_owned())
            .or_insert(content);
    }

    /// The last reload, if the checker refused it and no reload succeeded since: what a
    /// designer needs to see to fix the files.
    pub fn refused(&self) -> Option<Arc<RefusedReload>> {
        self.versions.read().refused.clone()
    }

    /// Loads the directory again (on request, or when a watcher saw a change).
    /// Invalid content is reported (and kept, see [`ContentStore::refused`]) and the
    /// previous content stays in use.
    /// Returns the new version if it changed, `None` if the files are the same.
    pub fn reload(&self) -> Result<Option<String>, Arc<RefusedReload>> {
        let fresh = match Content::load(&self.dir) {
            Ok(fresh) => Arc::new(fresh),
            Err(report) => {
                let refused = Arc::new(RefusedReload {
                    at: SystemTime::now(),
                    report,
                });
                self.versions.write().refused = Some(Arc::clone(&refused));
                return Err(refused);
            }
        };
        let mut versions = self.versions.write();
        versions.refused = None;
        if versions.current.version() == fresh.version() {
            return Ok(None);
        }
        let version = fresh.version().to_owned();
        versions.loaded.insert(version.clone(), Arc::clone(&fresh));
        versions.current = fresh;
        Ok(Some(version))
    }
}
