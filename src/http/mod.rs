//! The HTTP layer: accept loop and limits (`server`), authentication (`auth`), parameter
//! decoding (`params`) and turning replies and errors into responses (`respond`, with
//! `file_body` for the one answer streamed from a file). Routes are
//! the API's (`api::routes`): this layer knows the API, never the reverse.

pub mod auth;
pub mod file_body;
pub mod params;
pub mod respond;
pub mod server;
