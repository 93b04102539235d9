//! A real WebSocket game client for tests: protobuf frames over tokio-tungstenite, with
//! bounded waits, and a simple policy that plays legal actions.

use std::{net::SocketAddr, time::Duration};

use futures_util::{SinkExt, StreamExt};
use moonlight_proto::v1::{self as pb, client_frame, server_frame::Body};
use prost::Message as _;
use tokio::net::TcpStream;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message};

/// Bound on any single wait for the server, so a broken server fails instead of hanging.
pub const PATIENCE: Duration = Duration::from_secs(20);

pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    pub next_client_seq: u64,
    /// The room sequence number of the last update seen.
    pub last_seq: u64,
}

impl Client {
    /// A client whose socket has a tiny receive buffer: once it stops reading, the server
    /// notices after a few frames.
    pub async fn connect_with_small_buffer(addr: SocketAddr, url: &str) -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket.set_recv_buffer_size(1024).expect("SO_RCVBUF");
        let stream = socket.connect(addr).await.expect("connect");
        let (ws, _) = tokio_tungstenite::client_async(url, MaybeTlsStream::Plain(stream))
            .await
            .expect("websocket handshake");
        Self {
            ws,
            next_client_seq: 1,
            last_seq: 0,
        }
    }

    pub async fn connect(url: &str) -> Self {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("websocket connect");
        Self {
            ws,
            next_client_seq: 1,
            last_seq: 0,
        }
    }

    pub async fn send(&mut self, body: client_frame::Body) {
        let frame = pb::ClientFrame { body: Some(body) };
        self.ws
            .send(Message::Binary(frame.encode_to_vec().into()))
            .await
            .expect("send");
    }

    pub async fn hello(&mut self) {
        self.send(client_frame::Body::Hello(pb::Hello {
            protocol_version: pb::ProtocolVersion::ProtocolVersion1.into(),
            client_name: "test".into(),
        }))
        .await;
    }

    /// The next server frame (pings and pongs skipped); `None` once the socket closed.
    pub async fn next(&mut self) -> Option<Body> {
        loop {
            let message = tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("a frame in time")?;
            match message {
                Ok(Message::Binary(bytes)) => {
                    let body = pb::ServerFrame::decode(bytes.as_ref())
                        .expect("a ServerFrame")
                        .body
                        .expect("a body");
                    if let Body::Update(update) = &body {
                        self.last_seq = update.seq;
                    }
                    if let Body::Welcome(welcome) = &body {
                        self.last_seq = welcome.seq;
                    }
                    return Some(body);
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// The next frame for the seat `seat` (socket open), checked to show none of the other
    /// seats' hidden cards.
    pub async fn next_seen_by(&mut self, seat: usize) -> Body {
        let body = self.next().await.expect("socket open");
        assert_hides_other_hands(seat as u32, &body);
        body
    }

    /// The close code the server ended the socket with.
    pub async fn close_code(&mut self) -> Option<u16> {
        loop {
            match tokio::time::timeout(PATIENCE, self.ws.next())
                .await
                .expect("a frame in time")
            {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    }

    pub async fn resume(&mut self, last_seq: u64) {
        self.send(client_frame::Body::Resume(pb::Resume {
            protocol_version: pb::ProtocolVersion::ProtocolVersion1.into(),
            last_seq,
        }))
        .await;
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
        self.send(client_frame::Body::Action(pb::Action {
            client_seq,
            kind: Some(kind),
        }))
        .await;
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
    if let Some(view) = view {
        let mine = view.seats.iter().find(|s| s.seat == me).expect("my seat");
        for card in &view.hand {
            assert!(
                mine.hand.contains(&card.handle),
                "seat {me} was shown a card not in its own hand"
            );
        }
    }
}

/// A legal action as the `Action` frame kind that performs it (concede excluded).
pub fn as_action(legal: &pb::LegalAction) -> Option<pb::action::Kind> {
    use pb::legal_action::Kind;
    match legal.kind.as_ref()? {
        Kind::PlayCard(p) => Some(pb::action::Kind::PlayCard(*p)),
        Kind::Attack(a) => Some(pb::action::Kind::Attack(*a)),
        Kind::EndTurn(e) => Some(pb::action::Kind::EndTurn(*e)),
        Kind::Mulligan(m) => Some(pb::action::Kind::Mulligan(m.clone())),
        Kind::Concede(_) => None,
    }
}

/// A simple aggressive policy: keep the opening hand, then attack the enemy hero if
/// possible, else play a card, else attack anything, else end the turn. Keeps test
/// matches short. `None` when the seat has nothing to do (e.g. waiting for a mulligan).
pub fn choose(view: &pb::View, legal: &[pb::LegalAction], me: u32) -> Option<pb::action::Kind> {
    let enemy_hero = view.seats.iter().find(|s| s.seat != me).map(|s| s.hero);
    let actions: Vec<pb::action::Kind> = legal.iter().filter_map(as_action).collect();
    if actions
        .iter()
        .any(|a| matches!(a, pb::action::Kind::Mulligan(_)))
    {
        return Some(pb::action::Kind::Mulligan(pb::Mulligan {
            replace: Vec::new(),
        }));
    }
    if actions.is_empty() {
        return None;
    }
    let hero_attack = actions
        .iter()
        .find(|a| matches!(a, pb::action::Kind::Attack(x) if Some(x.target) == enemy_hero));
    let play = actions
        .iter()
        .find(|a| matches!(a, pb::action::Kind::PlayCard(_)));
    let attack = actions
        .iter()
        .find(|a| matches!(a, pb::action::Kind::Attack(_)));
    Some(
        hero_attack
            .or(play)
            .or(attack)
            .cloned()
            .unwrap_or(pb::action::Kind::EndTurn(pb::EndTurn {})),
    )
}

/// Both seats of one room playing each other with [`choose`], every update checked to
/// arrive in order on both sockets and to hide the other seat's cards.
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
            let mut client = Client::connect(url).await;
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
            let mut client = Client::connect(url).await;
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
            self.views[viewer] = update.view.expect("live updates carry the view");
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

/// Plays one seat alone against whatever plays the others (a practice bot), from the hello
/// to the game over, with [`choose`]; returns the outcome.
pub async fn play_alone(url: &str) -> pb::Outcome {
    let mut client = Client::connect(url).await;
    client.hello().await;
    let welcome = client.welcome().await;
    let me = welcome.seat.expect("a seated ticket");
    client.next_client_seq = welcome.last_client_seq + 1;
    let mut view = welcome.view.expect("a welcome carries the view");
    let mut legal = welcome.legal_actions;
    let mut in_flight = None;
    loop {
        if in_flight.is_none()
            && let Some(action) = choose(&view, &legal, me)
        {
            in_flight = Some(client.act(action).await);
        }
        match client.next_seen_by(me as usize).await {
            Body::Update(update) => {
                if update.acked_client_seq.is_some() {
                    assert_eq!(update.acked_client_seq, in_flight);
                    in_flight = None;
                }
                view = update.view.expect("live updates carry the view");
                legal = update.legal_actions;
            }
            Body::GameOver(over) => return over.outcome.expect("an outcome"),
            Body::ActionRejected(rejected) => panic!("a legal action was refused: {rejected:?}"),
            _ => {}
        }
    }
}
