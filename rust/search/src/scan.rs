//! The search loop: query tiles x L2-sized gallery chunks, optionally split across threads.
//!
//! For each tile of up to `QUERY_TILE` queries the gallery is streamed from memory once: a
//! chunk of blocks small enough to stay in L2 is scored against every query of the tile (the
//! kernels keep up to 8 queries in registers per pass over the chunk), then the scores feed the
//! per-query top-k. A batch of 64 queries therefore costs one pass over memory, not 64.

use rayon::prelude::*;

use crate::kernels::{Dispatch, QueryI8};
use crate::layout::{F32Blocks, I8Blocks, BLOCK};
use crate::topk::TopK;

/// Queries scored together per pass over the gallery.
pub const QUERY_TILE: usize = 64;
/// Bytes of templates per chunk: the chunk is re-read from L2 once per 8 queries of a tile.
const CHUNK_BYTES: usize = 64 * 1024;
/// Blocks per chunk at least, so wide templates still give the micro-kernels several blocks.
const MIN_CHUNK_BLOCKS: usize = 4;

/// What to scan: one of the two stored copies.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    F32(&'a F32Blocks),
    I8(&'a I8Blocks),
}

impl Source<'_> {
    fn block_bytes(&self, dim: usize) -> usize {
        match self {
            Source::F32(_) => dim * 4 * BLOCK,
            Source::I8(s) => s.dim4() * BLOCK,
        }
    }
}

/// Prepared queries: unit-length f32 rows, plus their int8 form for the compact scan.
pub struct Queries {
    pub f32s: Vec<f32>,
    pub i8s: Option<QueryI8>,
}

/// One scan of blocks `b0..b1` (rows past `rows` are padding) for all queries.
#[allow(clippy::too_many_arguments)]
fn scan_range(
    kernel: Dispatch,
    src: Source<'_>,
    dim: usize,
    rows: usize,
    idents: &[u32],
    q: &Queries,
    k: usize,
    (b0, b1): (usize, usize),
) -> Vec<TopK> {
    let nq = q.f32s.len() / dim;
    let mut tops = vec![TopK::new(k); nq];
    let chunk = (CHUNK_BYTES / src.block_bytes(dim)).max(MIN_CHUNK_BLOCKS);
    let mut buf = vec![0.0f32; QUERY_TILE.min(nq) * chunk * BLOCK];
    for t0 in (0..nq).step_by(QUERY_TILE) {
        let t1 = (t0 + QUERY_TILE).min(nq);
        let tile_i8 = q.i8s.as_ref().map(|qi| tile_of(qi, t0, t1));
        for c0 in (b0..b1).step_by(chunk) {
            let c1 = (c0 + chunk).min(b1);
            let stride = (c1 - c0) * BLOCK;
            match src {
                Source::F32(s) => kernel.scores_f32(
                    &q.f32s[t0 * dim..t1 * dim],
                    dim,
                    s.blocks(c0, c1),
                    &mut buf,
                    stride,
                ),
                Source::I8(s) => {
                    let (blk, rowsum, scale) = s.blocks(c0, c1);
                    let qi = tile_i8.as_ref().expect("int8 scan needs int8 queries");
                    kernel.scores_i8(qi, blk, rowsum, scale, &mut buf, stride);
                }
            }
            let (r0, r1) = (c0 * BLOCK, (c1 * BLOCK).min(rows));
            for (t, top) in tops[t0..t1].iter_mut().enumerate() {
                feed(
                    kernel,
                    top,
                    &buf[t * stride..t * stride + (r1 - r0)],
                    &idents[r0..r1],
                );
            }
        }
    }
    tops
}

/// Offers scores to `top` in groups: a branch-free (vectorised) test against the current floor
/// skips whole groups, so the per-score cost of a large scan stays near one vector compare.
/// Compiled once per instruction set, so the test uses the widest vectors the kernel does.
fn feed(kernel: Dispatch, top: &mut TopK, scores: &[f32], idents: &[u32]) {
    match kernel.kernel() {
        // SAFETY: `Dispatch` exists only for kernels whose CPU features were detected.
        #[cfg(target_arch = "x86_64")]
        crate::kernels::Kernel::Avx512 => unsafe { feed_avx512(top, scores, idents) },
        #[cfg(target_arch = "x86_64")]
        crate::kernels::Kernel::Avx2 => unsafe { feed_avx2(top, scores, idents) },
        _ => feed_generic(top, scores, idents),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn feed_avx512(top: &mut TopK, scores: &[f32], idents: &[u32]) {
    feed_generic(top, scores, idents)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn feed_avx2(top: &mut TopK, scores: &[f32], idents: &[u32]) {
    feed_generic(top, scores, idents)
}

#[inline(always)]
fn feed_generic(top: &mut TopK, scores: &[f32], idents: &[u32]) {
    const W: usize = 2 * BLOCK;
    let mut floor = top.floor();
    let split = scores.len() / W * W;
    for (c, sc) in scores[..split].chunks_exact(W).enumerate() {
        let sc: &[f32; W] = sc.try_into().expect("chunks_exact yields W");
        // Fixed width, no early exit: a few vector compares and one mask test.
        if sc.iter().fold(false, |any, &s| any | (s >= floor)) {
            for (&s, &i) in sc.iter().zip(&idents[c * W..(c + 1) * W]) {
                top.push(s, i);
            }
            floor = top.floor();
        }
    }
    for (&s, &i) in scores[split..].iter().zip(&idents[split..]) {
        top.push(s, i);
    }
}

fn tile_of(q: &QueryI8, t0: usize, t1: usize) -> QueryI8 {
    let r = t0 * q.dim4..t1 * q.dim4;
    QueryI8 {
        n: t1 - t0,
        dim4: q.dim4,
        q: q.q[r.clone()].to_vec(),
        biased: q.biased[r.clone()].to_vec(),
        abs: q.abs[r].to_vec(),
        scale: q.scale[t0..t1].to_vec(),
    }
}

/// Per-query top-k over the whole source, split into `parts` contiguous block ranges run on
/// `pool` when given. The merge is exact and order-independent (see `topk`).
#[allow(clippy::too_many_arguments)]
pub fn scan(
    kernel: Dispatch,
    src: Source<'_>,
    dim: usize,
    rows: usize,
    idents: &[u32],
    q: &Queries,
    k: usize,
    pool: Option<&rayon::ThreadPool>,
    parts: usize,
) -> Vec<TopK> {
    let nb = rows.div_ceil(BLOCK);
    let parts = parts.clamp(1, nb.max(1));
    let run = |p: usize| {
        let range = (nb * p / parts, nb * (p + 1) / parts);
        scan_range(kernel, src, dim, rows, idents, q, k, range)
    };
    let partial: Vec<Vec<TopK>> = match pool {
        Some(pool) if parts > 1 => pool.install(|| (0..parts).into_par_iter().map(run).collect()),
        _ => return run_all(run, parts),
    };
    merge(partial)
}

fn run_all(run: impl Fn(usize) -> Vec<TopK>, parts: usize) -> Vec<TopK> {
    merge((0..parts).map(run).collect())
}

fn merge(mut partial: Vec<Vec<TopK>>) -> Vec<TopK> {
    let mut first = partial.remove(0);
    for other in &partial {
        for (a, b) in first.iter_mut().zip(other) {
            a.merge(b);
        }
    }
    first
}
