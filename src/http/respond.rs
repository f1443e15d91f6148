//! Turns a handler's [`Reply`] or [`Error`] into an HTTP response — the one place where errors
//! get their status and Redmine's body (empty, or the `errors` document).

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use hyper::{Response, StatusCode};

use crate::api::Reply;
use crate::error::Error;
use crate::render::{Doc, Format};

pub type HttpResponse = Response<Full<Bytes>>;

fn with_body(status: u16, format: Format, body: Vec<u8>) -> HttpResponse {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    r
}

fn empty(status: StatusCode) -> HttpResponse {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    r
}

/// The response for a handler's reply; `host` (the request's `Host`) makes `Location` absolute.
pub fn reply(reply: Reply, format: Format, host: &str) -> HttpResponse {
    match reply {
        Reply::Ok(body) => with_body(200, format, body),
        Reply::Created { body, location } => {
            let mut r = with_body(201, format, body);
            if let Ok(v) = HeaderValue::from_str(&format!("http://{host}{location}")) {
                r.headers_mut().insert(LOCATION, v);
            }
            r
        }
        Reply::NoContent => empty(StatusCode::NO_CONTENT),
        Reply::Redirect(url) => {
            let mut r = empty(StatusCode::FOUND);
            if let Ok(v) = HeaderValue::from_str(&url) {
                r.headers_mut().insert(LOCATION, v);
            }
            r
        }
    }
}

/// Redmine's `errors` document with the given messages.
pub fn errors_document(format: Format, messages: &[String]) -> Vec<u8> {
    let mut d = Doc::new(format);
    d.begin_array("errors", None);
    for m in messages {
        d.item_value("error", m.as_str());
    }
    d.end_array("errors");
    d.finish()
}

pub fn error(err: Error, format: Format) -> HttpResponse {
    let status = err.status();
    match err {
        Error::Unauthorized => {
            let mut r = empty(StatusCode::UNAUTHORIZED);
            r.headers_mut().insert(WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"Redmine API\""));
            r
        }
        Error::Forbidden | Error::NotFound | Error::PreconditionFailed => {
            empty(StatusCode::from_u16(status).unwrap_or(StatusCode::NOT_FOUND))
        }
        Error::Validation(messages) => with_body(status, format, errors_document(format, &messages)),
        Error::BadRequest(message) => with_body(status, format, errors_document(format, &[message])),
        Error::PayloadTooLarge => {
            with_body(status, format, errors_document(format, &["Request body is too large".to_string()]))
        }
        Error::RequestTimeout => {
            with_body(status, format, errors_document(format, &["The request was not sent in time".to_string()]))
        }
        Error::Internal(cause) => {
            tracing::error!("internal error: {cause}");
            with_body(status, format, errors_document(format, &["Internal error".to_string()]))
        }
    }
}
