//! Who plays whom: pure pairing of the waiting queue by rating, the accepted gap widening
//! with each player's wait. Pure so it can be tested exhaustively; `Lobby::match_round`
//! applies it.

use std::time::Duration;

use crate::config::LobbyConfig;

/// A queued player, as the pairing sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting {
    pub player_id: String,
    pub rating: f64,
    pub waited: Duration,
}

/// Pairs as many players as the windows allow, each at most once. Longest-waiting players
/// choose first, and each takes the closest rating among those who accept them too (a gap
/// no wider than either player's window). Returns index pairs into `queue`.
pub fn pair(queue: &[Waiting], config: &LobbyConfig) -> Vec<(usize, usize)> {
    // Indices sorted by rating, so each player's candidates are its neighbours.
    let mut by_rating: Vec<usize> = (0..queue.len()).collect();
    by_rating.sort_by(|&a, &b| queue[a].rating.total_cmp(&queue[b].rating));
    let mut position = vec![0; queue.len()];
    for (pos, &i) in by_rating.iter().enumerate() {
        position[i] = pos;
    }
    let mut by_wait: Vec<usize> = (0..queue.len()).collect();
    by_wait.sort_by(|&a, &b| queue[b].waited.cmp(&queue[a].waited));

    let window = |i: usize| config.window(queue[i].waited);
    let accepts = |i: usize, j: usize| {
        let gap = (queue[i].rating - queue[j].rating).abs();
        gap <= window(i) && gap <= window(j)
    };
    let mut taken = vec![false; queue.len()];
    let mut pairs = Vec::new();
    for &me in &by_wait {
        if taken[me] {
            continue;
        }
        let reach = window(me);
        let here = position[me];
        // The nearest free neighbour on each side within my window, then the closer one.
        let below = by_rating[..here]
            .iter()
            .rev()
            .take_while(|&&j| queue[me].rating - queue[j].rating <= reach)
            .find(|&&j| !taken[j] && accepts(me, j));
        let above = by_rating[here + 1..]
            .iter()
            .take_while(|&&j| queue[j].rating - queue[me].rating <= reach)
            .find(|&&j| !taken[j] && accepts(me, j));
        let gap = |j: usize| (queue[me].rating - queue[j].rating).abs();
        let best = match (below, above) {
            (Some(&b), Some(&a)) => Some(if gap(b) <= gap(a) { b } else { a }),
            (Some(&j), None) | (None, Some(&j)) => Some(j),
            (None, None) => None,
        };
        if let Some(other) = best {
            taken[me] = true;
            taken[other] = true;
            pairs.push((me, other));
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn waiting(rating: f64, waited_secs: u64) -> Waiting {
        Waiting {
            player_id: format!("p{rating}-{waited_secs}"),
            rating,
            waited: Duration::from_secs(waited_secs),
        }
    }

    #[test]
    fn close_ratings_pair_at_once() {
        let config = LobbyConfig::default();
        let queue = [waiting(1500.0, 0), waiting(1550.0, 0)];
        assert_eq!(pair(&queue, &config), [(0, 1)]);
    }

    #[test]
    fn a_wide_gap_waits_until_both_windows_have_widened() {
        let config = LobbyConfig::default();
        // 300 apart: the default window is 100 + 10/s, so both need 20 s of waiting.
        let fresh = [waiting(1500.0, 0), waiting(1800.0, 0)];
        assert!(pair(&fresh, &config).is_empty());
        let one_waited = [waiting(1500.0, 60), waiting(1800.0, 0)];
        assert!(pair(&one_waited, &config).is_empty());
        let both_waited = [waiting(1500.0, 20), waiting(1800.0, 20)];
        assert_eq!(pair(&both_waited, &config), [(0, 1)]);
    }

    #[test]
    fn the_longest_waiting_player_gets_the_closest_rating() {
        let config = LobbyConfig::default();
        let queue = [
            waiting(1500.0, 1),
            waiting(1520.0, 30),
            waiting(1530.0, 2),
            waiting(1600.0, 3),
        ];
        let pairs = pair(&queue, &config);
        assert_eq!(pairs[0], (1, 2));
        assert_eq!(pairs[1], (3, 0));
    }

    proptest! {
        #[test]
        fn nobody_is_paired_twice_and_every_pair_is_within_both_windows(
            players in proptest::collection::vec((800.0f64..2400.0, 0u64..120), 0..60)
        ) {
            let config = LobbyConfig::default();
            let queue: Vec<Waiting> =
                players.iter().map(|&(rating, secs)| waiting(rating, secs)).collect();
            let pairs = pair(&queue, &config);
            let mut seen = vec![false; queue.len()];
            for &(a, b) in &pairs {
                prop_assert!(a != b);
                prop_assert!(!seen[a] && !seen[b]);
                seen[a] = true;
                seen[b] = true;
                let gap = (queue[a].rating - queue[b].rating).abs();
                prop_assert!(gap <= config.window(queue[a].waited));
                prop_assert!(gap <= config.window(queue[b].waited));
            }
            // Maximality: no two players left over would have accepted each other.
            let left: Vec<usize> = (0..queue.len()).filter(|&i| !seen[i]).collect();
            for (n, &a) in left.iter().enumerate() {
                for &b in &left[n + 1..] {
                    let gap = (queue[a].rating - queue[b].rating).abs();
                    prop_assert!(
                        gap > config.window(queue[a].waited) || gap > config.window(queue[b].waited)
                    );
                }
            }
        }
    }
}
