//! The one progress-bar builder every command uses (drawn on stderr, hidden when it is not a
//! terminal).

use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `len` steps counted in `counted` (`fits`, `trials`, `epochs`), labelled `label`; its
/// message (after the ETA) is free for the caller (the training loss).
pub(crate) fn bar(len: u64, label: &str, counted: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    let template =
        format!("{{prefix}} [{{bar:40}}] {{pos}}/{{len}} {counted}, {{elapsed}} elapsed, ETA {{eta}} {{msg}}");
    // The template is fixed but for `counted`, a plain word from the callers, which cannot
    // make it invalid.
    bar.set_style(ProgressStyle::with_template(&template).expect("the template is valid").progress_chars("=> "));
    bar.set_prefix(label.to_string());
    bar
}
