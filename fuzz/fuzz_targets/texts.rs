//! The penalty, family and selector text parsers on arbitrary text: never a panic, and what
//! parses prints back to text that parses to the same value.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shrink::nn::selector::Selector;
use shrink::penalty::Family;
use shrink::{Penalty, Role};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(p) = text.parse::<Penalty>() {
        let again: Penalty = p.to_string().parse().expect("a printed penalty parses");
        assert_eq!(again, p, "{text:?} printed as {p}");
    }
    if let Ok(f) = text.parse::<Family>() {
        let again: Family = f.to_string().parse().expect("a printed family parses");
        assert_eq!(again.to_string(), f.to_string(), "{text:?}");
    }
    if let Some(s) = Selector::parse(text) {
        for i in 0..s.len() {
            for role in [Role::Kernel, Role::Bias, Role::RecurrentKernel] {
                let _ = s.item_matches(i, "dense_0", role);
                let _ = s.item_matches(i, "conv2d_12", role);
            }
        }
        assert_eq!(s.items().count(), s.len());
    }
});
