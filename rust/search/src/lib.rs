//! lfr-search: pure Rust, no PyO3.
