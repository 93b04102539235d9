//! One bot: one seat's socket, playing legal actions after a think time and timing each
//! action until the update that acknowledges it arrives.

use std::{collections::BTreeMap, time::Duration};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use hdrhistogram::Histogram;
use moonlight_proto::v1::{self as pb, client_frame, server_frame::Body};
use moonlight_testkit::game_client::choose;
use prost::Message as _;
use tokio::{
    net::TcpStream,
    time::{Instant, sleep_until},
};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream, tungstenite::Message};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

pub struct Bot {
    socket: Socket,
    seat: u32,
    view: pb::View,
    legal: Vec<pb::LegalAction>,
    next_client_seq: u64,
}

/// What one bot (or, merged, all of them) measured.
pub struct Report {
    pub latency: Histogram<u64>,
    pub actions: u64,
    pub matches_finished: u64,
    pub errors: BTreeMap<String, u64>,
}

impl Default for Report {
    fn default() -> Self {
        Self {
            latency: crate::histogram(),
            actions: 0,
            matches_finished: 0,
            errors: BTreeMap::new(),
        }
    }
}

impl Report {
    pub fn merge(&mut self, other: Self) {
        self.latency
            .add(&other.latency)
            .expect("same histogram bounds");
        self.actions += other.actions;
        self.matches_finished += other.matches_finished;
        for (kind, n) in other.errors {
            *self.errors.entry(kind).or_default() += n;
        }
    }

    pub fn errors_line(&self) -> String {
        if self.errors.is_empty() {
            return "none".to_owned();
        }
        self.errors
            .iter()
            .map(|(kind, n)| format!("{kind}: {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn error(&mut self, kind: &str) {
        *self.errors.entry(kind.to_owned()).or_default() += 1;
    }
}

impl Bot {
    /// Opens the socket, says hello and reads the welcome; returns the time that took.
    pub async fn connect(url: &str, seat: u8) -> anyhow::Result<(Self, Duration)> {
        let started = Instant::now();
        let (mut socket, _) = tokio_tungstenite::connect_async(url)
            .await
            .context("opening the socket")?;
        send(
            &mut socket,
            client_frame::Body::Hello(pb::Hello {
                protocol_version: pb::ProtocolVersion::ProtocolVersion1.into(),
                client_name: "loadtest".into(),
            }),
        )
        .await?;
        let welcome = loop {
            match receive(&mut socket).await? {
                Some(Body::Welcome(welcome)) => break welcome,
                Some(Body::Error(error)) => bail!("refused: {} ({})", error.code, error.message),
                Some(_) => {}
                None => bail!("closed before the welcome"),
            }
        };
        let bot = Self {
            socket,
            seat: u32::from(seat),
            view: welcome.view.context("a welcome without a view")?,
            legal: welcome.legal_actions,
            next_client_seq: welcome.last_client_seq + 1,
        };
        Ok((bot, started.elapsed()))
    }

    /// Plays until `stop` or the end of the match.
    pub async fn play(mut self, think: Duration, stop: Instant) -> Report {
        let mut report = Report::default();
        // The action waiting for its acknowledgement: client sequence number, when sent.
        let mut pending: Option<(u64, Instant)> = None;
        let mut act_at = self.wants_to_act().then(|| Instant::now() + jitter(think));
        loop {
            let wake = act_at.map_or(stop, |at| at.min(stop));
            tokio::select! {
                frame = receive(&mut self.socket) => match frame {
                    Ok(Some(Body::Update(update))) => {
                        if let (Some(acked), Some((client_seq, sent))) = (update.acked_client_seq, pending)
                            && acked == client_seq
                        {
                            report.latency.saturating_record(crate::micros(sent.elapsed()));
                            report.actions += 1;
                            pending = None;
                        }
                        if let Some(view) = update.view {
                            self.view = view;
                        }
                        self.legal = update.legal_actions;
                    }
                    Ok(Some(Body::GameOver(_))) => {
                        report.matches_finished += 1;
                        break;
                    }
                    Ok(Some(Body::ActionRejected(rejected))) => {
                        report.error(&format!("rejected {}", rejected.reason));
                        pending = None;
                    }
                    Ok(Some(Body::Error(error))) => report.error(&format!("error {}", error.code)),
                    Ok(Some(_)) => {}
                    Ok(None) => {
                        report.error("closed by the server");
                        break;
                    }
                    Err(_) => {
                        report.error("socket error");
                        break;
                    }
                },
                () = sleep_until(wake) => {
                    if Instant::now() >= stop {
                        break;
                    }
                    act_at = None;
                    if let Some(action) = choose(&self.view, &self.legal, self.seat) {
                        let client_seq = self.next_client_seq;
                        self.next_client_seq += 1;
                        let frame = client_frame::Body::Action(pb::Action { client_seq, kind: Some(action) });
                        if send(&mut self.socket, frame).await.is_err() {
                            report.error("socket error");
                            break;
                        }
                        pending = Some((client_seq, Instant::now()));
                    }
                }
            }
            if pending.is_none() && act_at.is_none() && self.wants_to_act() {
                act_at = Some(Instant::now() + jitter(think));
            }
        }
        let _ = self.socket.close(None).await;
        report
    }

    fn wants_to_act(&self) -> bool {
        choose(&self.view, &self.legal, self.seat).is_some()
    }
}

/// A think time drawn uniformly from half to one and a half times `mean`.
fn jitter(mean: Duration) -> Duration {
    mean.mul_f64(0.5 + rand::random::<f64>())
}

async fn send(socket: &mut Socket, body: client_frame::Body) -> anyhow::Result<()> {
    let frame = pb::ClientFrame { body: Some(body) };
    socket
        .send(Message::Binary(frame.encode_to_vec().into()))
        .await?;
    Ok(())
}

/// The next server frame; `None` once the server closed the socket.
async fn receive(socket: &mut Socket) -> anyhow::Result<Option<Body>> {
    while let Some(message) = socket.next().await {
        match message? {
            Message::Binary(bytes) => {
                let frame = pb::ServerFrame::decode(bytes.as_ref()).context("a bad ServerFrame")?;
                return frame.body.map(Some).context("a ServerFrame without a body");
            }
            Message::Close(_) => return Ok(None),
            _ => {}
        }
    }
    Ok(None)
}
