//! Line numbers for CSV error messages.

/// Maps byte offsets of records to 1-based line numbers.
///
/// The csv crate's own line numbers lag behind when blank lines are skipped, and a wrong
/// line number in an error message is worse than none, so lines are counted here from the
/// raw bytes (`\n`, `\r\n` and lone `\r` each end a line, as in the parser).
pub(crate) struct LineCounter<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Self { bytes, pos: 0, line: 1 }
    }

    /// Line of the first non-blank byte at or after `byte`; offsets must not decrease.
    pub(crate) fn line_at(&mut self, byte: u64) -> u64 {
        let mut target = usize::try_from(byte).unwrap_or(usize::MAX).min(self.bytes.len());
        // A record's recorded start may precede the blank lines the parser skipped.
        while target < self.bytes.len() && matches!(self.bytes[target], b'\n' | b'\r') {
            target += 1;
        }
        if target < self.pos {
            // Offsets are increasing in practice; restart rather than miscount if not.
            self.pos = 0;
            self.line = 1;
        }
        for i in self.pos..target {
            let b = self.bytes[i];
            let lone_cr = b == b'\r' && self.bytes.get(i + 1) != Some(&b'\n');
            if b == b'\n' || lone_cr {
                self.line += 1;
            }
        }
        self.pos = target;
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_all_terminator_styles() {
        let text = b"a\nb\r\nc\rd\n\n\ne";
        let mut lc = LineCounter::new(text);
        assert_eq!(lc.line_at(0), 1);
        assert_eq!(lc.line_at(2), 2);
        assert_eq!(lc.line_at(5), 3);
        assert_eq!(lc.line_at(7), 4);
        // Offset 9 is a blank line; the next record starts on line 7.
        assert_eq!(lc.line_at(9), 7);
    }

    #[test]
    fn tolerates_backwards_and_out_of_range_offsets() {
        let mut lc = LineCounter::new(b"a\nb\nc");
        assert_eq!(lc.line_at(4), 3);
        assert_eq!(lc.line_at(2), 2);
        assert_eq!(lc.line_at(u64::MAX), 3);
    }
}
