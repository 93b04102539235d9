//! Players' own decks: built from the content's collectible cards, saved under the
//! player's account, shared as deck codes, and played in the queue, rooms and practice
//! (`deck` takes a starter deck id, a saved deck's id, or a deck code).
//!
//! A deck is checked against the deck rules when it is saved and again whenever it is
//! listed or chosen, against the content the lobby runs *now*: a content update that
//! makes a saved deck illegal shows on the deck (`legal: false` and the reason) and the
//! deck is refused with that reason where a player picks it, instead of a match failing
//! to start.

use std::sync::Arc;

use axum::{Json, extract::State, http::StatusCode, response::IntoResponse};
use moonlight_auth::{ApiJson, Authenticated};
use moonlight_common::{Database, http::ErrorBody, time::unix_now};
use moonlight_engine::{Content, content::deck_code};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use utoipa::ToSchema;

use crate::{
    error::{ApiPath, LobbyError},
    lobby::Lobby,
};

/// Decks one player may keep.
pub const MAX_DECKS: i64 = 50;
/// Characters in a deck's name.
const MAX_NAME_CHARS: usize = 40;

/// A deck to save: a name, and its cards either listed or as a deck code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeckDraft {
    /// 1 to 40 characters.
    #[schema(min_length = 1, max_length = 40)]
    pub name: String,
    /// The cards and their copies (collectible card ids of `GET /v1/content`). Give these
    /// or `code`, not both.
    #[schema(max_items = 100)]
    pub cards: Option<Vec<DeckLine>>,
    /// A deck code (someone's shared deck) instead of `cards`.
    #[schema(min_length = 1, max_length = 1024)]
    pub code: Option<String>,
}

/// One line of a deck list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeckLine {
    pub card: String,
    #[schema(minimum = 1, maximum = 255)]
    pub count: u8,
}

/// A saved deck, as the content the lobby runs now sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SavedDeck {
    pub id: String,
    pub name: String,
    /// By card id.
    pub cards: Vec<DeckLine>,
    /// The deck's code: share it, or play it (`deck` in the queue, rooms and practice
    /// takes it, as it takes this deck's `id`).
    pub code: String,
    /// The faction of its non-neutral cards (`neutral` if it has none).
    pub faction: String,
    /// Whether the deck may be played under the content now (a content update can make a
    /// saved deck illegal).
    pub legal: bool,
    /// Why not, naming the card; absent when legal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// Unix seconds.
    pub updated_at: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeckList {
    /// Most recently changed first.
    pub decks: Vec<SavedDeck>,
}

/// The `player_decks` table.
#[derive(Clone)]
pub struct Decks {
    db: Database,
}

/// A stored deck: its cards, one id per copy.
struct Stored {
    id: String,
    name: String,
    cards: Vec<String>,
    updated_at: i64,
}

impl Decks {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    async fn list(&self, player_id: &str) -> Result<Vec<Stored>, LobbyError> {
        let rows = sqlx::query(
            "SELECT id, name, cards, updated_at FROM player_decks WHERE player_id = $1 \
             ORDER BY updated_at DESC, id",
        )
        .bind(player_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(stored_from).collect()
    }

    /// `player_id`'s deck `id`, if they have one by that id.
    pub(crate) async fn cards(
        &self,
        player_id: &str,
        id: &str,
    ) -> Result<Option<Vec<String>>, LobbyError> {
        Ok(self.get(player_id, id).await?.map(|d| d.cards))
    }

    async fn get(&self, player_id: &str, id: &str) -> Result<Option<Stored>, LobbyError> {
        let row = sqlx::query(
            "SELECT id, name, cards, updated_at FROM player_decks \
             WHERE player_id = $1 AND id = $2",
        )
        .bind(player_id)
        .bind(id)
        .fetch_optional(self.db.pool())
        .await?;
        row.as_ref().map(stored_from).transpose()
    }

    /// Saves a new deck unless the player has [`MAX_DECKS`] already.
    async fn insert(
        &self,
        player_id: &str,
        name: &str,
        cards: &[String],
    ) -> Result<Stored, LobbyError> {
        let id = uuid::Uuid::new_v4().to_string();
        let now = unix_now();
        let mut tx = self.db.pool().begin().await?;
        let held: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM player_decks WHERE player_id = $1")
                .bind(player_id)
                .fetch_one(&mut *tx)
                .await?;
        if held >= MAX_DECKS {
            return Err(LobbyError::TooManyDecks(MAX_DECKS));
        }
        sqlx::query(
            "INSERT INTO player_decks (id, player_id, name, cards, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(&id)
        .bind(player_id)
        .bind(name)
        .bind(cards_json(cards))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Stored {
            id,
            name: name.to_owned(),
            cards: cards.to_vec(),
            updated_at: now,
        })
    }

    async fn update(
        &self,
        player_id: &str,
        id: &str,
        name: &str,
        cards: &[String],
    ) -> Result<Stored, LobbyError> {
        let now = unix_now();
        let done = sqlx::query(
            "UPDATE player_decks SET name = $3, cards = $4, updated_at = $5 \
             WHERE player_id = $1 AND id = $2",
        )
        .bind(player_id)
        .bind(id)
        .bind(name)
        .bind(cards_json(cards))
        .bind(now)
        .execute(self.db.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(LobbyError::DeckNotFound);
        }
        Ok(Stored {
            id: id.to_owned(),
            name: name.to_owned(),
            cards: cards.to_vec(),
            updated_at: now,
        })
    }

    async fn delete(&self, player_id: &str, id: &str) -> Result<(), LobbyError> {
        let done = sqlx::query("DELETE FROM player_decks WHERE player_id = $1 AND id = $2")
            .bind(player_id)
            .bind(id)
            .execute(self.db.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(LobbyError::DeckNotFound);
        }
        Ok(())
    }
}

fn stored_from(row: &sqlx::any::AnyRow) -> Result<Stored, LobbyError> {
    let cards: String = row.try_get(2)?;
    let cards = serde_json::from_str(&cards).map_err(|e| anyhow::anyhow!("a stored deck: {e}"))?;
    Ok(Stored {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        cards,
        updated_at: row.try_get(3)?,
    })
}

fn cards_json(cards: &[String]) -> String {
    serde_json::to_string(cards).unwrap_or_else(|_| "[]".to_owned())
}

impl Stored {
    fn view(self, content: &Content) -> SavedDeck {
        let problem = content
            .validate_deck(&self.cards)
            .err()
            .map(|e| e.to_string());
        let faction = self
            .cards
            .iter()
            .filter_map(|id| content.card(id))
            .map(|card| card.faction.as_str())
            .find(|&faction| faction != "neutral")
            .unwrap_or("neutral")
            .to_owned();
        SavedDeck {
            code: deck_code::encode(&self.cards),
            cards: lines(&self.cards),
            id: self.id,
            name: self.name,
            faction,
            legal: problem.is_none(),
            problem,
            updated_at: self.updated_at,
        }
    }
}

/// `cards` (one id per copy) as lines, by card id.
fn lines(cards: &[String]) -> Vec<DeckLine> {
    let mut sorted: Vec<&String> = cards.iter().collect();
    sorted.sort();
    let mut lines: Vec<DeckLine> = Vec::new();
    for card in sorted {
        match lines.last_mut() {
            Some(line) if &line.card == card => line.count = line.count.saturating_add(1),
            _ => lines.push(DeckLine {
                card: card.clone(),
                count: 1,
            }),
        }
    }
    lines
}

impl DeckDraft {
    /// The name and cards, checked against the deck rules of `content`.
    fn check(self, content: &Content) -> Result<(String, Vec<String>), LobbyError> {
        let name = self.name.trim().to_owned();
        let chars = name.chars().count();
        if chars == 0 || chars > MAX_NAME_CHARS {
            return Err(LobbyError::InvalidBody("name: 1 to 40 characters"));
        }
        let cards = match (self.cards, self.code) {
            (Some(lines), None) if lines.iter().any(|l| l.count == 0) => {
                return Err(LobbyError::InvalidBody("count: 1 to 255 copies"));
            }
            (Some(lines), None) => lines
                .into_iter()
                .flat_map(|l| std::iter::repeat_n(l.card, usize::from(l.count)))
                .collect(),
            (None, Some(code)) => content
                .decode_deck(&code)
                .map_err(|e| LobbyError::IllegalDeck(e.to_string()))?,
            _ => {
                return Err(LobbyError::InvalidBody(
                    "give the deck's `cards` or its `code`, one of them",
                ));
            }
        };
        content
            .validate_deck(&cards)
            .map_err(|e| LobbyError::IllegalDeck(e.to_string()))?;
        Ok((name, cards))
    }
}

/// Your saved decks, each checked against the content now.
#[utoipa::path(get, path = "/decks", tag = "decks", security(("bearer" = [])),
    responses((status = 200, description = "Your decks", body = DeckList)))]
pub(crate) async fn list(
    State(lobby): State<Arc<Lobby>>,
    caller: Authenticated,
) -> Result<Json<DeckList>, LobbyError> {
    let content = lobby.content();
    let decks = lobby.decks.list(&caller.0.sub).await?;
    Ok(Json(DeckList {
        decks: decks.into_iter().map(|d| d.view(&content)).collect(),
    }))
}

/// Saves a new deck, from its cards or a deck code; it must be legal under the content
/// now.
#[utoipa::path(post, path = "/decks", tag = "decks", request_body = DeckDraft,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Saved", body = SavedDeck),
        (status = 409, description = "`too_many_decks`: delete one first", body = ErrorBody),
        (status = 422, description = "`illegal_deck` (the deck rules, naming the card, or a \
            code that is not one), or `invalid_body` (a name of 0 or over 40 characters, \
            both or neither of `cards` and `code`, or not a `DeckDraft`)", body = ErrorBody),
    ))]
pub(crate) async fn create(
    State(lobby): State<Arc<Lobby>>,
    caller: Authenticated,
    ApiJson(draft): ApiJson<DeckDraft>,
) -> Result<impl IntoResponse, LobbyError> {
    let content = lobby.content();
    let (name, cards) = draft.check(&content)?;
    let saved = lobby.decks.insert(&caller.0.sub, &name, &cards).await?;
    Ok((StatusCode::CREATED, Json(saved.view(&content))))
}

/// Replaces one of your decks (its name and cards).
#[utoipa::path(put, path = "/decks/{id}", tag = "decks", request_body = DeckDraft,
    params(("id" = String, Path, description = "The deck's id")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Saved", body = SavedDeck),
        (status = 404, description = "`deck_not_found`: none of your decks has this id", body = ErrorBody),
        (status = 422, description = "`illegal_deck` or `invalid_body`, as when creating", body = ErrorBody),
    ))]
pub(crate) async fn update(
    State(lobby): State<Arc<Lobby>>,
    caller: Authenticated,
    ApiPath(id): ApiPath<String>,
    ApiJson(draft): ApiJson<DeckDraft>,
) -> Result<Json<SavedDeck>, LobbyError> {
    let content = lobby.content();
    let (name, cards) = draft.check(&content)?;
    let saved = lobby
        .decks
        .update(&caller.0.sub, &id, &name, &cards)
        .await?;
    Ok(Json(saved.view(&content)))
}

/// Deletes one of your decks.
#[utoipa::path(delete, path = "/decks/{id}", tag = "decks",
    params(("id" = String, Path, description = "The deck's id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`deck_not_found`: none of your decks has this id", body = ErrorBody),
    ))]
pub(crate) async fn delete(
    State(lobby): State<Arc<Lobby>>,
    caller: Authenticated,
    ApiPath(id): ApiPath<String>,
) -> Result<StatusCode, LobbyError> {
    lobby.decks.delete(&caller.0.sub, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_becomes_lines_by_card_and_back() {
        let cards: Vec<String> = ["b", "a", "b", "c", "a", "b"].map(String::from).to_vec();
        let lines = lines(&cards);
        let counts: Vec<(&str, u8)> = lines.iter().map(|l| (l.card.as_str(), l.count)).collect();
        assert_eq!(counts, [("a", 2), ("b", 3), ("c", 1)]);
    }
}
