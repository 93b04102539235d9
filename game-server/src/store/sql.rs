//! The embedded room store: tables in the node's own SQL database (SQLite by default).

use moonlight_common::{Database, db::is_unique_violation};
use sqlx::Row;

use super::{LogEntry, MatchResult, RoomRecord, StoreError, StoredRoom, from_json, to_json};

#[derive(Clone)]
pub struct SqlStore {
    db: Database,
}

impl SqlStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub(super) async fn create_room(&self, record: &RoomRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO game_rooms (id, record, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(&record.room_id)
        .bind(to_json(record)?)
        .bind(record.created_at)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub(super) async fn load_room(&self, room_id: &str) -> Result<Option<StoredRoom>, StoreError> {
        let pool = self.db.pool();
        let Some(record) =
            sqlx::query_scalar::<_, String>("SELECT record FROM game_rooms WHERE id = $1")
                .bind(room_id)
                .fetch_optional(pool)
                .await?
        else {
            return Ok(None);
        };
        let snapshot = sqlx::query("SELECT seq, state FROM game_snapshots WHERE room_id = $1")
            .bind(room_id)
            .fetch_optional(pool)
            .await?
            .map(|row| -> Result<(u64, Vec<u8>), StoreError> {
                let seq: i64 = row.try_get("seq")?;
                Ok((seq_from_db(seq)?, row.try_get("state")?))
            })
            .transpose()?;
        let after = snapshot.as_ref().map_or(0, |(seq, _)| *seq);
        let log = sqlx::query_scalar::<_, String>(
            "SELECT entry FROM game_inputs WHERE room_id = $1 AND seq > $2 ORDER BY seq",
        )
        .bind(room_id)
        .bind(seq_to_db(after))
        .fetch_all(pool)
        .await?
        .iter()
        .map(|entry| from_json(entry))
        .collect::<Result<_, _>>()?;
        Ok(Some(StoredRoom {
            record: from_json(&record)?,
            snapshot,
            log,
        }))
    }

    pub(super) async fn append(&self, room_id: &str, entry: &LogEntry) -> Result<(), StoreError> {
        let out_of_sequence = || StoreError::OutOfSequence {
            room_id: room_id.to_owned(),
            seq: entry.seq,
        };
        // The primary key refuses a duplicate seq; the WHERE refuses a gap.
        let inserted = sqlx::query(
            "INSERT INTO game_inputs (room_id, seq, entry) \
             SELECT $1, $2, $3 WHERE \
             (SELECT COALESCE(MAX(seq), 0) FROM game_inputs WHERE room_id = $1) = $2 - 1",
        )
        .bind(room_id)
        .bind(seq_to_db(entry.seq))
        .bind(to_json(entry)?)
        .execute(self.db.pool())
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                out_of_sequence()
            } else {
                e.into()
            }
        })?;
        if inserted.rows_affected() == 1 {
            Ok(())
        } else {
            Err(out_of_sequence())
        }
    }

    pub(super) async fn save_snapshot(
        &self,
        room_id: &str,
        seq: u64,
        state: &[u8],
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO game_snapshots (room_id, seq, state) VALUES ($1, $2, $3) \
             ON CONFLICT (room_id) DO UPDATE SET seq = excluded.seq, state = excluded.state \
             WHERE game_snapshots.seq < excluded.seq",
        )
        .bind(room_id)
        .bind(seq_to_db(seq))
        .bind(state.to_vec())
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub(super) async fn push_result(&self, result: &MatchResult) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO pending_results (match_id, result) VALUES ($1, $2) \
             ON CONFLICT (match_id) DO NOTHING",
        )
        .bind(&result.match_id)
        .bind(to_json(result)?)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    pub(super) async fn pending_results(&self) -> Result<Vec<MatchResult>, StoreError> {
        sqlx::query_scalar::<_, String>("SELECT result FROM pending_results ORDER BY match_id")
            .fetch_all(self.db.pool())
            .await?
            .iter()
            .map(|text| from_json(text))
            .collect()
    }

    pub(super) async fn clear_result(&self, match_id: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM pending_results WHERE match_id = $1")
            .bind(match_id)
            .execute(self.db.pool())
            .await?;
        Ok(())
    }
}

fn seq_to_db(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

fn seq_from_db(seq: i64) -> Result<u64, StoreError> {
    u64::try_from(seq).map_err(|_| StoreError::Corrupt(format!("negative sequence number {seq}")))
}
