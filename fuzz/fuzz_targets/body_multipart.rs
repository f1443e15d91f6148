//! A multipart form: the input's first line is the boundary (put into the content type), the
//! rest the body. `parse_body` with that content type, then the consumers of the result.
#![no_main]

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    let (boundary, body) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (&data[..0], data),
    };
    let boundary = String::from_utf8_lossy(boundary);
    for content_type in
        [format!("multipart/form-data; boundary={boundary}"), format!("Multipart/Form-Data; boundary=\"{boundary}\"")]
    {
        if let Some(params) = common::parse_body(Some(&content_type), body) {
            common::consume(&params);
        }
    }
});
