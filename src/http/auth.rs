//! Authentication as Redmine core does it (API.md §1.2): the `key` parameter (query or form),
//! else the `X-Redmine-API-Key` header, else HTTP Basic (login/password, or the key as user
//! name); then `X-Redmine-Switch-User` for admins. A key or password that matches nobody is
//! not an error by itself: the request runs as anonymous.

use std::collections::hash_map::RandomState;
use std::sync::OnceLock;

use base64::Engine;
use hyper::header::{HeaderName, AUTHORIZATION};
use hyper::HeaderMap;
use serde_json::{Map, Value};

use crate::domain::principal::Credentials;

const API_KEY: HeaderName = HeaderName::from_static("x-redmine-api-key");
const SWITCH_USER: HeaderName = HeaderName::from_static("x-redmine-switch-user");

/// A header's value, trimmed; None when absent, blank or not text. Names are constants: a
/// name given as text is parsed again on every lookup.
fn header<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim).filter(|v| !v.is_empty())
}

/// HTTP Basic's login and password from an `Authorization` value.
fn basic_credentials(authorization: &str) -> Option<(String, String)> {
    let (scheme, encoded) = authorization.split_once(' ')?;
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
fn fingerprint(api_key: Option<&str>, authorization: Option<&str>, switch_user: Option<&str>) -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    static KEYS: OnceLock<RandomState> = OnceLock::new();
    let mut h = KEYS.get_or_init(RandomState::new).build_hasher();
    api_key.hash(&mut h);
    authorization.hash(&mut h);
    switch_user.hash(&mut h);
    h.finish()
}

/// The credentials a request presents (checked by the API against the store): the `key`
/// parameter, else the key header; Basic only without a key, as Redmine reads them.
pub fn credentials(headers: &HeaderMap, params: &Map<String, Value>) -> Credentials {
    let api_key = match params.get("key") {
        Some(Value::String(k)) if !k.is_empty() => Some(k.as_str()),
        _ => header(headers, &API_KEY),
    };
    let authorization = if api_key.is_none() { header(headers, &AUTHORIZATION) } else { None };
    let switch_user = header(headers, &SWITCH_USER);
    Credentials {
        fingerprint: fingerprint(api_key, authorization, switch_user),
        api_key: api_key.map(str::to_string),
        basic: authorization.and_then(basic_credentials),
        switch_user: switch_user.map(str::to_string),
    }
}
