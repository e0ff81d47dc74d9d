//! The model-spec parsers (TOML and JSON) on arbitrary text: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use shrink::spec::ModelSpec;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for parsed in [ModelSpec::from_toml(text), ModelSpec::from_json(text)] {
        match parsed {
            // A spec that validates builds, and survives its own JSON form.
            Ok(spec) => {
                assert!(spec.build_model().is_ok());
                ModelSpec::from_json(&spec.to_json()).expect("a valid spec's JSON reads back");
            }
            Err(e) => assert!(!e.to_string().is_empty()),
        }
    }
});
