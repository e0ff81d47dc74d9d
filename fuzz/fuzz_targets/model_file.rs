//! The model-file reader on arbitrary bytes, through a temp file (`SavedModel::load` takes a
//! path): never a panic, and every error names the file.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

fn scratch() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| std::env::temp_dir().join(format!("shrink-fuzz-model-{}.safetensors", std::process::id())))
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    std::fs::write(path, data).expect("temp dir is writable");
    if let Err(e) = shrink::model_file::SavedModel::load(path) {
        let msg = e.to_string();
        assert!(msg.contains(&*path.display().to_string()), "{msg}");
    }
});
