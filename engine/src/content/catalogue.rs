//! The card catalogue: what a client needs to render any card, deck or rule of one content
//! version (served by the lobby as `GET /v1/content`). Cards and decks appear exactly as
//! designers wrote them (the [`schema`](super::schema) types), so abilities are data a
//! client can read, and the catalogue cannot drift from what the engine plays.

use schemars::JsonSchema;
use serde::Serialize;

use super::{
    Content,
    schema::{CardDef, DeckDef, RulesDef},
};

/// Everything of one content version a client shows.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Catalogue<'a> {
    /// The content version: the one a match's `Welcome.content_version` names.
    pub version: &'a str,
    /// The game's numbers.
    pub rules: &'a RulesDef,
    /// Every card, collectible or not (tokens appear in play), sorted by id: the `card`
    /// of a `HandCard` or a `Unit` on the wire is an `id` here.
    pub cards: &'a [CardDef],
    /// Every starter deck, sorted by id.
    pub decks: Vec<&'a DeckDef>,
}

impl Content {
    /// This content as a catalogue.
    pub fn catalogue(&self) -> Catalogue<'_> {
        Catalogue {
            version: self.version(),
            rules: self.rules(),
            cards: self.cards(),
            decks: self.decks().collect(),
        }
    }
}

/// The JSON Schemas of [`Catalogue`] and every type it uses, by name, with references of
/// the form `#/components/schemas/Name`: ready to merge into an OpenAPI 3.1 document
/// (whose schemas are JSON Schema 2020-12).
pub fn catalogue_schemas() -> serde_json::Map<String, serde_json::Value> {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.definitions_path = "/components/schemas".into();
    settings.meta_schema = None;
    // What the server writes, not what it would accept.
    settings.contract = schemars::generate::Contract::Serialize;
    let mut generator = settings.into_generator();
    let root = generator.root_schema_for::<Catalogue<'static>>();
    let mut schemas = generator.take_definitions(true);
    schemas.insert("Catalogue".to_owned(), root.to_value());
    schemas
}
