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

#[cfg(test)]
mod tests {
    #[test]
    fn caps_at_the_cores() {
        assert_eq!(super::capped(usize::MAX), super::available());
        assert_eq!(super::capped(1), 1);
    }
}
