//! The node directory: which game-server nodes are alive, where players reach them, and
//! how busy they are. Each node heartbeats its entry with a time-to-live; a node that stops
//! (crash, partition) simply expires. In Redis when several processes share it, in process
//! for the single-process default.

use std::{
    collections::{BTreeMap, HashMap},
    sync::Arc,
    time::Duration,
};

use moonlight_common::{CancellationToken, time::unix_now_ms};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use crate::redis::{PoolError, RedisPool};

/// One node's entry, as it last reported it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeInfo {
    pub id: String,
    /// The node's play socket, e.g. `ws://10.0.0.5:8082/v1/play`.
    pub url: String,
    /// Rooms the node accepts at most.
    pub capacity: usize,
    /// Rooms running there at the last heartbeat.
    pub rooms: usize,
    /// When this entry was written, in Unix milliseconds.
    pub heartbeat_ms: i64,
    /// Open game sockets (players and spectators) at the last heartbeat.
    #[serde(default)]
    pub connections: usize,
    /// The content version new rooms use there.
    #[serde(default)]
    pub content_version: String,
    /// Its running rooms by the content version each plays (a reload leaves running
    /// matches on theirs).
    #[serde(default)]
    pub room_versions: BTreeMap<String, usize>,
    /// How the node did since its previous heartbeat, from its own measurements.
    #[serde(default)]
    pub vitals: NodeVitals,
}

/// A node's actions over one heartbeat interval. Defaults (zero) in an entry written by
/// a node from before these were reported.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeVitals {
    /// The interval these figures cover, in milliseconds.
    pub window_ms: u64,
    /// Players' actions applied and acknowledged.
    pub actions: u64,
    /// Actions refused by the rules (an illegal move: the player's mistake, not the node's).
    pub rejected: u64,
    /// Actions the node failed to make durable (its store failed): the node's errors.
    pub failed: u64,
    /// From an action's arrival in its room to its acknowledged update being queued, in
    /// microseconds: the median and the 99th percentile (0 without actions).
    pub p50_us: u64,
    pub p99_us: u64,
}

impl NodeInfo {
    /// `path` on the node's HTTP listener (the one its play socket is on): the play URL's
    /// host with `http`/`https` for `ws`/`wss`. `None` if the URL is not a WebSocket URL.
    pub fn http_url(&self, path: &str) -> Option<String> {
        let (scheme, rest) = match self.url.split_once("://")? {
            ("ws", rest) => ("http", rest),
            ("wss", rest) => ("https", rest),
            _ => return None,
        };
        let host = rest.split('/').next().filter(|host| !host.is_empty())?;
        Some(format!("{scheme}://{host}{path}"))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    #[error(transparent)]
    Pool(#[from] PoolError),
    #[error("corrupt node entry: {0}")]
    Corrupt(#[from] serde_json::Error),
}

/// The directory in use.
#[derive(Clone)]
pub enum NodeDirectory {
    Memory(Arc<Mutex<HashMap<String, (NodeInfo, Instant)>>>),
    Redis { pool: RedisPool, prefix: String },
}

impl NodeDirectory {
    pub fn in_process() -> Self {
        Self::Memory(Arc::default())
    }

    /// The directory in Redis; every key starts with `prefix`.
    pub fn redis(pool: RedisPool, prefix: &str) -> Self {
        Self::Redis {
            pool,
            prefix: prefix.to_owned(),
        }
    }

    /// Writes `node`'s entry; it lives for `ttl` unless written again.
    pub async fn heartbeat(&self, node: &NodeInfo, ttl: Duration) -> Result<(), DirectoryError> {
        match self {
            Self::Memory(nodes) => {
                nodes
                    .lock()
                    .insert(node.id.clone(), (node.clone(), Instant::now() + ttl));
            }
            Self::Redis { pool, prefix } => {
                let mut conn = pool.get().await?;
                // A TTL is seconds to minutes: its milliseconds fit a u64 by far.
                let ttl_ms = u64::try_from(ttl.as_millis()).expect("a TTL in u64 milliseconds");
                redis::pipe()
                    .set_options(
                        node_key(prefix, &node.id),
                        serde_json::to_string(node)?,
                        redis::SetOptions::default().with_expiration(redis::SetExpiry::PX(ttl_ms)),
                    )
                    .ignore()
                    .sadd(nodes_key(prefix), &node.id)
                    .ignore()
                    .query_async::<()>(&mut conn)
                    .await?;
            }
        }
        Ok(())
    }

    /// Takes `node_id` out at once (a graceful stop), so its rooms move without waiting for
    /// the entry to expire.
    pub async fn remove(&self, node_id: &str) -> Result<(), DirectoryError> {
        match self {
            Self::Memory(nodes) => {
                nodes.lock().remove(node_id);
            }
            Self::Redis { pool, prefix } => {
                let mut conn = pool.get().await?;
                redis::pipe()
                    .del(node_key(prefix, node_id))
                    .ignore()
                    .srem(nodes_key(prefix), node_id)
                    .ignore()
                    .query_async::<()>(&mut conn)
                    .await?;
            }
        }
        Ok(())
    }

    /// Every node whose entry has not expired.
    pub async fn live(&self) -> Result<Vec<NodeInfo>, DirectoryError> {
        match self {
            Self::Memory(nodes) => {
                let now = Instant::now();
                let mut nodes = nodes.lock();
                nodes.retain(|_, (_, expires)| *expires > now);
                Ok(nodes.values().map(|(node, _)| node.clone()).collect())
            }
            Self::Redis { pool, prefix } => {
                let mut conn = pool.get().await?;
                let ids: Vec<String> = redis::cmd("SMEMBERS")
                    .arg(nodes_key(prefix))
                    .query_async(&mut conn)
                    .await?;
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
                let keys: Vec<String> = ids.iter().map(|id| node_key(prefix, id)).collect();
                let entries: Vec<Option<String>> =
                    redis::cmd("MGET").arg(&keys).query_async(&mut conn).await?;
                let mut live = Vec::with_capacity(ids.len());
                for (id, entry) in ids.iter().zip(entries) {
                    match entry {
                        Some(json) => live.push(serde_json::from_str(&json)?),
                        // Expired: forget the id too (a node that comes back re-adds it).
                        None => {
                            redis::cmd("SREM")
                                .arg(nodes_key(prefix))
                                .arg(id)
                                .query_async::<()>(&mut conn)
                                .await?;
                        }
                    }
                }
                Ok(live)
            }
        }
    }
}

/// Registers a node now (returning once the first beat is written, so that a lobby asked
/// right after start-up finds it) and keeps it registered in a task until `shutdown`,
/// then takes it out. `describe` reports the node's current state at each beat.
pub async fn keep_registered(
    directory: NodeDirectory,
    describe: impl Fn() -> NodeInfo + Send + Sync + 'static,
    interval: Duration,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    // Three missed beats before a node counts as gone: one slow beat is not a failover.
    let ttl = interval * 3;
    let node_id = beat(&directory, &describe, ttl).await;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(interval) => {}
                () = shutdown.cancelled() => break,
            }
            beat(&directory, &describe, ttl).await;
        }
        if let Err(error) = directory.remove(&node_id).await {
            tracing::warn!(node = %node_id, %error, "could not leave the node directory");
        }
    })
}

/// Writes the node's entry once; a failure is logged, and the next beat tries again.
async fn beat(
    directory: &NodeDirectory,
    describe: &impl Fn() -> NodeInfo,
    ttl: Duration,
) -> String {
    let mut node = describe();
    node.heartbeat_ms = unix_now_ms();
    if let Err(error) = directory.heartbeat(&node, ttl).await {
        tracing::warn!(node = %node.id, %error, "node heartbeat failed");
    }
    node.id
}

/// A node's entry. The directory's keys share the `{directory}` hash tag, so that one
/// command reads and writes them together on a Redis Cluster too.
pub fn node_key(prefix: &str, id: &str) -> String {
    format!("{prefix}{{directory}}:node:{id}")
}

fn nodes_key(prefix: &str) -> String {
    format!("{prefix}{{directory}}:nodes")
}

#[cfg(test)]
mod tests {
    use super::NodeInfo;

    fn node(url: &str) -> NodeInfo {
        NodeInfo {
            id: "n".to_owned(),
            url: url.to_owned(),
            capacity: 1,
            ..NodeInfo::default()
        }
    }

    #[test]
    fn a_node_s_http_url_is_its_play_socket_s_host() {
        let url = |play: &str| node(play).http_url("/v1/node/rooms/r/end");
        assert_eq!(
            url("ws://10.0.0.5:8082/v1/play").as_deref(),
            Some("http://10.0.0.5:8082/v1/node/rooms/r/end")
        );
        assert_eq!(
            url("wss://eu-1.example/v1/play").as_deref(),
            Some("https://eu-1.example/v1/node/rooms/r/end")
        );
        assert_eq!(url("http://10.0.0.5/v1/play"), None);
        assert_eq!(url("ws:///v1/play"), None);
    }
}
