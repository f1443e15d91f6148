//! The bucket start keys of an order, packed into one byte buffer: a sort key as values of its
//! own (`Arc<[Value]>` and a `String` per text) took about 100 bytes of heap per bucket, 8 MB
//! over the 21 orders' 84,000 buckets at a million contacts; packed it takes its bytes and an
//! offset. A key is compared where it lies, value by value, as [`super::spec`] compares keys.
//!
//! Each value is a tag byte and its payload: nothing for NULL, 8 little-endian bytes for an
//! integer or a real, a 4-byte length and the bytes for a text or a blob. A key replaced (a
//! bucket's start moved) leaves its old bytes behind; they are few, and a rebuilt order starts
//! with none.

use std::cmp::Ordering;

use rusqlite::types::{Value, ValueRef};

use super::spec::{cmp_values, Key};

const NULL: u8 = 0;
const INTEGER: u8 = 1;
const REAL: u8 = 2;
const TEXT: u8 = 3;
const BLOB: u8 = 4;

/// Where a key lies in its [`PackedKeys`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyAt {
    offset: u32,
    len: u32,
}

#[derive(Default)]
pub struct PackedKeys {
    bytes: Vec<u8>,
}

impl PackedKeys {
    /// Packs `key` (no two buckets of an order start at the same key: each run has one).
    pub fn push(&mut self, key: &[Value]) -> KeyAt {
        let offset = self.bytes.len();
        for value in key {
            match value {
                Value::Null => self.bytes.push(NULL),
                Value::Integer(i) => {
                    self.bytes.push(INTEGER);
                    self.bytes.extend_from_slice(&i.to_le_bytes());
                }
                Value::Real(r) => {
                    self.bytes.push(REAL);
                    self.bytes.extend_from_slice(&r.to_bits().to_le_bytes());
                }
                Value::Text(t) => self.push_bytes(TEXT, t.as_bytes()),
                Value::Blob(b) => self.push_bytes(BLOB, b),
            }
        }
        let offset = u32::try_from(offset).expect("bucket keys under 4 GB");
        KeyAt { offset, len: (self.bytes.len() as u32) - offset }
    }

    fn push_bytes(&mut self, tag: u8, bytes: &[u8]) {
        self.bytes.push(tag);
        self.bytes.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(bytes);
    }

    pub fn get(&self, at: KeyAt) -> &[u8] {
        &self.bytes[at.offset as usize..(at.offset + at.len) as usize]
    }

    /// The key as values (for the rare paths that need one: splitting a bucket).
    pub fn key(&self, at: KeyAt) -> Key {
        values(self.get(at))
            .map(|v| match v {
                ValueRef::Null => Value::Null,
                ValueRef::Integer(i) => Value::Integer(i),
                ValueRef::Real(r) => Value::Real(r),
                ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                ValueRef::Blob(b) => Value::Blob(b.to_vec()),
            })
            .collect()
    }

    pub fn bytes(&self) -> usize {
        self.bytes.capacity()
    }
}

/// The values of a packed key, in order.
fn values(mut packed: &[u8]) -> impl Iterator<Item = ValueRef<'_>> {
    std::iter::from_fn(move || {
        let (&tag, rest) = packed.split_first()?;
        let eight = |rest: &[u8]| <[u8; 8]>::try_from(&rest[..8]).expect("eight bytes");
        let (value, rest) = match tag {
            NULL => (ValueRef::Null, rest),
            INTEGER => (ValueRef::Integer(i64::from_le_bytes(eight(rest))), &rest[8..]),
            REAL => (ValueRef::Real(f64::from_bits(u64::from_le_bytes(eight(rest)))), &rest[8..]),
            _ => {
                let len = u32::from_le_bytes(rest[..4].try_into().expect("four bytes")) as usize;
                let bytes = &rest[4..4 + len];
                (if tag == TEXT { ValueRef::Text(bytes) } else { ValueRef::Blob(bytes) }, &rest[4 + len..])
            }
        };
        packed = rest;
        Some(value)
    })
}

/// A packed key against a key of values, as `spec::cmp_key` compares two keys.
pub fn cmp_packed(packed: &[u8], key: &[Value]) -> Ordering {
    cmp_values(values(packed), key.iter().map(ValueRef::from))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::listing::spec::cmp_key;

    #[test]
    fn packed_keys_read_back_and_compare_as_values_do() {
        let keys: Vec<Vec<Value>> = vec![
            vec![Value::Null, Value::Text("ann".into())],
            vec![Value::Integer(-5), Value::Null],
            vec![Value::Integer(3), Value::Text(String::new())],
            vec![Value::Real(2.5), Value::Text("zoë".into())],
            vec![Value::Text("ann".into()), Value::Integer(i64::MAX)],
            vec![Value::Text("anna".into()), Value::Real(-0.5)],
            vec![Value::Blob(vec![0, 255]), Value::Null],
        ];
        let mut packed = PackedKeys::default();
        let at: Vec<KeyAt> = keys.iter().map(|k| packed.push(k)).collect();
        for (i, a) in keys.iter().enumerate() {
            assert_eq!(&*packed.key(at[i]), a.as_slice());
            for b in &keys {
                assert_eq!(cmp_packed(packed.get(at[i]), b), cmp_key(a, b), "{a:?} against {b:?}");
            }
        }
    }
}
