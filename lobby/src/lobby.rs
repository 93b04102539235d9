//! The lobby's operations, shared by the HTTP routes and the background loops.

mod nodes;
mod replays;
mod unreachable;

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use moonlight_auth::TokenIssuer;
use moonlight_common::time::{unix_now, unix_now_ms};
use moonlight_engine::{Content, ContentStore, EndReason, Level, Outcome, content::deck_code};
use moonlight_rooms::{
    MatchResult, NodeDirectory, NodeInfo, PlayerRecord, RoomRecord, RoomState, RoomStore,
    command::{self, CommandExtra, Order},
    record_from_outbox, record_results,
    ticket::{self, TicketExtra},
};
use parking_lot::Mutex;
use rand::Rng;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    codes,
    config::LobbyConfig,
    decks::Decks,
    error::LobbyError,
    ratings::Rating,
    records::Records,
    store::{
        LiveMatch, LobbyStore, MatchKind, NewMatch, OpenRoom, Placement, Presence, Seating, State,
        Whereabouts,
    },
    waiters::Waiters,
};
use nodes::KnownNodes;

/// The practice bot's name in matches and history.
pub const BOT_NAME: &str = "Practice bot";

/// The caller, from their access token.
#[derive(Debug, Clone)]
pub struct Player {
    pub id: String,
    pub name: String,
}

/// What a player is doing, and what they need to do it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Status {
    /// `idle`, `queued`, `in_room` or `in_match`.
    pub state: &'static str,
    pub queue: Option<QueueStatus>,
    pub room: Option<RoomStatus>,
    #[serde(rename = "match")]
    pub play: Option<MatchTicket>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueStatus {
    pub deck: String,
    pub rating: f64,
    pub waited_secs: u64,
    /// The rating gap accepted now; it widens while you wait.
    pub rating_window: f64,
    /// You have waited long enough to be offered a practice match (`POST /v1/lobby/practice`).
    pub practice_offered: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoomStatus {
    pub room_id: String,
    /// Give this to a friend: they join with it.
    pub code: String,
    pub public: bool,
    pub host: String,
    /// Unix seconds after which the code no longer works.
    pub expires_at: i64,
}

/// How to reach your match: open `{url}?ticket={ticket}` as a WebSocket.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchTicket {
    pub room_id: String,
    pub seat: u8,
    pub node_id: String,
    pub url: String,
    /// Short-lived: ask `/v1/lobby/status` again for a fresh one.
    pub ticket: String,
}

/// A spectator's way into a match: open `{url}?ticket={ticket}` as the game WebSocket.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WatchTicket {
    pub room_id: String,
    pub node_id: String,
    pub url: String,
    /// Short-lived: ask again for a fresh one.
    pub ticket: String,
}

/// A match about to start: its room, its record for the lobby, its node.
struct PlannedMatch {
    record: RoomRecord,
    new: NewMatch,
    node: NodeInfo,
}

/// A seat of a match about to start.
struct SeatPlan {
    player: PlayerRecord,
    deck: String,
    /// For a human: where they must be coming from (see [`Seating::from`]).
    from: Option<(State, String)>,
}

pub struct Lobby {
    pub config: LobbyConfig,
    pub store: LobbyStore,
    pub records: Records,
    pub decks: Decks,
    pub waiters: Waiters,
    rooms: RoomStore,
    directory: NodeDirectory,
    /// The directory as last read, for tickets and placing matches.
    known_nodes: KnownNodes,
    content: Arc<ContentStore>,
    issuer: TokenIssuer,
    /// Rooms this process placed on each node since that node's last heartbeat, so a burst
    /// of matches spreads out before the nodes report their new load.
    placed: Mutex<HashMap<String, (i64, usize)>>,
    /// The content versions this process has kept in the room store.
    kept: Mutex<HashSet<String>>,
    /// When this process last probed each node a player could not reach.
    probed: Mutex<HashMap<String, tokio::time::Instant>>,
    /// For those probes and the admins' commands to nodes; each request sets its own
    /// timeout.
    pub(crate) http: reqwest::Client,
}

impl Lobby {
    pub fn new(
        config: LobbyConfig,
        store: LobbyStore,
        rooms: RoomStore,
        directory: NodeDirectory,
        content: Arc<ContentStore>,
        issuer: TokenIssuer,
    ) -> Self {
        Self {
            config,
            records: Records::new(store.database().clone()),
            decks: Decks::new(store.database().clone()),
            store,
            waiters: Waiters::default(),
            rooms,
            directory,
            known_nodes: KnownNodes::new(nodes::FRESH),
            content,
            issuer,
            placed: Mutex::default(),
            kept: Mutex::default(),
            probed: Mutex::default(),
            http: reqwest::Client::new(),
        }
    }

    /// The node directory this lobby reads.
    pub fn directory(&self) -> &NodeDirectory {
        &self.directory
    }

    /// The room store this lobby creates rooms in.
    pub fn rooms(&self) -> &RoomStore {
        &self.rooms
    }

    /// Keeps the current content version in the room store (once per version and
    /// process), so any node can restore a room begun under it, whatever the content
    /// directory holds by then.
    async fn keep_content(&self) -> Result<(), LobbyError> {
        let content = self.content.current();
        if self.kept.lock().contains(content.version()) {
            return Ok(());
        }
        self.rooms
            .save_content(content.version(), content.sources())
            .await
            .map_err(anyhow::Error::from)?;
        self.kept.lock().insert(content.version().to_owned());
        Ok(())
    }

    /// Voids the matches whose join deadline passed (before `now_ms`) with no node having
    /// opened their room: nobody came. They are claimed in the room store first (all in one
    /// call), so a node opening one at the same moment and this lobby cannot both win; a
    /// voided match gets its `no_contest` result and its players are free at once. Returns
    /// how many were voided.
    pub async fn void_unjoined(&self, now_ms: i64) -> Result<usize, LobbyError> {
        let due = self.store.unchecked_matches(now_ms, 100).await?;
        let ids: Vec<&str> = due.iter().map(String::as_str).collect();
        let held = self
            .rooms
            .claim_all(&ids, RoomState::Void)
            .await
            .map_err(anyhow::Error::from)?;
        let mut voided = 0;
        for (match_id, state) in ids.iter().zip(held) {
            if state == RoomState::Void {
                self.void(match_id, "nobody joined in time").await?;
                voided += 1;
            }
        }
        self.store.mark_checked(&ids).await?;
        Ok(voided)
    }

    /// Takes out of the queue the players whose clients stopped asking about their wait
    /// (no enqueue and no status for [`LobbyConfig::queue_presence`] before `now_ms`):
    /// gone, not waiting, and not to be matched with someone. Returns how many.
    pub async fn drop_absent_queued(&self, now_ms: i64) -> Result<u64, LobbyError> {
        let before_ms = now_ms.saturating_sub(millis(self.config.queue_presence));
        self.store.drop_absent_queued(before_ms).await
    }

    /// Voids `match_id` unless a node has opened its room (a room the store lost can only
    /// be void); `true` if it is void now.
    async fn void_unless_open(&self, match_id: &str, why: &str) -> Result<bool, LobbyError> {
        let state = self
            .rooms
            .claim(match_id, RoomState::Void)
            .await
            .map_err(anyhow::Error::from)?;
        if state == RoomState::Open {
            return Ok(false);
        }
        self.void(match_id, why).await?;
        Ok(true)
    }

    /// Ends `match_id`, claimed void: its `no_contest` result recorded (once, whoever else
    /// records it) and its players freed.
    async fn void(&self, match_id: &str, why: &str) -> Result<(), LobbyError> {
        let result = match self
            .rooms
            .load_room(match_id)
            .await
            .map_err(anyhow::Error::from)?
        {
            Some(stored) => stored.record.void_result(0, unix_now()),
            None => self.void_result_of_lost_room(match_id).await?,
        };
        // Void before any node opened it: not a single input to replay.
        record_results(self.store.database(), std::slice::from_ref(&result), &[]).await?;
        self.records.settle(match_id).await?;
        tracing::info!(%match_id, why, "match void");
        metrics::counter!("lobby_matches_voided_total").increment(1);
        Ok(())
    }

    /// A void result for a match whose room the store lost: its seats from the lobby's own
    /// rows (practice bots' seats are not there, and need no result).
    async fn void_result_of_lost_room(&self, match_id: &str) -> Result<MatchResult, LobbyError> {
        let players = self.store.match_players(match_id).await?;
        let now = unix_now();
        Ok(MatchResult {
            match_id: match_id.to_owned(),
            content_version: String::new(),
            outcome: Outcome {
                winners: Vec::new(),
                reason: EndReason::NoContest,
            },
            // 1v1: each seat is its own team.
            teams: players.iter().map(|(seat, _, _)| *seat).collect(),
            players: players
                .iter()
                .map(|(_, id, name)| PlayerRecord::human(id, name))
                .collect(),
            turns: 0,
            started_at: now,
            finished_at: now,
        })
    }

    /// The content new matches are played with.
    pub(crate) fn content(&self) -> Arc<Content> {
        self.content.current()
    }

    /// What a seat will play, as rooms record it: a deck id of the content as given, or
    /// the code of `player`'s saved deck of that id, or of a pasted deck code; checked
    /// against the content now (`illegal_deck` with the reason, naming the card).
    async fn choose_deck(&self, player: &Player, deck: &str) -> Result<String, LobbyError> {
        let content = self.content();
        if content.deck(deck).is_some() {
            return Ok(deck.to_owned());
        }
        let cards = match self.decks.cards(&player.id, deck).await? {
            Some(cards) => cards,
            None => content
                .decode_deck(deck)
                .map_err(|_| unknown_deck(&content, deck))?,
        };
        content
            .validate_deck(&cards)
            .map_err(|e| LobbyError::IllegalDeck(e.to_string()))?;
        Ok(deck_code::encode(&cards))
    }

    pub async fn enqueue(&self, player: &Player, deck: &str) -> Result<Status, LobbyError> {
        let deck = self.choose_deck(player, deck).await?;
        let mut queued = Presence {
            player_id: player.id.clone(),
            name: player.name.clone(),
            state: State::Queued,
            ref_id: uuid::Uuid::new_v4().to_string(),
            deck,
            rating: Rating::default().rating,
            since_ms: unix_now_ms(),
            seat: None,
        };
        let unrated = queued.rating;
        queued.rating = match self.store.enqueue(&queued, unrated).await {
            // Still in the match that just ended? (Settled here, or by the opponent's
            // request a moment ago.) Then the queue takes them now.
            Err(LobbyError::Busy) => {
                self.settle_finished_match(player).await?;
                self.store.enqueue(&queued, unrated).await?
            }
            rating => rating?,
        };
        metrics::counter!("lobby_enqueued_total").increment(1);
        Ok(self.queued_status(queued))
    }

    /// A player whose match is over but not yet settled by the background loop is settled
    /// now, so "play again" works the moment the game ends. Its node tells the players the
    /// match is over once the result is in the room store's outbox, which may be before
    /// the node's results writer has recorded it: then the lobby records it from there.
    async fn settle_finished_match(&self, player: &Player) -> Result<(), LobbyError> {
        let Some(presence) = self.store.presence(&player.id).await? else {
            return Ok(());
        };
        if presence.state != State::InMatch || self.records.settle(&presence.ref_id).await? {
            return Ok(());
        }
        let pending = self
            .rooms
            .pending_result(&presence.ref_id)
            .await
            .map_err(anyhow::Error::from)?;
        if let Some(result) = pending {
            record_from_outbox(&self.rooms, self.store.database(), &[result])
                .await
                .map_err(anyhow::Error::from)?;
        }
        // Settled now, whoever recorded it: this lobby from the outbox, or the node's
        // writer between the first look and the outbox's (it clears the outbox once the
        // result is recorded, so the outbox alone cannot tell "not yet" from "just done").
        self.records.settle(&presence.ref_id).await?;
        Ok(())
    }

    pub async fn cancel(&self, player: &Player) -> Result<Status, LobbyError> {
        if self.store.cancel_queue(&player.id).await? {
            return self.status(player).await;
        }
        match self.store.presence(&player.id).await?.map(|p| p.state) {
            Some(State::InMatch) => Err(LobbyError::AlreadyMatched),
            _ => Err(LobbyError::NotQueued),
        }
    }

    pub async fn open_room(
        &self,
        player: &Player,
        deck: &str,
        public: bool,
    ) -> Result<Status, LobbyError> {
        let deck = self.choose_deck(player, deck).await?;
        self.settle_finished_match(player).await?;
        let now = unix_now();
        let ttl = i64::try_from(self.config.room_code_ttl.as_secs()).expect("a code TTL fits");
        let room_id = uuid::Uuid::new_v4().to_string();
        let host = Presence {
            player_id: player.id.clone(),
            name: player.name.clone(),
            state: State::InRoom,
            ref_id: room_id.clone(),
            deck,
            rating: 0.0,
            since_ms: unix_now_ms(),
            seat: Some(0),
        };
        // A code collision with another open room is rare; try a few fresh codes.
        for _ in 0..5 {
            let room = OpenRoom {
                id: room_id.clone(),
                code: codes::new_code(),
                host_id: player.id.clone(),
                host_name: player.name.clone(),
                public,
                created_at: now,
                expires_at: now.saturating_add(ttl),
            };
            if self.store.open_room(&room, &host).await? {
                return self.status(player).await;
            }
        }
        Err(anyhow::anyhow!("no free room code after 5 tries").into())
    }

    pub async fn join_room(
        &self,
        player: &Player,
        code: &str,
        deck: &str,
    ) -> Result<Status, LobbyError> {
        let deck = self.choose_deck(player, deck).await?;
        self.settle_finished_match(player).await?;
        let code = codes::normalise(code).ok_or(LobbyError::UnknownRoom)?;
        let room = self
            .store
            .room_by_code(&code, unix_now())
            .await?
            .ok_or(LobbyError::UnknownRoom)?;
        if room.host_id == player.id {
            return Err(LobbyError::OwnRoom);
        }
        if self.store.presence(&player.id).await?.is_some() {
            return Err(LobbyError::Busy);
        }
        let host = self
            .store
            .presence(&room.host_id)
            .await?
            .filter(|p| p.state == State::InRoom && p.ref_id == room.id)
            .ok_or(LobbyError::UnknownRoom)?;
        let seats = vec![
            SeatPlan {
                player: PlayerRecord::human(&host.player_id, &host.name),
                deck: host.deck.clone(),
                from: Some((State::InRoom, room.id.clone())),
            },
            SeatPlan {
                player: PlayerRecord::human(&player.id, &player.name),
                deck,
                from: None,
            },
        ];
        if self
            .start_match(MatchKind::Private, seats, Some(room.id), room.public, None)
            .await?
            .is_none()
        {
            // The host left, or someone else took the seat first.
            return Err(match self.store.presence(&player.id).await? {
                Some(_) => LobbyError::Busy,
                None => LobbyError::UnknownRoom,
            });
        }
        self.status(player).await
    }

    pub async fn leave_room(&self, player: &Player) -> Result<Status, LobbyError> {
        if !self.store.leave_room(&player.id).await? {
            return Err(LobbyError::NotInRoom);
        }
        self.status(player).await
    }

    /// A match against the practice bot at `level`, now; a queued player leaves the queue
    /// for it. With `bot_deck` and `seed` chosen (a designer's playtest) or drawn at random.
    pub async fn practice(
        &self,
        player: &Player,
        deck: &str,
        bot_deck: Option<&str>,
        seed: Option<u64>,
        level: Level,
    ) -> Result<Status, LobbyError> {
        let deck = self.choose_deck(player, deck).await?;
        // A designer's playtest may give the bot one of their own decks.
        let bot_deck = match bot_deck {
            Some(bot_deck) => self.choose_deck(player, bot_deck).await?,
            None => self.bot_deck(),
        };
        self.settle_finished_match(player).await?;
        let from = match self.store.presence(&player.id).await? {
            None => None,
            Some(p) if p.state == State::Queued => Some((State::Queued, p.ref_id)),
            Some(_) => return Err(LobbyError::Busy),
        };
        let seats = vec![
            SeatPlan {
                player: PlayerRecord::human(&player.id, &player.name),
                deck,
                from,
            },
            SeatPlan {
                player: PlayerRecord::practice_bot(BOT_NAME, level),
                deck: bot_deck,
                from: None,
            },
        ];
        if self
            .start_match(MatchKind::Practice, seats, None, true, seed)
            .await?
            .is_none()
        {
            // Matched, or gone from the queue, in the meantime.
            return Err(LobbyError::Busy);
        }
        self.status(player).await
    }

    /// The bot plays a random starter deck.
    fn bot_deck(&self) -> String {
        let content = self.content.current();
        let decks: Vec<&str> = content.decks().map(|d| d.id.as_str()).collect();
        decks
            .get(rand::rng().random_range(0..decks.len().max(1)))
            .map_or_else(String::new, |d| (*d).to_owned())
    }

    /// One matchmaking round: pairs the queue and starts a match for each pair, all in one
    /// go (their rooms in one write, their players moved in one transaction). Returns the
    /// number of matches started here.
    pub async fn match_round(&self) -> Result<usize, LobbyError> {
        let queue = self.playable_queue().await?;
        let now = unix_now_ms();
        let waiting: Vec<crate::pairing::Waiting> = queue
            .iter()
            .map(|p| crate::pairing::Waiting {
                player_id: p.player_id.clone(),
                rating: p.rating,
                waited: waited(p.since_ms, now),
            })
            .collect();
        let pairs = crate::pairing::pair(&waiting, &self.config);
        if pairs.is_empty() {
            return Ok(0);
        }
        let live = self.known_nodes().await?;
        let mut planned = Vec::with_capacity(pairs.len());
        for (a, b) in pairs {
            // Who moves first is a coin toss.
            let (first, second) = if rand::rng().random_bool(0.5) {
                (&queue[a], &queue[b])
            } else {
                (&queue[b], &queue[a])
            };
            let seats = [first, second]
                .iter()
                .map(|p| SeatPlan {
                    player: PlayerRecord::human(&p.player_id, &p.name),
                    deck: p.deck.clone(),
                    from: Some((State::Queued, p.ref_id.clone())),
                })
                .collect();
            let Ok(node) = self.pick_node(&live) else {
                tracing::warn!("players are waiting but no game server has room");
                break;
            };
            match self.plan(MatchKind::Quick, seats, None, true, None, node) {
                // Counted on its node now, so the next pick sees it (a match that then
                // loses a race stays counted until the node's next heartbeat).
                Ok(match_) => {
                    self.note_placed(&match_.node);
                    planned.push(match_);
                }
                // One pair that cannot start (say, a deck gone in a content reload) must
                // not hold up every pair behind it.
                Err(error) => tracing::warn!(%error, "a match could not start"),
            }
        }
        let records: Vec<RoomRecord> = planned.iter().map(|m| m.record.clone()).collect();
        self.keep_content().await?;
        self.rooms
            .create_rooms(&records)
            .await
            .map_err(anyhow::Error::from)?;
        let news: Vec<NewMatch> = planned.iter().map(|m| m.new.clone()).collect();
        let outcomes = self
            .store
            .start_queued_matches(&news, unix_now_ms())
            .await?;
        let mut started = 0;
        for (match_, ok) in planned.iter().zip(outcomes) {
            if ok {
                self.announce(match_);
                started += 1;
            } else {
                // Another lobby process matched one of them first.
                metrics::counter!("lobby_match_races_lost_total").increment(1);
            }
        }
        Ok(started)
    }

    /// Builds the room, places it on a node and moves the players into it, all or nothing.
    /// `None` if a player was no longer where the match expected them.
    async fn start_match(
        &self,
        kind: MatchKind,
        seats: Vec<SeatPlan>,
        closes_room: Option<String>,
        watchable: bool,
        seed: Option<u64>,
    ) -> Result<Option<String>, LobbyError> {
        let node = self.pick_node(&self.known_nodes().await?)?;
        let match_ = self.plan(kind, seats, closes_room, watchable, seed, node)?;
        // The room exists before anyone holds a ticket to it. If the players are gone by
        // the time the match would start (another lobby matched them), the room is left
        // unused: a small record nobody has a ticket for.
        self.keep_content().await?;
        self.rooms
            .create_room(&match_.record)
            .await
            .map_err(anyhow::Error::from)?;
        if !self.store.start_match(&match_.new, unix_now_ms()).await? {
            return Ok(None);
        }
        self.note_placed(&match_.node);
        self.announce(&match_);
        Ok(Some(match_.new.id))
    }

    /// A match's room (seed, decks, content version) and its record for the lobby, on
    /// `node`; the seed is drawn at random unless given.
    fn plan(
        &self,
        kind: MatchKind,
        seats: Vec<SeatPlan>,
        closes_room: Option<String>,
        watchable: bool,
        seed: Option<u64>,
        node: NodeInfo,
    ) -> Result<PlannedMatch, LobbyError> {
        // Time-ordered (UUID v7): a match's inputs are keyed by its id in the room store,
        // so the matches being played sit together at the end of its index instead of
        // across all of it (on SQLite, fewer pages touched and split per commit).
        let match_id = uuid::Uuid::now_v7().to_string();
        let content = self.content.current();
        let join_by_ms = unix_now_ms().saturating_add(millis(self.config.join_window));
        let record = RoomRecord::new(
            &match_id,
            &content,
            seats
                .iter()
                .map(|s| (s.player.clone(), s.deck.as_str()))
                .collect(),
            seed.unwrap_or_else(|| rand::rng().random()),
            unix_now(),
            join_by_ms,
        )
        .ok_or_else(|| {
            // Checked at the call, but a content reload in between can take a deck away.
            let missing = seats.iter().find(|s| !content.plays(&s.deck));
            unknown_deck(&content, missing.map_or("", |s| s.deck.as_str()))
        })?;
        let new = NewMatch {
            id: match_id,
            kind,
            node_id: node.id.clone(),
            seats: seats
                .iter()
                .zip(0u8..)
                .filter(|(s, _)| !s.player.bot)
                .map(|(s, seat)| Seating {
                    player_id: s.player.player_id.clone(),
                    name: s.player.name.clone(),
                    deck: s.deck.clone(),
                    seat,
                    from: s.from.clone(),
                })
                .collect(),
            closes_room,
            join_by_ms,
            watchable,
            names: seats.iter().map(|s| s.player.name.clone()).collect(),
        };
        Ok(PlannedMatch { record, new, node })
    }

    /// The queue, less anyone whose deck the content no longer allows (a content update
    /// since they queued): they leave the queue, so they are not paired into a match that
    /// cannot start, round after round. Their deck shows why in `GET /v1/lobby/decks`.
    async fn playable_queue(&self) -> Result<Vec<Presence>, LobbyError> {
        let content = self.content();
        let mut playable = Vec::new();
        for queued in self.store.queued(2000).await? {
            if content.plays(&queued.deck) {
                playable.push(queued);
            } else if self.store.cancel_queue(&queued.player_id).await? {
                tracing::info!(player = %queued.player_id, "left the queue: deck no longer legal");
                self.waiters.wake(&queued.player_id);
            }
        }
        Ok(playable)
    }

    /// A match has started: its players' long-polls answer now.
    fn announce(&self, match_: &PlannedMatch) {
        for seating in &match_.new.seats {
            self.waiters.wake(&seating.player_id);
        }
        let kind = match_.new.kind.as_str();
        metrics::counter!("lobby_matches_started_total", "kind" => kind).increment(1);
        tracing::info!(match_id = %match_.new.id, kind, node = %match_.node.id, "match placed");
    }

    /// Every live node, read from the directory now (for the console and the probes).
    pub(crate) async fn live_nodes(&self) -> Result<Vec<NodeInfo>, LobbyError> {
        Ok(self.directory.live().await.map_err(anyhow::Error::from)?)
    }

    /// The live nodes as read at most [`nodes::FRESH`] ago, for the hot paths: tickets and
    /// placing matches.
    async fn known_nodes(&self) -> Result<Arc<[NodeInfo]>, LobbyError> {
        Ok(self
            .known_nodes
            .get(&self.directory)
            .await
            .map_err(anyhow::Error::from)?)
    }

    /// The least-loaded of the `live` nodes with room to spare.
    fn pick_node(&self, live: &[NodeInfo]) -> Result<NodeInfo, LobbyError> {
        let placed = self.placed.lock();
        live.iter()
            .map(|node| {
                let extra = placed
                    .get(&node.id)
                    .filter(|(beat, _)| *beat == node.heartbeat_ms)
                    .map_or(0, |(_, n)| *n);
                let load = node.rooms + extra;
                (node, load)
            })
            .filter(|(node, load)| *load < node.capacity)
            .min_by(|(a, load_a), (b, load_b)| {
                // Compare load fractions without dividing: a/ca < b/cb ⇔ a·cb < b·ca.
                (load_a * b.capacity)
                    .cmp(&(load_b * a.capacity))
                    .then_with(|| a.id.cmp(&b.id))
            })
            .map(|(node, _)| node.clone())
            .ok_or(LobbyError::NoNodes)
    }

    fn note_placed(&self, node: &NodeInfo) {
        let mut placed = self.placed.lock();
        let entry = placed
            .entry(node.id.clone())
            .or_insert((node.heartbeat_ms, 0));
        if entry.0 != node.heartbeat_ms {
            *entry = (node.heartbeat_ms, 0);
        }
        entry.1 += 1;
    }

    /// What the player is doing now; in a match, with a fresh ticket to a live node.
    pub async fn status(&self, player: &Player) -> Result<Status, LobbyError> {
        let idle = Status {
            state: "idle",
            queue: None,
            room: None,
            play: None,
        };
        let Some(Whereabouts {
            presence,
            node_id,
            locked,
        }) = self.store.whereabouts(&player.id).await?
        else {
            return Ok(idle);
        };
        Ok(match presence.state {
            State::Queued => {
                // Noted again once the last note is a sixth of the way to the player's
                // removal: a client polling at the longest wait (30 s) is seen at least
                // every 40 s, well within the minute it has.
                let now = unix_now_ms();
                let stale = now.saturating_sub(millis(self.config.queue_presence / 6));
                self.store.seen_in_queue(&player.id, now, stale).await?;
                self.queued_status(presence)
            }
            State::InRoom => match self.store.room(&presence.ref_id).await? {
                Some(room) => Status {
                    state: "in_room",
                    room: Some(RoomStatus {
                        room_id: room.id,
                        code: room.code,
                        public: room.public,
                        host: room.host_name,
                        expires_at: room.expires_at,
                    }),
                    ..idle
                },
                None => idle,
            },
            State::InMatch => {
                // Its sockets were closed when it was locked; its access token may live on
                // for a few minutes, but it gets no way back in.
                if locked {
                    return Err(LobbyError::AccountLocked);
                }
                let node_id = node_id.ok_or_else(|| {
                    anyhow::anyhow!("match {} has players but no node", presence.ref_id)
                })?;
                match self.ticket(&presence, &node_id).await? {
                    Some(ticket) => Status {
                        state: "in_match",
                        play: Some(ticket),
                        ..idle
                    },
                    None => idle,
                }
            }
        })
    }

    fn queued_status(&self, presence: Presence) -> Status {
        let waited = waited(presence.since_ms, unix_now_ms());
        Status {
            state: "queued",
            queue: Some(QueueStatus {
                deck: presence.deck,
                rating: presence.rating,
                waited_secs: waited.as_secs(),
                rating_window: self.config.window(waited),
                practice_offered: waited >= self.config.practice_after,
            }),
            room: None,
            play: None,
        }
    }

    /// "Where is my match?": a fresh ticket for the player's seat, on the node the match
    /// runs on, or, if that node is gone, on a live one that will restore it.
    /// `None`: the match is over after all (void: its room is gone).
    async fn ticket(
        &self,
        presence: &Presence,
        node_id: &str,
    ) -> Result<Option<MatchTicket>, LobbyError> {
        let match_id = &presence.ref_id;
        // A room the store lost (Redis restarted without persistence) cannot be played:
        // the match ends void, and the player is free instead of sent to a missing room.
        if self
            .rooms
            .lost(match_id)
            .await
            .map_err(anyhow::Error::from)?
            && self
                .void_unless_open(match_id, "the room store lost its room")
                .await?
        {
            return Ok(None);
        }
        let node = self.node_for(match_id, node_id).await?;
        let seat = presence
            .seat
            .ok_or_else(|| anyhow::anyhow!("player in match {match_id} without a seat"))?;
        let ticket = ticket::mint(
            &self.issuer,
            &presence.player_id,
            TicketExtra {
                room: match_id.clone(),
                seat: Some(seat),
                node: node.id.clone(),
                name: presence.name.clone(),
                full_view: false,
            },
            unix_now(),
        )
        .map_err(anyhow::Error::from)?;
        Ok(Some(MatchTicket {
            room_id: match_id.clone(),
            seat,
            node_id: node.id,
            url: node.url,
            ticket,
        }))
    }

    /// The live node `match_id` runs on: `node_id` while it is alive, otherwise a live
    /// node the match moves to (which restores it from the room store).
    async fn node_for(&self, match_id: &str, node_id: &str) -> Result<NodeInfo, LobbyError> {
        let live = self
            .known_nodes
            .get_with(&self.directory, node_id)
            .await
            .map_err(anyhow::Error::from)?;
        if let Some(node) = live.iter().find(|n| n.id == node_id) {
            return Ok(node.clone());
        }
        let target = self.pick_node(&live)?;
        let now_on = self.store.move_match(match_id, node_id, &target.id).await?;
        if now_on == target.id {
            tracing::info!(%match_id, from = %node_id, to = %target.id, "match moved off a dead node");
            metrics::counter!("lobby_matches_moved_total").increment(1);
        }
        Ok(live
            .iter()
            .find(|n| n.id == now_on)
            .cloned()
            .unwrap_or(target))
    }

    /// The live node `match_id` is played on (for an admin: any match).
    pub async fn node_of_live_match(&self, match_id: &str) -> Result<NodeInfo, LobbyError> {
        match self.store.placement_of(match_id).await? {
            Placement::Unknown => Err(LobbyError::UnknownMatch),
            Placement::Over => Err(LobbyError::MatchOver),
            Placement::Live { node_id } => self.node_for(match_id, &node_id).await,
        }
    }

    /// Signs a command for the node `node` runs `match_id` on (see `moonlight_rooms::command`).
    pub fn command(
        &self,
        admin_id: &str,
        node: &NodeInfo,
        match_id: &str,
        order: Order,
    ) -> Result<String, LobbyError> {
        let extra = CommandExtra {
            node: node.id.clone(),
            room: match_id.to_owned(),
            order,
        };
        Ok(
            command::mint(&self.issuer, admin_id, extra, unix_now())
                .map_err(anyhow::Error::from)?,
        )
    }

    /// The newest `limit` matches being played that anyone may watch.
    pub async fn live(&self, limit: i64) -> Result<Vec<LiveMatch>, LobbyError> {
        let live = self.store.live_matches(limit, false).await?;
        Ok(live.into_iter().map(|(live, _node)| live).collect())
    }

    /// A spectator's ticket to `match_id` (which sees the public view only): for quick and
    /// practice matches and public rooms' matches, while they are played.
    pub async fn watch(&self, player: &Player, match_id: &str) -> Result<WatchTicket, LobbyError> {
        let node_id = match self.store.watchable(match_id).await? {
            Placement::Unknown => return Err(LobbyError::UnknownMatch),
            Placement::Over => return Err(LobbyError::MatchOver),
            Placement::Live { node_id } => node_id,
        };
        let node = self.node_for(match_id, &node_id).await?;
        self.spectator_ticket(player, match_id, node, false)
    }

    /// An admin's spectator ticket to any live match (private ones too); with `full_view`
    /// it shows every hand.
    pub async fn watch_as_admin(
        &self,
        admin: &Player,
        match_id: &str,
        full_view: bool,
    ) -> Result<WatchTicket, LobbyError> {
        let node = self.node_of_live_match(match_id).await?;
        self.spectator_ticket(admin, match_id, node, full_view)
    }

    fn spectator_ticket(
        &self,
        player: &Player,
        match_id: &str,
        node: NodeInfo,
        full_view: bool,
    ) -> Result<WatchTicket, LobbyError> {
        let ticket = ticket::mint(
            &self.issuer,
            &player.id,
            TicketExtra {
                room: match_id.to_owned(),
                seat: None,
                node: node.id.clone(),
                name: player.name.clone(),
                full_view,
            },
            unix_now(),
        )
        .map_err(anyhow::Error::from)?;
        Ok(WatchTicket {
            room_id: match_id.to_owned(),
            node_id: node.id,
            url: node.url,
            ticket,
        })
    }

    /// Like [`Lobby::status`], but waits up to `wait` for the player to be put in a match
    /// (or for their state to change otherwise).
    pub async fn wait_status(&self, player: &Player, wait: Duration) -> Result<Status, LobbyError> {
        let deadline = tokio::time::Instant::now() + wait.min(self.config.max_wait);
        let waiting = self.waiters.register(&player.id);
        let mut first_state = None;
        loop {
            // Listen before looking, so a wake between the two is not missed.
            let notified = waiting.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let status = self.status(player).await?;
            let state = *first_state.get_or_insert(status.state);
            if status.state == "in_match" || status.state != state {
                return Ok(status);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Ok(status);
            }
        }
    }
}

/// A duration in whole milliseconds, as timestamps count them.
fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).expect("a duration of our own fits in i64 ms")
}

fn waited(since_ms: i64, now_ms: i64) -> Duration {
    Duration::from_millis(u64::try_from(now_ms.saturating_sub(since_ms)).unwrap_or(0))
}

/// `deck` is not one of `content`'s: the error names the decks there are.
fn unknown_deck(content: &Content, deck: &str) -> LobbyError {
    LobbyError::UnknownDeck {
        deck: deck.to_owned(),
        known: content.decks().map(|d| d.id.clone()).collect(),
    }
}
