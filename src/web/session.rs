//! Who a page request comes from, and whether its form may change anything.
//!
//! The session cookie (`contacts_session`: `HttpOnly`, `SameSite=Lax`, `Secure` behind a TLS
//! proxy) carries a random token; the store keeps its hash with the user and a CSRF token
//! (`store/sessions.rs`). Sessions expire `SESSION_IDLE` after their last use (moved forward at
//! most once an hour, so that pages write nothing), end at logout, and stop when their user is
//! locked or deleted. Every state-changing page request carries the session's CSRF token in
//! its form (`authenticity_token`, as Rails names it); the login form, which has no session
//! yet, carries a token that must match a cookie of its own (double submit).

use std::sync::{Arc, Mutex};

use hyper::header::COOKIE;
use hyper::Method;
use serde_json::Value;
use subtle::ConstantTimeEq;

use super::respond::{self, Answer, Page};
use super::views::Chrome;
use super::PageRequest;
use crate::domain::permission::Permission;
use crate::domain::principal::Principal;
use crate::domain::time::now_ms;
use crate::error::{Error, Result};
use crate::store::Session;
use crate::App;

pub const SESSION_COOKIE: &str = "contacts_session";
pub const LOGIN_COOKIE: &str = "contacts_login";
const FLASH_COOKIE: &str = "contacts_flash";
/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "authenticity_token";
/// A session ends this long after its last use.
pub const SESSION_IDLE_MS: i64 = 14 * 24 * 3600 * 1000;
/// A session's expiry moves forward when it was last moved longer ago than this.
const REFRESH_AFTER_MS: i64 = 3600 * 1000;

/// A signed-in browser: the cookie's token and the session it names.
pub struct SignedIn {
    pub token: String,
    pub session: Session,
}

/// Everything a page handler needs about one request.
pub struct Ctx<'a> {
    pub app: &'a App,
    pub req: PageRequest,
    pub signed_in: Option<SignedIn>,
    /// The signed-in user's principal (anonymous when no session), resolved as the API
    /// resolves credentials, from the same cache.
    pub principal: Arc<Principal>,
    /// A message the previous request left (after a redirect).
    flash: Option<String>,
    /// `Set-Cookie` values for the response.
    cookies: Mutex<Vec<String>>,
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'h>(req: &'h PageRequest, name: &str) -> Option<&'h str> {
    req.headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
}

impl<'a> Ctx<'a> {
    /// Resolves the session of a request (if any) and its principal.
    pub async fn open(app: &'a App, req: PageRequest) -> Result<Ctx<'a>> {
        let mut signed_in = None;
        if let Some(token) = cookie(&req, SESSION_COOKIE).filter(|t| t.len() == 64) {
            if let Some(session) = app.store.session(token)? {
                signed_in = Some(SignedIn { token: token.to_string(), session });
            }
        }
        let refreshed = match &signed_in {
            Some(s) if now_ms() - s.session.seen_on > REFRESH_AFTER_MS => {
                app.store.refresh_session(&s.token, SESSION_IDLE_MS).await?;
                Some(s.token.clone())
            }
            _ => None,
        };
        let principal = match &signed_in {
            Some(s) => app.store.user_principal(s.session.user_id)?,
            None => Arc::new(Principal::anonymous()),
        };
        let flash = cookie(&req, FLASH_COOKIE)
            .map(|v| form_urlencoded::parse(format!("m={v}").as_bytes()).map(|(_, m)| m.into_owned()).collect())
            .filter(|m: &String| !m.is_empty());
        let ctx = Ctx { app, req, signed_in, principal, flash: flash.clone(), cookies: Mutex::new(Vec::new()) };
        if flash.is_some() {
            ctx.set_cookie(FLASH_COOKIE, "", Some(0), "/");
        }
        if let Some(token) = refreshed {
            // The browser keeps the cookie as long as the session now lasts.
            ctx.set_cookie(SESSION_COOKIE, &token, Some(SESSION_IDLE_MS / 1000), "/");
        }
        Ok(ctx)
    }

    /// Checks the CSRF token of a state-changing request: the session's, or for the login
    /// form the one of its own cookie.
    pub fn check_form(&self, login: bool) -> Result<()> {
        if matches!(self.req.method, Method::GET | Method::HEAD) {
            return Ok(());
        }
        let given = self.req.form.get(CSRF_FIELD).and_then(Value::as_str).unwrap_or("");
        let expected = if login {
            cookie(&self.req, LOGIN_COOKIE).unwrap_or("").to_string()
        } else {
            match &self.signed_in {
                Some(s) => s.session.csrf_token.clone(),
                None => return Err(Error::Unauthorized),
            }
        };
        let same: bool = given.as_bytes().ct_eq(expected.as_bytes()).into();
        if expected.is_empty() || !same {
            return Err(Error::invalid("Invalid form authenticity token."));
        }
        Ok(())
    }

    /// Adds a `Set-Cookie` to the response (`max_age` None: for the browser's session).
    pub fn set_cookie(&self, name: &str, value: &str, max_age: Option<i64>, path: &str) {
        let secure = if self.app.secure_cookies { "; Secure" } else { "" };
        let age = max_age.map(|s| format!("; Max-Age={s}")).unwrap_or_default();
        let line = format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax{age}{secure}");
        self.cookies.lock().unwrap_or_else(|p| p.into_inner()).push(line);
    }

    /// Leaves a message for the next page (shown once, after a redirect).
    pub fn flash(&self, message: &str) {
        let encoded: String = form_urlencoded::byte_serialize(message.as_bytes()).collect();
        self.set_cookie(FLASH_COOKIE, &encoded, Some(60), "/");
    }

    /// The CSRF token this session's forms carry.
    pub fn csrf(&self) -> String {
        self.signed_in.as_ref().map(|s| s.session.csrf_token.clone()).unwrap_or_default()
    }

    /// Whether htmx sent the request for the element with id `target` (then a fragment is
    /// enough; a history restore wants the whole page).
    pub fn wants_fragment(&self, target: &str) -> bool {
        let header = |name: &str| self.req.headers.get(name).and_then(|v| v.to_str().ok());
        header("hx-request") == Some("true")
            && header("hx-target") == Some(target)
            && header("hx-history-restore-request").is_none()
    }

    pub fn is_htmx(&self) -> bool {
        self.req.headers.get("hx-request").is_some()
    }

    /// A parameter of the query string or the form, as text (empty is none).
    pub fn param(&self, key: &str) -> Option<String> {
        self.req
            .form
            .get(key)
            .or_else(|| self.req.query.get(key))
            .and_then(crate::domain::attributes::as_text)
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    }

    /// The frame every page shares: who is signed in, the navigation, the message left by
    /// the previous request.
    pub fn chrome(&self, title: impl Into<String>, nav: &'static str) -> Chrome {
        let p = &self.principal;
        Chrome {
            title: title.into(),
            user_name: p.user.as_ref().map(|u| u.name()),
            is_admin: p.is_admin(),
            can_see_deals: p.allowed_anywhere(Permission::ViewDeals),
            csrf: self.csrf(),
            nav,
            flash: self.flash.clone(),
            css: super::assets::url("app.css"),
            js: super::assets::url("htmx.min.js"),
        }
    }

    /// The response for a handler's outcome, with the cookies set on the way. Anonymous
    /// requests for a page that needs a user go to the login page (and come back after).
    pub fn finish(&self, outcome: Result<Page>) -> Answer {
        let cookies: Vec<String> = self.cookies.lock().unwrap_or_else(|p| p.into_inner()).drain(..).collect();
        let set_cookies = |headers: &mut hyper::HeaderMap| {
            for line in &cookies {
                if let Ok(v) = line.parse() {
                    headers.append(hyper::header::SET_COOKIE, v);
                }
            }
        };
        let mut response = match outcome {
            Ok(Page::File(reply)) => {
                let mut headers = respond::file_headers();
                set_cookies(&mut headers);
                return Answer::File { reply, headers };
            }
            Ok(page) => respond::page(page, self.is_htmx()),
            Err(Error::Unauthorized) => {
                let back = match self.req.method {
                    Method::GET | Method::HEAD => self.req.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"),
                    _ => "/",
                };
                let query: String = form_urlencoded::Serializer::new(String::new()).append_pair("back", back).finish();
                respond::page(Page::Redirect(format!("/login?{query}")), self.is_htmx())
            }
            Err(e) => {
                let chrome = self.signed_in.as_ref().map(|_| self.chrome("Error", ""));
                respond::error_page(e, chrome.as_ref())
            }
        };
        set_cookies(response.headers_mut());
        Answer::Html(response)
    }
}
