//! The one way this project reaches Redis: a bb8 pool of multiplexed connections.
//!
//! Why this shape. A multiplexed connection pipelines every command sent down it, so one
//! connection carries thousands of rooms' appends without any of them waiting for a
//! connection of its own. A caller therefore does not *hold* a pooled connection while its
//! command runs (that would cap the commands in flight at the pool's size): it takes a
//! clone of one and hands the pool its slot back at once. The pool's work is to keep the
//! connection open and replace it when it breaks: a command that fails with a dropped
//! connection marks it, and the next checkout discards it and bb8 opens a fresh one. Every
//! connection has connect and response timeouts, so a Redis that stops answering is an
//! error within seconds, never a hang.
//!
//! One connection, not several: the Redis loadtest (10,000 players, ~2,500 actions/s on
//! this 2-core machine) gives the same action latency on one as on four, and one driver
//! task coalesces every concurrent command into the fewest writes, as the single
//! multiplexed connection used before the pool did.
//!
//! A Redis Cluster is reached the same way: the pool's one connection is then the `redis`
//! crate's cluster connection, which keeps a multiplexed connection to each master and
//! sends each command to the master of its key's slot (following `MOVED` after a
//! resharding). What a cluster asks of callers: every key of one command, script or
//! pipeline in one slot (hash tags: see the store's and the directory's keys), and work
//! that spans slots split by [`RedisConnection::slot_groups`].

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use redis::{
    AsyncConnectionConfig, Client, Cmd, Pipeline, RedisError, RedisFuture, Value,
    aio::{ConnectionLike, MultiplexedConnection},
    cluster::{ClusterClient, ClusterClientBuilder},
    cluster_async::ClusterConnection,
    cluster_routing::Slot,
};

/// Connections the pool keeps open (each multiplexes any number of commands; see above).
const CONNECTIONS: u32 = 1;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);

/// A pool of multiplexed Redis connections; cheap to clone.
#[derive(Clone)]
pub struct RedisPool {
    pool: bb8::Pool<Manager>,
}

/// A pooled multiplexed connection, lent to one caller for as long as it likes (see the
/// module docs); usable wherever the `redis` crate takes a connection.
#[derive(Clone)]
pub struct RedisConnection {
    conn: Connection,
    broken: Arc<AtomicBool>,
}

#[derive(Clone)]
enum Connection {
    Single(MultiplexedConnection),
    Cluster(ClusterConnection),
}

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("redis: {0}")]
    Redis(#[from] RedisError),
    #[error("no Redis connection within {CONNECT_TIMEOUT:?}")]
    TimedOut,
}

impl RedisPool {
    /// Connects to the Redis at `url` (the first connection at once, so a wrong URL fails
    /// at start).
    pub async fn connect(url: &str) -> Result<Self, PoolError> {
        Self::build(Manager::Single(Client::open(url)?)).await
    }

    /// Connects to the Redis Cluster that `seeds` (URLs of some of its nodes) belong to;
    /// the rest of the cluster is found from them.
    pub async fn connect_cluster(seeds: &[&str]) -> Result<Self, PoolError> {
        let client = ClusterClientBuilder::new(seeds.iter().copied())
            .connection_timeout(CONNECT_TIMEOUT)
            .response_timeout(RESPONSE_TIMEOUT)
            .build()?;
        Self::build(Manager::Cluster(Box::new(client))).await
    }

    async fn build(manager: Manager) -> Result<Self, PoolError> {
        let pool = bb8::Pool::builder()
            .max_size(CONNECTIONS)
            .min_idle(Some(1))
            .connection_timeout(CONNECT_TIMEOUT)
            // Checking each checkout with a PING would double every command's round trips;
            // a broken connection is noticed by the command that failed instead.
            .test_on_check_out(false)
            .build(manager)
            .await?;
        Ok(Self { pool })
    }

    /// A connection to send commands on.
    pub async fn get(&self) -> Result<RedisConnection, PoolError> {
        loop {
            let pooled = self.pool.get().await?;
            if !pooled.broken.load(Ordering::Relaxed) {
                return Ok(pooled.clone());
            }
            // Dropping the checkout of a broken connection discards it (`has_broken`).
        }
    }
}

impl From<bb8::RunError<RedisError>> for PoolError {
    fn from(error: bb8::RunError<RedisError>) -> Self {
        match error {
            bb8::RunError::User(error) => Self::Redis(error),
            bb8::RunError::TimedOut => Self::TimedOut,
        }
    }
}

impl RedisConnection {
    /// The indices of `items` in the groups one command, script or pipeline may take
    /// together: all of them on a single Redis; those whose key (`key_of`) is in the same
    /// slot on a cluster. Each group is in the items' order.
    pub fn slot_groups<T>(&self, items: &[T], key_of: impl Fn(&T) -> String) -> Vec<Vec<usize>> {
        match self.conn {
            Connection::Single(_) => vec![(0..items.len()).collect()],
            Connection::Cluster(_) => {
                let mut groups: Vec<(Slot, Vec<usize>)> = Vec::new();
                for (index, item) in items.iter().enumerate() {
                    let slot = Slot::for_key(key_of(item));
                    match groups.iter_mut().find(|(s, _)| *s == slot) {
                        Some((_, group)) => group.push(index),
                        None => groups.push((slot, vec![index])),
                    }
                }
                groups.into_iter().map(|(_, group)| group).collect()
            }
        }
    }

    /// Notes a failure that means the connection is gone, so the pool replaces it.
    fn watch<T>(&self, result: Result<T, RedisError>) -> Result<T, RedisError> {
        if let Err(error) = &result
            && (error.is_unrecoverable_error() || error.is_connection_dropped())
        {
            self.broken.store(true, Ordering::Relaxed);
        }
        result
    }
}

impl ConnectionLike for RedisConnection {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        Box::pin(async move {
            let result = match &mut self.conn {
                Connection::Single(conn) => conn.req_packed_command(cmd).await,
                Connection::Cluster(conn) => conn.req_packed_command(cmd).await,
            };
            self.watch(result)
        })
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        Box::pin(async move {
            let result = match &mut self.conn {
                Connection::Single(conn) => conn.req_packed_commands(pipeline, offset, count).await,
                Connection::Cluster(conn) => {
                    conn.req_packed_commands(pipeline, offset, count).await
                }
            };
            self.watch(result)
        })
    }

    fn get_db(&self) -> i64 {
        match &self.conn {
            Connection::Single(conn) => conn.get_db(),
            Connection::Cluster(conn) => conn.get_db(),
        }
    }
}

enum Manager {
    Single(Client),
    // Boxed: the cluster client is twice the size (one manager per pool, so no matter).
    Cluster(Box<ClusterClient>),
}

impl bb8::ManageConnection for Manager {
    type Connection = RedisConnection;
    type Error = RedisError;

    async fn connect(&self) -> Result<RedisConnection, RedisError> {
        let conn = match self {
            Self::Single(client) => {
                let config = AsyncConnectionConfig::new()
                    .set_connection_timeout(Some(CONNECT_TIMEOUT))
                    .set_response_timeout(Some(RESPONSE_TIMEOUT));
                Connection::Single(
                    client
                        .get_multiplexed_async_connection_with_config(&config)
                        .await?,
                )
            }
            // Timeouts set on the client (above).
            Self::Cluster(client) => Connection::Cluster(client.get_async_connection().await?),
        };
        Ok(RedisConnection {
            conn,
            broken: Arc::default(),
        })
    }

    async fn is_valid(&self, conn: &mut RedisConnection) -> Result<(), RedisError> {
        redis::cmd("PING").query_async::<()>(conn).await
    }

    fn has_broken(&self, conn: &mut RedisConnection) -> bool {
        conn.broken.load(Ordering::Relaxed)
    }
}
