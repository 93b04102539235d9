//! The slow-readers scenario's attackers: spectator sockets on live matches that say
//! `Hello` and then never read, as a client that stops reading does. The servers must drop
//! them (the frames meant for them pile up) without the matches waiting for them.

use std::collections::BTreeMap;

use anyhow::Context;
use moonlight_client::{Api, Dialer, GameSocket};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// The sockets opened, and why the others could not be.
pub struct Opened {
    pub sockets: Vec<GameSocket>,
    pub failed: BTreeMap<String, u64>,
}

/// Opens `readers` spectator sockets spread over the live matches the lobby at `lobby`
/// lists, for one account of their own.
pub async fn open(
    api: &Api,
    lobby: &str,
    dialer: &Dialer,
    readers: usize,
) -> anyhow::Result<Opened> {
    let name = format!("slow{:012x}", rand::random::<u64>() >> 16);
    let tokens = api
        .register(&name, "slow-reader-password")
        .await
        .context("registering the slow readers' account")?;
    let (status, live) = api
        .request(
            Method::GET,
            &format!("{lobby}/v1/lobby/live?limit=50"),
            Some(&tokens.access),
            None,
        )
        .await?;
    anyhow::ensure!(
        status == StatusCode::OK,
        "GET /v1/lobby/live: {status} {live}"
    );
    let matches: Vec<String> = live["matches"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["match_id"].as_str().map(str::to_owned))
        .collect();
    anyhow::ensure!(!matches.is_empty(), "no live match to watch");
    let mut opened = Opened {
        sockets: Vec::with_capacity(readers),
        failed: BTreeMap::new(),
    };
    for n in 0..readers {
        let id = &matches[n % matches.len()];
        match watch(api, lobby, &tokens.access, id, dialer).await {
            Ok(socket) => opened.sockets.push(socket),
            Err(why) => *opened.failed.entry(why).or_default() += 1,
        }
    }
    Ok(opened)
}

/// A spectator's socket on match `id`, its `Hello` sent; `Err`: why not, in a word or two.
async fn watch(
    api: &Api,
    lobby: &str,
    token: &str,
    id: &str,
    dialer: &Dialer,
) -> Result<GameSocket, String> {
    let url = format!("{lobby}/v1/lobby/matches/{id}/watch");
    let (status, ticket) = api
        .request(
            Method::POST,
            &url,
            Some(token),
            Some(Value::Object(Default::default())),
        )
        .await
        .map_err(|e| e.kind())?;
    if status != StatusCode::OK {
        let code = ticket["error"]["code"].as_str().unwrap_or("?");
        return Err(format!("watch {status} {code}"));
    }
    let (Some(base), Some(ticket)) = (ticket["url"].as_str(), ticket["ticket"].as_str()) else {
        return Err("watch: no ticket".to_owned());
    };
    let mut socket = dialer
        .open(&format!("{base}?ticket={ticket}"))
        .await
        .map_err(|e| format!("connect: {}", e.root_cause()))?;
    socket
        .hello("slow-reader")
        .await
        .map_err(|_| "hello".to_owned())?;
    Ok(socket)
}
