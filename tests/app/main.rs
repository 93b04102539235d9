//! Every service as the application builds it, in this test process, on real sockets and
//! real databases (SQLite and PostgreSQL; Redis where the test says): one test binary, so
//! the private database servers start once for all of them.

mod support;

mod admin;
mod auth_api;
mod auth_service;
mod catalogue;
mod decks;
mod lobby;
mod matches;
mod nobody_stuck;
mod playground;
mod playtest;
mod protocol;
mod replay;
mod spectate;
mod stuck_property;
