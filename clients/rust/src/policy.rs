//! A simple way to play: pick among the legal actions the server listed. Test matches and
//! load-test bots use it; it keeps matches short.

use moonlight_proto::v1 as pb;

/// A legal action as the `Action` frame kind that performs it (concede excluded).
pub fn as_action(legal: &pb::LegalAction) -> Option<pb::action::Kind> {
    use pb::legal_action::Kind;
    match legal.kind.as_ref()? {
        Kind::PlayCard(p) => Some(pb::action::Kind::PlayCard(*p)),
        Kind::Attack(a) => Some(pb::action::Kind::Attack(*a)),
        Kind::EndTurn(e) => Some(pb::action::Kind::EndTurn(*e)),
        Kind::Mulligan(m) => Some(pb::action::Kind::Mulligan(m.clone())),
        Kind::UsePower(p) => Some(pb::action::Kind::UsePower(*p)),
        Kind::Concede(_) => None,
    }
}

/// An aggressive policy: keep the opening hand, then attack the enemy hero if possible,
/// else play a card, else attack anything, else use the hero power, else end the turn. `None` when the seat has
/// nothing to do (e.g. waiting for the other seat's opening hand).
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
    let power = actions
        .iter()
        .find(|a| matches!(a, pb::action::Kind::UsePower(_)));
    Some(
        hero_attack
            .or(play)
            .or(attack)
            .or(power)
            .cloned()
            .unwrap_or(pb::action::Kind::EndTurn(pb::EndTurn {})),
    )
}
