//! What a gallery is built with, and the limits every input is checked against.

use crate::error::SearchError;
use crate::kernels::Kernel;

/// Widest template: keeps int8 sums (255 * 127 * dim) inside i32.
pub const MAX_DIM: usize = 8192;
/// Most identities per query (the result is a dense `[n, k]` score array).
pub const MAX_K: usize = 4096;
pub const MAX_THREADS: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Storage {
    F32,
    /// int8 scan, then an exact f32 re-rank of the best candidates.
    Int8,
}

impl Storage {
    pub fn from_name(name: &str) -> Result<Self, SearchError> {
        match name {
            "f32" => Ok(Storage::F32),
            "int8" => Ok(Storage::Int8),
            _ => Err(SearchError::InvalidStorage {
                name: name.to_owned(),
            }),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Storage::F32 => "f32",
            Storage::Int8 => "int8",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    pub storage: Storage,
    /// `None`: the fastest kernel this CPU runs.
    pub kernel: Option<Kernel>,
    /// `None`: one per available core.
    pub threads: Option<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            storage: Storage::F32,
            kernel: None,
            threads: None,
        }
    }
}
