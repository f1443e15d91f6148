//! A browser's side of HTTP, without the browser: `Accept: text/html`, a cookie jar, forms
//! posted url-encoded with the page's CSRF token.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use crate::common::{send, Resp};

pub const ACCEPT_HTML: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";

pub struct Browser {
    pub addr: SocketAddr,
    pub cookies: BTreeMap<String, String>,
}

impl Browser {
    pub fn new(addr: SocketAddr) -> Browser {
        Browser { addr, cookies: BTreeMap::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    /// Keeps the cookies an answer sets (and drops those it expires).
    fn remember(&mut self, r: &Resp) {
        for (k, v) in &r.headers {
            if !k.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = v.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || v.contains("Max-Age=0") {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_string(), value.to_string());
                }
            }
        }
    }

    #[track_caller]
    pub fn request(&mut self, method: &str, path: &str, extra: &[(&str, &str)], body: &[u8]) -> Resp {
        let cookie = self.cookie_header();
        let mut headers = vec![("Accept", ACCEPT_HTML)];
        if !cookie.is_empty() {
            headers.push(("Cookie", cookie.as_str()));
        }
        headers.extend_from_slice(extra);
        let r = send(self.addr, method, path, &headers, (!body.is_empty()).then_some(body))
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        self.remember(&r);
        r
    }

    #[track_caller]
    pub fn get(&mut self, path: &str) -> Resp {
        self.request("GET", path, &[], b"")
    }

    /// Posts a form (pairs url-encoded).
    #[track_caller]
    pub fn post(&mut self, path: &str, pairs: &[(&str, &str)]) -> Resp {
        let body: String = form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish();
        self.request("POST", path, &[("Content-Type", "application/x-www-form-urlencoded")], body.as_bytes())
    }

    /// Posts a multipart form: text `fields` and the file part `file` (name, bytes).
    #[track_caller]
    pub fn post_multipart(&mut self, path: &str, fields: &[(&str, &str)], file: (&str, &[u8])) -> Resp {
        let (content_type, body) = crate::common::multipart(fields, file.0, file.1);
        self.request("POST", path, &[("Content-Type", content_type.as_str())], &body)
    }

    /// Logs in through the login form; answers the login's response.
    #[track_caller]
    pub fn log_in(&mut self, login: &str, password: &str) -> Resp {
        let form = self.get("/login");
        let token = csrf(&form.text());
        self.post("/login", &[("authenticity_token", &token), ("username", login), ("password", password)])
    }
}

/// The CSRF token of the first form of a page.
#[track_caller]
pub fn csrf(html: &str) -> String {
    let marker = "name=\"authenticity_token\" value=\"";
    let start = html.find(marker).unwrap_or_else(|| panic!("no form token in the page:\n{html}")) + marker.len();
    html[start..].split('"').next().unwrap_or_default().to_string()
}
