//! A vCard file: the import's dry run as `format=vcf` (cards cut from the file, charsets and
//! quoted-printable, calcard's parser, record mapping, validation), and the kind guessed from
//! the file's first bytes must agree with what a file starting with `BEGIN:VCARD` is.
#![no_main]

use contacts::formats::Kind;
use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    common::import(data, Some(Kind::Vcard), Default::default());
    if data.starts_with(b"BEGIN:VCARD") {
        assert_eq!(Kind::guess(None, data), Kind::Vcard);
    }
});
