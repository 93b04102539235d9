//! A bad network in user space, for the `bad-network` scenario: each worker puts a relay
//! between its bots and every server address they use (the auth service, the lobbies, each
//! game node as tickets name them), and the relay does to their bytes what a slow, lossy,
//! sometimes dark link would.
//!
//! `tc netem` in a network namespace is the usual tool, but not every kernel has it (this
//! machine's has no `sch_netem`) and a load generator should not need root. What an
//! application sees of a bad link is what TCP makes of it, so that is what the relay
//! models: bytes arrive one way's delay (± jitter) after they were sent, in order; a lost
//! segment arrives after TCP's retransmission timeout, doubling while the retransmission
//! is lost too; in a blackout nothing gets through either way, and what was sent arrives
//! with the first retransmission after the light comes back. Connections stay open
//! through all of it, as TCP's do: the endpoints' own timers (the server's heartbeat, a
//! client's patience) decide that a connection is dead.

use std::{
    collections::HashMap,
    io,
    net::{IpAddr, SocketAddr},
    sync::{Arc, OnceLock},
    time::Duration,
};

use anyhow::Context as _;
use parking_lot::Mutex;
use rand::{Rng as _, SeedableRng as _};
use serde::{Deserialize, Serialize};
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::{
        TcpListener, TcpSocket, TcpStream,
        tcp::{OwnedReadHalf, OwnedWriteHalf},
    },
    sync::mpsc,
    time::{Instant, sleep_until},
};

use moonlight_client::Route;

/// How bad the link is.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, clap::Args)]
pub struct Impairment {
    /// One-way delay, in milliseconds.
    #[arg(long, default_value_t = 100)]
    pub delay_ms: u64,
    /// The delay varies uniformly by up to this much either way, in milliseconds.
    #[arg(long, default_value_t = 50)]
    pub jitter_ms: u64,
    /// Fraction of TCP segments lost (each costs a retransmission timeout).
    #[arg(long, default_value_t = 0.05)]
    pub loss: f64,
    /// Mean seconds between blackouts (each gap is drawn from half to one and a half
    /// times this); 0 for none.
    #[arg(long, default_value_t = 40.0)]
    pub blackout_every_secs: f64,
    /// How long each blackout lasts, in seconds.
    #[arg(long, default_value_t = 10.0)]
    pub blackout_secs: f64,
    /// Seed of the blackout schedule (the same seed, the same schedule).
    #[arg(long, default_value_t = 1)]
    pub network_seed: u64,
}

/// Segment size the loss applies to: a chunk of bytes is lost if any of its segments is.
const SEGMENT: usize = 1448;
/// TCP's least retransmission timeout (Linux's `TCP_RTO_MIN`).
const RTO_MIN: Duration = Duration::from_millis(200);
/// TCP's first timeout, before the connection has measured its round trip (RFC 6298).
const RTO_INITIAL: Duration = Duration::from_secs(1);
/// TCP's longest (Linux's `TCP_RTO_MAX`).
const RTO_MAX: Duration = Duration::from_secs(120);
/// Chunks in flight one way before the relay stops reading: the link's window.
const WINDOW: usize = 256;

impl Impairment {
    /// The blackouts up to `until` seconds into the run: (start, length) in seconds.
    pub fn blackouts(&self, until: f64) -> Vec<(f64, f64)> {
        let mut schedule = Vec::new();
        if self.blackout_every_secs <= 0.0 || self.blackout_secs <= 0.0 {
            return schedule;
        }
        let mut rng = rand::rngs::StdRng::seed_from_u64(self.network_seed);
        let mut at = 0.0;
        loop {
            at += self.blackout_every_secs * rng.random_range(0.5..1.5);
            if at >= until {
                return schedule;
            }
            schedule.push((at, self.blackout_secs));
            at += self.blackout_secs;
        }
    }

    /// Time to retransmit a lost segment on an established connection: a round trip
    /// and the variation TCP allows for (at least [`RTO_MIN`]).
    fn rto(&self) -> Duration {
        let rtt = Duration::from_millis(2 * self.delay_ms);
        rtt + RTO_MIN.max(Duration::from_millis(4 * self.jitter_ms))
    }

    /// Chance that a chunk of `bytes` loses at least one of its segments.
    fn chunk_loss(&self, bytes: usize) -> f64 {
        let segments = bytes.div_ceil(SEGMENT).max(1);
        1.0 - (1.0 - self.loss.clamp(0.0, 1.0)).powi(i32::try_from(segments).unwrap_or(i32::MAX))
    }
}

/// The link: its impairment and, once the run begins, its blackouts.
struct Link {
    impairment: Impairment,
    /// Blackouts as instants; empty until [`BadNetwork::begin`].
    dark: OnceLock<Vec<(Instant, Instant)>>,
}

impl Link {
    fn dark_at(&self, t: Instant) -> bool {
        self.dark
            .get()
            .is_some_and(|spans| spans.iter().any(|(from, to)| (*from..*to).contains(&t)))
    }

    /// When `bytes` sent at `sent` arrive: one way's delay later or, each time a
    /// transmission is lost (by chance, or into a blackout), a retransmission later.
    fn arrival(&self, sent: Instant, bytes: usize, first_rto: Duration) -> Instant {
        let mut rng = rand::rng();
        let delay = self.impairment.delay_ms as f64;
        let jitter = self.impairment.jitter_ms as f64;
        let loss = self.impairment.chunk_loss(bytes);
        let (mut send, mut rto) = (sent, first_rto);
        // TCP gives up after 15 retransmissions (`tcp_retries2`); the blackouts here are
        // far shorter than that.
        for _ in 0..15 {
            let one_way = Duration::from_secs_f64(
                (delay + rng.random_range(-jitter..=jitter)).max(0.0) / 1000.0,
            );
            let arrive = send + one_way;
            let lost = rng.random::<f64>() < loss;
            if !lost && !self.dark_at(send) && !self.dark_at(arrive) {
                return arrive;
            }
            send += rto;
            rto = (rto * 2).min(RTO_MAX);
        }
        send
    }
}

/// A worker's bad network: a relay per server address, opened on first use.
pub struct BadNetwork {
    link: Arc<Link>,
    /// Server address → the relay's address.
    relays: Mutex<HashMap<SocketAddr, SocketAddr>>,
    /// Where the relays' own connections come from (as the bots' would).
    source_ip: Option<IpAddr>,
}

impl BadNetwork {
    pub fn new(impairment: Impairment, source_ip: Option<IpAddr>) -> Arc<Self> {
        Arc::new(Self {
            link: Arc::new(Link {
                impairment,
                dark: OnceLock::new(),
            }),
            relays: Mutex::default(),
            source_ip,
        })
    }

    /// The run begins: blackouts (seconds into the run) count from `now`.
    pub fn begin(&self, now: Instant, blackouts: &[(f64, f64)]) {
        let spans = blackouts
            .iter()
            .map(|(at, secs)| {
                let from = now + Duration::from_secs_f64(*at);
                (from, from + Duration::from_secs_f64(*secs))
            })
            .collect();
        let _ = self.link.dark.set(spans);
    }

    /// `url` (`scheme://host:port/…`) with its host and port those of the relay to it.
    pub async fn relay_url(&self, url: &str) -> anyhow::Result<String> {
        let (scheme, rest) = url
            .split_once("://")
            .with_context(|| format!("{url}: not a URL"))?;
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let to = tokio::net::lookup_host(&rest[..end])
            .await
            .with_context(|| format!("resolving {url}"))?
            .next()
            .with_context(|| format!("{url} resolves to nothing"))?;
        let relay = self.via(to)?;
        Ok(format!("{scheme}://{relay}{}", &rest[end..]))
    }
}

impl Route for BadNetwork {
    fn via(&self, to: SocketAddr) -> io::Result<SocketAddr> {
        let mut relays = self.relays.lock();
        if let Some(relay) = relays.get(&to) {
            return Ok(*relay);
        }
        let listener = std::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))?;
        listener.set_nonblocking(true)?;
        let listener = TcpListener::from_std(listener)?;
        let relay = listener.local_addr()?;
        tokio::spawn(accept(listener, to, Arc::clone(&self.link), self.source_ip));
        relays.insert(to, relay);
        Ok(relay)
    }
}

/// Relays every connection `listener` accepts to `to`, for as long as the worker runs.
async fn accept(listener: TcpListener, to: SocketAddr, link: Arc<Link>, source: Option<IpAddr>) {
    loop {
        match listener.accept().await {
            Ok((client, _)) => {
                tokio::spawn(relay(client, to, Arc::clone(&link), source));
            }
            // Out of descriptors for a moment: the bot's connect waits in the backlog.
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
}

/// One connection: the handshake crosses the link first, then bytes both ways.
async fn relay(client: TcpStream, to: SocketAddr, link: Arc<Link>, source: Option<IpAddr>) {
    sleep_until(link.arrival(Instant::now(), 0, RTO_INITIAL)).await;
    let Ok(server) = connect(to, source).await else {
        // The bot sees its connection reset, as it would seeing the server's refusal.
        return;
    };
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let up = carry(Arc::clone(&link), client_read, server_write);
    let down = carry(link, server_read, client_write);
    tokio::pin!(up, down);
    // A reset either way ends both; a clean end one way lets the other finish.
    tokio::select! {
        ended = &mut up => if ended.is_ok() { let _ = down.await; },
        ended = &mut down => if ended.is_ok() { let _ = up.await; },
    }
}

async fn connect(to: SocketAddr, source: Option<IpAddr>) -> io::Result<TcpStream> {
    let socket = if to.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if let Some(ip) = source {
        socket.bind(SocketAddr::new(ip, 0))?;
    }
    let stream = socket.connect(to).await?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// One direction: each chunk read is written when the link delivers it, in order; the end
/// of the stream follows the last chunk.
async fn carry(link: Arc<Link>, mut from: OwnedReadHalf, mut to: OwnedWriteHalf) -> io::Result<()> {
    let (chunks, mut arriving) = mpsc::channel::<(Instant, Vec<u8>)>(WINDOW);
    let read = async move {
        let mut buffer = vec![0; 16 * 1024];
        let mut last = Instant::now();
        loop {
            let n = from.read(&mut buffer).await?;
            // In order: nothing overtakes what was sent before it.
            last = link
                .arrival(Instant::now(), n, link.impairment.rto())
                .max(last);
            if chunks.send((last, buffer[..n].to_vec())).await.is_err() || n == 0 {
                return Ok::<_, io::Error>(());
            }
        }
    };
    let write = async move {
        while let Some((at, bytes)) = arriving.recv().await {
            sleep_until(at).await;
            if bytes.is_empty() {
                to.shutdown().await?;
                break;
            }
            to.write_all(&bytes).await?;
        }
        Ok(())
    };
    tokio::try_join!(read, write).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn impairment() -> Impairment {
        Impairment {
            delay_ms: 100,
            jitter_ms: 50,
            loss: 0.05,
            blackout_every_secs: 40.0,
            blackout_secs: 10.0,
            network_seed: 7,
        }
    }

    #[test]
    fn blackouts_follow_the_seed_and_never_overlap() {
        let schedule = impairment().blackouts(600.0);
        assert_eq!(schedule, impairment().blackouts(600.0));
        assert!((10..=20).contains(&schedule.len()), "{schedule:?}");
        for pair in schedule.windows(2) {
            assert!(pair[0].0 + pair[0].1 + 20.0 <= pair[1].0, "{pair:?}");
        }
        let none = Impairment {
            blackout_every_secs: 0.0,
            ..impairment()
        };
        assert!(none.blackouts(600.0).is_empty());
    }

    #[test]
    fn bytes_arrive_late_and_a_blackout_holds_them_until_a_retransmission_after_it() {
        let link = Link {
            impairment: Impairment {
                loss: 0.0,
                ..impairment()
            },
            dark: OnceLock::new(),
        };
        let now = Instant::now();
        for _ in 0..100 {
            let late = link.arrival(now, 100, RTO_MIN) - now;
            assert!((50..=150).contains(&late.as_millis()), "{late:?}");
        }
        // Dark from 1 s to 11 s: what is sent at 2 s is retransmitted at 2.2, 2.6, 3.4,
        // 5.0, 8.2 and 14.6 s; the first one after the blackout gets through.
        link.dark
            .set(vec![(
                now + Duration::from_secs(1),
                now + Duration::from_secs(11),
            )])
            .unwrap();
        let sent = now + Duration::from_secs(2);
        let late = link.arrival(sent, 100, RTO_MIN) - now;
        assert!(
            (14_650..=14_750).contains(&late.as_millis()),
            "arrived at {late:?}"
        );
    }

    #[test]
    fn a_big_chunk_is_lost_more_often_than_a_small_one() {
        let i = impairment();
        assert!((i.chunk_loss(100) - 0.05).abs() < 1e-9);
        assert!(i.chunk_loss(16 * 1024) > 0.4);
        assert!(i.rto() >= Duration::from_millis(400));
    }

    #[tokio::test]
    async fn a_relay_carries_bytes_both_ways_and_the_end_of_the_stream() {
        let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let to = server.local_addr().unwrap();
        let network = BadNetwork::new(
            Impairment {
                delay_ms: 5,
                jitter_ms: 1,
                loss: 0.0,
                ..impairment()
            },
            None,
        );
        let relay = network.via(to).unwrap();
        assert_eq!(network.via(to).unwrap(), relay, "one relay per address");
        let echo = tokio::spawn(async move {
            let (mut socket, _) = server.accept().await.unwrap();
            let mut got = Vec::new();
            socket.read_to_end(&mut got).await.unwrap();
            socket.write_all(&got).await.unwrap();
        });
        let mut client = TcpStream::connect(relay).await.unwrap();
        let sent: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        client.write_all(&sent).await.unwrap();
        client.shutdown().await.unwrap();
        let mut back = Vec::new();
        client.read_to_end(&mut back).await.unwrap();
        assert_eq!(back, sent);
        echo.await.unwrap();
    }
}
