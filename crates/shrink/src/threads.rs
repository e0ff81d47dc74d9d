//! What the machine has: cores and memory.
//!
//! Thread counts are an explicit setting, but never more than the machine has: results do not
//! depend on the count (every trial and every product is deterministic), so a request beyond
//! the cores is capped rather than allowed to start thousands of threads.

/// The number of hardware threads this process may use (1 if it cannot be read).
pub fn available() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `requested` capped at [`available`]; `requested` ≥ 1 is checked by the callers' configs.
pub fn capped(requested: usize) -> usize {
    requested.clamp(1, available())
}

/// Bytes of memory available to new allocations (Linux `MemAvailable`); `None` where it cannot
/// be read, and then no limit is applied beyond the fixed size caps.
pub fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn caps_at_the_cores() {
        assert_eq!(super::capped(usize::MAX), super::available());
        assert_eq!(super::capped(1), 1);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn memory_is_read_on_linux() {
        let bytes = super::available_memory().expect("/proc/meminfo has MemAvailable");
        assert!(bytes > 1 << 20, "{bytes}");
    }
}
