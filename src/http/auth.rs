//! Authentication as Redmine core does it (API.md §1.2): the `key` parameter (query or form),
//! else the `X-Redmine-API-Key` header, else HTTP Basic (login/password, or the key as user
//! name); then `X-Redmine-Switch-User` for admins. A key or password that matches nobody is
//! not an error by itself: the request runs as anonymous.

use std::collections::hash_map::RandomState;
use std::sync::OnceLock;

use base64::Engine;
use hyper::HeaderMap;
use serde_json::{Map, Value};

use crate::domain::principal::Credentials;

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

/// The credentials of a request, before they are checked.
fn api_key<'a>(headers: &'a HeaderMap, params: &'a Map<String, Value>) -> Option<&'a str> {
    match params.get("key") {
        Some(Value::String(k)) if !k.is_empty() => Some(k),
        _ => header(headers, "x-redmine-api-key"),
    }
}

fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = header(headers, "authorization")?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (login, password) = text.split_once(':').unwrap_or((&text, ""));
    Some((login.to_string(), password.to_string()))
}

/// A keyed hash of everything that decides the principal (credentials and switch-user), so
/// that the cache never holds a secret and one credential never maps to another's entry.
fn fingerprint(headers: &HeaderMap, params: &Map<String, Value>) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    let mut h = KEYS.get_or_init(RandomState::new).build_hasher();
    api_key(headers, params).hash(&mut h);
    if api_key(headers, params).is_none() {
        header(headers, "authorization").hash(&mut h);
    }
    header(headers, "x-redmine-switch-user").hash(&mut h);
    h.finish()
}

/// The credentials a request presents (checked by the API against the store).
pub fn credentials(headers: &HeaderMap, params: &Map<String, Value>) -> Credentials {
    Credentials {
        api_key: api_key(headers, params).map(str::to_string),
        basic: basic_credentials(headers),
        switch_user: header(headers, "x-redmine-switch-user").map(str::to_string),
        fingerprint: fingerprint(headers, params),
    }
}
