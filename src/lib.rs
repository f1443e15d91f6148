//! A contacts store in one binary: a SQLite file (FTS5 for search) behind a lean HTTP layer that
//! speaks the REST API of the Redmine CRM contacts plugin, in JSON and XML.
//!
//! [`open`] prepares the database and the administrator; [`run`] serves an already bound
//! listener until the shutdown future completes (tests bind `127.0.0.1:0` and run it in-process).

pub mod api;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod http;
pub mod render;
pub mod secrets;
pub mod store;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use config::Config;
use error::Result;
use store::users::{self, UserChanges};
use store::Store;

/// The shared state of a running service.
pub struct App {
    pub store: Store,
    pub max_body_bytes: usize,
}

/// What the first start created, to be shown once to whoever started the service.
pub struct FirstStart {
    pub api_key: String,
    pub password: String,
}

/// Opens the database and makes sure the administrator exists (creating it on first start)
/// and, when configured, has the given API key.
pub async fn open(config: &Config) -> Result<(App, Option<FirstStart>)> {
    let store = Store::open(&config.db, config.readers)?;
    let admin_key = config.admin_key.clone();
    let first_start = store
        .write(move |c| {
            if users::count(c)? == 0 {
                let password = secrets::generate_password();
                let api_key = admin_key.unwrap_or_else(secrets::generate_api_key);
                users::create(
                    c,
                    UserChanges {
                        login: Some("admin".into()),
                        firstname: Some("Redmine".into()),
                        lastname: Some("Admin".into()),
                        mail: Some("admin@example.net".into()),
                        admin: Some(true),
                        password_hash: Some(secrets::hash_password(&password)?),
                        api_key: Some(api_key.clone()),
                        ..Default::default()
                    },
                )?;
                return Ok(Some(FirstStart { api_key, password }));
            }
            if let Some(key) = admin_key {
                if let Some(admin) = users::find_by(c, "login = 'admin'", [])? {
                    users::update(c, admin.id, UserChanges { api_key: Some(key), ..Default::default() })?;
                }
            }
            Ok(None)
        })
        .await?;
    Ok((App { store, max_body_bytes: config.max_body_bytes }, first_start))
}

/// Serves HTTP on `listener` until `shutdown` completes.
pub async fn run(listener: TcpListener, app: App, shutdown: impl Future<Output = ()>) {
    http::server::serve(listener, Arc::new(app), shutdown).await
}
