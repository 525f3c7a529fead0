//! lfr-search: the watchlist gallery search, in pure Rust (no PyO3).
//!
//! A `Gallery` holds L2-normalised templates in 16-row transposed blocks (`layout`), scores a
//! batch of queries with a SIMD kernel picked at runtime (`kernels`), streams the gallery once
//! per tile of queries, optionally across a rayon pool (`scan`), and keeps the best `k`
//! identities per query, one entry per identity (`topk`). The int8 storage scans a quarter of
//! the bytes and re-scores its candidates exactly in f32.

pub mod error;
pub mod gallery;
pub mod kernels;
pub mod layout;
pub mod options;
pub mod scan;
mod store;
pub mod topk;

pub use error::SearchError;
pub use gallery::{Gallery, Match};
pub use kernels::{Dispatch, Kernel, QueryI8};
pub use options::{Options, Storage, MAX_DIM, MAX_K, MAX_THREADS};
