//! A CSV file: the import's dry run as `format=csv` (encoding scan, separator, header
//! recognition, rows, validation), then with the kind guessed and a `map[column]=field` made
//! from the file's own header: every other column mapped (`target_named`, as the API and
//! `--map` read it) to a field chosen by the first byte, so mapped and recognised columns mix.
#![no_main]

use std::collections::HashMap;

use contacts::formats::csv::target_named;
use contacts::formats::Kind;
use libfuzzer_sys::fuzz_target;

mod common;

/// What a map may name: attributes, `ignore`, custom fields by name, and a name that is no
/// field (refused, so left out as the API's 422 would).
const FIELDS: &[&str] = &[
    "first_name", "ignore", "email", "Field 1", "tags", "birthday", "is_company", "name", "cf:field 7",
    "assigned_to", "country", "no such field", "phone", "Field 5",
];

fuzz_target!(|data: &[u8]| {
    common::import(data, Some(Kind::Csv), HashMap::new());
    let head = data.split(|b| *b == b'\n').next().unwrap_or_default();
    let custom = common::fields();
    let shift = data.first().copied().unwrap_or(0) as usize;
    let mut map = HashMap::new();
    for (i, column) in head.split(|b| matches!(b, b',' | b';' | b'\t')).enumerate().step_by(2) {
        let column = String::from_utf8_lossy(column).trim_matches(['\u{feff}', '"', '\r', ' ']).to_string();
        if let Ok(target) = target_named(FIELDS[(i + shift) % FIELDS.len()], &custom) {
            map.insert(column, target);
        }
    }
    common::import(data, None, map);
});
