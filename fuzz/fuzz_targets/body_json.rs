//! A JSON body: `parse_body` with the JSON media types and with none (guessed from `{`), then
//! the readers and validators of what it decoded.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    for content_type in [Some("application/json"), Some("application/vnd.api+json; charset=utf-8"), None] {
        if let Some(params) = common::parse_body(content_type, data) {
            common::consume(&params);
        }
    }
});
