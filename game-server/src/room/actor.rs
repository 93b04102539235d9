//! The room actor: one task per match, one message at a time.
//!
//! Each input goes through the same steps, in this order:
//!  1. run the rules on a copy of the game (a rejection changes nothing);
//!  2. append the input to the room's log in the store, and wait until it is durable;
//!  3. adopt the new game state, then send each seat its own update (its filtered events,
//!     its view, its legal actions) and spectators the public one;
//!  4. every N inputs and at game over, start a snapshot (the room does not wait for it);
//!     at game over, put the result in the outbox.
//!
//! Nothing a player is told about can be lost in a crash: the log entry is durable before
//! the update leaves (step 2 before step 3). A practice bot's action takes the same steps.

use std::{collections::VecDeque, sync::Arc, time::Instant as StdInstant};

use moonlight_engine::{Action, Event, Game, Input, Seat};
use moonlight_proto::v1 as pb;
use tokio::{
    sync::mpsc,
    time::{Duration, Instant, sleep_until},
};

use moonlight_rooms::{LogEntry, MatchResult, RoomRecord, StoreError, command::Ending};

use super::{
    Glance, Opening, Peer, RoomMsg,
    bot_seats::{self, BotSeats},
    restore::{Restored, RoomSnapshot},
    views::{self, Seen, SentViews, Shown, Sight},
};
use crate::{
    NodeContext,
    command::{Ended, ending_input},
    connection::{ConnId, ErrorCode, close},
    wire,
};

/// One accepted input, kept for clients that resume.
struct Applied {
    seq: u64,
    events: Vec<Event>,
    /// The seat whose action this was, and its client sequence number.
    actor: Option<(Seat, u64)>,
}

#[derive(Default)]
struct SeatSlot {
    peer: Option<Peer>,
    /// While disconnected: when the seat forfeits (or, if it never played, voids the match).
    held_until: Option<Instant>,
    /// Consecutive turns that ran out of time.
    timeouts: u32,
}

pub(crate) struct Room {
    id: String,
    record: RoomRecord,
    game: Game,
    seq: u64,
    last_client_seq: Vec<u64>,
    seats: Vec<SeatSlot>,
    spectators: Vec<Peer>,
    recent: VecDeque<Applied>,
    /// The views the last update was sent with, to send the next one's as deltas.
    sent: SentViews,
    since_snapshot: u64,
    /// The (turn, active seat, opening hands being chosen) the turn timer is running for.
    timed_turn: (u32, Seat, bool),
    turn_deadline: Instant,
    /// A finished match whose result is not yet in the outbox (the store was down).
    unsent_result: Option<MatchResult>,
    /// The snapshot being written, if one is (the room does not wait for it).
    snapshot_in_flight: Option<tokio::task::JoinHandle<()>>,
    finished_at: Option<Instant>,
    /// Another node took the room over: stop.
    moved: bool,
    /// The seats the room plays itself, and when the next of them acts.
    bots: BotSeats,
    /// Its turn and last input, for the console.
    glance: Arc<Glance>,
    ctx: Arc<NodeContext>,
}

enum CommitError {
    Rejected(moonlight_engine::Rejection),
    Store(StoreError),
}

impl Room {
    pub(crate) fn new(
        ctx: Arc<NodeContext>,
        record: RoomRecord,
        restored: Restored,
        glance: Arc<Glance>,
    ) -> Self {
        let now = Instant::now();
        let seat_count = record.setup.seats.len();
        let game_over = restored.game.is_over();
        let bots = BotSeats::new(&record.players);
        // Nobody is connected yet. A seat that has not played is waited for until the
        // match's join deadline (set when the lobby created it, however long ago); one that
        // has (a room restored mid-match) gets the reconnect window.
        let join_left = Duration::from_millis(
            u64::try_from(record.join_by_ms - moonlight_common::time::unix_now_ms()).unwrap_or(0),
        );
        let held_until = |seat: Seat| {
            let window = if never_played(&restored.game, seat) {
                join_left
            } else {
                ctx.config.reconnect_window
            };
            Some(now + window)
        };
        let mut room = Self {
            id: record.room_id.clone(),
            timed_turn: (restored.game.turn(), restored.game.active_seat(), true),
            turn_deadline: now + ctx.config.turn_time,
            // A bot seat never connects, so it is never held (nor forfeited for being away).
            seats: seats(seat_count)
                .map(|seat| SeatSlot {
                    held_until: held_until(seat).filter(|_| !bots.is_bot(seat)),
                    ..SeatSlot::default()
                })
                .collect(),
            bots,
            record,
            seq: restored.seq,
            last_client_seq: restored.last_client_seq,
            game: restored.game,
            spectators: Vec::new(),
            recent: VecDeque::new(),
            sent: SentViews::default(),
            since_snapshot: 0,
            unsent_result: None,
            snapshot_in_flight: None,
            finished_at: game_over.then_some(now),
            moved: false,
            glance,
            ctx,
        };
        // A room restored after its last move: the node that played it may have died
        // before its result reached the outbox, so queue it again (recording is keyed by
        // match id, so a result that did get through is not recorded twice).
        room.unsent_result = room.game.is_over().then(|| room.result_of(&room.game));
        // A room restored while the game waits for its bot: the bot goes on by itself.
        room.schedule_bot();
        room
    }

    pub(crate) async fn run(mut self, mut mailbox: mpsc::Receiver<RoomMsg>) {
        tracing::info!(room = %self.id, seq = self.seq, "room open");
        self.send_result().await;
        loop {
            let deadline = self.next_deadline();
            tokio::select! {
                msg = mailbox.recv() => match msg {
                    Some(RoomMsg::Shutdown { done }) => {
                        self.shutdown().await;
                        let _ = done.send(());
                        break;
                    }
                    Some(msg) => self.handle(msg).await,
                    None => break,
                },
                () = sleep_until(deadline) => self.on_deadline().await,
            }
            if self.is_done() {
                break;
            }
        }
        for peer in self.peers() {
            peer.close(close::NORMAL, "the room is closed");
        }
        tracing::info!(room = %self.id, seq = self.seq, "room closed");
    }

    fn peers(&self) -> impl Iterator<Item = &Peer> {
        self.seats
            .iter()
            .filter_map(|s| s.peer.as_ref())
            .chain(&self.spectators)
    }

    fn is_done(&self) -> bool {
        if self.moved {
            return true;
        }
        let Some(finished_at) = self.finished_at else {
            return false;
        };
        self.unsent_result.is_none()
            && (self.peers().next().is_none()
                || Instant::now() >= finished_at + self.ctx.config.finished_linger)
    }

    fn next_deadline(&self) -> Instant {
        let far = Instant::now() + Duration::from_secs(3600);
        if let Some(finished_at) = self.finished_at {
            let retry = if self.unsent_result.is_some() {
                Instant::now() + Duration::from_secs(1)
            } else {
                far
            };
            return retry.min(finished_at + self.ctx.config.finished_linger);
        }
        self.seats
            .iter()
            .filter_map(|s| s.held_until)
            .chain(self.bots.due())
            .fold(self.turn_deadline, Instant::min)
    }

    async fn handle(&mut self, msg: RoomMsg) {
        match msg {
            RoomMsg::Attach { peer, opening } => self.attach(peer, opening),
            RoomMsg::Detach { conn_id } => self.detach(conn_id),
            RoomMsg::Act {
                conn_id,
                client_seq,
                action,
            } => self.act(conn_id, client_seq, action).await,
            RoomMsg::Emote { conn_id, emote } => self.emote(conn_id, &emote),
            RoomMsg::End { end, done } => {
                let ended = self.end_by_admin(end).await;
                let _ = done.send(ended);
            }
            RoomMsg::Disconnect { player_id, done } => {
                let _ = done.send(self.disconnect_account(&player_id));
            }
            RoomMsg::Shutdown { .. } => {}
        }
    }

    fn attach(&mut self, peer: Peer, opening: Opening) {
        let Some(seat) = peer.seat else {
            self.send_welcome(&peer);
            self.spectators.push(peer);
            return;
        };
        if self.bots.is_bot(seat) {
            peer.error(ErrorCode::WrongSeat, "a practice bot plays this seat");
            peer.close(close::WRONG_SEAT, "wrong seat");
            return;
        }
        let expected = self
            .record
            .players
            .get(seat.index())
            .map(|p| p.player_id.as_str());
        if expected != Some(peer.player_id.as_str()) {
            peer.error(
                ErrorCode::WrongSeat,
                "this ticket does not match the room's seat",
            );
            peer.close(close::WRONG_SEAT, "wrong seat");
            return;
        }
        let Some(slot) = self.seats.get_mut(seat.index()) else {
            return;
        };
        if let Some(old) = slot.peer.take() {
            old.close(close::REPLACED, "replaced by a newer connection");
        }
        slot.held_until = None;
        match opening.resume_after {
            Some(last_seq) if self.can_replay_from(last_seq, peer.room()) => {
                let mut now = Some(self.shown_whole(Sight::Seat(seat)));
                let missed: Vec<&Applied> =
                    self.recent.iter().filter(|a| a.seq > last_seq).collect();
                for (i, applied) in missed.iter().enumerate() {
                    // Only the last update carries the (current) view, whole: earlier views
                    // are gone.
                    let shown = match now.take_if(|_| i + 1 == missed.len()) {
                        Some(seen) => Shown::Whole(seen),
                        None => Shown::Nothing,
                    };
                    peer.send(self.update_for(Sight::Seat(seat), applied, shown));
                }
                if let Some(seen) = now {
                    peer.send(self.current_update_for(None, seen));
                }
            }
            _ => self.send_welcome(&peer),
        }
        if let Some(slot) = self.seats.get_mut(seat.index()) {
            slot.peer = Some(peer);
        }
    }

    /// Whether a client that saw `last_seq` can be sent every update it missed: all still
    /// in the recent buffer, and together taking at most half its queue (`room` frames
    /// free), so the live updates that follow at once still fit. If not, it gets a welcome:
    /// a resume is complete or it is a welcome, never partial.
    fn can_replay_from(&self, last_seq: u64, room: usize) -> bool {
        let Some(missed) = self.seq.checked_sub(last_seq) else {
            return false;
        };
        let kept = missed == 0 || self.recent.front().is_some_and(|a| a.seq <= last_seq + 1);
        // One frame at least: with nothing missed, the current view.
        kept && missed.max(1) * 2 <= room as u64
    }

    fn detach(&mut self, conn_id: ConnId) {
        let window = self.ctx.config.reconnect_window;
        for slot in &mut self.seats {
            if slot.peer.as_ref().is_some_and(|p| p.id == conn_id) {
                slot.peer = None;
                slot.held_until = Some(Instant::now() + window);
            }
        }
        self.spectators.retain(|p| p.id != conn_id);
    }

    fn seat_of(&self, conn_id: ConnId) -> Option<(Seat, &Peer)> {
        seats(self.seats.len())
            .zip(&self.seats)
            .find_map(|(seat, slot)| Some((seat, slot.peer.as_ref().filter(|p| p.id == conn_id)?)))
    }

    async fn act(&mut self, conn_id: ConnId, client_seq: u64, action: Action) {
        let received = StdInstant::now();
        let Some((seat, peer)) = self.seat_of(conn_id) else {
            if let Some(spectator) = self.spectators.iter().find(|p| p.id == conn_id) {
                spectator.error(ErrorCode::Spectator, "spectators cannot act");
            }
            return;
        };
        if client_seq <= self.last_client_seq.get(seat.index()).copied().unwrap_or(0) {
            // A retry of an action already applied: acknowledge it again, apply nothing.
            peer.send(self.current_update_for(Some(client_seq), self.seen_by(Sight::Seat(seat))));
            return;
        }
        let input = Input::Act { seat, action };
        match self.commit(input, Some((seat, client_seq))).await {
            Ok(()) => {
                if let Some(slot) = self.seats.get_mut(seat.index()) {
                    slot.timeouts = 0;
                }
                let took = received.elapsed();
                metrics::histogram!("game_action_seconds").record(took.as_secs_f64());
                self.ctx.vitals.applied(took);
                metrics::counter!("game_actions_total").increment(1);
            }
            Err(CommitError::Rejected(rejection)) => {
                if let Some((_, peer)) = self.seat_of(conn_id) {
                    peer.send(pb::server_frame::Body::ActionRejected(pb::ActionRejected {
                        client_seq,
                        reason: wire::rejection_reason(&rejection),
                        message: rejection.to_string(),
                    }));
                }
                metrics::counter!("game_actions_rejected_total").increment(1);
                self.ctx.vitals.rejected();
            }
            Err(CommitError::Store(error)) => {
                self.ctx.vitals.failed();
                self.store_failed(Some(conn_id), &error).await;
            }
        }
    }

    /// The store refused or failed an input; `actor` is the connection whose action it was.
    async fn store_failed(&mut self, actor: Option<ConnId>, error: &StoreError) {
        if matches!(error, StoreError::RoomGone(_)) {
            self.lost().await;
            return;
        }
        if matches!(error, StoreError::OutOfSequence { .. }) {
            tracing::warn!(room = %self.id, %error, "room taken over elsewhere; closing here");
            for peer in self.peers() {
                peer.close(close::MOVED, "the room moved to another node; reconnect");
            }
            self.moved = true;
            return;
        }
        tracing::error!(room = %self.id, %error, "could not make an input durable");
        if let Some((_, peer)) = actor.and_then(|id| self.seat_of(id)) {
            peer.error(
                ErrorCode::Unavailable,
                "the action could not be saved; send it again",
            );
        }
    }

    /// Steps 1–4 of the module docs for one input.
    async fn commit(
        &mut self,
        input: Input,
        actor: Option<(Seat, u64)>,
    ) -> Result<(), CommitError> {
        let mut next = self.game.clone();
        let events = next.submit(&input).map_err(CommitError::Rejected)?;
        let entry = LogEntry {
            seq: self.seq + 1,
            input,
            client_seq: actor.map(|(_, cs)| cs),
        };
        // The input that ends the match carries its result into the store's outbox in the
        // same write: a crash leaves both or neither, and the game over comes after.
        let result = next.outcome().map(|_| self.result_of(&next));
        let started = StdInstant::now();
        self.ctx
            .store
            .append(&self.id, &entry, result.as_ref())
            .await
            .map_err(CommitError::Store)?;
        metrics::histogram!("game_store_append_seconds").record(started.elapsed().as_secs_f64());
        if result.is_some() {
            self.ctx.results.notify_one();
        }

        self.game = next;
        self.seq = entry.seq;
        self.glance
            .note(self.game.turn(), moonlight_common::time::unix_now_ms());
        if let Some((seat, client_seq)) = actor
            && let Some(last) = self.last_client_seq.get_mut(seat.index())
        {
            *last = client_seq;
        }
        // Before the broadcast: the updates tell each seat when this turn ends.
        self.restart_turn_timer_if_turn_changed();
        let applied = Applied {
            seq: self.seq,
            events,
            actor,
        };
        self.broadcast(&applied);
        self.recent.push_back(applied);
        while self.recent.len() > self.ctx.config.recent_updates {
            self.recent.pop_front();
        }
        // The log is the truth and already durable; a snapshot only shortens a restore
        // (replaying N inputs takes microseconds), so it comes every N inputs, not more.
        self.since_snapshot += 1;
        if self.since_snapshot >= self.ctx.config.snapshot_every || self.game.is_over() {
            self.snapshot_in_background();
        }
        if self.game.is_over() && self.finished_at.is_none() {
            self.finish();
        }
        self.schedule_bot();
        Ok(())
    }

    /// Starts a bot's think time if the game now waits for one.
    fn schedule_bot(&mut self) {
        self.bots
            .schedule(&self.game, self.ctx.config.bot_think, self.turn_deadline);
    }

    /// A bot's think time is over: its action goes through the same commit as a player's.
    async fn bot_act(&mut self, seat: Seat, action: Action) {
        match self.commit(Input::Act { seat, action }, None).await {
            Ok(()) => {
                if let Some(slot) = self.seats.get_mut(seat.index()) {
                    slot.timeouts = 0;
                }
                metrics::counter!("game_bot_actions_total").increment(1);
            }
            Err(CommitError::Rejected(rejection)) => {
                // The bot only picks legal actions; if that ever breaks, the turn timer
                // still moves the game on.
                tracing::error!(room = %self.id, seat = seat.0, %rejection, "bot action refused");
            }
            Err(CommitError::Store(error)) => self.store_failed(None, &error).await,
        }
        // After a failure, think again and retry.
        self.schedule_bot();
    }

    /// Writes a snapshot without holding up the room: the log is the truth and already
    /// durable, a snapshot only shortens a restore. At most one is in flight; one asked for
    /// meanwhile is left to the next input (and a late one never replaces a newer one).
    fn snapshot_in_background(&mut self) {
        if self
            .snapshot_in_flight
            .as_ref()
            .is_some_and(|write| !write.is_finished())
        {
            return;
        }
        let bytes = RoomSnapshot::of(&self.game, &self.last_client_seq).encode();
        let (store, room, seq) = (self.ctx.store.clone(), self.id.clone(), self.seq);
        self.since_snapshot = 0;
        self.snapshot_in_flight = Some(tokio::spawn(async move {
            if let Err(error) = store.save_snapshot(&room, seq, &bytes).await {
                tracing::warn!(%room, %error, "snapshot failed");
            }
        }));
    }

    async fn snapshot(&mut self) {
        let bytes = RoomSnapshot::of(&self.game, &self.last_client_seq).encode();
        match self
            .ctx
            .store
            .save_snapshot(&self.id, self.seq, &bytes)
            .await
        {
            Ok(()) => self.since_snapshot = 0,
            // Not fatal: the log is the truth; the next snapshot will catch up.
            Err(error) => tracing::warn!(room = %self.id, %error, "snapshot failed"),
        }
    }

    fn restart_turn_timer_if_turn_changed(&mut self) {
        let current = (
            self.game.turn(),
            self.game.active_seat(),
            !self.seats_choosing_mulligan().is_empty(),
        );
        if current != self.timed_turn {
            self.timed_turn = current;
            self.turn_deadline = Instant::now() + self.ctx.config.turn_time;
        }
    }

    /// The match is over (its result already in the outbox): every seat is told.
    fn finish(&mut self) {
        self.finished_at = Some(Instant::now());
        let Some(outcome) = self.game.outcome().cloned() else {
            return;
        };
        let game_over = pb::GameOver {
            outcome: Some(wire::outcome(&outcome)),
        };
        self.fan_out(|_, _| Some(pb::server_frame::Body::GameOver(game_over.clone())));
    }

    /// The store lost the room (Redis restarted without persistence): the match cannot
    /// go on and ends without a result, and its players are told why and freed.
    async fn lost(&mut self) {
        tracing::warn!(room = %self.id, "the store lost this room; the match ends void");
        metrics::counter!("game_rooms_lost_total").increment(1);
        let void = self
            .record
            .void_result(self.game.turn(), moonlight_common::time::unix_now());
        let game_over = pb::GameOver {
            outcome: Some(wire::outcome(&void.outcome)),
        };
        for peer in self.peers() {
            peer.error(
                ErrorCode::RoomLost,
                "the server lost this match's room; it ends without a result",
            );
            peer.send(pb::server_frame::Body::GameOver(game_over.clone()));
        }
        self.finished_at = Some(Instant::now());
        self.unsent_result = Some(void);
        self.send_result().await;
    }

    /// The match result of `game`, which is over.
    fn result_of(&self, game: &Game) -> MatchResult {
        let void = self
            .record
            .void_result(game.turn(), moonlight_common::time::unix_now());
        match game.outcome() {
            Some(outcome) => MatchResult {
                outcome: outcome.clone(),
                ..void
            },
            None => void,
        }
    }

    /// Puts the result in the store's outbox and wakes the results writer; retried from the
    /// room's timer while the store is down.
    async fn send_result(&mut self) {
        let Some(result) = &self.unsent_result else {
            return;
        };
        match self.ctx.store.push_result(result).await {
            Ok(()) => {
                self.unsent_result = None;
                self.ctx.results.notify_one();
            }
            Err(error) => {
                tracing::warn!(room = %self.id, %error, "result not queued yet; will retry")
            }
        }
    }

    async fn on_deadline(&mut self) {
        let now = Instant::now();
        if self.finished_at.is_some() {
            self.send_result().await;
            return;
        }
        let expired: Vec<Seat> = seats(self.seats.len())
            .zip(&self.seats)
            .filter(|(_, slot)| slot.peer.is_none() && slot.held_until.is_some_and(|t| t <= now))
            .map(|(seat, _)| seat)
            .collect();
        for seat in expired {
            if let Some(slot) = self.seats.get_mut(seat.index()) {
                slot.held_until = None;
            }
            let input = if never_played(&self.game, seat) {
                // Nobody played yet: void, so the one who showed up is not stuck waiting
                // and nobody is handed a win over an empty chair.
                tracing::info!(room = %self.id, seat = seat.0, "seat never showed up; no contest");
                Input::Abandon { seat }
            } else {
                tracing::info!(room = %self.id, seat = seat.0, "seat never came back; forfeiting");
                Input::Forfeit { seat }
            };
            self.server_input(input).await;
        }
        if self.finished_at.is_none()
            && let Some((seat, level)) = self.bots.take_due(&self.game, now)
        {
            match bot_seats::think(&self.game, seat, level).await {
                Some(action) => self.bot_act(seat, action).await,
                // No move (its search failed): think again.
                None => self.schedule_bot(),
            }
        }
        if self.finished_at.is_some() || self.turn_deadline > now {
            return;
        }
        // The timer restarts even if the inputs below are refused, so it cannot spin.
        self.turn_deadline = now + self.ctx.config.turn_time;
        let choosing = self.seats_choosing_mulligan();
        if !choosing.is_empty() {
            // Out of time to choose an opening hand: every seat still choosing keeps its
            // hand. That is no missed turn, so it does not count towards a forfeit.
            for seat in choosing {
                self.server_input(Input::TurnTimeout { seat }).await;
            }
            return;
        }
        let seat = self.game.active_seat();
        let timeouts = self.seats.get_mut(seat.index()).map_or(0, |slot| {
            slot.timeouts += 1;
            slot.timeouts
        });
        let input = if timeouts >= self.ctx.config.max_timeouts {
            Input::Forfeit { seat }
        } else {
            Input::TurnTimeout { seat }
        };
        self.server_input(input).await;
    }

    /// Seats that still have to choose their opening hand (none once play has begun:
    /// the first turn is turn 1).
    fn seats_choosing_mulligan(&self) -> Vec<Seat> {
        if self.game.turn() == 0 {
            self.game.seats_to_act()
        } else {
            Vec::new()
        }
    }

    /// Ends the match as an admin said, through the same commit as any input.
    /// Closes every socket `player_id` has here (its account was locked); its seat is held
    /// as any disconnected seat is. Returns how many were closed.
    fn disconnect_account(&mut self, player_id: &str) -> usize {
        let closing: Vec<ConnId> = self
            .peers()
            .filter(|peer| peer.player_id == player_id)
            .map(|peer| {
                peer.close(close::ACCOUNT_LOCKED, "your account is locked");
                peer.id
            })
            .collect();
        for conn_id in &closing {
            self.detach(*conn_id);
        }
        closing.len()
    }

    async fn end_by_admin(&mut self, end: Ending) -> Ended {
        if self.game.is_over() {
            return Ended::Before;
        }
        let Some(inputs) = ending_input(end, self.seats.len()) else {
            return Ended::NoSuchSeat;
        };
        for input in inputs {
            if self.game.is_over() {
                break;
            }
            match self.commit(input, None).await {
                Ok(()) | Err(CommitError::Rejected(_)) => {}
                Err(CommitError::Store(error)) => {
                    self.store_failed(None, &error).await;
                    return Ended::StoreFailed;
                }
            }
        }
        if self.game.is_over() {
            Ended::Now { seq: self.seq }
        } else {
            Ended::StoreFailed
        }
    }

    async fn server_input(&mut self, input: Input) {
        match self.commit(input, None).await {
            Ok(()) => {}
            Err(CommitError::Rejected(rejection)) => {
                tracing::debug!(room = %self.id, %rejection, "server input refused");
            }
            Err(CommitError::Store(error)) => self.store_failed(None, &error).await,
        }
    }

    fn emote(&mut self, conn_id: ConnId, emote: &str) {
        let Some((seat, _)) = self.seat_of(conn_id) else {
            return;
        };
        // Emotes are canned names, not chat: keep them short and plain.
        if emote.is_empty()
            || emote.len() > 32
            || !emote.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
        {
            return;
        }
        let emoted = pb::Emoted {
            seat: wire::seat(seat),
            emote: emote.to_owned(),
        };
        self.fan_out(|_, _| Some(pb::server_frame::Body::Emoted(emoted.clone())));
    }

    async fn shutdown(&mut self) {
        self.snapshot().await;
        for peer in self.peers() {
            peer.send(pb::server_frame::Body::Reconnect(pb::Reconnect {
                reason: "node shutting down".to_owned(),
            }));
            peer.close(close::RESTARTING, "node restarting; reconnect");
        }
    }

    /// Sends `applied` to every seat and spectator, each through its own filter, with its
    /// view whole or as a delta from the one the last update carried.
    fn broadcast(&mut self, applied: &Applied) {
        let seen = views::seen_by_each(&self.game, self.seats.len(), self.peers());
        self.fan_out(|room, peer| {
            let sight = Sight::of(peer);
            let (_, seen) = seen.iter().find(|(s, _)| *s == sight)?;
            let shown = room.sent.shown(applied.seq, peer, seen);
            Some(room.update_for(sight, applied, shown))
        });
        self.sent = SentViews::of(applied.seq, seen);
    }

    /// Queues each connected peer its frame (`None`: nothing for it) and drops every peer
    /// whose queue is full: a room never waits for a slow reader.
    fn fan_out(&mut self, frame_for: impl Fn(&Self, &Peer) -> Option<pb::server_frame::Body>) {
        let slow: Vec<ConnId> = self
            .peers()
            .filter_map(|peer| {
                let body = frame_for(self, peer)?;
                (!peer.send(body)).then_some(peer.id)
            })
            .collect();
        for conn_id in slow {
            if let Some(peer) = self.peers().find(|p| p.id == conn_id) {
                peer.close(close::POLICY, "too slow to read updates");
            }
            metrics::counter!("game_slow_clients_dropped_total").increment(1);
            self.detach(conn_id);
        }
    }

    fn update_for(&self, sight: Sight, applied: &Applied, shown: Shown) -> pb::server_frame::Body {
        let events = wire::events(&self.game.events_for(sight.viewer(), &applied.events));
        let acked_client_seq = match (sight, applied.actor) {
            (Sight::Seat(seat), Some((actor, client_seq))) if seat == actor => Some(client_seq),
            _ => None,
        };
        let (view, delta, legal_actions, turn_ends_in_ms) = match shown {
            Shown::Nothing => (None, None, Vec::new(), None),
            Shown::Whole(seen) => {
                let (view, legal_actions) = seen.into_wire();
                (Some(view), None, legal_actions, self.turn_ends_in_ms())
            }
            Shown::Delta(delta, legal_actions) => {
                (None, Some(delta), legal_actions, self.turn_ends_in_ms())
            }
        };
        pb::server_frame::Body::Update(pb::Update {
            seq: applied.seq,
            events,
            view,
            legal_actions,
            acked_client_seq,
            turn_ends_in_ms,
            delta,
        })
    }

    /// An update with no new events: `seen`, the current view, optionally re-acknowledging
    /// an action.
    fn current_update_for(
        &self,
        acked_client_seq: Option<u64>,
        seen: Seen,
    ) -> pb::server_frame::Body {
        let (view, legal_actions) = seen.into_wire();
        pb::server_frame::Body::Update(pb::Update {
            seq: self.seq,
            events: Vec::new(),
            view: Some(view),
            legal_actions,
            acked_client_seq,
            turn_ends_in_ms: self.turn_ends_in_ms(),
            delta: None,
        })
    }

    /// The turn timer as the protocol tells it: the time left, `None` once the match is
    /// over.
    fn turn_ends_in_ms(&self) -> Option<u32> {
        if self.game.is_over() || self.finished_at.is_some() {
            return None;
        }
        let left = self.turn_deadline.saturating_duration_since(Instant::now());
        Some(u32::try_from(left.as_millis()).unwrap_or(u32::MAX))
    }

    fn seen_by(&self, sight: Sight) -> Seen {
        sight.view(&self.game, self.seats.len())
    }

    /// `sight`'s view, to be sent whole now (a welcome, a resume): noted as sent, so the
    /// next update can be a delta from it.
    fn shown_whole(&mut self, sight: Sight) -> Seen {
        let seen = self.seen_by(sight);
        self.sent.note(self.seq, sight, &seen.look);
        seen
    }

    fn send_welcome(&mut self, peer: &Peer) {
        let (view, legal_actions) = self.shown_whole(Sight::of(peer)).into_wire();
        let players = seats(self.record.players.len())
            .zip(&self.record.players)
            .map(|(seat, p)| pb::Player {
                seat: wire::seat(seat),
                name: p.name.clone(),
                // A bot is always there.
                connected: self
                    .seats
                    .get(seat.index())
                    .is_some_and(|s| s.peer.is_some())
                    || self.bots.is_bot(seat),
            })
            .collect();
        peer.send(pb::server_frame::Body::Welcome(pb::Welcome {
            room_id: self.id.clone(),
            seat: peer.seat.map(wire::seat),
            seq: self.seq,
            view: Some(view),
            legal_actions,
            players,
            content_version: self.record.content_version.clone(),
            last_client_seq: peer
                .seat
                .and_then(|s| self.last_client_seq.get(s.index()).copied())
                .unwrap_or(0),
            turn_ends_in_ms: self.turn_ends_in_ms(),
        }));
    }
}

/// Whether `seat` has not played at all: the opening hands are still being chosen and it
/// has not chosen yet.
fn never_played(game: &Game, seat: Seat) -> bool {
    game.turn() == 0 && game.seats_to_act().contains(&seat)
}

/// The first `count` seats, in order. A room has at most 8 (the engine refuses more), so
/// a seat number always fits.
fn seats(count: usize) -> impl Iterator<Item = Seat> {
    (0..=u8::MAX).map(Seat).take(count)
}
