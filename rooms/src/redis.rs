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
    conn: MultiplexedConnection,
    broken: Arc<AtomicBool>,
}

#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("redis: {0}")]
    Redis(#[from] RedisError),
    #[error("no Redis connection within {CONNECT_TIMEOUT:?}")]
    TimedOut,
}

impl RedisPool {
    /// Connects to `url` (the first connection at once, so a wrong URL fails at start).
    pub async fn connect(url: &str) -> Result<Self, PoolError> {
        let client = Client::open(url)?;
        let pool = bb8::Pool::builder()
            .max_size(CONNECTIONS)
            .min_idle(Some(1))
            .connection_timeout(CONNECT_TIMEOUT)
            // Checking each checkout with a PING would double every command's round trips;
            // a broken connection is noticed by the command that failed instead.
            .test_on_check_out(false)
            .build(Manager { client })
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
            let result = self.conn.req_packed_command(cmd).await;
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
            let result = self.conn.req_packed_commands(pipeline, offset, count).await;
            self.watch(result)
        })
    }

    fn get_db(&self) -> i64 {
        self.conn.get_db()
    }
}

struct Manager {
    client: Client,
}

impl bb8::ManageConnection for Manager {
    type Connection = RedisConnection;
    type Error = RedisError;

    async fn connect(&self) -> Result<RedisConnection, RedisError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(CONNECT_TIMEOUT))
            .set_response_timeout(Some(RESPONSE_TIMEOUT));
        let conn = self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
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
