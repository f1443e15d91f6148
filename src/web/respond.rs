//! Page responses: HTML with the security headers every page carries, redirects (`303 See
//! Other` after a form, `HX-Redirect` for htmx), and the HTML error pages (the web interface
//! renders its own; the API's `respond::error` is for API requests only).

use askama::Template;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE, LOCATION, VARY};
use hyper::{Response, StatusCode};

use super::views::Chrome;
use crate::error::{Error, Result};

pub type HtmlResponse = Response<Full<Bytes>>;

/// What a page handler answers.
pub enum Page {
    /// An HTML document or fragment, with its status (200, or 422 for a form with errors).
    Html { status: u16, body: String },
    /// 303 to a path of this site.
    Redirect(String),
    /// A fragment for htmx, with the address the browser shows for it (`HX-Push-Url`).
    Fragment { body: String, url: String },
    /// A file to save (an export), as the API's handler answered it.
    File(crate::api::Reply),
}

/// What the web interface answers: a page, or a file that the HTTP layer sends as it sends
/// the API's (streamed), with the page's headers (`headers`: security, no caching, cookies).
pub enum Answer {
    Html(HtmlResponse),
    File { reply: crate::api::Reply, headers: hyper::HeaderMap },
}

impl Page {
    /// 200 with a rendered template.
    pub fn render(t: &impl Template) -> Result<Page> {
        Page::render_with(200, t)
    }

    pub fn render_with(status: u16, t: &impl Template) -> Result<Page> {
        let body = t.render().map_err(|e| Error::Internal(format!("template: {e}")))?;
        Ok(Page::Html { status, body })
    }

    pub fn redirect(path: impl Into<String>) -> Result<Page> {
        Ok(Page::Redirect(path.into()))
    }
}

/// No inline script or style, nothing from elsewhere, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The headers every page response carries.
pub fn secure(h: &mut hyper::HeaderMap) {
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    h.insert("referrer-policy", HeaderValue::from_static("same-origin"));
}

fn html(status: u16, body: String) -> HtmlResponse {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    // Pages show one user's data: never stored by shared caches, or by the browser.
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r.headers_mut().insert(VARY, HeaderValue::from_static("Cookie, HX-Request, HX-Target"));
    secure(r.headers_mut());
    r
}

/// Whether `path` names a page of this site (never another host: `//host`, or `/\host`,
/// which browsers read as `//host`).
pub fn local_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && !path.contains('\\')
}

/// The headers of a file a page request downloads (the response itself is the API's).
pub fn file_headers() -> hyper::HeaderMap {
    let mut h = hyper::HeaderMap::new();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    secure(&mut h);
    h
}

/// The response for a page; `htmx`: the request came from htmx, which follows a redirect
/// given as `HX-Redirect` with a full page load. (Files are answered by `Ctx::finish`.)
pub fn page(page: Page, htmx: bool) -> HtmlResponse {
    match page {
        Page::File(_) => error_page(Error::Internal("a file where a page was expected".into()), None),
        Page::Html { status, body } => html(status, body),
        Page::Fragment { body, url } => {
            let mut r = html(200, body);
            if let Ok(v) = HeaderValue::from_str(&url) {
                r.headers_mut().insert("hx-push-url", v);
            }
            r
        }
        Page::Redirect(path) => {
            // Only paths of this site: never an open redirect.
            let path = if local_path(&path) { path } else { "/".to_string() };
            let mut r = html(if htmx { 200 } else { 303 }, String::new());
            if let Ok(v) = HeaderValue::from_str(&path) {
                r.headers_mut().insert(if htmx { "hx-redirect".parse().expect("a header name") } else { LOCATION }, v);
            }
            r
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    chrome: Chrome,
    status: u16,
    heading: &'a str,
    messages: Vec<String>,
}

/// An error as a page: its status, a heading and what can be said about it.
pub fn error_page(e: Error, chrome: Option<&Chrome>) -> HtmlResponse {
    let status = e.status();
    let (heading, messages) = match e {
        Error::NotFound => (
            "Page not found",
            vec!["The page you were trying to access doesn't exist or has been removed.".to_string()],
        ),
        Error::Forbidden | Error::Unauthorized => {
            ("Access denied", vec!["You are not authorized to access this page.".to_string()])
        }
        Error::Validation(messages) => ("The request could not be completed", messages),
        Error::BadRequest(message) => ("Bad request", vec![message]),
        Error::PayloadTooLarge => ("Too large", vec!["The form is too large.".to_string()]),
        Error::RequestTimeout => ("Too slow", vec!["The request was not sent in time.".to_string()]),
        Error::PreconditionFailed => ("Precondition failed", Vec::new()),
        Error::Internal(cause) => {
            tracing::error!("internal error: {cause}");
            ("Internal error", vec!["An error occurred on the page you were trying to access.".to_string()])
        }
    };
    let chrome = chrome.cloned().unwrap_or_else(|| Chrome::anonymous(heading));
    let page = ErrorPage { chrome, status, heading, messages };
    let body = page.render().unwrap_or_else(|_| heading.to_string());
    html(status, body)
}

#[cfg(test)]
mod tests {
    #[test]
    fn redirects_stay_on_this_site() {
        assert!(super::local_path("/contacts?search=a"));
        for other in ["//evil.example", "/\\evil.example", "https://evil.example", "evil"] {
            assert!(!super::local_path(other), "{other}");
        }
    }
}
