//! Integration tests over real HTTP: each starts the server on an ephemeral port with a fresh
//! database and checks one behaviour of the API document.

mod auth;
mod bad_input;
mod common;
mod contacts;
mod core;
mod custom_fields;
mod durability;
mod golden;
mod listing;
mod query_language;
mod saved_queries;
mod visibility;
