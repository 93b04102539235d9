//! A player who cannot reach its match's node is evidence that the node is gone, sooner
//! than its heartbeat's expiry (three missed beats, ~6 s): the lobby checks the node itself
//! at once and, if it does not answer either, takes it out of the directory, so the
//! player's next ticket (and every other player's of that node) is for a live node that
//! restores the match. A node that does answer is left alone, whoever claims otherwise; a
//! live node taken out by mistake (a lost probe) is back at its next heartbeat.

use std::time::Duration;

use tokio::time::Instant;

use super::Lobby;
use crate::error::LobbyError;

/// How long the node has to answer the lobby's probe (its `/healthz`).
const PROBE_TIMEOUT: Duration = Duration::from_millis(500);
/// At most one probe of a node per this long, however many players report it.
const PROBE_EVERY: Duration = Duration::from_secs(1);

impl Lobby {
    /// `node_id`, which a player says it cannot reach: probed, and taken out of the
    /// directory if the lobby cannot reach it either. Unknown and already-gone nodes are
    /// ignored.
    pub async fn reported_unreachable(&self, node_id: &str) -> Result<(), LobbyError> {
        {
            let mut probed = self.probed.lock();
            let now = Instant::now();
            if probed
                .get(node_id)
                .is_some_and(|at| now.duration_since(*at) < PROBE_EVERY)
            {
                return Ok(());
            }
            probed.retain(|_, at| now.duration_since(*at) < PROBE_EVERY);
            probed.insert(node_id.to_owned(), now);
        }
        let live = self.live_nodes().await?;
        let Some(node) = live.iter().find(|n| n.id == node_id) else {
            return Ok(());
        };
        let Some(url) = node.http_url("/healthz") else {
            return Ok(());
        };
        let answered = self
            .http
            .get(url)
            .timeout(PROBE_TIMEOUT)
            .send()
            .await
            .is_ok_and(|r| r.status().is_success());
        if !answered {
            tracing::warn!(node = %node_id, "a player cannot reach its node, nor can the lobby: \
                taking it out of the directory");
            metrics::counter!("lobby_nodes_presumed_dead_total").increment(1);
            self.directory
                .remove(node_id)
                .await
                .map_err(anyhow::Error::from)?;
            self.known_nodes.forget().await;
        }
        Ok(())
    }
}
