//! The bare servers the scenarios are compared with: the **baseline** (hyper alone, a fixed
//! answer) and the **floor** of a get (the baseline plus one SQLite read of the asked row).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// Starts a bare hyper server on 127.0.0.1:0 in the runtime of `handle` that reads each request
/// (body included) and answers 200 with `body_size` bytes of JSON-typed filler. It stops when
/// the returned sender is dropped or fired.
pub async fn start_baseline(handle: &Handle, body_size: usize) -> Result<(SocketAddr, oneshot::Sender<()>), String> {
    start_bare(handle, body_size, None).await
}

/// What a bare server does with each request's path before it answers; `false` makes the
/// answer a 500 (counted as an error by the client).
type BareWork = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// The floor of a get: the baseline server, plus one SQLite read per request of the card row
/// (`contact_cards`, one column) of the contact the path names, on a pool of read-only
/// connections with the server's page cache size. It reads the server's own file while the
/// server idles between scenarios (same pages, same OS page cache), opened `immutable` since
/// the server holds the file's lock: no locking and no write-ahead log, so if anything this
/// read costs less than the server's. Whatever a get does besides reading its row (routing,
/// authentication, permission checks, decoding, rendering) separates the server from this one.
pub async fn start_floor(
    handle: &Handle,
    db: &Path,
    body_size: usize,
) -> Result<(SocketAddr, oneshot::Sender<()>), String> {
    let escaped = db.to_string_lossy().replace('%', "%25").replace('?', "%3f").replace('#', "%23");
    let manager = r2d2_sqlite::SqliteConnectionManager::file(format!("file:{escaped}?immutable=1"))
        .with_flags(
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
                | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
                | rusqlite::OpenFlags::SQLITE_OPEN_URI,
        )
        .with_init(|c| c.execute_batch("PRAGMA cache_size = -4000;"));
    let pool = r2d2::Pool::builder()
        .max_size(4)
        .build(manager)
        .map_err(|e| format!("floor: cannot open {}: {e}", db.display()))?;
    let read_card = move |path: &str| {
        let (Some(id), Ok(conn)) = (contact_id_in(path), pool.get()) else { return false };
        conn.prepare_cached("SELECT first_name FROM contact_cards WHERE contact_id = ?")
            .and_then(|mut stmt| stmt.query_row([id], |r| r.get::<_, String>(0)))
            .is_ok()
    };
    start_bare(handle, body_size, Some(Arc::new(read_card))).await
}

/// The id in `/contacts/{id}.json` or `.xml`.
pub(crate) fn contact_id_in(path: &str) -> Option<i64> {
    let rest = path.strip_prefix("/contacts/")?;
    rest.split_once('.').map_or(rest, |(id, _)| id).parse().ok()
}

/// The bare server behind the baseline and the floor: reads each request (body included),
/// runs `work` on its path, and answers 200 with `body_size` bytes (500 when `work` failed).
async fn start_bare(
    handle: &Handle,
    body_size: usize,
    work: Option<BareWork>,
) -> Result<(SocketAddr, oneshot::Sender<()>), String> {
    let (ready_tx, ready_rx) = oneshot::channel();
    let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
    let body = Bytes::from(vec![b'x'; body_size]);
    handle.spawn(async move {
        let listener = match TcpListener::bind("127.0.0.1:0").await {
            Ok(l) => l,
            Err(e) => {
                let _ = ready_tx.send(Err(format!("bare server bind: {e}")));
                return;
            }
        };
        let _ = ready_tx.send(listener.local_addr().map_err(|e| e.to_string()));
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    let body = body.clone();
                    let work = work.clone();
                    tokio::spawn(async move {
                        let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                            let body = body.clone();
                            let worked = work.as_ref().is_none_or(|work| work(req.uri().path()));
                            async move {
                                let _ = req.into_body().collect().await;
                                let mut resp = Response::new(Full::new(body));
                                if !worked {
                                    *resp.status_mut() = hyper::StatusCode::INTERNAL_SERVER_ERROR;
                                }
                                resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json; charset=utf-8"));
                                Ok::<_, std::convert::Infallible>(resp)
                            }
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .keep_alive(true)
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
                _ = &mut stop_rx => break,
            }
        }
    });
    let addr = ready_rx.await.map_err(|_| "the bare server did not start".to_string())??;
    Ok((addr, stop_tx))
}
