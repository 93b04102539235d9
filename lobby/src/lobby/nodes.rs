//! The lobby's recent read of the node directory.
//!
//! Every status that carries a ticket and every match placed needs the live nodes. Read
//! from the directory each time, that was two Redis round trips (`SMEMBERS`, `MGET`) per
//! player per poll, all on the directory's one slot: the first Redis limit a large
//! deployment reaches (`docs/scaling.md`), and a queue the players of a matchmaking round
//! waited in one behind another. The directory changes at heartbeats (every 2 s), so a
//! read serves the requests of the next [`FRESH`], and requests that find a read in flight
//! wait for it instead of starting their own.
//!
//! A stale read never strands a player: a node missing from it is looked for in the
//! directory again before its match is moved anywhere (it may have just started), a node
//! this lobby takes out (a player could not reach it) leaves the read at once, and an empty
//! directory is never kept (the nodes may be starting).

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use moonlight_rooms::{NodeDirectory, NodeInfo, directory::DirectoryError};
use tokio::sync::Mutex;

/// How long a read of the directory serves: a fraction of a heartbeat.
pub(crate) const FRESH: Duration = Duration::from_millis(500);

/// The live nodes as last read, shared by the requests of the moment.
pub(crate) struct KnownNodes {
    fresh: Duration,
    /// Real time, not tokio's: a test's paused clock must not keep a read forever.
    read: Mutex<Option<(Instant, Arc<[NodeInfo]>)>>,
}

impl KnownNodes {
    pub(crate) fn new(fresh: Duration) -> Self {
        Self {
            fresh,
            read: Mutex::new(None),
        }
    }

    /// The live nodes as read at most [`FRESH`] ago (or now).
    pub(crate) async fn get(
        &self,
        directory: &NodeDirectory,
    ) -> Result<Arc<[NodeInfo]>, DirectoryError> {
        let mut read = self.read.lock().await;
        if let Some((at, nodes)) = read.as_ref()
            && at.elapsed() < self.fresh
        {
            return Ok(Arc::clone(nodes));
        }
        let nodes: Arc<[NodeInfo]> = directory.live().await?.into();
        *read = (!nodes.is_empty()).then(|| (Instant::now(), Arc::clone(&nodes)));
        Ok(nodes)
    }

    /// The live nodes, read again if `node_id` is not in the last read: before its match
    /// moves anywhere, a node that may have started since the read is looked for.
    pub(crate) async fn get_with(
        &self,
        directory: &NodeDirectory,
        node_id: &str,
    ) -> Result<Arc<[NodeInfo]>, DirectoryError> {
        let nodes = self.get(directory).await?;
        if nodes.iter().any(|n| n.id == node_id) {
            return Ok(nodes);
        }
        self.forget().await;
        self.get(directory).await
    }

    /// Drops the last read: the next [`Self::get`] reads the directory.
    pub(crate) async fn forget(&self) {
        *self.read.lock().await = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str) -> NodeInfo {
        NodeInfo {
            id: id.to_owned(),
            url: format!("ws://{id}/v1/play"),
            capacity: 10,
            ..NodeInfo::default()
        }
    }

    async fn ids(known: &KnownNodes, directory: &NodeDirectory) -> Vec<String> {
        let mut ids: Vec<String> = known
            .get(directory)
            .await
            .expect("the directory")
            .iter()
            .map(|n| n.id.clone())
            .collect();
        ids.sort();
        ids
    }

    #[tokio::test]
    async fn a_read_serves_until_it_is_stale_or_forgotten() {
        let directory = NodeDirectory::in_process();
        let beat = |id: &'static str| {
            let directory = directory.clone();
            async move {
                directory
                    .heartbeat(&node(id), Duration::from_secs(60))
                    .await
                    .expect("a heartbeat");
            }
        };
        beat("a").await;
        let known = KnownNodes::new(Duration::from_secs(3600));
        assert_eq!(ids(&known, &directory).await, ["a"]);
        beat("b").await;
        assert_eq!(
            ids(&known, &directory).await,
            ["a"],
            "the read still serves"
        );
        let with_b = known
            .get_with(&directory, "b")
            .await
            .expect("the directory");
        assert!(
            with_b.iter().any(|n| n.id == "b"),
            "a node missing from the read"
        );
        beat("c").await;
        assert_eq!(ids(&known, &directory).await, ["a", "b"], "read again");
        known.forget().await;
        assert_eq!(ids(&known, &directory).await, ["a", "b", "c"]);

        let always_stale = KnownNodes::new(Duration::ZERO);
        assert_eq!(ids(&always_stale, &directory).await, ["a", "b", "c"]);
        beat("d").await;
        assert_eq!(ids(&always_stale, &directory).await, ["a", "b", "c", "d"]);
    }

    #[tokio::test]
    async fn an_empty_directory_is_read_again_every_time() {
        let directory = NodeDirectory::in_process();
        let known = KnownNodes::new(Duration::from_secs(3600));
        assert!(ids(&known, &directory).await.is_empty());
        directory
            .heartbeat(&node("a"), Duration::from_secs(60))
            .await
            .expect("a heartbeat");
        assert_eq!(
            ids(&known, &directory).await,
            ["a"],
            "a node that just started"
        );
    }
}
