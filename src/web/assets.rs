//! The embedded assets: our stylesheet and htmx (vendored, see `assets/README.md`), served
//! under content-hashed names (`/assets/app.3f2a…9c.css`) with a year's cache lifetime, so a
//! new build's files are new URLs. Nothing is fetched from elsewhere: pages work offline.

use std::sync::OnceLock;

use blake2::{Blake2s256, Digest};
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Method, Response, StatusCode};

use super::respond::{secure, HtmlResponse};

struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset { name: "app.css", content_type: "text/css; charset=utf-8", bytes: include_bytes!("assets/app.css") },
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("assets/htmx.min.js"),
    },
];

/// Each asset's hashed path, computed once.
fn paths() -> &'static [String] {
    static PATHS: OnceLock<Vec<String>> = OnceLock::new();
    PATHS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let digest = Blake2s256::digest(a.bytes);
                let hash: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
                let (stem, ext) = a.name.rsplit_once('.').unwrap_or((a.name, ""));
                format!("/assets/{stem}.{hash}.{ext}")
            })
            .collect()
    })
}

/// The URL of an asset by its file name (`app.css`).
pub fn url(name: &str) -> String {
    ASSETS.iter().position(|a| a.name == name).map(|i| paths()[i].clone()).unwrap_or_default()
}

/// Serves an asset: its current hashed path is cached for a year; any other path is 404.
pub fn serve(path: &str, method: &Method) -> HtmlResponse {
    let found = paths().iter().position(|p| p == path).map(|i| &ASSETS[i]);
    let mut r = match found {
        Some(asset) if matches!(*method, Method::GET | Method::HEAD) => {
            let mut r = Response::new(Full::new(Bytes::from_static(asset.bytes)));
            r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(asset.content_type));
            r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable"));
            r
        }
        _ => {
            let mut r = Response::new(Full::new(Bytes::from_static(b"Not found")));
            *r.status_mut() = StatusCode::NOT_FOUND;
            r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
            r
        }
    };
    secure(r.headers_mut());
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_served_under_their_content_hash_only() {
        let css = url("app.css");
        assert!(css.starts_with("/assets/app.") && css.ends_with(".css") && css.len() == "/assets/app..css".len() + 12);
        let r = serve(&css, &Method::GET);
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[CACHE_CONTROL], "public, max-age=31536000, immutable");
        assert_eq!(serve("/assets/app.000000000000.css", &Method::GET).status(), 404);
        assert_eq!(serve(&url("htmx.min.js"), &Method::POST).status(), 404);
    }
}
