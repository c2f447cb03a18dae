//! Proptest strategies that damage JSON the way a buggy or hostile client would: a valid
//! document with fields removed, values of the wrong type, huge numbers, long strings, deep
//! nesting, repeated elements, unknown fields; then its bytes cut short, invalid UTF-8 spliced in,
//! or replaced by noise. Shared by the domain crate's decoder fuzzing and the server's fuzzing
//! through its router (`crates/server/tests/fuzz.rs` includes this file by path).

#![allow(dead_code)] // Each including test uses a different part.

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::Value;

/// Cases per property: `PROPTEST_CASES` (what `make fuzz` raises), or `default`.
pub fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(default)
}

/// The most bytes an [`Edit::Repeat`] adds.
const MAX_REPEATED_BYTES: usize = 3 << 20;

/// One change at one place of a JSON tree.
#[derive(Debug, Clone)]
pub enum Edit {
    Remove,
    Replace(Value),
    /// The array's first element repeated `n` more times (a value becomes an array of `n`).
    Repeat(usize),
    AddField(String, Value),
}

/// One change to the serialised bytes.
#[derive(Debug, Clone)]
pub enum ByteEdit {
    Keep,
    Truncate(Index),
    Insert(Index, Vec<u8>),
    /// The document inside `n` arrays: `[[[…]]]`.
    Nest(usize),
    /// The first number replaced by a literal no integer or float type holds.
    Number(&'static str),
    /// Noise instead of the document.
    Noise(Vec<u8>),
}

/// Any JSON value, nested a few levels, with awkward leaves.
pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
        // Any characters, control characters and lone combining marks included.
        any::<String>().prop_map(Value::from),
        "[a-z0-9-]{0,12}".prop_map(Value::from),
        // Long strings, up to past the server's 1 MiB body limit.
        (
            prop::sample::select(vec![300usize, 5_000, 70_000, 600_000]),
            any::<char>()
        )
            .prop_map(|(n, c)| Value::from(c.to_string().repeat(n))),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{0,10}", inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

pub fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        3 => Just(Edit::Remove),
        4 => json_value().prop_map(Edit::Replace),
        1 => prop::sample::select(vec![1usize, 10, 300, 5_000]).prop_map(Edit::Repeat),
        1 => ("[a-z_]{1,10}", json_value()).prop_map(|(k, v)| Edit::AddField(k, v)),
    ]
}

pub fn byte_edit() -> impl Strategy<Value = ByteEdit> {
    prop_oneof![
        6 => Just(ByteEdit::Keep),
        1 => any::<Index>().prop_map(ByteEdit::Truncate),
        // Invalid UTF-8 (a lone continuation byte, an overlong form, a surrogate) or any bytes.
        1 => (any::<Index>(), prop_oneof![
            Just(vec![0x80u8]),
            Just(vec![0xc0u8, 0xaf]),
            Just(vec![0xed, 0xa0, 0x80]),
            Just(vec![0xff, 0xfe]),
            prop::collection::vec(any::<u8>(), 1..8),
        ]).prop_map(|(at, bytes)| ByteEdit::Insert(at, bytes)),
        1 => prop::sample::select(vec![2usize, 127, 129, 5_000, 100_000]).prop_map(ByteEdit::Nest),
        1 => prop::sample::select(vec![
            "123456789012345678901234567890",
            "-9223372036854775809",
            "18446744073709551616",
            "1e999",
            "-1e-999",
            "0.1e",
            "NaN",
            "-0",
        ]).prop_map(ByteEdit::Number),
        1 => prop::collection::vec(any::<u8>(), 0..64).prop_map(ByteEdit::Noise),
    ]
}

/// Up to `edits` tree edits, each at a random path, then one byte edit.
pub fn damaged(template: Value, edits: usize) -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(
            (prop::collection::vec(any::<Index>(), 0..6), edit()),
            0..=edits,
        ),
        byte_edit(),
    )
        .prop_map(move |(edits, bytes)| {
            let mut value = template.clone();
            for (path, edit) in &edits {
                apply(&mut value, path, edit);
            }
            apply_bytes(serde_json::to_vec(&value).unwrap(), &bytes)
        })
}

/// Applies `edit` at the node `path` leads to (each index picks a child; the walk stops early
/// at a leaf).
pub fn apply(node: &mut Value, path: &[Index], edit: &Edit) {
    if let Some((index, rest)) = path.split_first() {
        match node {
            Value::Array(items) if !items.is_empty() => {
                let i = index.index(items.len());
                if rest.is_empty() && matches!(edit, Edit::Remove) {
                    items.remove(i);
                    return;
                }
                return apply(&mut items[i], rest, edit);
            }
            Value::Object(map) if !map.is_empty() => {
                let key = map.keys().nth(index.index(map.len())).unwrap().clone();
                if rest.is_empty() && matches!(edit, Edit::Remove) {
                    map.remove(&key);
                    return;
                }
                return apply(map.get_mut(&key).unwrap(), rest, edit);
            }
            _ => {}
        }
    }
    match edit {
        Edit::Remove => *node = Value::Null,
        Edit::Replace(value) => *node = value.clone(),
        Edit::Repeat(n) => {
            let one = match &*node {
                Value::Array(items) => items.first().cloned(),
                other => Some(other.clone()),
            };
            // At most a few MiB in all: past the server's body limit, within the test's memory.
            let Some(one) = one else { return };
            let size = serde_json::to_vec(&one).unwrap().len().max(1);
            let n = (*n).min(MAX_REPEATED_BYTES / size);
            match node {
                Value::Array(items) => items.extend(std::iter::repeat_n(one, n)),
                other => *other = Value::Array(vec![one; n]),
            }
        }
        Edit::AddField(key, value) => match node {
            Value::Object(map) => {
                map.insert(key.clone(), value.clone());
            }
            other => *other = serde_json::json!({ key.clone(): value.clone() }),
        },
    }
}

pub fn apply_bytes(mut bytes: Vec<u8>, edit: &ByteEdit) -> Vec<u8> {
    match edit {
        ByteEdit::Keep => bytes,
        ByteEdit::Truncate(at) => {
            bytes.truncate(at.index(bytes.len().max(1)));
            bytes
        }
        ByteEdit::Insert(at, inserted) => {
            let at = at.index(bytes.len() + 1);
            bytes.splice(at..at, inserted.iter().copied());
            bytes
        }
        ByteEdit::Nest(n) => {
            let mut nested = vec![b'['; *n];
            nested.extend_from_slice(&bytes);
            nested.extend(std::iter::repeat_n(b']', *n));
            nested
        }
        ByteEdit::Number(literal) => {
            let Some(start) = bytes.iter().position(u8::is_ascii_digit) else {
                return bytes;
            };
            let end = bytes[start..]
                .iter()
                .position(|b| !b.is_ascii_digit())
                .map_or(bytes.len(), |len| start + len);
            bytes.splice(start..end, literal.bytes());
            bytes
        }
        ByteEdit::Noise(noise) => noise.clone(),
    }
}
