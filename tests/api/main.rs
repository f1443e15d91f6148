//! Integration tests over real HTTP: each starts the server on an ephemeral port with a fresh
//! database and checks one behaviour of the API document.

mod access_matrix;
mod auth;
mod backup;
mod bad_input;
mod categories;
mod common;
mod contacts;
mod core;
mod custom_fields;
mod deals;
mod deals_access;
mod deals_python;
mod durability;
mod exports;
mod forms;
mod golden;
mod imports;
mod limits;
mod listing;
mod notes;
mod openapi;
mod query_language;
mod saved_queries;
mod statuses;
mod tags;
mod visibility;
