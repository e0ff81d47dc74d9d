//! Byte-reproducible model files: the safetensors crate writes its metadata map in hash order,
//! which changes from run to run; the header is rewritten here with every key sorted, so the
//! same model always gives the same bytes.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// `bytes` (a serialized safetensors file) with its JSON header's keys sorted at every level.
/// The data section is untouched: tensor offsets are relative to its start.
pub(super) fn sorted_header(bytes: Vec<u8>) -> Vec<u8> {
    let Some(len) = bytes.get(..8).map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as usize) else {
        return bytes;
    };
    let Some(header) = bytes.get(8..8 + len) else { return bytes };
    let Ok(value) = serde_json::from_slice::<Value>(header) else { return bytes };
    let mut text = serde_json::to_string(&sorted(value)).unwrap_or_default();
    if text.is_empty() {
        return bytes;
    }
    // safetensors pads the header with spaces to a multiple of 8 so that the data is aligned.
    while !text.len().is_multiple_of(8) {
        text.push(' ');
    }
    let mut out = Vec::with_capacity(8 + text.len() + bytes.len() - 8 - len);
    out.extend_from_slice(&(text.len() as u64).to_le_bytes());
    out.extend_from_slice(text.as_bytes());
    out.extend_from_slice(&bytes[8 + len..]);
    out
}

fn sorted(value: Value) -> Value {
    match value {
        Value::Object(map) => {
            let ordered: BTreeMap<String, Value> = map.into_iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(ordered.into_iter().collect::<Map<String, Value>>())
        }
        other => other,
    }
}
