//! The accept loop and the life of one request: route, body (with its size limit), parameters,
//! authentication, handler, response, and one log line.

use std::convert::Infallible;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Either, Limited};
use hyper::body::Incoming;
use hyper::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HOST};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Map, Value};
use tokio::net::TcpListener;

use super::params::{self, parse_urlencoded};
use super::respond::{self, HttpResponse};
use crate::api;
use crate::api::routes::{self, Matched};
use crate::error::{Error, Result};
use crate::render::Format;
use crate::App;

/// How long in-flight requests get to finish once shutdown starts.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

/// Serves connections from `listener` until `shutdown` completes, then lets in-flight requests
/// finish (idle keep-alive connections are closed at once).
pub async fn serve(listener: TcpListener, app: Arc<App>, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let connections = Arc::new(tokio::sync::Semaphore::new(app.limits.max_connections.max(1)));
    loop {
        // At the connection limit, stop accepting: new clients wait in the listen queue.
        let permit = tokio::select! {
            permit = connections.clone().acquire_owned() => permit.expect("the semaphore is never closed"),
            _ = &mut shutdown => break,
        };
        tokio::select! {
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let request_timeout = app.limits.request_timeout;
                let app = app.clone();
                let service = service_fn(move |req| {
                    let app = app.clone();
                    async move { Ok::<_, Infallible>(handle(&app, req, peer.ip()).await) }
                });
                let connection = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(request_timeout)
                    .keep_alive(true)
                    .serve_connection(TokioIo::new(stream), service);
                let watched = graceful.watch(connection);
                tokio::spawn(async move {
                    let _ = watched.await;
                    drop(permit);
                });
            }
            _ = &mut shutdown => break,
        }
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await.is_err() {
        tracing::warn!("shutdown: some connections were still busy after {DRAIN_TIMEOUT:?}");
    }
}

/// Answers one request and logs it (method, path without the query, status, duration): the
/// query can hold an API key, so it is never logged.
pub async fn handle(app: &App, req: Request<Incoming>, peer: IpAddr) -> HttpResponse {
    let started = Instant::now();
    let method = req.method().clone();
    // Kept only for the log line (the request is consumed on the way).
    let path = tracing::enabled!(tracing::Level::INFO).then(|| req.uri().path().to_string());
    let response = if crate::web::is_page_request(req.uri(), req.headers()) {
        page(app, req, peer).await
    } else {
        match answer(app, req, peer).await {
            Ok(done) => done,
            Err((e, format)) => respond::error(e, format),
        }
    };
    if let Some(path) = path {
        tracing::info!(
            method = %method,
            path = %path,
            status = response.status().as_u16(),
            micros = started.elapsed().as_micros() as u64,
            "request"
        );
    }
    response
}

fn header<'a, B>(req: &'a Request<B>, name: hyper::header::HeaderName) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// The format of the answer: the path's extension, then `format=`, then the body's content
/// type or `Accept` (Product decision 2); JSON by default.
fn negotiate<B>(req: &Request<B>, matched: Option<&Matched>, query: Option<&Map<String, Value>>) -> Format {
    if let Some(f) = matched.and_then(|m| m.format) {
        return f;
    }
    match query.and_then(|q| q.get("format")).and_then(Value::as_str) {
        Some("xml") => return Format::Xml,
        Some("json") => return Format::Json,
        _ => {}
    }
    let names = |v: Option<&str>, what: &str| v.is_some_and(|s| s.to_ascii_lowercase().contains(what));
    let content_type = header(req, CONTENT_TYPE);
    if names(content_type, "json") {
        return Format::Json;
    }
    if names(content_type, "xml") {
        return Format::Xml;
    }
    let accept = header(req, ACCEPT);
    if names(accept, "xml") && !names(accept, "json") {
        return Format::Xml;
    }
    Format::Json
}

/// A page request (API.md product decision 9): read and decoded as an API request is, then
/// answered by the web interface; a form that carries an API key (`key`) is an API request
/// after all and takes the API's way with the same bytes.
async fn page(app: &App, req: Request<Incoming>, peer: IpAddr) -> HttpResponse {
    let (parts, body) = req.into_parts();
    let limits = &app.limits;
    // The import page uploads whole files: the API's import limit applies.
    let uploads = crate::web::is_upload(&parts.method, parts.uri.path());
    let max_body = if uploads { limits.max_import_bytes } else { limits.max_body_bytes };
    let declared_length = parts.headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok());
    if declared_length.is_some_and(|n| n > max_body as u64) {
        return crate::web::error_response(Error::PayloadTooLarge).map(Either::Left);
    }
    let body = match tokio::time::timeout(limits.request_timeout, read_body(body, max_body)).await {
        Ok(Ok(body)) => body,
        Ok(Err(e)) => return crate::web::error_response(e).map(Either::Left),
        Err(_) => return crate::web::error_response(Error::RequestTimeout).map(Either::Left),
    };
    let content_type = parts.headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
    let decoded = async {
        let query = parse_urlencoded(parts.uri.query().unwrap_or("").as_bytes())?;
        let form = params::parse_body(content_type.as_deref(), body.clone()).await?;
        Ok::<_, Error>((query, form))
    };
    let (query, form) = match decoded.await {
        Ok(decoded) => decoded,
        Err(e) => return crate::web::error_response(e).map(Either::Left),
    };
    if form.contains_key("key") {
        let req = Request::from_parts(parts, http_body_util::Full::new(body));
        return match answer(app, req, peer).await {
            Ok(done) => done,
            Err((e, format)) => respond::error(e, format),
        };
    }
    let method = method_override(parts.method.clone(), &form);
    let upload = uploads.then(|| api::Upload { content_type, body });
    let request = crate::web::PageRequest { method, uri: parts.uri, headers: parts.headers, query, form, peer, upload };
    match crate::web::handle(app, request).await {
        // Pages are whole documents: the in-memory side of the body type.
        crate::web::Answer::Html(page) => page.map(Either::Left),
        // A download (an export) is sent as the API sends it, with the page's headers.
        crate::web::Answer::File { reply, headers } => {
            let mut response = respond::reply(reply, Format::Json, "localhost");
            response.headers_mut().extend(headers);
            response
        }
    }
}

/// Rails' method override, for HTML forms that cannot send PUT or DELETE: `_method` of a POST.
fn method_override(method: Method, params: &Map<String, Value>) -> Method {
    if method != Method::POST {
        return method;
    }
    match params.get("_method").and_then(Value::as_str).map(str::to_ascii_uppercase).as_deref() {
        Some("PUT") => Method::PUT,
        Some("PATCH") => Method::PATCH,
        Some("DELETE") => Method::DELETE,
        _ => method,
    }
}

async fn answer<B>(app: &App, req: Request<B>, peer: IpAddr) -> std::result::Result<HttpResponse, (Error, Format)>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let matched = routes::route(req.uri().path());
    let query = parse_urlencoded(req.uri().query().unwrap_or("").as_bytes());
    let format = negotiate(&req, matched.as_ref(), query.as_ref().ok());
    let fail = |e: Error| (e, format);
    let query = query.map_err(fail)?;
    let matched = matched.ok_or_else(|| fail(Error::NotFound))?;

    let content_type = header(&req, CONTENT_TYPE).map(str::to_string);
    let declared_length = header(&req, CONTENT_LENGTH).and_then(|v| v.trim().parse::<u64>().ok());
    let limits = &app.limits;
    // Imports upload whole files: their route has a limit of its own.
    let uploads = matched.route == routes::Route::ContactsImport;
    let max_body = if uploads { limits.max_import_bytes } else { limits.max_body_bytes };
    if declared_length.is_some_and(|n| n > max_body as u64) {
        return Err(fail(Error::PayloadTooLarge));
    }
    let (parts, body) = req.into_parts();
    let body = match tokio::time::timeout(limits.request_timeout, read_body(body, max_body)).await {
        Ok(read) => read.map_err(fail)?,
        Err(_) => return Err(fail(Error::RequestTimeout)),
    };
    let upload = uploads.then(|| api::Upload { content_type: content_type.clone(), body: body.clone() });
    let body_params = params::parse_body(content_type.as_deref(), body).await.map_err(fail)?;
    let mut all = query;
    all.extend(body_params);
    let method = method_override(parts.method.clone(), &all);
    let credentials = super::auth::credentials(&parts.headers, &all);
    let nometa = parts.headers.contains_key("x-redmine-nometa")
        || all.get("nometa").and_then(Value::as_str).is_some_and(|v| v == "1" || v == "true");
    let request = api::Request { credentials, peer, format, method, params: all, matched, nometa, upload };
    let reply = api::handle(app, request).await.map_err(fail)?;
    let host = parts.headers.get(HOST).and_then(|v| v.to_str().ok()).unwrap_or("localhost");
    Ok(respond::reply(reply, format, host))
}

async fn read_body<B>(body: B, limit: usize) -> Result<Bytes>
where
    B: hyper::body::Body<Data = Bytes>,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => Err(Error::PayloadTooLarge),
        Err(e) => Err(Error::BadRequest(format!("could not read the body: {e}"))),
    }
}
