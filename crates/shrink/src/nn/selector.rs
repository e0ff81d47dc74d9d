//! The one selector grammar, used by specs, `search --param`, `fine-tune --penalty` and
//! `inspect`: a comma-separated list of globs over the qualified parameter names
//! `layer.role` (`dense_0.kernel`, `lstm_0.recurrent_kernel`).
//!
//! | item | matches |
//! |---|---|
//! | `dense_0.kernel` | that parameter |
//! | `conv2d_*.kernel` | the kernel of every `conv2d` layer (`*` any run of characters, `?` one) |
//! | `*.kernel`, `kernel` | that role in every layer (a bare role name is `*.role`) |
//! | `dense_1`, `dense_*` | every parameter of the matching layers |
//! | `*` | every parameter |
//!
//! Every item must match at least one parameter: a typo is an error listing the parameters
//! that exist, never a silently empty selection.

use super::Role;

/// A parsed selector: a list of `(layer glob, role glob)` items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    text: String,
    items: Vec<(String, String)>,
}

impl Selector {
    /// Parses `text`; `None` when it is empty or has an empty item (`a,,b`).
    pub fn parse(text: &str) -> Option<Selector> {
        let mut items = Vec::new();
        for item in text.split(',') {
            let item = item.trim();
            if item.is_empty() {
                return None;
            }
            let (layer, role) = match item.split_once('.') {
                Some((layer, role)) => (layer, role),
                None if Role::parse(item).is_some() => ("*", item),
                None => (item, "*"),
            };
            items.push((layer.to_string(), role.to_string()));
        }
        Some(Selector { text: text.trim().to_string(), items })
    }

    /// The selector as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The items as written, for error messages.
    pub fn items(&self) -> impl Iterator<Item = String> + '_ {
        self.items.iter().map(|(l, r)| if r == "*" { l.clone() } else { format!("{l}.{r}") })
    }

    /// Whether item `index` matches the parameter `role` of layer `layer`.
    pub fn item_matches(&self, index: usize, layer: &str, role: Role) -> bool {
        let (l, r) = &self.items[index];
        glob(l, layer) && glob(r, role.as_str())
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether there are no items (never true for a parsed selector).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// Glob match with `*` (any run, also empty) and `?` (one character), by characters.
fn glob(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    // Iterative matching with one backtrack point: linear in practice, no recursion.
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == n[ni]) {
            pi += 1;
            ni += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ni;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ni = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("*", "dense_0") && glob("conv2d_*", "conv2d_12") && glob("d?nse_0", "dense_0"));
        assert!(!glob("conv2d_*", "conv1d_0") && !glob("dense_0", "dense_01") && glob("*_0", "lstm_0"));
        assert!(glob("**", "") && !glob("?", ""));
    }

    #[test]
    fn items_and_bare_roles() {
        let s = Selector::parse("conv2d_*.kernel, lstm_0.recurrent_kernel,bias,dense_1").unwrap();
        assert_eq!(s.len(), 4);
        assert!(s.item_matches(0, "conv2d_3", Role::Kernel) && !s.item_matches(0, "conv2d_3", Role::Bias));
        assert!(s.item_matches(1, "lstm_0", Role::RecurrentKernel) && !s.item_matches(1, "lstm_0", Role::Kernel));
        assert!(s.item_matches(2, "dense_9", Role::Bias) && s.item_matches(3, "dense_1", Role::Kernel));
        assert!(Selector::parse("a,,b").is_none() && Selector::parse("").is_none());
    }
}
