//! Turns a handler's [`Reply`] or [`Error`] into an HTTP response — the one place where errors
//! get their status and Redmine's body (empty, or the `errors` document).

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{Either, Full};
use hyper::body::{Body, Frame};
use hyper::header::{HeaderValue, CONTENT_DISPOSITION, CONTENT_TYPE, LOCATION, WWW_AUTHENTICATE};
use hyper::{Response, StatusCode};

use super::file_body::FileBody as DiskFile;
use crate::api::{FileBody, Reply};
use crate::error::Error;
use crate::render::{Doc, Format};

/// A body in memory (nearly every answer), or one produced while it is sent: an export's
/// chunks (see [`Streamed`]) or a file read from disk (a backup).
pub type HttpBody = Either<Full<Bytes>, Either<Streamed, DiskFile>>;
pub type HttpResponse = Response<HttpBody>;
/// The responses built here: whole bodies.
type FullResponse = Response<Full<Bytes>>;

/// A body whose chunks arrive from a producer on another thread; an error ends the
/// connection (the client sees a truncated answer, never a wrong one).
pub struct Streamed(tokio::sync::mpsc::Receiver<crate::error::Result<Bytes>>);

impl Body for Streamed {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        self.0.poll_recv(cx).map(|chunk| chunk.map(|c| c.map(Frame::data)))
    }
}

fn with_body(status: u16, format: Format, body: Vec<u8>) -> FullResponse {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(format.content_type()));
    r
}

fn empty(status: StatusCode) -> FullResponse {
    let mut r = Response::new(Full::new(Bytes::new()));
    *r.status_mut() = status;
    r
}

/// The response for a handler's reply; `host` (the request's `Host`) makes `Location` absolute.
pub fn reply(reply: Reply, format: Format, host: &str) -> HttpResponse {
    let whole = match reply {
        Reply::File { content_type, file_name, body } => return file(content_type, &file_name, body),
        Reply::Download { file, length, content_type, filename } => {
            return attachment(Either::Right(Either::Right(DiskFile::new(file, length))), content_type, &filename)
        }
        Reply::Rejected(body) => with_body(422, format, body),
        other => whole(other, format, host),
    };
    whole.map(Either::Left)
}

/// 200 with a file to save (an export), whole or streamed.
fn file(content_type: &'static str, file_name: &str, body: FileBody) -> HttpResponse {
    let body = match body {
        FileBody::Whole(bytes) => Either::Left(Full::new(Bytes::from(bytes))),
        FileBody::Stream(chunks) => Either::Right(Either::Left(Streamed(chunks))),
    };
    attachment(body, content_type, file_name)
}

/// 200 with `body` to be saved as `file_name`.
fn attachment(body: HttpBody, content_type: &'static str, file_name: &str) -> HttpResponse {
    let mut r = Response::new(body);
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    let disposition = format!("attachment; filename=\"{}\"", file_name.replace(['"', '\\', '\r', '\n'], "_"));
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        r.headers_mut().insert(CONTENT_DISPOSITION, v);
    }
    r
}

fn whole(reply: Reply, format: Format, host: &str) -> FullResponse {
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
        Reply::Redirect(url) => redirect(&url),
        Reply::File { .. } | Reply::Download { .. } | Reply::Rejected(_) => empty(StatusCode::INTERNAL_SERVER_ERROR),
    }
}

/// 302 as Rails' `redirect_to` answers it: `Location` and a short HTML page linking there.
/// Bytes a header may not carry (spaces, controls, non-ASCII) are percent-encoded first, so
/// that the header and the link always agree.
fn redirect(url: &str) -> FullResponse {
    let mut location = String::with_capacity(url.len());
    for b in url.bytes() {
        if b.is_ascii_graphic() {
            location.push(b as char);
        } else {
            location.push_str(&format!("%{b:02X}"));
        }
    }
    let body =
        format!("<html><body>You are being <a href=\"{}\">redirected</a>.</body></html>", html_escape(&location));
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::FOUND;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(LOCATION, v);
    }
    r
}

/// ERB's `html_escape`: `& < > " '`.
fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
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
    error_response(err, format).map(Either::Left)
}

fn error_response(err: Error, format: Format) -> FullResponse {
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
