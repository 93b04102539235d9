//! Accounts and refresh tokens in the SQL database. Every query here runs unchanged on
//! SQLite and PostgreSQL (see `moonlight_common::db`).

use moonlight_common::{Database, db::is_unique_violation};
use sqlx::Row;

use crate::{domain::Username, tokens::Role};

/// A stored account.
#[derive(Debug, Clone)]
pub struct Account {
    pub id: String,
    pub username: String,
    pub password_hash: String,
    pub created_at: i64,
    /// When an admin locked it; `None` when it is not locked.
    pub locked_at: Option<i64>,
}

/// What a refresh token lookup finds.
#[derive(Debug, Clone)]
pub struct RefreshRecord {
    pub family_id: String,
    pub user_id: String,
    pub username: String,
    pub family_expires_at: i64,
    pub family_revoked: bool,
    pub used: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("that username is taken")]
    UsernameTaken,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

#[derive(Clone)]
pub struct AccountStore {
    db: Database,
}

impl AccountStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub async fn create_account(
        &self,
        username: &Username,
        password_hash: &str,
        now: i64,
    ) -> Result<Account, StoreError> {
        let id = uuid::Uuid::new_v4().to_string();
        sqlx::query(
            "INSERT INTO users (id, username, username_key, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(username.as_str())
        .bind(username.key())
        .bind(password_hash)
        .bind(now)
        .execute(self.db.pool())
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::UsernameTaken
            } else {
                StoreError::Database(e)
            }
        })?;
        Ok(Account {
            id,
            username: username.as_str().to_owned(),
            password_hash: password_hash.to_owned(),
            created_at: now,
            locked_at: None,
        })
    }

    pub async fn account_by_username(
        &self,
        username: &Username,
    ) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(
            "SELECT id, username, password_hash, created_at, locked_at FROM users \
             WHERE username_key = $1",
        )
        .bind(username.key())
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.map(|row| account_from_row(&row)).transpose()?)
    }

    pub async fn account_by_id(&self, id: &str) -> Result<Option<Account>, StoreError> {
        let row = sqlx::query(
            "SELECT id, username, password_hash, created_at, locked_at FROM users WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.map(|row| account_from_row(&row)).transpose()?)
    }

    /// The roles `user_id` holds (none for a player).
    pub async fn roles_of(&self, user_id: &str) -> Result<Vec<Role>, StoreError> {
        let names: Vec<String> =
            sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = $1 ORDER BY role")
                .bind(user_id)
                .fetch_all(self.db.pool())
                .await?;
        // A name this build does not know (written by a newer one) grants nothing here.
        Ok(names.iter().filter_map(|name| Role::parse(name)).collect())
    }

    /// Gives `role` to `user_id`; `false` if it held it already.
    pub async fn grant(&self, user_id: &str, role: Role, now: i64) -> Result<bool, StoreError> {
        let granted = sqlx::query(
            "INSERT INTO user_roles (user_id, role, granted_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id, role) DO NOTHING",
        )
        .bind(user_id)
        .bind(role.as_str())
        .bind(now)
        .execute(self.db.pool())
        .await?;
        Ok(granted.rows_affected() == 1)
    }

    /// Takes `role` from `user_id`; `false` if it did not hold it.
    pub async fn revoke(&self, user_id: &str, role: Role) -> Result<bool, StoreError> {
        let revoked = sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role = $2")
            .bind(user_id)
            .bind(role.as_str())
            .execute(self.db.pool())
            .await?;
        Ok(revoked.rows_affected() == 1)
    }

    pub async fn update_password_hash(
        &self,
        id: &str,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(password_hash)
            .bind(id)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    /// Starts a refresh-token family (one login) with its first token.
    pub async fn start_family(
        &self,
        user_id: &str,
        token_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let family_id = uuid::Uuid::new_v4().to_string();
        let mut tx = self.db.pool().begin().await?;
        sqlx::query(
            "INSERT INTO refresh_families (id, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(&family_id)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        insert_token(&mut tx, &family_id, token_hash, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn find_refresh_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<RefreshRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT t.family_id, t.used_at, f.user_id, f.expires_at, f.revoked_at, u.username \
             FROM refresh_tokens t \
             JOIN refresh_families f ON f.id = t.family_id \
             JOIN users u ON u.id = f.user_id \
             WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(self.db.pool())
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(RefreshRecord {
            family_id: row.try_get("family_id")?,
            used: row.try_get::<Option<i64>, _>("used_at")?.is_some(),
            user_id: row.try_get("user_id")?,
            family_expires_at: row.try_get("expires_at")?,
            family_revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
            username: row.try_get("username")?,
        }))
    }

    /// Spends `old_hash` and adds `new_hash` to the same family, atomically. Returns
    /// `false` (and changes nothing) if the old token was already spent, which is reuse.
    pub async fn rotate(
        &self,
        family_id: &str,
        old_hash: &str,
        new_hash: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db.pool().begin().await?;
        let spent = sqlx::query(
            "UPDATE refresh_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
        )
        .bind(now)
        .bind(old_hash)
        .execute(&mut *tx)
        .await?;
        if spent.rows_affected() != 1 {
            return Ok(false);
        }
        insert_token(&mut tx, family_id, new_hash, now).await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn revoke_family(
        &self,
        family_id: &str,
        reason: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE refresh_families SET revoked_at = $1, revoke_reason = $2 \
             WHERE id = $3 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(reason)
        .bind(family_id)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Locks the account (at `now`) or unlocks it (`None`); `false` if it was so already.
    pub async fn set_locked(&self, user_id: &str, at: Option<i64>) -> Result<bool, StoreError> {
        let changed = sqlx::query(
            "UPDATE users SET locked_at = $2 WHERE id = $1 AND (locked_at IS NULL) <> ($2 IS NULL)",
        )
        .bind(user_id)
        .bind(at)
        .execute(self.db.pool())
        .await?;
        Ok(changed.rows_affected() == 1)
    }

    /// Ends every login of `user_id`: none of its refresh tokens works any more. Returns
    /// how many logins were still open.
    pub async fn revoke_all_families(
        &self,
        user_id: &str,
        reason: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        let revoked = sqlx::query(
            "UPDATE refresh_families SET revoked_at = $1, revoke_reason = $2 \
             WHERE user_id = $3 AND revoked_at IS NULL AND expires_at > $1",
        )
        .bind(now)
        .bind(reason)
        .bind(user_id)
        .execute(self.db.pool())
        .await?;
        Ok(revoked.rows_affected())
    }

    /// When logins for `username_key` are blocked until, if they are.
    pub async fn login_locked_until(&self, username_key: &str) -> Result<Option<i64>, StoreError> {
        let locked_until: Option<i64> =
            sqlx::query_scalar("SELECT locked_until FROM login_failures WHERE username_key = $1")
                .bind(username_key)
                .fetch_optional(self.db.pool())
                .await?;
        Ok(locked_until)
    }

    /// Counts one more failed login and returns the consecutive failures so far.
    pub async fn record_login_failure(&self, username_key: &str) -> Result<i64, StoreError> {
        let failures: i64 = sqlx::query_scalar(
            "INSERT INTO login_failures (username_key, failures, locked_until) VALUES ($1, 1, 0) \
             ON CONFLICT (username_key) DO UPDATE SET failures = login_failures.failures + 1 \
             RETURNING failures",
        )
        .bind(username_key)
        .fetch_one(self.db.pool())
        .await?;
        Ok(failures)
    }

    pub async fn lock_logins(&self, username_key: &str, until: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE login_failures SET locked_until = $1 WHERE username_key = $2")
            .bind(until)
            .bind(username_key)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }

    pub async fn clear_login_failures(&self, username_key: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM login_failures WHERE username_key = $1")
            .bind(username_key)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }
}

async fn insert_token(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    family_id: &str,
    token_hash: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, family_id, issued_at) VALUES ($1, $2, $3)",
    )
    .bind(token_hash)
    .bind(family_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

fn account_from_row(row: &sqlx::any::AnyRow) -> Result<Account, sqlx::Error> {
    Ok(Account {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
        locked_at: row.try_get("locked_at")?,
    })
}
