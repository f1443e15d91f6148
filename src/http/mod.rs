//! The HTTP layer: accept loop and limits (`server`), routing (`router`), authentication
//! (`auth`), parameter decoding (`params`) and turning replies and errors into responses
//! (`respond`).

pub mod auth;
pub mod params;
pub mod respond;
pub mod router;
pub mod server;
