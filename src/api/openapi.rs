//! `GET /openapi.json`: the OpenAPI 3.1 description of the whole API — the committed
//! `openapi.json` (built by `scripts/openapi/build.py`), compiled into the binary. It is public:
//! no login is needed, and credentials are not even looked at.

use hyper::Method;

use super::Reply;
use crate::error::{Error, Result};
use crate::render::Format;

/// The document as committed at the repository root.
pub const DOCUMENT: &str = include_str!("../../openapi.json");

/// The document for a GET (or HEAD) in JSON; there is no XML form.
pub fn document(method: &Method, format: Format) -> Result<Reply> {
    let read = method == Method::GET || method == Method::HEAD;
    match (read, format) {
        (true, Format::Json) => Ok(Reply::Ok(DOCUMENT.as_bytes().to_vec())),
        _ => Err(Error::NotFound),
    }
}
