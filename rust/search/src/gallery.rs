//! The watchlist gallery: identities, their templates, and search.
//!
//! Every mutating call validates all of its input before touching storage, so a refused call
//! leaves the gallery exactly as it was. Templates and queries are L2-normalised, so scores are
//! cosine similarities whatever the caller's scaling.

use std::collections::HashMap;
use std::sync::Arc;

use crate::error::SearchError;
use crate::kernels::{Dispatch, Kernel, QueryI8};
use crate::layout::{F32Blocks, F32Rows, I8Blocks};
use crate::options::{Options, Storage, MAX_DIM, MAX_K, MAX_THREADS};
use crate::scan::{scan, Queries, Source};
use crate::store::{rerank, rerank_candidates, unit_scales, Identity, Store};
use crate::topk::TopK;

/// Template bytes scanned x queries below which a search stays on the calling thread. Waking
/// the pool costs microseconds when a core is idle, far more when another process holds it
/// (the live pipeline shares the cores with decoding and inference), so small searches such
/// as one query against 10k x 128 (5 MB, ~50 us) do not split.
pub const PAR_MIN_BYTES: usize = 8 << 20;
/// Gallery ranges per pool thread: rayon hands them out as threads free up, so a core slowed
/// by another process costs its share of the ranges rather than holding up a fixed half.
const PARTS_PER_THREAD: usize = 4;
/// Rows per range at least: each range keeps its own top-k per query, which fills slowly.
const PAR_MIN_ROWS: usize = 4096;

/// One search result: identity name and its best template's score.
pub type Match = (Arc<str>, f32);

pub struct Gallery {
    dim: usize,
    storage: Storage,
    kernel: Dispatch,
    threads: usize,
    pool: Option<rayon::ThreadPool>,
    store: Store,
    /// Identity slot of each template row.
    row_ident: Vec<u32>,
    slots: HashMap<Arc<str>, u32>,
    /// Indexed by slot. Slots are never reused, so ties keep breaking by enrolment order; a
    /// removed identity leaves an empty entry behind.
    idents: Vec<Identity>,
    next_slot: u32,
}

impl Gallery {
    pub fn new(dim: usize, opts: Options) -> Result<Self, SearchError> {
        if dim == 0 || dim > MAX_DIM {
            return Err(SearchError::InvalidDim { dim, max: MAX_DIM });
        }
        let kernel = opts.kernel.unwrap_or_else(Kernel::best);
        let kernel = kernel
            .dispatch()
            .ok_or_else(|| SearchError::KernelUnavailable {
                name: kernel.name().to_owned(),
                available: Kernel::available().into_iter().map(Kernel::name).collect(),
            })?;
        let threads = match opts.threads {
            Some(n) if n == 0 || n > MAX_THREADS => {
                return Err(SearchError::Threads {
                    detail: format!("must be in 1..={MAX_THREADS}, got {n}"),
                })
            }
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        let pool = if threads > 1 {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .thread_name(|i| format!("lfr-search-{i}"))
                .build()
                .map_err(|e| SearchError::Threads {
                    detail: e.to_string(),
                })?;
            Some(pool)
        } else {
            None
        };
        Ok(Self {
            dim,
            storage: opts.storage,
            kernel,
            threads,
            pool,
            store: match opts.storage {
                Storage::F32 => Store::F32(F32Blocks::new(dim)),
                Storage::Int8 => Store::Int8 {
                    codes: I8Blocks::new(dim),
                    exact: F32Rows::new(dim),
                },
            },
            row_ident: Vec::new(),
            slots: HashMap::new(),
            idents: Vec::new(),
            next_slot: 0,
        })
    }

    pub fn dim(&self) -> usize {
        self.dim
    }
    pub fn len(&self) -> usize {
        self.row_ident.len()
    }
    pub fn is_empty(&self) -> bool {
        self.row_ident.is_empty()
    }
    pub fn storage(&self) -> Storage {
        self.storage
    }
    pub fn kernel(&self) -> Kernel {
        self.kernel.kernel()
    }
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Distinct identities, in enrolment order.
    pub fn identities(&self) -> Vec<Arc<str>> {
        self.idents.iter().filter_map(|i| i.name.clone()).collect()
    }

    /// Adds `ids.len()` templates (`templates` is row-major `ids.len() * dim`). An id repeated
    /// in one call, or already enrolled, adds another template to that identity.
    pub fn add<S: AsRef<str>>(&mut self, ids: &[S], templates: &[f32]) -> Result<(), SearchError> {
        if templates.len() != ids.len() * self.dim {
            return Err(SearchError::ShapeMismatch {
                what: "templates",
                detail: format!(
                    "{} ids but {} values for dim {}",
                    ids.len(),
                    templates.len(),
                    self.dim
                ),
            });
        }
        if let Some(index) = ids.iter().position(|s| s.as_ref().is_empty()) {
            return Err(SearchError::EmptyId { index });
        }
        let inv = unit_scales("templates", templates, self.dim)?;
        let new_idents = ids
            .iter()
            .filter(|s| !self.slots.contains_key(s.as_ref()))
            .count();
        if self.len() + ids.len() > u32::MAX as usize {
            return Err(SearchError::TooLarge { what: "templates" });
        }
        if self.next_slot as usize + new_idents > u32::MAX as usize {
            return Err(SearchError::TooLarge { what: "identities" });
        }
        self.store.reserve(ids.len());
        self.row_ident.reserve(ids.len());
        let mut row = vec![0.0f32; self.dim];
        for ((id, src), s) in ids.iter().zip(templates.chunks_exact(self.dim)).zip(inv) {
            let slot = self.slot_for(id.as_ref());
            row.iter_mut().zip(src).for_each(|(o, &v)| *o = v * s);
            self.store.push(&row);
            self.idents[slot as usize]
                .rows
                .push(self.row_ident.len() as u32);
            self.row_ident.push(slot);
        }
        Ok(())
    }

    fn slot_for(&mut self, id: &str) -> u32 {
        if let Some(&slot) = self.slots.get(id) {
            return slot;
        }
        let slot = self.next_slot;
        self.next_slot += 1;
        let name: Arc<str> = Arc::from(id);
        self.slots.insert(name.clone(), slot);
        self.idents.push(Identity {
            name: Some(name),
            rows: Vec::new(),
        });
        slot
    }

    /// Removes every template of `id`; returns how many (0 for an unknown id).
    pub fn remove(&mut self, id: &str) -> usize {
        let Some(slot) = self.slots.remove(id) else {
            return 0;
        };
        let ident = &mut self.idents[slot as usize];
        ident.name = None;
        let mut rows = std::mem::take(&mut ident.rows);
        rows.sort_unstable_by(|a, b| b.cmp(a));
        for &r in &rows {
            let (r, last) = (r as usize, self.row_ident.len() - 1);
            if r != last {
                // The last row belongs to another identity: rows of `slot` above `r` are gone.
                let moved = self.row_ident[last];
                let list = &mut self.idents[moved as usize].rows;
                let at = list
                    .iter()
                    .position(|&x| x as usize == last)
                    .expect("row listed");
                list[at] = r as u32;
            }
            self.row_ident.swap_remove(r);
            self.store.swap_remove(r);
        }
        rows.len()
    }

    /// Top-`k` identities for each query (`queries` row-major, `n * dim`), best first.
    pub fn search(&self, queries: &[f32], k: usize) -> Result<Vec<Vec<Match>>, SearchError> {
        self.search_parts(queries, k, None)
    }

    /// `search` with the gallery split into exactly `parts` ranges (tests use it to show the
    /// result does not depend on the split). `None` picks by size and thread count.
    pub fn search_parts(
        &self,
        queries: &[f32],
        k: usize,
        parts: Option<usize>,
    ) -> Result<Vec<Vec<Match>>, SearchError> {
        if k == 0 || k > MAX_K {
            return Err(SearchError::InvalidK {
                k: k as i64,
                max: MAX_K,
            });
        }
        if !queries.len().is_multiple_of(self.dim) {
            return Err(SearchError::DimMismatch {
                what: "queries",
                expected: self.dim,
                got: queries.len(),
            });
        }
        let inv = unit_scales("queries", queries, self.dim)?;
        let nq = inv.len();
        if self.is_empty() || nq == 0 {
            return Ok(vec![Vec::new(); nq]);
        }
        let mut f32s = queries.to_vec();
        for (row, s) in f32s.chunks_exact_mut(self.dim).zip(&inv) {
            row.iter_mut().for_each(|v| *v *= s);
        }
        let i8s = matches!(self.store, Store::Int8 { .. }).then(|| QueryI8::new(&f32s, self.dim));
        let q = Queries { f32s, i8s };
        let parts = parts.unwrap_or_else(|| self.auto_parts(nq));
        let tops = match &self.store {
            Store::F32(blocks) => self.scan(Source::F32(blocks), &q, k, parts),
            Store::Int8 { codes, exact } => {
                let cands = self.scan(Source::I8(codes), &q, rerank_candidates(k), parts);
                rerank(&self.idents, self.dim, cands, exact, &q.f32s, k)
            }
        };
        Ok(tops
            .into_iter()
            .map(|t| {
                t.into_sorted()
                    .into_iter()
                    .map(|(s, slot)| (self.name(slot), s))
                    .collect()
            })
            .collect())
    }

    fn name(&self, slot: u32) -> Arc<str> {
        self.idents[slot as usize]
            .name
            .clone()
            .expect("search only returns enrolled identities")
    }

    /// How many gallery ranges to split a search into: one unless the work is worth waking
    /// the pool, and never ranges so small that each part's top-k warm-up dominates.
    fn auto_parts(&self, nq: usize) -> usize {
        let row_bytes = match self.store {
            Store::F32(_) => self.dim * 4,
            Store::Int8 { .. } => self.dim,
        };
        if self.threads == 1 || self.len() * row_bytes * nq < PAR_MIN_BYTES {
            return 1;
        }
        (self.threads * PARTS_PER_THREAD)
            .min(self.len() / PAR_MIN_ROWS)
            .max(1)
    }

    fn scan(&self, src: Source<'_>, q: &Queries, k: usize, parts: usize) -> Vec<TopK> {
        scan(
            self.kernel,
            src,
            self.dim,
            self.len(),
            &self.row_ident,
            q,
            k,
            self.pool.as_ref(),
            parts,
        )
    }
}
