//! The tests' game client: the protocol's own [`GameSocket`] with bounded waits and
//! assertions, and [`Duel`], two seats playing a whole match against each other.

use std::time::Duration;

use moonlight_client::{Dialer, GameSocket, Incoming, policy::choose};
use moonlight_proto::v1::{self as pb, client_frame, server_frame::Body};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;

/// Bound on any single wait for the server, so a broken server fails instead of hanging.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub struct Client {
    socket: GameSocket,
    pub next_client_seq: u64,
    /// The room sequence number of the last update seen.
    pub last_seq: u64,
}

impl Client {
    pub async fn connect(url: &str) -> Self {
        Self::open(&Dialer::default(), url).await
    }

    /// A client that asks for view deltas (`Hello.view_deltas`).
    pub async fn connect_with_deltas(url: &str) -> Self {
        let dialer = Dialer {
            view_deltas: true,
            ..Dialer::default()
        };
        Self::open(&dialer, url).await
    }

    /// A client whose socket has a tiny receive buffer: once it stops reading, the server
    /// notices after a few frames.
    pub async fn connect_with_small_buffer(url: &str) -> Self {
        let dialer = Dialer {
            receive_buffer: Some(1024),
            ..Dialer::default()
        };
        Self::open(&dialer, url).await
    }

    async fn open(dialer: &Dialer, url: &str) -> Self {
        let socket = tokio::time::timeout(PATIENCE, dialer.open(url))
            .await
            .expect("connected in time")
            .expect("websocket connect");
        Self {
            socket,
            next_client_seq: 1,
            last_seq: 0,
        }
    }

    /// The WebSocket underneath, to send what the protocol would not (raw frames, closes).
    pub fn ws(&mut self) -> &mut WebSocketStream<TcpStream> {
        self.socket.websocket()
    }

    pub async fn send(&mut self, body: client_frame::Body) {
        self.socket.send(body).await.expect("send");
    }

    pub async fn hello(&mut self) {
        self.socket.hello("test").await.expect("send");
    }

    pub async fn resume(&mut self, last_seq: u64) {
        self.socket.resume(last_seq).await.expect("send");
    }

    /// The next server frame (pings and pongs skipped); `None` once the socket closed.
    pub async fn next(&mut self) -> Option<Body> {
        let incoming = tokio::time::timeout(PATIENCE, self.socket.recv())
            .await
            .expect("a frame in time");
        let body = match incoming {
            Ok(Incoming::Frame(body)) => *body,
            Ok(Incoming::Closed(_)) | Err(_) => return None,
        };
        match &body {
            Body::Update(update) => self.last_seq = update.seq,
            Body::Welcome(welcome) => self.last_seq = welcome.seq,
            _ => {}
        }
        Some(body)
    }

    /// The next frame for the seat `seat` (socket open), checked to show none of the other
    /// seats' hidden cards.
    pub async fn next_seen_by(&mut self, seat: usize) -> Body {
        let body = self.next().await.expect("socket open");
        assert_hides_other_hands(seat as u32, &body);
        body
    }

    /// The close code the server ended the socket with (frames before it are skipped).
    pub async fn close_code(&mut self) -> Option<u16> {
        loop {
            let incoming = tokio::time::timeout(PATIENCE, self.socket.recv())
                .await
                .expect("a frame in time");
            match incoming {
                Ok(Incoming::Frame(_)) => {}
                Ok(Incoming::Closed(code)) => return code,
                Err(_) => return None,
            }
        }
    }

    pub async fn welcome(&mut self) -> pb::Welcome {
        match self.next().await {
            Some(Body::Welcome(welcome)) => welcome,
            other => panic!("expected a welcome, got {other:?}"),
        }
    }

    /// Sends an action with the next client sequence number; returns that number.
    pub async fn act(&mut self, kind: pb::action::Kind) -> u64 {
        let client_seq = self.next_client_seq;
        self.next_client_seq += 1;
        self.socket.act(client_seq, kind).await.expect("send");
        client_seq
    }
}

/// Asserts that a frame sent to seat `me` shows none of the other seats' hidden cards.
pub fn assert_hides_other_hands(me: u32, body: &Body) {
    let (events, view) = match body {
        Body::Update(update) => (update.events.as_slice(), update.view.as_ref()),
        Body::Welcome(welcome) => (&[][..], welcome.view.as_ref()),
        _ => return,
    };
    for event in events {
        if let Some(pb::event::Kind::CardDrawn(e) | pb::event::Kind::CardGenerated(e)) = &event.kind
        {
            assert!(
                e.seat == me || e.card.is_none(),
                "seat {me} saw seat {}'s card {:?}",
                e.seat,
                e.card
            );
        }
    }
    // A delta's hand is checked once applied (`Duel::step`): alone it may not name the
    // seat's handles.
    if let Some(view) = view {
        assert_view_hides_other_hands(me, view);
    }
}

/// Asserts that the only hand `view` shows is seat `me`'s.
pub fn assert_view_hides_other_hands(me: u32, view: &pb::View) {
    let mine = view.seats.iter().find(|s| s.seat == me).expect("my seat");
    for card in &view.hand {
        assert!(
            mine.hand.contains(&card.handle),
            "seat {me} was shown a card not in its own hand"
        );
    }
}

/// Both seats of one room playing each other with [`choose`], every update checked to
/// arrive in order on both sockets and to hide the other seat's cards. Both seats take
/// view deltas, so every resume (which brings the whole view) also checks that the views
/// built from deltas are the server's.
pub struct Duel {
    pub clients: [Client; 2],
    pub views: [pb::View; 2],
    pub legal: [Vec<pb::LegalAction>; 2],
    /// The room's sequence number as both seats last saw it.
    pub seq: u64,
    /// Each seat's last acknowledged action: its client sequence number and the action.
    pub last_acked: [Option<(u64, pb::action::Kind)>; 2],
}

impl Duel {
    /// Opens both seats (their tickets are in the URLs) with a hello and reads the welcomes.
    pub async fn join(urls: [&str; 2]) -> Self {
        let mut clients = Vec::new();
        let mut views = Vec::new();
        let mut legal = Vec::new();
        let mut seq = 0;
        for (seat, url) in urls.into_iter().enumerate() {
            let mut client = Client::connect_with_deltas(url).await;
            client.hello().await;
            let welcome = match client.next_seen_by(seat).await {
                Body::Welcome(welcome) => welcome,
                other => panic!("expected a welcome, got {other:?}"),
            };
            client.next_client_seq = welcome.last_client_seq + 1;
            seq = welcome.seq;
            views.push(welcome.view.expect("a welcome carries the view"));
            legal.push(welcome.legal_actions);
            clients.push(client);
        }
        Self {
            clients: two(clients),
            views: two(views),
            legal: two(legal),
            seq,
            last_acked: [None, None],
        }
    }

    /// Reopens both seats on `urls` (after a drop, a crash or a move to another node): each
    /// resumes from the last update it saw and must be shown exactly the state it last saw.
    pub async fn resume(self, urls: [&str; 2]) -> Self {
        let mut clients = Vec::new();
        for (seat, (url, old)) in urls.into_iter().zip(self.clients).enumerate() {
            let mut client = Client::connect_with_deltas(url).await;
            client.next_client_seq = old.next_client_seq;
            client.resume(self.seq).await;
            let (seq, view, legal) = match client.next_seen_by(seat).await {
                Body::Update(update) => (update.seq, update.view, update.legal_actions),
                Body::Welcome(welcome) => {
                    assert_eq!(welcome.last_client_seq + 1, old.next_client_seq);
                    (welcome.seq, welcome.view, welcome.legal_actions)
                }
                other => panic!("expected the resumed state, got {other:?}"),
            };
            assert_eq!(seq, self.seq, "seat {seat} resumed at another point");
            assert_eq!(view.as_ref(), Some(&self.views[seat]), "seat {seat}'s view");
            assert_eq!(legal, self.legal[seat], "seat {seat}'s legal actions");
            clients.push(client);
        }
        Self {
            clients: two(clients),
            ..self
        }
    }

    /// The seat that acts next: the first with something to do.
    pub fn actor(&self) -> Option<usize> {
        (0..2).find(|&seat| choose(&self.views[seat], &self.legal[seat], seat as u32).is_some())
    }

    /// One action by the seat to act, seen by both seats. Returns `false` once the game is
    /// over (both seats have then read their `GameOver`).
    pub async fn step(&mut self) -> bool {
        let seat = self.actor().expect("a seat can act");
        let action = choose(&self.views[seat], &self.legal[seat], seat as u32).expect("an action");
        let client_seq = self.clients[seat].act(action.clone()).await;
        self.seq += 1;
        for (viewer, client) in self.clients.iter_mut().enumerate() {
            let update = loop {
                match client.next_seen_by(viewer).await {
                    Body::Update(update) => break update,
                    Body::ActionRejected(rejected) => {
                        panic!("a legal action was refused: {rejected:?}")
                    }
                    Body::GameOver(_) | Body::Emoted(_) => {}
                    other => panic!("unexpected frame {other:?}"),
                }
            };
            assert_eq!(update.seq, self.seq, "seat {viewer} skipped an update");
            assert_eq!(
                update.acked_client_seq,
                (viewer == seat).then_some(client_seq)
            );
            let view = &mut self.views[viewer];
            match (update.view, update.delta) {
                (Some(whole), _) => *view = whole,
                (None, Some(delta)) => view.apply(&delta).expect("the delta fits the view"),
                (None, None) => panic!("a live update without a view or a delta"),
            }
            assert_view_hides_other_hands(viewer as u32, view);
            self.legal[viewer] = update.legal_actions;
        }
        self.last_acked[seat] = Some((client_seq, action));
        if self.views[0].outcome.is_some() {
            for (viewer, client) in self.clients.iter_mut().enumerate() {
                let last = client.next_seen_by(viewer).await;
                assert!(
                    matches!(last, Body::GameOver(_)),
                    "expected GameOver, got {last:?}"
                );
            }
            return false;
        }
        true
    }

    /// After the store lost the room: the next move cannot be made durable, so its seat is
    /// told `room_lost` and the match ends `no_contest`, with no update for the move.
    pub async fn move_into_a_lost_room(&mut self) {
        let seat = self.actor().expect("a seat can act");
        let action = choose(&self.views[seat], &self.legal[seat], seat as u32).expect("an action");
        self.clients[seat].act(action).await;
        let mut told = false;
        loop {
            match self.clients[seat]
                .next()
                .await
                .expect("the socket stays open")
            {
                Body::Error(error) if error.code == "room_lost" => told = true,
                Body::GameOver(over) => {
                    assert_eq!(over.outcome.expect("an outcome").reason, "no_contest");
                    break;
                }
                Body::Update(update) => panic!("a move after the room was lost: {update:?}"),
                _ => {}
            }
        }
        assert!(told, "the error says what happened");
    }

    /// Plays on to the end of the match (bounded: the policy ends matches quickly).
    pub async fn finish(&mut self) {
        for _ in 0..3_000 {
            if !self.step().await {
                return;
            }
        }
        panic!("the match did not end in 3,000 actions");
    }
}

fn two<T>(items: Vec<T>) -> [T; 2] {
    items
        .try_into()
        .unwrap_or_else(|items: Vec<T>| panic!("expected two, got {}", items.len()))
}
