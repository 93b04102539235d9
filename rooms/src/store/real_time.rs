//! Sleeping in real time, whatever the runtime's clock does.
//!
//! Tests pause tokio's clock to drive game timers by hand, and the clock then stands still
//! while they wait for sockets. The store's writer must never wait on that clock: a commit
//! held until a test advances time would hang the test. So its short linger is timed by a
//! clock of its own: a one-thread runtime that does nothing but run these timers.

use std::{sync::LazyLock, time::Duration};

use tokio::runtime::{Builder, Handle};

static CLOCK: LazyLock<Handle> = LazyLock::new(|| {
    let runtime = Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("building the store's timer runtime");
    let handle = runtime.handle().clone();
    std::thread::Builder::new()
        .name("store-timer".to_owned())
        .spawn(move || runtime.block_on(std::future::pending::<()>()))
        .expect("starting the store's timer thread");
    handle
});

/// Resolves after `duration` of real time (at once for zero).
pub(super) async fn sleep(duration: Duration) {
    if duration.is_zero() {
        return;
    }
    // The timer is made and run on the clock's runtime (a `Sleep` belongs to the runtime
    // it is created on); this task only waits for it to end.
    let _ = CLOCK
        .spawn(async move { tokio::time::sleep(duration).await })
        .await;
}
