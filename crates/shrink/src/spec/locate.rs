//! Turning serde's TOML and JSON errors into `line L, column C: message` that point at the key
//! at fault, also inside a tagged layer table (whose errors serde reports at the table).

/// serde_json reports errors inside a tagged layer at the end of the layer's object; point at
/// the last mention of the quoted name (the unknown key, the bad value's key) before it.
pub(super) fn describe_json(text: &str, e: &serde_json::Error) -> String {
    let message = e.to_string();
    let end = text.split_inclusive('\n').take(e.line().saturating_sub(1)).map(str::len).sum::<usize>() + e.column();
    let end = floor_char_boundary(text, end);
    if let Some(word) = message.split('`').nth(1).filter(|w| !w.is_empty()) {
        if let Some(at) = text[..end].rfind(&format!("\"{word}\"")) {
            let line = text[..at].matches('\n').count() + 1;
            let column = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
            let plain = message.rsplit_once(" at line ").map_or(message.as_str(), |(m, _)| m);
            return format!("line {line}, column {column}: {plain}");
        }
    }
    message
}

/// `line L, column C: message` from a TOML error, whose own text spans several lines.
pub(super) fn describe_toml(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().to_string();
    let Some(span) = e.span() else { return message };
    let start = floor_char_boundary(text, span.start);
    let mut line = text[..start].matches('\n').count() + 1;
    let mut column = start - text[..start].rfind('\n').map_or(0, |i| i + 1) + 1;
    // Errors inside a tagged layer table carry the table's span only; point at the first line
    // of the table's body that mentions the name quoted in the message (the unknown key, the
    // bad variant, the penalty's `l1`/`l2`).
    if text[start..].starts_with('[') {
        // A wrong type names no key but quotes the value: `invalid type: string "eight"`.
        let quoted = message.split_once("string \"").and_then(|(_, rest)| rest.split('"').next());
        let word = message.split('`').nth(1).filter(|w| !w.is_empty()).or(quoted.filter(|q| !q.is_empty()));
        if let Some(word) = word {
            let body = text[start..].find('\n').map_or(text.len(), |i| start + i + 1);
            let end = text[body..].find("\n[").map_or(text.len(), |i| body + i + 1);
            let mut offset = body;
            for l in text[body..end].split_inclusive('\n') {
                let mentions = l
                    .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'))
                    .any(|token| token == word);
                if mentions {
                    line = text[..offset].matches('\n').count() + 1;
                    column = 1;
                    break;
                }
                offset += l.len();
            }
        }
    }
    format!("line {line}, column {column}: {message}")
}

/// `at` clamped into `text` and moved back onto a character boundary: serde_json counts columns
/// in characters, not bytes, so a multi-byte character before the error would split otherwise.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// `line L: message` for a check made after parsing, at the first line that sets `key`
/// (`key =` in TOML, `"key":` in JSON); the message alone when the key is not found.
pub(super) fn at_key(text: &str, key: &str, message: &str, json: bool) -> String {
    let found = text.lines().position(|l| {
        let l = l.trim_start();
        if json {
            l.contains(&format!("\"{key}\""))
        } else {
            l.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='))
        }
    });
    match found {
        Some(i) => format!("line {}: {message}", i + 1),
        None => message.to_string(),
    }
}
