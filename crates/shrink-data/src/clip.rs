//! Caps on the user content an error message echoes.
//!
//! An error names the offending cell or column so it can be found, but a 2 MB cell or a header
//! of millions of characters must not become a 2 MB message: long texts are cut to their first
//! [`TEXT_CHARS`] characters plus the total, long lists to their first [`LIST_ITEMS`] items.

/// Characters of a long text kept in a message.
pub const TEXT_CHARS: usize = 60;
/// Items of a long list kept in a message.
pub const LIST_ITEMS: usize = 8;

/// `text` itself when it has at most `TEXT_CHARS + 20` characters and no line break, else its
/// first `TEXT_CHARS` characters (line breaks shown as `\n`) and `… (N characters)`, so that a
/// message stays one short line.
pub fn summarize(text: &str) -> String {
    let n = text.chars().count();
    let one_line = !text.contains(['\n', '\r']);
    if n <= TEXT_CHARS + 20 && one_line {
        return text.to_owned();
    }
    let keep = if n <= TEXT_CHARS + 20 { n } else { TEXT_CHARS };
    let mut out: String = text.chars().take(keep).collect::<String>().replace('\r', "\\r").replace('\n', "\\n");
    if keep < n {
        out.push_str(&format!("… ({n} characters)"));
    }
    out
}

/// The items comma-separated, each [`summarize`]d; past [`LIST_ITEMS`] items, the first ones and
/// `… and N more`.
pub fn summarize_list<S: AsRef<str>>(items: &[S]) -> String {
    let shown = items.len().min(LIST_ITEMS);
    let mut out = items[..shown].iter().map(|s| summarize(s.as_ref())).collect::<Vec<_>>().join(", ");
    if items.len() > shown {
        out.push_str(&format!(", … and {} more", items.len() - shown));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_texts_are_kept() {
        assert_eq!(summarize("abc"), "abc");
        let eighty = "x".repeat(80);
        assert_eq!(summarize(&eighty), eighty);
    }

    #[test]
    fn long_texts_are_cut_with_their_length() {
        let long = "é".repeat(2_000_000);
        let s = summarize(&long);
        assert_eq!(s, format!("{}… (2000000 characters)", "é".repeat(60)));
        assert_eq!(summarize("a\nb"), "a\\nb");
    }

    #[test]
    fn long_lists_are_cut_with_their_count() {
        assert_eq!(summarize_list(&["a", "b"]), "a, b");
        let names: Vec<String> = (0..100).map(|i| format!("c{i}")).collect();
        assert_eq!(summarize_list(&names), "c0, c1, c2, c3, c4, c5, c6, c7, … and 92 more");
        assert_eq!(summarize_list::<&str>(&[]), "");
    }
}
