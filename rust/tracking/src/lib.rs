//! lfr-tracking: pure Rust, no PyO3.
