//! Every way a gallery call can be refused. The bindings map each variant onto a Python
//! `ValueError` (bad values or shapes); nothing in this crate panics on caller input, because
//! every public entry point validates before it touches storage.

use std::fmt;

/// Why a gallery operation was refused. The gallery is left unchanged whenever one is returned.
#[derive(Debug, Clone, PartialEq)]
pub enum SearchError {
    /// `dim` outside `1..=MAX_DIM`.
    InvalidDim { dim: usize, max: usize },
    /// A matrix whose row width is not the gallery's dimension.
    DimMismatch {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// Flat buffer length that is not `rows * dim`, or ids/rows counts that disagree.
    ShapeMismatch { what: &'static str, detail: String },
    /// NaN or infinity at `(row, col)`.
    NonFinite {
        what: &'static str,
        row: usize,
        col: usize,
    },
    /// A row of zeros has no direction, so it cannot be L2-normalised.
    ZeroNorm { what: &'static str, row: usize },
    /// `k` outside `1..=MAX_K`.
    InvalidK { k: i64, max: usize },
    /// Empty identity string.
    EmptyId { index: usize },
    /// Gallery would exceed `u32::MAX` templates or identities.
    TooLarge { what: &'static str },
    /// A kernel name that does not exist, or whose instructions this CPU lacks.
    KernelUnavailable {
        name: String,
        available: Vec<&'static str>,
    },
    /// Unknown storage name.
    InvalidStorage { name: String },
    /// `threads` of zero, or a thread pool the OS refused to start.
    Threads { detail: String },
}

impl fmt::Display for SearchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidDim { dim, max } => write!(f, "dim must be in 1..={max}, got {dim}"),
            Self::DimMismatch {
                what,
                expected,
                got,
            } => {
                write!(
                    f,
                    "{what} must have {expected} columns (the gallery dim), got {got}"
                )
            }
            Self::ShapeMismatch { what, detail } => write!(f, "{what}: {detail}"),
            Self::NonFinite { what, row, col } => {
                write!(
                    f,
                    "{what} contains NaN or infinity at row {row}, column {col}"
                )
            }
            Self::ZeroNorm { what, row } => {
                write!(
                    f,
                    "{what} row {row} is all zeros and cannot be L2-normalised"
                )
            }
            Self::InvalidK { k, max } => write!(f, "k must be in 1..={max}, got {k}"),
            Self::EmptyId { index } => write!(f, "ids[{index}] is an empty string"),
            Self::TooLarge { what } => {
                write!(f, "gallery cannot hold more than {} {what}", u32::MAX)
            }
            Self::KernelUnavailable { name, available } => write!(
                f,
                "kernel {name:?} is not available on this CPU (available: {})",
                available.join(", ")
            ),
            Self::InvalidStorage { name } => {
                write!(f, "storage must be \"f32\" or \"int8\", got {name:?}")
            }
            Self::Threads { detail } => write!(f, "threads: {detail}"),
        }
    }
}

impl std::error::Error for SearchError {}
