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

#[track_caller]
pub fn assert_success(o: &Output) {
    assert!(o.status.success(), "expected success, got {:?}\nstdout:\n{}\nstderr:\n{}", o.status, stdout(o), stderr(o));
    assert!(!stderr(o).contains("panicked"), "stderr:\n{}", stderr(o));
}
