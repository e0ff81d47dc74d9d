//! Stopping a fit from outside: an [`Interrupt`] is a shared flag that a [`super::Trainer`]
//! checks before every batch (one relaxed atomic load; nothing at all without one). A
//! Ctrl-C handler, a GUI's stop button or a Python binding sets it from another thread; the fit
//! returns [`crate::Error::Interrupted`] before its next step. Search trials check the token
//! of their [`crate::search::SearchConfig`], so one flag stops every worker of a search.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A flag shared by the code that asks a fit to stop and the fits that check it; clones share
/// the flag.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// A flag that is not set.
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Asks every fit holding (a clone of) this flag to stop before its next batch.
    pub fn set(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether [`Interrupt::set`] was called.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Two tokens are equal when they share one flag (so a config holding one still compares).
impl PartialEq for Interrupt {
    fn eq(&self, other: &Interrupt) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}
