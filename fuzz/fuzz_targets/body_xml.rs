//! An XML body (ActiveSupport's XmlMini rules): `parse_body` as `application/xml` and as
//! `text/xml`, then the readers and validators of what it decoded.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    if let Some(params) = common::parse_body(Some("application/xml"), data) {
        common::consume(&params);
    }
    let _ = common::parse_body(Some("text/xml; charset=utf-8"), data);
});
