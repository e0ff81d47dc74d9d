//! The CSV reader on arbitrary bytes: never a panic, and every error is one capped line that
//! names the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let name = Path::new("fuzz.csv");
    // The target column: `y`, or the first header cell when the input names one.
    let first = data.split(|&b| b == b',' || b == b'\n').next().and_then(|c| std::str::from_utf8(c).ok());
    for target in ["y"].into_iter().chain(first) {
        match shrink_data::read_csv_bytes(data, name, target) {
            Ok(ds) => {
                assert_eq!(ds.x.nrows(), ds.y.len());
                assert!(ds.x.iter().chain(ds.y.iter()).all(|v| v.is_finite()));
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.starts_with("fuzz.csv"), "{msg}");
                assert!(!msg.contains('\n') && !msg.contains('\r'), "{msg}");
                // Path + fixed text + at most a few capped echoes (cells, names, the target).
                assert!(msg.chars().count() < 1500 + target.chars().count().min(200), "{msg}");
            }
        }
    }
});
