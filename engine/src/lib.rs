//! The Moonlight card rules engine and the loader/checker for designers' content.
//!
//! - [`content`]: load and check `content/` ([`Content::load`], [`check_dir`]);
//! - [`rules`]: the deterministic engine ([`Game`]), its actions, events and views;
//! - [`snapshot`]: compact state bytes and the state hash;
//! - [`ai`]: the practice bot's player at each [`Level`] ([`ai::choose`]).
//!
//! Pure: no clock, no global RNG, no I/O except reading content files. See
//! `engine/README.md` for the model, the resolution order and the guarantees.

pub mod ai;
pub mod content;
mod ids;
mod rng;
pub mod rules;
pub mod snapshot;

pub use ai::{Level, choose_action};
pub use content::schema::{self, Keyword, json_schema};
pub use content::{
    CheckReport, Content, ContentStore, DeckError, Diagnostic, RefusedReload, Severity, SourceFile,
    check_dir, check_sources,
};
pub use ids::{CardId, EntityId, Keywords, Seat};
pub use rules::actions::{Action, Input, Rejection};
pub use rules::events::{Event, PublicEvent, SeatEvent, Viewer, can_see, events_for};
pub use rules::state::{EndReason, Outcome};
pub use rules::view::{HandCardView, SeatPublicView, SeatView, UnitView};
pub use rules::{Game, GameSetup, MatchLog, ReplayError, SeatSetup, SetupError};
pub use snapshot::SnapshotError;
