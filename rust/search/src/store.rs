//! The gallery's storage: templates in the layout the chosen storage scans, the identity
//! table, input normalisation, and the exact re-rank behind the int8 scan.

use std::sync::Arc;

use crate::error::SearchError;
use crate::kernels::exact_dots;
use crate::layout::{F32Blocks, F32Rows, I8Blocks};
use crate::topk::TopK;

pub(crate) struct Identity {
    pub name: Option<Arc<str>>,
    /// Template rows of this identity.
    pub rows: Vec<u32>,
}

/// The templates, in the layout the chosen storage scans.
pub(crate) enum Store {
    F32(F32Blocks),
    /// int8 codes to scan plus the exact rows to re-rank with (5 bytes per value in all).
    Int8 {
        codes: I8Blocks,
        exact: F32Rows,
    },
}

impl Store {
    pub fn reserve(&mut self, rows: usize) {
        match self {
            Store::F32(b) => b.reserve(rows),
            Store::Int8 { codes, exact } => {
                codes.reserve(rows);
                exact.reserve(rows);
            }
        }
    }

    pub fn push(&mut self, row: &[f32]) {
        match self {
            Store::F32(b) => b.push(row),
            Store::Int8 { codes, exact } => {
                codes.push(row);
                exact.push(row);
            }
        }
    }

    pub fn swap_remove(&mut self, r: usize) {
        match self {
            Store::F32(b) => b.swap_remove(r),
            Store::Int8 { codes, exact } => {
                codes.swap_remove(r);
                exact.swap_remove(r);
            }
        }
    }
}

/// Identities kept by the int8 scan for exact re-scoring.
pub fn rerank_candidates(k: usize) -> usize {
    (4 * k).max(k + 32)
}

/// `1 / ||row||` per row, after checking every value is finite and no row is zero.
pub(crate) fn unit_scales(
    what: &'static str,
    m: &[f32],
    dim: usize,
) -> Result<Vec<f32>, SearchError> {
    m.chunks_exact(dim)
        .enumerate()
        .map(|(row, r)| {
            if let Some(col) = r.iter().position(|v| !v.is_finite()) {
                return Err(SearchError::NonFinite { what, row, col });
            }
            let norm = r
                .iter()
                .map(|&v| f64::from(v) * f64::from(v))
                .sum::<f64>()
                .sqrt();
            if norm == 0.0 {
                return Err(SearchError::ZeroNorm { what, row });
            }
            Ok((1.0 / norm) as f32)
        })
        .collect()
}

/// Exact scores for every template of each candidate identity.
pub(crate) fn rerank(
    idents: &[Identity],
    dim: usize,
    cands: Vec<TopK>,
    exact: &F32Rows,
    queries: &[f32],
    k: usize,
) -> Vec<TopK> {
    let (mut rows, mut slots, mut scores) = (Vec::new(), Vec::new(), Vec::new());
    cands
        .into_iter()
        .zip(queries.chunks_exact(dim))
        .map(|(c, q)| {
            rows.clear();
            slots.clear();
            for (_, slot) in c.into_sorted() {
                for &r in &idents[slot as usize].rows {
                    rows.push(exact.row(r as usize));
                    slots.push(slot);
                }
            }
            exact_dots(q, &rows, &mut scores);
            let mut top = TopK::new(k);
            scores
                .iter()
                .zip(&slots)
                .for_each(|(&s, &slot)| top.push(s, slot));
            top
        })
        .collect()
}
