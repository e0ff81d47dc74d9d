//! The one writer of every file shrink writes, and the lock that keeps one writer per output
//! folder.
//!
//! Its own crate because both the core library and the plotting crate write files, and neither
//! depends on the other.
//!
//! [`write_atomic`] writes to a uniquely named temporary file in the target's folder, syncs it,
//! renames it over the target and syncs the folder: a reader sees the old file or the new one,
//! never half of one, also after a crash or power loss. The temporary is removed on every error
//! path (a full disk included) and, through [`remove_temporaries`], by the command line's Ctrl-C
//! handler.
//!
//! [`OutputLock`] is an advisory lock on `DIR/.shrink.lock`, held while a command writes into
//! `DIR`; the operating system releases it when the process ends, however it ends.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// A file that could not be written or read, or a folder another process holds.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// An output folder another shrink process is writing into.
    #[error(
        "{dir} is in use by another shrink process{holder}; wait for it to finish or choose another output folder"
    )]
    Locked {
        /// The folder.
        dir: String,
        /// ` (PID n)` when the holder wrote its PID, else empty.
        holder: String,
    },
}

/// Temporaries being written right now, for [`remove_temporaries`].
static PENDING: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io { path: path.display().to_string(), source }
}

/// Writes `bytes` to `path` atomically (see the module documentation), creating its folder.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let io = io_error(path);
    let dir = match path.parent().filter(|d| !d.as_os_str().is_empty()) {
        Some(dir) => dir,
        None => Path::new("."),
    };
    std::fs::create_dir_all(dir).map_err(&io)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut tmp = tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".tmp").tempfile_in(dir).map_err(&io)?;
    let tmp_path = tmp.path().to_path_buf();
    register(&tmp_path, true);
    // From here on, dropping `tmp` on an error removes the temporary file.
    let written = tmp.write_all(bytes).and_then(|()| tmp.as_file().sync_all());
    let result = written.map_err(&io).and_then(|()| tmp.persist(path).map(drop).map_err(|e| io(e.error)));
    register(&tmp_path, false);
    result?;
    sync_dir(dir).map_err(io)
}

fn register(path: &Path, pending: bool) {
    // A poisoned registry only means a panic elsewhere; the set itself is still valid.
    let mut set = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    if pending {
        set.insert(path.to_path_buf());
    } else {
        set.remove(path);
    }
}

/// Removes every temporary file a [`write_atomic`] in progress has open (for a Ctrl-C handler,
/// which ends the process before destructors run).
pub fn remove_temporaries() {
    let set = PENDING.lock().unwrap_or_else(|e| e.into_inner());
    for path in set.iter() {
        let _ = std::fs::remove_file(path);
    }
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

/// The SHA-256 of a file's contents, as lowercase hex: what a resume compares, so that a data
/// file changed in place is noticed even though its path is the same.
pub fn sha256_file(path: &Path) -> Result<String, Error> {
    use sha2::{Digest, Sha256};
    let mut file = File::open(path).map_err(io_error(path))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = file.read(&mut buf).map_err(io_error(path))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

/// The lock file's name inside an output folder.
pub const LOCK_FILE: &str = ".shrink.lock";

/// An exclusive advisory lock on an output folder; released on drop or when the process ends.
#[derive(Debug)]
pub struct OutputLock {
    file: File,
    dir: PathBuf,
    exclusive: bool,
}

impl OutputLock {
    /// Creates `dir` if needed and locks it; a folder another process holds is an error naming
    /// the folder and that process's PID, returned at once (never a wait).
    pub fn acquire(dir: &Path) -> Result<OutputLock, Error> {
        Self::acquire_named(dir, LOCK_FILE)
    }

    /// [`OutputLock::acquire`] on the lock file `name` in `dir` (a part of the folder with its
    /// own writer, such as one shard's trial log of a search).
    pub fn acquire_named(dir: &Path, name: &str) -> Result<OutputLock, Error> {
        Self::lock(dir, name, true)
    }

    /// A shared lock on `DIR/.shrink.lock`: any number of shared holders (the shards of one
    /// search, each writing only its own files) exclude an exclusive one and are excluded by it.
    pub fn acquire_shared(dir: &Path) -> Result<OutputLock, Error> {
        Self::lock(dir, LOCK_FILE, false)
    }

    fn lock(dir: &Path, name: &str, exclusive: bool) -> Result<OutputLock, Error> {
        std::fs::create_dir_all(dir).map_err(io_error(dir))?;
        let path = dir.join(name);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error(&path))?;
        let tried = if exclusive { file.try_lock() } else { file.try_lock_shared() };
        match tried {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut holder = String::new();
                let _ = file.read_to_string(&mut holder);
                let holder = holder.trim().chars().take(20).collect::<String>();
                let who = if holder.is_empty() { String::new() } else { format!(" (PID {holder})") };
                return Err(Error::Locked { dir: dir.display().to_string(), holder: who });
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(io_error(&path)(e)),
        }
        // The PID is for the message above; the lock itself is what excludes. Shared holders
        // leave the file alone (several of them would overwrite each other).
        if exclusive {
            let pid = std::process::id().to_string();
            file.set_len(0)
                .and_then(|()| file.seek(SeekFrom::Start(0)))
                .and_then(|_| file.write_all(pid.as_bytes()))
                .map_err(io_error(&path))?;
        }
        Ok(OutputLock { file, dir: dir.to_path_buf(), exclusive })
    }

    /// The locked folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        // A released lock names nobody: a later refusal by a shared holder must not name this
        // process. (A killed process leaves its PID, which is then only a hint.)
        if self.exclusive {
            let _ = self.file.set_len(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `remove_temporaries` deletes the temporaries of every write in flight in the process, as
    /// on Ctrl-C: the tests that write or call it take turns, or one would delete the other's.
    static WRITERS: Mutex<()> = Mutex::new(());

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("shrink-files-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect()
    }

    #[test]
    fn writes_replace_whole_files_and_leave_no_temporaries() {
        let _turn = WRITERS.lock().unwrap_or_else(|e| e.into_inner());
        let dir = scratch("write");
        let path = dir.join("sub").join("a.csv");
        write_atomic(&path, b"one\n").unwrap();
        write_atomic(&path, b"two\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two\n");
        assert!(leftovers(&dir.join("sub")).is_empty());
        // A target that cannot be replaced (a folder) fails, and the temporary is gone.
        let blocked = dir.join("sub").join("folder");
        std::fs::create_dir_all(blocked.join("inside")).unwrap();
        assert!(write_atomic(&blocked, b"x").is_err());
        assert!(leftovers(&dir.join("sub")).is_empty(), "{:?}", leftovers(&dir.join("sub")));
        assert!(!PENDING.lock().unwrap().iter().any(|p| p.starts_with(&dir)), "a finished write is unregistered");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn temporaries_in_progress_are_removed_on_request() {
        let _turn = WRITERS.lock().unwrap_or_else(|e| e.into_inner());
        let dir = scratch("pending");
        std::fs::create_dir_all(&dir).unwrap();
        let tmp = dir.join(".a.csv.x.tmp");
        std::fs::write(&tmp, b"half").unwrap();
        register(&tmp, true);
        remove_temporaries();
        assert!(!tmp.exists());
        register(&tmp, false);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn sha256_of_a_file() {
        let dir = scratch("sha");
        let path = dir.join("abc.txt");
        write_atomic(&path, b"abc").unwrap();
        // printf abc | sha256sum
        assert_eq!(sha256_file(&path).unwrap(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert!(sha256_file(&dir.join("missing")).unwrap_err().to_string().contains("missing"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_second_lock_on_a_folder_fails_naming_it_and_the_holder() {
        let dir = scratch("lock");
        let first = OutputLock::acquire(&dir).unwrap();
        let e = OutputLock::acquire(&dir).unwrap_err().to_string();
        assert!(e.contains(&dir.display().to_string()) && e.contains(&format!("PID {}", std::process::id())), "{e}");
        drop(first);
        let again = OutputLock::acquire(&dir).unwrap();
        assert_eq!(again.dir(), dir);
        drop(again);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn shared_holders_coexist_and_exclude_an_exclusive_one() {
        let dir = scratch("shared");
        let (a, b) = (OutputLock::acquire_shared(&dir).unwrap(), OutputLock::acquire_shared(&dir).unwrap());
        assert!(OutputLock::acquire(&dir).is_err());
        // Named locks are independent of the folder's lock and of each other.
        let one = OutputLock::acquire_named(&dir, ".shrink.0-of-2.lock").unwrap();
        let _two = OutputLock::acquire_named(&dir, ".shrink.1-of-2.lock").unwrap();
        assert!(OutputLock::acquire_named(&dir, ".shrink.0-of-2.lock").is_err());
        drop(one);
        drop((a, b));
        let whole = OutputLock::acquire(&dir).unwrap();
        assert!(OutputLock::acquire_shared(&dir).is_err());
        drop(whole);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
