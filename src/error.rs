//! The one error type of the API. Every handler returns `Result<_, Error>`; the HTTP layer turns
//! an `Error` into Redmine's answer in exactly one place (`http::respond::error`).

use thiserror::Error;

#[derive(Debug, Error)]
pub enum Error {
    /// 400: the body could not be parsed at all (malformed JSON/XML, invalid UTF-8, bad form).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 401: anonymous request to something that needs a user.
    #[error("unauthorized")]
    Unauthorized,
    /// 403: logged in, but not permitted.
    #[error("forbidden")]
    Forbidden,
    /// 404: unknown route, record or project.
    #[error("not found")]
    NotFound,
    /// 408: the client did not send its request in time.
    #[error("request timeout")]
    RequestTimeout,
    /// 412: `X-Redmine-Switch-User` names no active user.
    #[error("precondition failed")]
    PreconditionFailed,
    /// 413: the body is larger than the configured limit.
    #[error("payload too large")]
    PayloadTooLarge,
    /// 422: Redmine's `errors` document, messages already in their final English form.
    #[error("validation failed: {0:?}")]
    Validation(Vec<String>),
    /// 500: something on our side; the cause is logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::Validation(vec![message.into()])
    }

    pub fn status(&self) -> u16 {
        match self {
            Error::BadRequest(_) => 400,
            Error::Unauthorized => 401,
            Error::Forbidden => 403,
            Error::NotFound => 404,
            Error::RequestTimeout => 408,
            Error::PreconditionFailed => 412,
            Error::PayloadTooLarge => 413,
            Error::Validation(_) => 422,
            Error::Internal(_) => 500,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
