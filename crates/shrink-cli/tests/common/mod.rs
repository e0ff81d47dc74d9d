//! Helpers shared by the end-to-end test files: scratch folders and running the binary.
#![allow(dead_code)] // each test file uses its own subset

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A data set the tests read, from the repository, so that a bare clone passes: the files the
/// product bundles (`crates/shrink-cli/data/`), the two-moons fixture of shrink-data's generator
/// test and the files only these tests read (`crates/shrink-cli/tests/data/`), each kept once.
pub fn data(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dirs = [root.join("data"), root.join("../shrink-data/tests/data"), root.join("tests/data")];
    dirs.iter()
        .map(|d| d.join(name))
        .find(|p| p.exists())
        .unwrap_or_else(|| panic!("test data `{name}` is in none of {dirs:?}"))
}

/// A unique scratch folder under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// `<temp>/shrink-<suite>-<test>-<pid>`, emptied.
    pub fn new_in(suite: &str, test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("shrink-{suite}-{test}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.join(name);
        fs::write(&p, contents).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Runs the `shrink` binary with `args`.
pub fn shrink<I, S>(args: I) -> Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    Command::new(env!("CARGO_BIN_EXE_shrink")).args(args).output().expect("cannot start the shrink binary")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A run that failed with exit code 1 and one `error: ` message mentioning every needle.
#[track_caller]
pub fn assert_fails(o: &Output, needles: &[&str]) -> String {
    let err = stderr(o);
    assert!(!o.status.success(), "expected failure, got success\nstdout:\n{}\nstderr:\n{err}", stdout(o));
    assert_eq!(o.status.code(), Some(1), "exit code; stderr:\n{err}");
    assert!(!err.contains("panicked"), "panic:\n{err}");
    assert!(err.starts_with("error: "), "stderr should start with `error: `:\n{err}");
    for n in needles {
        assert!(err.contains(n), "stderr should mention {n:?}:\n{err}");
    }
    err
}

#[track_caller]
pub fn assert_success(o: &Output) {
    assert!(o.status.success(), "expected success, got {:?}\nstdout:\n{}\nstderr:\n{}", o.status, stdout(o), stderr(o));
    assert!(!stderr(o).contains("panicked"), "stderr:\n{}", stderr(o));
}

/// Shape and values of every tensor of a safetensors file (all F32), by name.
pub type Tensors = std::collections::BTreeMap<String, (Vec<usize>, Vec<f32>)>;

/// The tensors of a safetensors file, read with the safetensors crate.
pub fn read_tensors(path: &Path) -> Tensors {
    let bytes = fs::read(path).unwrap();
    let st = safetensors::SafeTensors::deserialize(&bytes).unwrap();
    st.names()
        .into_iter()
        .map(|name| {
            let t = st.tensor(name).unwrap();
            assert_eq!(t.dtype(), safetensors::Dtype::F32, "{name}");
            let values = t.data().chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
            (name.to_string(), (t.shape().to_vec(), values))
        })
        .collect()
}

/// Row `row` of a 2-D tensor.
pub fn tensor_row(tensor: &(Vec<usize>, Vec<f32>), row: usize) -> &[f32] {
    let cols = tensor.0[1];
    &tensor.1[row * cols..(row + 1) * cols]
}

/// A regression table `x0,x1,x2,y` with `y = x0 − 2·x1`: x2 is noise a feature selection drops.
pub fn noise_input_csv(dir: &TempDir) -> PathBuf {
    // A fixed LCG, so the table (and every result on it) is the same on every machine.
    let mut state = 12345u64;
    let mut uniform = move || {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    let mut text = String::from("x0,x1,x2,y\n");
    for _ in 0..200 {
        let (a, b, c) = (uniform(), uniform(), uniform());
        text += &format!("{a},{b},{c},{}\n", a - 2.0 * b);
    }
    dir.write("noise_input.csv", &text)
}

/// A 3 → 8 (relu) → 1 regression spec; `kernel` is the first kernel's penalty key, if any.
pub fn noise_input_spec(dir: &TempDir, epochs: usize, kernel: Option<&str>) -> PathBuf {
    let penalty = kernel.map_or(String::new(), |p| format!("kernel_penalty = \"{p}\"\n"));
    dir.write(
        "noise_input.toml",
        &format!(
            "input_shape = [3]\nscaling = \"standard\"\nloss = \"mse\"\nepochs = {epochs}\nseed = 1\n\
             optimizer = {{ name = \"adam\", lr = 0.01 }}\n\
             [[layers]]\ntype = \"dense\"\nunits = 8\nactivation = \"relu\"\n{penalty}\
             [[layers]]\ntype = \"dense\"\nunits = 1\n"
        ),
    )
}

/// Runs `shrink train --spec SPEC --data DATA --target TARGET --out OUT` and then `extra`.
pub fn train(spec: &Path, data: &Path, target: &str, out: &Path, extra: &[&str]) -> Output {
    let mut a = os_args(&[&"train", &"--spec", &spec, &"--data", &data, &"--target", &target, &"--out", &out]);
    a.extend(extra.iter().map(std::ffi::OsString::from));
    shrink(a)
}

/// Runs `shrink fine-tune --model MODEL --data DATA --out OUT` and then `extra`.
pub fn fine_tune(model: &Path, data: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut a = os_args(&[&"fine-tune", &"--model", &model, &"--data", &data, &"--out", &out]);
    a.extend(extra.iter().map(std::ffi::OsString::from));
    shrink(a)
}

/// Command-line arguments of mixed kinds (`&str`, paths) as one list.
pub fn os_args(parts: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<std::ffi::OsString> {
    parts.iter().map(|p| p.as_ref().to_os_string()).collect()
}

/// Runs `shrink example NAME ARGS --out OUT`, checks it succeeded and returns its stdout.
pub fn example(name: &str, out: &Path, args: &[&str]) -> String {
    let mut command = os_args(&[&"example", &name]);
    command.extend(args.iter().map(Into::into));
    command.extend(os_args(&[&"--out", &out]));
    let o = shrink(command);
    assert_success(&o);
    let manifest = read_manifest(out);
    assert_eq!(manifest["inputs"], serde_json::json!([]), "the examples' data is compiled in");
    stdout(&o)
}

/// Checks that `DIR/STEM.png` is a PNG and `DIR/STEM.svg` exists.
#[track_caller]
pub fn assert_plot(dir: &Path, stem: &str) {
    let png = fs::read(dir.join(format!("{stem}.png"))).unwrap_or_default();
    assert!(png.starts_with(b"\x89PNG"), "{stem}.png is not a PNG");
    assert!(dir.join(format!("{stem}.svg")).is_file(), "{stem}.svg is missing");
}

/// Reads `dir/run.json` and checks what it promises: the files it lists are sorted, relative to
/// `dir` and exist, and each input's `sha256` is the SHA-256 of that file's bytes (computed here,
/// not by the binary). Returns the manifest for the test's own checks.
pub fn read_manifest(dir: &Path) -> serde_json::Value {
    use sha2::{Digest, Sha256};
    let text = fs::read_to_string(dir.join("run.json")).unwrap_or_else(|e| panic!("{}/run.json: {e}", dir.display()));
    let manifest: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(manifest["shrink_version"], env!("CARGO_PKG_VERSION"));
    let command = manifest["command"].as_array().expect("command is an array");
    assert!(command.len() > 1, "argv recorded: {command:?}");
    let files: Vec<&str> = manifest["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap()).collect();
    assert!(!files.is_empty());
    assert!(files.windows(2).all(|w| w[0] < w[1]), "files sorted and distinct: {files:?}");
    for f in &files {
        assert!(Path::new(f).is_relative() && dir.join(f).is_file(), "{f} listed but not in {}", dir.display());
        assert_ne!(*f, "run.json");
    }
    for input in manifest["inputs"].as_array().unwrap() {
        let path = Path::new(input["path"].as_str().unwrap());
        let digest = Sha256::digest(fs::read(path).unwrap());
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(input["sha256"], hex, "{}", path.display());
    }
    manifest
}

/// The `path` of each input of a manifest.
pub fn manifest_inputs(manifest: &serde_json::Value) -> Vec<PathBuf> {
    manifest["inputs"].as_array().unwrap().iter().map(|i| PathBuf::from(i["path"].as_str().unwrap())).collect()
}

/// The `files` of a manifest.
pub fn manifest_files(manifest: &serde_json::Value) -> Vec<String> {
    manifest["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_string()).collect()
}
