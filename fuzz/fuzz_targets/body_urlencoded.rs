//! A url-encoded form (Rack's nesting of `a[b][]=c` keys): `parse_body` with the form media
//! type, `parse_urlencoded` directly (the query string path) and the consumers of the result.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let body = common::parse_body(Some("application/x-www-form-urlencoded"), data);
    let direct = match contacts::http::params::parse_urlencoded(data) {
        Ok(params) => Some(params),
        Err(contacts::error::Error::BadRequest(_)) => None,
        Err(other) => panic!("a query string is refused with {other:?}, not a 400"),
    };
    if !data.is_empty() {
        assert_eq!(body, direct, "the form body and the query string decode alike");
    }
    if let Some(params) = direct {
        common::consume(&params);
    }
});
