//! A contacts store in one binary: a SQLite file (FTS5 for search) behind a lean HTTP layer that
//! speaks the REST API of the Redmine CRM contacts plugin, in JSON and XML.
//!
//! [`open`] prepares the database and the administrator; [`run`] serves an already bound
//! listener until the shutdown future completes (tests bind `127.0.0.1:0` and run it in-process).

pub mod api;
pub mod cli;
pub mod config;
pub mod demo;
pub mod domain;
pub mod error;
pub mod exchange;
pub mod formats;
pub mod http;
pub mod render;
pub mod secrets;
pub mod store;
pub mod web;

use std::future::Future;
use std::sync::Arc;

use tokio::net::TcpListener;

pub use config::Config;
use domain::changes::UserChanges;
use error::Result;
use store::Store;

/// The shared state of a running service.
pub struct App {
    pub store: Store,
    /// Contacts rendered as list items, shared by all requests.
    pub fragments: api::fragments::FragmentCache,
    /// Failed logins per client address (slowed down).
    pub logins: api::throttle::LoginThrottle,
    pub limits: config::Limits,
    /// The web interface's cookies are `Secure` (TLS ends in a proxy in front).
    pub secure_cookies: bool,
    /// Contacts rendered as rows of the web interface's list, as `fragments` for the API.
    pub page_rows: api::fragments::FragmentCache,
    /// The contact list's filter choices per user (`web/choices.rs`).
    pub choices: web::ChoicesCache,
}

/// What the first start created, to be shown once to whoever started the service.
pub struct FirstStart {
    pub api_key: String,
    pub password: String,
}

/// Opens the database and makes sure the administrator exists (creating it on first start)
/// and, when configured, has the given API key.
pub async fn open(config: &Config) -> Result<(App, Option<FirstStart>)> {
    let store = Store::open_with(&config.db, config.readers, store::Tuning::default(), config.locking)?;
    let mut first_start = None;
    if !store.has_users()? {
        let password = secrets::generate_password();
        let api_key = config.admin_key.clone().unwrap_or_else(secrets::generate_api_key);
        let admin = UserChanges {
            login: Some("admin".into()),
            firstname: Some("Redmine".into()),
            lastname: Some("Admin".into()),
            mail: Some("admin@example.net".into()),
            admin: Some(true),
            password_hash: Some(secrets::hash_password(&password)?),
            api_key: Some(api_key.clone()),
            ..Default::default()
        };
        store.create_user(admin).await?;
        first_start = Some(FirstStart { api_key, password });
    } else if let Some(key) = config.admin_key.clone() {
        if let Some(admin) = store.user_by_login("admin")? {
            store.update_user(admin.id, UserChanges { api_key: Some(key), ..Default::default() }).await?;
        }
    }
    let app = App {
        store,
        fragments: Default::default(),
        logins: Default::default(),
        limits: config.limits.clone(),
        secure_cookies: config.behind_proxy,
        page_rows: Default::default(),
        choices: Default::default(),
    };
    Ok((app, first_start))
}

/// Serves HTTP on `listener` until `shutdown` completes.
pub async fn run(listener: TcpListener, app: App, shutdown: impl Future<Output = ()>) {
    http::server::serve(listener, Arc::new(app), shutdown).await
}
