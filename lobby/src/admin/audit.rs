//! The audit log: every admin action, from the console or the command line, in the
//! `admin_audit` table. Written in the same request as the action, after it succeeded.

use moonlight_common::{Database, time::unix_now_ms};
use serde::Serialize;
use sqlx::Row;
use utoipa::ToSchema;

/// Who acted: an admin's account, or the command line.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: String,
    pub name: String,
}

impl Actor {
    /// `moonlight admin …` on the operator's machine: no account, the OS user's name.
    pub fn command_line() -> Self {
        let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
        Self {
            id: "cli".to_owned(),
            name: format!("command line ({user})"),
        }
    }
}

/// One line of the audit log.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    /// Unix milliseconds.
    pub at_ms: i64,
    /// The admin's account id, or `cli` for the command line.
    pub actor_id: String,
    pub actor_name: String,
    /// What was done, e.g. `grant_role`, `free_player`, `end_match`.
    pub action: String,
    /// On what: a player's id, a match's id.
    pub target: String,
    /// The action's details (JSON).
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

#[derive(Clone)]
pub struct AuditLog {
    db: Database,
}

impl AuditLog {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub async fn record(
        &self,
        actor: &Actor,
        action: &str,
        target: &str,
        detail: serde_json::Value,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO admin_audit (id, at_ms, actor_id, actor_name, action, target, detail) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(uuid::Uuid::new_v4().to_string())
        .bind(unix_now_ms())
        .bind(&actor.id)
        .bind(&actor.name)
        .bind(action)
        .bind(target)
        .bind(detail.to_string())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// The latest `limit` entries, newest first.
    pub async fn latest(&self, limit: i64) -> Result<Vec<AuditEntry>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, at_ms, actor_id, actor_name, action, target, detail FROM admin_audit \
             ORDER BY at_ms DESC, id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                let detail: String = row.try_get("detail")?;
                Ok(AuditEntry {
                    id: row.try_get("id")?,
                    at_ms: row.try_get("at_ms")?,
                    actor_id: row.try_get("actor_id")?,
                    actor_name: row.try_get("actor_name")?,
                    action: row.try_get("action")?,
                    target: row.try_get("target")?,
                    detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
                })
            })
            .collect()
    }
}
