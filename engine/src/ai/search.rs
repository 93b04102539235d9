//! [`Level::Normal`](super::Level::Normal) and [`Level::Hard`](super::Level::Hard):
//! single-observer information-set Monte Carlo tree search (SO-ISMCTS, Cowling, Powley &
//! Whitehouse 2012).
//!
//! One tree of actions for the whole search. Each playout samples a world the seat cannot
//! tell from the real one ([`Game::determinized`]), walks down the tree choosing among the
//! actions legal in *that* world (UCB1 with availability counts: a child's exploration
//! term counts only the playouts in which it could have been chosen), adds one untried
//! action, plays on with a fast policy to the end of the next opponent's turn, and scores
//! the position for the seat's team (1 a win, 0 a loss, ½ a draw; otherwise the easy
//! bot's score squashed into 0..1). Each node keeps its value from the point of view of
//! the seat that acted into it, so opponents' moves are chosen to hurt us. The move
//! played is the root's most visited child.
//!
//! Deterministic for a budget run to its end: the samples come from a seed made of
//! public facts.

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::heuristic;
use crate::ids::Seat;
use crate::rules::Game;
use crate::rules::actions::Action;

/// How long a search may go on.
pub struct Budget<'a> {
    /// Playouts at most.
    pub playouts: u32,
    /// Asked every [`STOP_EVERY`] playouts: `true` ends the search there (a time cap).
    pub stop: &'a dyn Fn() -> bool,
}

/// How often the budget's `stop` is asked (and the fewest playouts a search makes).
const STOP_EVERY: u32 = 16;
/// UCB1's exploration constant, for values in 0..1.
const EXPLORATION: f64 = 0.7;
/// The easy bot's score at which a position is worth 0.73 (and minus this, 0.27).
const SCORE_SCALE: f64 = 40.0;
/// A playout's fast policy stops after this many actions even if the turn goes on.
const PLAYOUT_ACTIONS: usize = 80;

/// One action in the tree, with what the playouts through it earned.
struct Node {
    /// Who took `action`.
    seat: Seat,
    action: Action,
    children: Vec<usize>,
    visits: u32,
    /// Playouts in which this action was legal when its parent was reached.
    available: u32,
    /// Sum of playout values from `seat`'s side's point of view.
    reward: f64,
}

pub(super) fn choose(game: &Game, seat: Seat, budget: Budget) -> Option<Action> {
    if !game.seats_to_act().contains(&seat) {
        return None;
    }
    let legal = candidates(game, seat);
    if legal.iter().any(|a| matches!(a, Action::Mulligan { .. })) {
        let legal = game.legal_actions(seat);
        return heuristic::opening_hand(game, seat, &legal);
    }
    if legal.len() <= 1 {
        return legal.into_iter().next();
    }
    let view = game.view_for(seat);
    let mut rng = ChaCha8Rng::seed_from_u64(heuristic::lookahead_seed(&view));
    let mut search = Search {
        me: seat,
        teams: view.seats.iter().map(|s| s.team).collect(),
        tree: Vec::new(),
    };
    // A win on the spot beats anything a search could find (and the most visited move
    // need not be it: other moves may win a turn later in most playouts).
    let world = game.determinized(seat, rng.next_u64());
    if let Some(win) = legal.iter().find(|&a| {
        let mut after = world.clone();
        after.apply(seat, a.clone()).is_ok() && after.is_over() && search.value(&after) == 1.0
    }) {
        return Some(win.clone());
    }
    // The root stands for the position now; its action is never played.
    search.tree.push(Node::new(seat, Action::EndTurn));
    for playout in 0..budget.playouts {
        if playout > 0 && playout % STOP_EVERY == 0 && (budget.stop)() {
            break;
        }
        let world = game.determinized(seat, rng.next_u64());
        search.playout(world, &mut rng);
    }
    let most_visited = search.tree[0]
        .children
        .iter()
        .map(|&c| &search.tree[c])
        .max_by_key(|n| n.visits);
    match most_visited {
        Some(node) => Some(node.action.clone()),
        None => heuristic::choose_action(game, seat),
    }
}

struct Search {
    me: Seat,
    /// Each seat's team.
    teams: Vec<u8>,
    tree: Vec<Node>,
}

impl Search {
    /// One playout in `world`: down the tree, one new node, a fast finish, the value back
    /// up the path.
    fn playout(&mut self, mut world: Game, rng: &mut ChaCha8Rng) {
        let mut path = vec![0];
        let mut at = 0;
        while let Some(&actor) = world.seats_to_act().first() {
            let legal = candidates(&world, actor);
            let mut untried = Vec::new();
            let mut available = Vec::new();
            for action in legal {
                let child = self.tree[at]
                    .children
                    .iter()
                    .copied()
                    .find(|&c| self.tree[c].seat == actor && self.tree[c].action == action);
                match child {
                    Some(c) => available.push(c),
                    None => untried.push(action),
                }
            }
            for &c in &available {
                self.tree[c].available += 1;
            }
            if !untried.is_empty() {
                let action = untried.swap_remove(rng.random_range(0..untried.len()));
                if world.apply(actor, action.clone()).is_err() {
                    break;
                }
                let child = self.tree.len();
                self.tree.push(Node::new(actor, action));
                self.tree[at].children.push(child);
                path.push(child);
                break;
            }
            let Some(next) = self.select(&available) else {
                break;
            };
            if world.apply(actor, self.tree[next].action.clone()).is_err() {
                break;
            }
            path.push(next);
            at = next;
        }
        let value = self.finish(&mut world, rng);
        for &n in &path {
            let ours = self.team(self.tree[n].seat) == self.team(self.me);
            let node = &mut self.tree[n];
            node.visits += 1;
            node.reward += if ours { value } else { 1.0 - value };
        }
    }

    /// The available child with the best UCB1 value (every one has been visited).
    fn select(&self, available: &[usize]) -> Option<usize> {
        let ucb = |c: usize| {
            let n = &self.tree[c];
            let visits = f64::from(n.visits.max(1));
            n.reward / visits + EXPLORATION * (f64::from(n.available.max(1)).ln() / visits).sqrt()
        };
        available
            .iter()
            .copied()
            .max_by(|&a, &b| ucb(a).total_cmp(&ucb(b)))
    }

    /// Plays `world` on with a fast policy (uniformly among the plays and attacks, the
    /// turn ended when none is left) until our seat's turn comes round again after an
    /// opponent's, then values it for our team.
    fn finish(&self, world: &mut Game, rng: &mut ChaCha8Rng) -> f64 {
        let mut opponent_moved = world.active_seat() != self.me;
        for _ in 0..PLAYOUT_ACTIONS {
            let Some(&actor) = world.seats_to_act().first() else {
                break;
            };
            if actor == self.me && opponent_moved {
                break;
            }
            opponent_moved |= actor != self.me;
            let mut moves = candidates(world, actor);
            moves.retain(|a| *a != Action::EndTurn);
            let action = match moves.len() {
                0 => Action::EndTurn,
                n => moves.swap_remove(rng.random_range(0..n)),
            };
            if world.apply(actor, action).is_err() {
                break;
            }
        }
        self.value(world)
    }

    /// What `world` is worth to our team, in 0..1.
    fn value(&self, world: &Game) -> f64 {
        if let Some(outcome) = world.outcome() {
            let ours = |s: &Seat| self.team(*s) == self.team(self.me);
            return if outcome.winners.iter().any(ours) {
                1.0
            } else if outcome.winners.is_empty() {
                0.5
            } else {
                0.0
            };
        }
        let score = heuristic::score(&world.view_for(self.me), self.me) as f64;
        1.0 / (1.0 + (-score / SCORE_SCALE).exp())
    }

    fn team(&self, seat: Seat) -> Option<u8> {
        self.teams.get(seat.index()).copied()
    }
}

impl Node {
    fn new(seat: Seat, action: Action) -> Self {
        Self {
            seat,
            action,
            children: Vec::new(),
            visits: 0,
            available: 0,
            reward: 0.0,
        }
    }
}

/// The actions worth searching: every legal one but conceding.
fn candidates(game: &Game, seat: Seat) -> Vec<Action> {
    let mut legal = game.legal_actions(seat);
    legal.retain(|a| *a != Action::Concede);
    legal
}
