//! `moonlight admin grant|revoke NAME`: how the first admin is made, on the operator's
//! machine, against the configured database. Each change is written to the audit log.

use anyhow::Context;
use moonlight_auth::{AccountStore, Role, Username};
use moonlight_common::{Database, time::unix_now};
use moonlight_lobby::admin::{Actor, AuditLog};

use crate::config::AdminAction;

/// Makes the change and says what it did (or why it could not).
pub async fn run(action: AdminAction, name: &str, database_url: &str) -> anyhow::Result<String> {
    let username = Username::parse(name).map_err(|e| anyhow::anyhow!("`{name}`: {e}"))?;
    let db = Database::connect(database_url).await?;
    let accounts = AccountStore::new(db.clone());
    let account = accounts
        .account_by_username(&username)
        .await?
        .with_context(|| format!("there is no account named `{name}`"))?;
    let (changed, verb, done, unchanged) = match action {
        AdminAction::Grant => (
            accounts.grant(&account.id, Role::Admin, unix_now()).await?,
            "grant_role",
            "is now an admin (from its next login or token refresh)",
            "was an admin already",
        ),
        AdminAction::Revoke => (
            accounts.revoke(&account.id, Role::Admin).await?,
            "revoke_role",
            "is no longer an admin",
            "was not an admin",
        ),
    };
    if changed {
        let detail = serde_json::json!({ "role": Role::Admin.as_str(), "name": account.username });
        AuditLog::new(db)
            .record(&Actor::command_line(), verb, &account.id, detail)
            .await?;
    }
    let name = account.username;
    Ok(format!("{name} {}", if changed { done } else { unchanged }))
}
