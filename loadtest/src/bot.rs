//! One bot: a player going through the real flow, match after match, until the run stops.
//!
//! Lobby (quick match, or a private room shared with its partner bot) → room ticket →
//! game socket → hello → play the legal actions the server sends, one after a think time,
//! timing each until the update that acknowledges it → game over → again. A socket that
//! drops (a storm, a killed node, a flaky network) is resumed: ask the lobby where the
//! match is, reconnect, `Resume{last_seq}`.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use moonlight_client::{
    Api, ApiError, Dialer, GameSocket, Incoming, LobbyState, MatchTicket, Tokens, policy::choose,
    socket::http_base,
};
use moonlight_proto::v1::{self as pb, client_frame, server_frame::Body};
use serde::{Deserialize, Serialize};
use tokio::{
    sync::{Notify, mpsc},
    time::{Instant, sleep, sleep_until},
};
use tokio_util::sync::CancellationToken;

use crate::stats::{Count, Phase, Recorder, Timing};

/// How bots find their matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The rating-based quick-match queue.
    Quick,
    /// Private rooms: one bot of each pair opens a room, its partner joins by code.
    Private,
}

/// A pause before asking again, when the answer is "not yet".
const RETRY: Duration = Duration::from_millis(100);
/// An action unacknowledged this long is given up on (counted as an error).
const ACK_PATIENCE: Duration = Duration::from_secs(30);
/// A socket that says nothing this long while an action waits for its answer is dead (a
/// network that swallows packets closes nothing): the bot drops it and resumes, as a real
/// client would. Generous: a healthy server answers in milliseconds.
const SILENCE_PATIENCE: Duration = Duration::from_secs(8);
/// How long a socket may take to open and answer the hello (a network may hold the
/// handshake through a blackout; a server that never answers must not hold the bot).
const OPEN_PATIENCE: Duration = Duration::from_secs(30);
/// How long a dropped socket may take to come back before the match counts as lost.
const RESUME_PATIENCE: Duration = Duration::from_secs(120);
/// A ticket this old is not reused for a reconnect (they live two minutes).
const TICKET_REUSE: Duration = Duration::from_secs(90);

/// What every bot of a worker shares.
pub struct Ctx {
    pub api: Api,
    pub dialer: Dialer,
    pub recorder: Arc<Recorder>,
    /// Mean think time before an action.
    pub think: Duration,
    pub password: String,
    /// Accept the lobby's practice offer after a long wait in the queue.
    pub take_practice: bool,
    /// Concede running matches at the end of the run (leaving the deployment idle), rather
    /// than walking away from them.
    pub concede_on_stop: bool,
    /// After each match, check that its result was recorded (the crash scenario's ledger).
    pub check_results: bool,
    pub stop: CancellationToken,
}

/// The worker's handle on a bot, to drop its socket on command.
#[derive(Default)]
pub struct Control {
    cut: Notify,
    playing: AtomicBool,
}

impl Control {
    /// Cuts the bot's socket if it has one open; `false` if it has none.
    pub fn cut(&self) -> bool {
        if self.playing.load(Ordering::Relaxed) {
            self.cut.notify_one();
            true
        } else {
            false
        }
    }
}

/// How a bot meets its opponent.
pub enum Pairing {
    Quick,
    /// Opens rooms and hands their codes to its partner.
    Host(mpsc::Sender<String>),
    /// Joins the rooms its partner opens.
    Guest {
        codes: mpsc::Receiver<String>,
        /// A code not used yet (the bot had another match to finish first).
        pending: Option<String>,
    },
}

pub struct Bot {
    pub name: String,
    pub deck: String,
    /// Which of the lobbies this bot talks to.
    pub lobby: usize,
    pub tokens: Tokens,
    pub pairing: Pairing,
    pub control: Arc<Control>,
    pub ctx: Arc<Ctx>,
    /// The last match this bot saw end: while it is being recorded the lobby still says
    /// "in_match" for it, which is not a new match.
    finished: Option<String>,
}

/// How a stretch of play on one socket ended.
enum Interrupted {
    GameOver,
    Stopped,
    /// The socket is gone; resume. `cut`: on purpose (a storm's cut, or given up on as
    /// silent), not a drop the bot saw.
    Dropped {
        cut: bool,
    },
    /// A refusal the bot cannot play past.
    Failed,
}

/// A ledger error: an action the server acknowledged is gone after a resume (the room's
/// sequence or the seat's last client sequence number went back).
pub const LOST_ACTION: &str = "ledger: an acknowledged action was lost";
/// A ledger error: an action was applied (acknowledged by an update that moved the room
/// on) a second time.
pub const APPLIED_TWICE: &str = "ledger: an action was applied twice";
/// A ledger error: a match the bot saw end has no recorded result.
pub const RESULT_MISSING: &str = "ledger: a finished match has no result";
/// A dropped match that did not come back within [`RESUME_PATIENCE`].
pub const NOT_RESUMED: &str = "match not resumed in time";
/// What a crash must never cause.
pub const LEDGER_ERRORS: [&str; 4] = [LOST_ACTION, APPLIED_TWICE, RESULT_MISSING, NOT_RESUMED];

/// What the server acknowledged to this seat, checked after every resume.
#[derive(Debug, Default)]
struct Ledger {
    /// The highest client sequence number acknowledged.
    acked: u64,
    /// Client sequence numbers applied: acknowledged by an update that moved the room on
    /// (a re-sent action is acknowledged again by an update that does not).
    applied: std::collections::HashSet<u64>,
}

impl Ledger {
    /// `update`, which follows `last_seq`: `Err` if it applies an action a second time.
    fn update(&mut self, update: &pb::Update, last_seq: u64) -> Result<(), &'static str> {
        let Some(client_seq) = update.acked_client_seq else {
            return Ok(());
        };
        self.acked = self.acked.max(client_seq);
        if update.seq == last_seq + 1 && !self.applied.insert(client_seq) {
            return Err(APPLIED_TWICE);
        }
        Ok(())
    }

    /// A welcome after a drop, the seat having seen up to `last_seq`: `Err` if the room
    /// lost anything this seat was told of.
    fn welcome(&self, welcome: &pb::Welcome, last_seq: u64) -> Result<(), &'static str> {
        if welcome.last_client_seq < self.acked || welcome.seq < last_seq {
            return Err(LOST_ACTION);
        }
        Ok(())
    }
}

/// Why a socket did not open, and whether trying again is what the server asks for (a
/// node down or restarting, a busy room, a hello the network delayed past its deadline).
struct OpenFailed {
    reason: String,
    retry: bool,
}

impl OpenFailed {
    fn retry(reason: String) -> Self {
        Self {
            reason,
            retry: true,
        }
    }
}

/// One seat of a match as the bot knows it.
struct Seat {
    ticket: MatchTicket,
    seat: u32,
    view: pb::View,
    legal: Vec<pb::LegalAction>,
    last_seq: u64,
    next_client_seq: u64,
    /// The action sent and not acknowledged yet: its client sequence number, when it was
    /// sent, and what it was (re-sent with the same number after a resume).
    pending: Option<(u64, Instant, pb::action::Kind)>,
    ledger: Ledger,
}

impl Seat {
    fn from_welcome(ticket: MatchTicket, welcome: pb::Welcome) -> Option<Self> {
        Some(Self {
            ticket,
            seat: welcome.seat?,
            view: welcome.view?,
            legal: welcome.legal_actions,
            last_seq: welcome.seq,
            next_client_seq: welcome.last_client_seq + 1,
            pending: None,
            ledger: Ledger::default(),
        })
    }

    /// Takes in `update`; `Err` if the ledger finds it applies an action twice, or its
    /// view delta does not fit the view the bot holds.
    fn apply(&mut self, update: pb::Update) -> Result<(), &'static str> {
        let checked = self.ledger.update(&update, self.last_seq);
        self.last_seq = update.seq;
        if let Some(view) = update.view {
            self.view = view;
            self.legal = update.legal_actions;
        } else if let Some(delta) = update.delta {
            self.view
                .apply(&delta)
                .map_err(|_| "a view delta that does not fit the view")?;
            self.legal = update.legal_actions;
        }
        checked
    }

    fn next_action(&self) -> Option<pb::action::Kind> {
        if self.view.outcome.is_some() {
            return None;
        }
        choose(&self.view, &self.legal, self.seat)
    }
}

/// Signs a player in: registers the account, or logs in if it exists. 503 and 429 answers
/// are waited out as their `Retry-After` says (that is back-pressure, not failure).
pub async fn sign_in(ctx: &Ctx, name: &str) -> Result<Tokens, ApiError> {
    let mut register = true;
    loop {
        let started = Instant::now();
        let answer = if register {
            ctx.api.register(name, &ctx.password).await
        } else {
            ctx.api.login(name, &ctx.password).await
        };
        match answer {
            Ok(tokens) => {
                ctx.recorder.time(Timing::Login, started.elapsed());
                return Ok(tokens);
            }
            Err(e) if register && e.is(409, "username_taken") => register = false,
            Err(e) if e.retry_after().is_some() && !ctx.stop.is_cancelled() => {
                sleep(e.retry_after().unwrap_or(Duration::from_secs(1))).await;
            }
            Err(e) => return Err(e),
        }
    }
}

impl Bot {
    pub fn new(
        ctx: Arc<Ctx>,
        name: String,
        deck: String,
        lobby: usize,
        tokens: Tokens,
        pairing: Pairing,
    ) -> Self {
        Self {
            name,
            deck,
            lobby,
            tokens,
            pairing,
            control: Arc::default(),
            ctx,
            finished: None,
        }
    }

    /// Plays match after match until the run stops; returns the player's latest tokens.
    pub async fn run(mut self) -> (String, Tokens) {
        let _active = self.ctx.recorder.started();
        while !self.ctx.stop.is_cancelled() {
            let found = {
                let _waiting = self.ctx.recorder.in_phase(Phase::Waiting);
                self.find_match().await
            };
            let Some(ticket) = found else { break };
            self.play(ticket).await;
        }
        (self.name, self.tokens)
    }

    /// Logs in over and over until the run stops (the login storm).
    pub async fn storm_logins(self) {
        let _active = self.ctx.recorder.started();
        while !self.ctx.stop.is_cancelled() {
            let started = Instant::now();
            let answer = tokio::select! {
                () = self.ctx.stop.cancelled() => break,
                answer = self.ctx.api.login(&self.name, &self.ctx.password) => answer,
            };
            match answer {
                Ok(_) => {
                    self.ctx.recorder.time(Timing::Login, started.elapsed());
                    self.ctx.recorder.count(Count::Login);
                }
                Err(e) => {
                    self.ctx.recorder.error(e.kind());
                    self.backoff(&e).await;
                }
            }
        }
    }

    async fn find_match(&mut self) -> Option<MatchTicket> {
        match std::mem::replace(&mut self.pairing, Pairing::Quick) {
            Pairing::Quick => self.quick_match().await,
            Pairing::Host(codes) => {
                let found = self.host_room(&codes).await;
                self.pairing = Pairing::Host(codes);
                found
            }
            Pairing::Guest { mut codes, pending } => {
                let (found, pending) = self.join_partner(&mut codes, pending).await;
                self.pairing = Pairing::Guest { codes, pending };
                found
            }
        }
    }

    /// Queue, then long-poll until matched; stopping, never leaves the player queued.
    async fn quick_match(&mut self) -> Option<MatchTicket> {
        let found = self.queue_until_matched().await;
        if found.is_none() {
            let _ = self
                .ctx
                .api
                .cancel_queue(self.lobby, &self.tokens.access)
                .await;
        }
        found
    }

    async fn queue_until_matched(&mut self) -> Option<MatchTicket> {
        let asked = Instant::now();
        // Whether the next request is a long-poll (in the queue, or finding out where we
        // are) rather than an enqueue.
        let mut queued = false;
        loop {
            let token = self.token().await?;
            let answer = if queued {
                tokio::select! {
                    () = self.ctx.stop.cancelled() => return None,
                    answer = self.ctx.api.status(self.lobby, &token, true) => answer,
                }
            } else {
                self.ctx.api.enqueue(self.lobby, &token, &self.deck).await
            };
            match answer {
                Ok(LobbyState::InMatch(ticket)) => {
                    if let Some(ticket) = self.new_match(ticket, asked) {
                        return Some(ticket);
                    }
                    queued = false;
                    self.pause(RETRY).await?;
                }
                Ok(LobbyState::Queued { practice_offered }) => {
                    queued = true;
                    if practice_offered && self.ctx.take_practice {
                        let answer = self.ctx.api.practice(self.lobby, &token, &self.deck).await;
                        if let Ok(LobbyState::InMatch(ticket)) = answer {
                            return self.new_match(ticket, asked);
                        }
                    }
                }
                Ok(LobbyState::Idle) => queued = false,
                Ok(LobbyState::InRoom { .. }) => {
                    let _ = self.ctx.api.leave_room(self.lobby, &token).await;
                    queued = false;
                }
                // Somewhere already: the next long-poll says where.
                Err(e) if e.is(409, "busy") => queued = true,
                Err(e) => {
                    self.ctx.recorder.error(e.kind());
                    self.backoff(&e).await?;
                }
            }
        }
    }

    /// Opens a private room, hands its code to the partner, and waits for them.
    async fn host_room(&mut self, codes: &mpsc::Sender<String>) -> Option<MatchTicket> {
        let asked = Instant::now();
        let mut sent: Option<String> = None;
        let mut hosting = false;
        loop {
            let token = self.token().await?;
            let answer = if hosting {
                tokio::select! {
                    () = self.ctx.stop.cancelled() => {
                        let _ = self.ctx.api.leave_room(self.lobby, &token).await;
                        return None;
                    }
                    answer = self.ctx.api.status(self.lobby, &token, true) => answer,
                }
            } else {
                self.ctx.api.open_room(self.lobby, &token, &self.deck).await
            };
            match answer {
                Ok(LobbyState::InRoom { code }) => {
                    hosting = true;
                    if sent.as_ref() != Some(&code) {
                        codes.send(code.clone()).await.ok()?;
                        sent = Some(code);
                    }
                }
                Ok(LobbyState::InMatch(ticket)) => {
                    if let Some(ticket) = self.new_match(ticket, asked) {
                        return Some(ticket);
                    }
                    hosting = false;
                    self.pause(RETRY).await?;
                }
                Ok(LobbyState::Idle) => hosting = false,
                Ok(LobbyState::Queued { .. }) => {
                    let _ = self.ctx.api.cancel_queue(self.lobby, &token).await;
                    hosting = false;
                }
                Err(e) if e.is(409, "busy") => hosting = true,
                Err(e) => {
                    self.ctx.recorder.error(e.kind());
                    self.backoff(&e).await?;
                }
            }
        }
    }

    /// Joins the partner's next room by its code.
    async fn join_partner(
        &mut self,
        codes: &mut mpsc::Receiver<String>,
        mut pending: Option<String>,
    ) -> (Option<MatchTicket>, Option<String>) {
        loop {
            let code = match pending.take() {
                Some(code) => code,
                None => tokio::select! {
                    () = self.ctx.stop.cancelled() => return (None, None),
                    code = codes.recv() => match code {
                        Some(code) => code,
                        None => return (None, None),
                    },
                },
            };
            let asked = Instant::now();
            loop {
                let Some(token) = self.token().await else {
                    return (None, None);
                };
                let joined = self
                    .ctx
                    .api
                    .join_room(self.lobby, &token, &code, &self.deck)
                    .await;
                match joined {
                    Ok(LobbyState::InMatch(ticket)) => {
                        if let Some(ticket) = self.new_match(ticket, asked) {
                            return (Some(ticket), None);
                        }
                    }
                    Ok(_) => self
                        .ctx
                        .recorder
                        .error("lobby joined a room without a match"),
                    Err(e) if e.is(409, "busy") => {
                        // Still in a match: a live one from before is played first (the
                        // code kept for after); the one just finished is being recorded.
                        let status = self.ctx.api.status(self.lobby, &token, false).await;
                        if let Ok(LobbyState::InMatch(ticket)) = status
                            && let Some(ticket) = self.new_match(ticket, asked)
                        {
                            return (Some(ticket), Some(code));
                        }
                    }
                    Err(e) => {
                        // The host's room is gone; it opens another and sends its code.
                        self.ctx.recorder.error(e.kind());
                        break;
                    }
                }
                if self.pause(RETRY).await.is_none() {
                    return (None, None);
                }
            }
        }
    }

    /// `ticket` if it is a match to play, `None` for the one that just ended.
    fn new_match(&self, ticket: MatchTicket, asked: Instant) -> Option<MatchTicket> {
        if self.finished.as_ref() == Some(&ticket.room_id) {
            return None;
        }
        self.ctx.recorder.time(Timing::Matchmaking, asked.elapsed());
        Some(ticket)
    }

    /// Plays one match to its end (or the end of the run), resuming after drops.
    async fn play(&mut self, ticket: MatchTicket) {
        let started = Instant::now();
        let (mut session, welcome) = match self.open(&ticket, None).await {
            Ok((session, Body::Welcome(welcome))) => (session, welcome),
            Ok((_, other)) => {
                self.ctx
                    .recorder
                    .error(format!("expected a welcome, got {}", name(&other)));
                return;
            }
            Err(failed) => {
                if failed.retry {
                    self.ctx.recorder.count(Count::ResumeRetry);
                } else {
                    self.ctx.recorder.error(failed.reason);
                }
                // The lobby will say where the match is next time round.
                let _ = self.pause(Duration::from_secs(1)).await;
                return;
            }
        };
        self.ctx.recorder.time(Timing::Connect, started.elapsed());
        let room_id = ticket.room_id.clone();
        let Some(mut seat) = Seat::from_welcome(ticket, welcome) else {
            self.ctx
                .recorder
                .error("a welcome without a seat or a view");
            return;
        };
        self.ctx.recorder.count(Count::MatchStarted);
        loop {
            let ended = {
                let _playing = self.ctx.recorder.in_phase(Phase::Playing {
                    node: seat.ticket.node_id.clone(),
                });
                self.control.playing.store(true, Ordering::Relaxed);
                let ended = self.play_on(&mut session, &mut seat).await;
                self.control.playing.store(false, Ordering::Relaxed);
                ended
            };
            match ended {
                Interrupted::GameOver => {
                    self.ctx.recorder.count(Count::MatchCompleted);
                    session.close().await;
                    if self.ctx.check_results {
                        self.check_result(&room_id).await;
                    }
                    self.finished = Some(room_id);
                    return;
                }
                Interrupted::Stopped => {
                    if self.ctx.concede_on_stop {
                        let concede = client_frame::Body::Concede(pb::Concede {
                            client_seq: seat.next_client_seq,
                        });
                        let _ = session.send(concede).await;
                    }
                    session.close().await;
                    return;
                }
                Interrupted::Failed => {
                    session.close().await;
                    return;
                }
                Interrupted::Dropped { cut } => {
                    if cut {
                        session.cut();
                    } else {
                        self.ctx.recorder.dropped(&seat.ticket.node_id);
                        drop(session);
                    }
                    match self.resume(&mut seat).await {
                        Some(resumed) => session = resumed,
                        None => return,
                    }
                }
            }
        }
    }

    /// Plays on one socket until something interrupts it.
    async fn play_on(&mut self, session: &mut GameSocket, seat: &mut Seat) -> Interrupted {
        let think = self.ctx.think;
        // Back after a drop with an action never acknowledged: send it again with its
        // number. The server applies it if it never did, or acknowledges it again.
        if let Some((client_seq, _, kind)) = &seat.pending {
            if *client_seq <= seat.ledger.acked {
                seat.pending = None;
            } else {
                let again = client_frame::Body::Action(pb::Action {
                    client_seq: *client_seq,
                    kind: Some(kind.clone()),
                });
                if session.send(again).await.is_err() {
                    return Interrupted::Dropped { cut: false };
                }
                seat.next_client_seq = seat.next_client_seq.max(client_seq + 1);
            }
        }
        let mut act_at = seat.next_action().map(|_| Instant::now() + jitter(think));
        // Since when the socket has been quiet: reset by every frame in and every action out.
        let mut quiet_since = Instant::now();
        loop {
            if seat.view.outcome.is_some() {
                return Interrupted::GameOver;
            }
            let wake = match (&seat.pending, act_at) {
                (Some((_, sent, _)), _) => {
                    (*sent + ACK_PATIENCE).min(quiet_since + SILENCE_PATIENCE)
                }
                (None, Some(at)) => at,
                (None, None) => Instant::now() + Duration::from_secs(3600),
            };
            tokio::select! {
                () = self.ctx.stop.cancelled() => return Interrupted::Stopped,
                () = self.control.cut.notified() => return Interrupted::Dropped { cut: true },
                incoming = session.recv() => {
                    quiet_since = Instant::now();
                    match incoming {
                        Ok(Incoming::Frame(body)) => {
                            if let Some(ended) = self.on_frame(seat, *body) {
                                return ended;
                            }
                        }
                        // 1012: the node is restarting; 4002: the room moved; 1013: try again;
                        // 1008: the server gave up on this socket (unheard for two heartbeats,
                        // too slow, too fast), not on the match. Each: come back.
                        Ok(Incoming::Closed(Some(1008 | 1012 | 4002 | 1013))) => return Interrupted::Dropped { cut: false },
                        Ok(Incoming::Closed(code)) => {
                            let code = code.map_or_else(|| "without a code".to_owned(), |c| c.to_string());
                            self.ctx.recorder.error(format!("closed {code} mid-match"));
                            return Interrupted::Failed;
                        }
                        Err(_) => return Interrupted::Dropped { cut: false },
                    }
                }
                () = sleep_until(wake) => {
                    let overdue = seat.pending.as_ref().is_some_and(|(_, sent, _)| sent.elapsed() >= ACK_PATIENCE);
                    if seat.pending.is_some() && !overdue && quiet_since.elapsed() >= SILENCE_PATIENCE {
                        self.ctx.recorder.count(Count::GaveUpOnSilence);
                        return Interrupted::Dropped { cut: true };
                    }
                    if seat.pending.take().is_some() {
                        self.ctx.recorder.error(format!("no ack within {} s", ACK_PATIENCE.as_secs()));
                    }
                    act_at = None;
                    if let Some(kind) = seat.next_action() {
                        let client_seq = seat.next_client_seq;
                        seat.next_client_seq += 1;
                        seat.pending = Some((client_seq, Instant::now(), kind.clone()));
                        quiet_since = Instant::now();
                        let action = client_frame::Body::Action(pb::Action { client_seq, kind: Some(kind) });
                        if session.send(action).await.is_err() {
                            return Interrupted::Dropped { cut: false };
                        }
                    }
                }
            }
            if seat.pending.is_none() && act_at.is_none() && seat.next_action().is_some() {
                act_at = Some(Instant::now() + jitter(think));
            }
        }
    }

    /// Takes in a frame from the server; `Some` if it ends this stretch of play.
    fn on_frame(&self, seat: &mut Seat, body: Body) -> Option<Interrupted> {
        let recorder = &self.ctx.recorder;
        match body {
            Body::Update(update) => {
                if let (Some(acked), Some((client_seq, sent, _))) =
                    (update.acked_client_seq, &seat.pending)
                    && acked == *client_seq
                {
                    recorder.time(Timing::Action, sent.elapsed());
                    recorder.count(Count::Action);
                    seat.pending = None;
                }
                if let Err(broken) = seat.apply(update) {
                    recorder.error(broken);
                }
            }
            Body::GameOver(_) => return Some(Interrupted::GameOver),
            Body::ActionRejected(rejected) => {
                recorder.error(format!("rejected {}", rejected.reason));
                seat.pending = None;
            }
            Body::Reconnect(_) => return Some(Interrupted::Dropped { cut: false }),
            Body::Error(error) => recorder.error(format!("server error {}", error.code)),
            Body::Welcome(_) => recorder.error("a second welcome"),
            _ => {}
        }
        None
    }

    /// Waits (through restarts, up to [`RESUME_PATIENCE`]) until the lobby has the result
    /// of `match_id`, which the bot saw end; an error if it never comes.
    async fn check_result(&mut self, match_id: &str) {
        let started = Instant::now();
        while started.elapsed() < RESUME_PATIENCE {
            let Some(token) = self.token().await else {
                return;
            };
            match self
                .ctx
                .api
                .match_recorded(self.lobby, &token, match_id)
                .await
            {
                Ok(true) => return,
                Ok(false) => {}
                // The lobby is down (a crash): ask again.
                Err(_) => {}
            }
            if self.pause(RETRY * 5).await.is_none() {
                return;
            }
        }
        self.ctx.recorder.error(RESULT_MISSING);
    }

    /// Back on a socket after a drop: the ticket in hand if it is still fresh, else (or if
    /// that fails) a fresh one from the lobby, which also knows if the match moved node.
    async fn resume(&mut self, seat: &mut Seat) -> Option<GameSocket> {
        let _resuming = self.ctx.recorder.in_phase(Phase::Resuming);
        let started = Instant::now();
        let left = seat.ticket.node_id.clone();
        let mut ticket = Some(seat.ticket.clone()).filter(|t| t.issued.elapsed() < TICKET_REUSE);
        // The node of the last ticket that would not open: the lobby is told, and checks it.
        let mut unreachable: Option<String> = None;
        // Between tries (a dead node refuses until the lobby has moved its matches), in
        // doubling steps, so a thousand players do not hammer the lobby together.
        let mut pause = Duration::from_millis(250);
        loop {
            if started.elapsed() > RESUME_PATIENCE {
                self.ctx.recorder.error(NOT_RESUMED);
                return None;
            }
            let ticket_now = match ticket.take() {
                Some(ticket) => ticket,
                None => {
                    let token = self.token().await?;
                    let status = match unreachable.take() {
                        Some(node) => {
                            let api = &self.ctx.api;
                            api.status_unreachable(self.lobby, &token, &node).await
                        }
                        None => self.ctx.api.status(self.lobby, &token, false).await,
                    };
                    match status {
                        Ok(LobbyState::InMatch(t)) if t.room_id == seat.ticket.room_id => t,
                        Ok(_) => {
                            // It ended while the bot was away (its last frames lost with
                            // the socket): then it has its result.
                            let room = &seat.ticket.room_id;
                            match self.ctx.api.match_recorded(self.lobby, &token, room).await {
                                Ok(true) => self.ctx.recorder.count(Count::MatchCompleted),
                                _ => self
                                    .ctx
                                    .recorder
                                    .error("match over while away, with no result"),
                            }
                            return None;
                        }
                        Err(e) => {
                            self.ctx.recorder.error(e.kind());
                            self.backoff(&e).await?;
                            continue;
                        }
                    }
                }
            };
            match self.open(&ticket_now, Some(seat.last_seq)).await {
                Ok((session, first)) => {
                    seat.ticket = ticket_now;
                    match first {
                        Body::Welcome(welcome) => {
                            if let Err(broken) = seat.ledger.welcome(&welcome, seat.last_seq) {
                                self.ctx.recorder.error(broken);
                            }
                            let ticket = seat.ticket.clone();
                            let Some(mut fresh) = Seat::from_welcome(ticket, welcome) else {
                                self.ctx
                                    .recorder
                                    .error("a welcome without a seat or a view");
                                return None;
                            };
                            fresh.ledger = std::mem::take(&mut seat.ledger);
                            fresh.pending = seat.pending.take();
                            *seat = fresh;
                        }
                        Body::Update(update) => {
                            if let Err(broken) = seat.apply(update) {
                                self.ctx.recorder.error(broken);
                            }
                        }
                        _ => {}
                    }
                    self.ctx.recorder.time(Timing::Resume, started.elapsed());
                    self.ctx.recorder.count(Count::Resumed);
                    if seat.ticket.node_id != left {
                        self.ctx.recorder.count(Count::MovedNode);
                    }
                    return Some(session);
                }
                // The node is gone or refuses: ask the lobby (again) after a pause.
                Err(_) => {
                    unreachable = Some(ticket_now.node_id.clone());
                    self.ctx.recorder.count(Count::ResumeRetry);
                    self.pause(pause).await?;
                    pause = (pause * 2).min(Duration::from_secs(1));
                }
            }
        }
    }

    /// Opens a socket with `ticket` and says hello (or resume from `resume_from`); returns
    /// the session and the server's first frame.
    async fn open(
        &mut self,
        ticket: &MatchTicket,
        resume_from: Option<u64>,
    ) -> Result<(GameSocket, Body), OpenFailed> {
        let url = ticket.play_url();
        if let Some(base) = http_base(&ticket.url) {
            self.ctx.recorder.node_seen(&ticket.node_id, &base);
        }
        tokio::time::timeout(OPEN_PATIENCE, self.handshake(&url, resume_from))
            .await
            .unwrap_or_else(|_| {
                let secs = OPEN_PATIENCE.as_secs();
                Err(OpenFailed::retry(format!(
                    "no answer at hello within {secs} s"
                )))
            })
    }

    async fn handshake(
        &self,
        url: &str,
        resume_from: Option<u64>,
    ) -> Result<(GameSocket, Body), OpenFailed> {
        let started = Instant::now();
        let mut session = self
            .ctx
            .dialer
            .open(url)
            .await
            .map_err(|e| OpenFailed::retry(format!("connect failed: {}", root_cause(&e))))?;
        if resume_from.is_none() {
            self.ctx.recorder.time(Timing::Upgrade, started.elapsed());
        }
        let said = match resume_from {
            Some(last_seq) => session.resume(last_seq).await,
            None => session.hello("loadtest").await,
        };
        said.map_err(|_| OpenFailed::retry("socket closed at hello".to_owned()))?;
        loop {
            match session.recv().await {
                Ok(Incoming::Frame(body)) => match *body {
                    Body::Error(error) => {
                        return Err(OpenFailed {
                            reason: format!("refused at hello: {}", error.code),
                            retry: false,
                        });
                    }
                    body @ (Body::Welcome(_) | Body::Update(_)) => return Ok((session, body)),
                    _ => {}
                },
                // 1008 with no error before it: the hello came too late (a slow network);
                // 1012: the node is restarting; 1013: the room is busy. Each says try again.
                Ok(Incoming::Closed(code)) => {
                    return Err(OpenFailed {
                        reason: format!("closed at hello ({})", code.unwrap_or(0)),
                        retry: matches!(code, Some(1008 | 1012 | 1013)),
                    });
                }
                Err(_) => return Err(OpenFailed::retry("socket dropped at hello".to_owned())),
            }
        }
    }

    /// A fresh access token (refreshed a minute before it expires); `None` once stopping
    /// or if the account cannot sign in again.
    async fn token(&mut self) -> Option<String> {
        if Instant::now() >= self.tokens.refresh_at {
            let renewed = match self.ctx.api.refresh(&self.tokens).await {
                Ok(tokens) => Ok(tokens),
                Err(_) => sign_in(&self.ctx, &self.name).await,
            };
            match renewed {
                Ok(tokens) => self.tokens = tokens,
                Err(e) => {
                    self.ctx.recorder.error(e.kind());
                    self.backoff(&e).await?;
                    return None;
                }
            }
        }
        (!self.ctx.stop.is_cancelled()).then(|| self.tokens.access.clone())
    }

    /// Waits as the error asks (`Retry-After`) or a second; `None` if the run stops first.
    async fn backoff(&self, error: &ApiError) -> Option<()> {
        self.pause(error.retry_after().unwrap_or(Duration::from_secs(1)))
            .await
    }

    async fn pause(&self, how_long: Duration) -> Option<()> {
        tokio::select! {
            () = self.ctx.stop.cancelled() => None,
            () = sleep(how_long) => Some(()),
        }
    }
}

/// A think time drawn uniformly from half to one and a half times `mean`.
fn jitter(mean: Duration) -> Duration {
    mean.mul_f64(0.5 + rand::random::<f64>())
}

fn root_cause(error: &anyhow::Error) -> String {
    error.root_cause().to_string()
}

fn name(body: &Body) -> &'static str {
    match body {
        Body::Welcome(_) => "welcome",
        Body::Update(_) => "update",
        Body::Error(_) => "error",
        _ => "another frame",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(seq: u64, acked: Option<u64>) -> pb::Update {
        pb::Update {
            seq,
            acked_client_seq: acked,
            ..pb::Update::default()
        }
    }

    #[test]
    fn the_ledger_finds_an_action_applied_twice_but_not_one_acknowledged_again() {
        let mut ledger = Ledger::default();
        assert_eq!(ledger.update(&update(1, Some(1)), 0), Ok(()));
        assert_eq!(ledger.update(&update(2, None), 1), Ok(()));
        // Re-sent after a resume: acknowledged again, the room not moved on.
        assert_eq!(ledger.update(&update(2, Some(1)), 2), Ok(()));
        // Applied again: the room moved on for it.
        assert_eq!(ledger.update(&update(3, Some(1)), 2), Err(APPLIED_TWICE));
        assert_eq!(ledger.acked, 1);
    }

    #[test]
    fn the_ledger_finds_a_welcome_that_forgot_what_was_acknowledged() {
        let mut ledger = Ledger::default();
        ledger.update(&update(5, Some(3)), 4).unwrap();
        let welcome = |seq, last_client_seq| pb::Welcome {
            seq,
            last_client_seq,
            ..pb::Welcome::default()
        };
        assert_eq!(ledger.welcome(&welcome(5, 3), 5), Ok(()));
        assert_eq!(ledger.welcome(&welcome(9, 4), 5), Ok(()));
        // The seat's action is gone, or the room went back past what the seat saw.
        assert_eq!(ledger.welcome(&welcome(5, 2), 5), Err(LOST_ACTION));
        assert_eq!(ledger.welcome(&welcome(4, 3), 5), Err(LOST_ACTION));
    }
}
