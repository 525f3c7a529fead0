//! The reference kernels: plain loops, same accumulation order as the SIMD kernels.

use super::QueryI8;
use crate::layout::BLOCK;

pub fn scores_f32(
    q: &[f32],
    nq: usize,
    dim: usize,
    blocks: &[f32],
    nb: usize,
    out: &mut [f32],
    stride: usize,
) {
    for t in 0..nq {
        let qt = &q[t * dim..(t + 1) * dim];
        for b in 0..nb {
            let blk = &blocks[b * dim * BLOCK..(b + 1) * dim * BLOCK];
            let mut acc = [0.0f32; BLOCK];
            for (d, &qv) in qt.iter().enumerate() {
                for (a, &g) in acc.iter_mut().zip(&blk[d * BLOCK..(d + 1) * BLOCK]) {
                    *a = qv.mul_add(g, *a);
                }
            }
            out[t * stride + b * BLOCK..t * stride + (b + 1) * BLOCK].copy_from_slice(&acc);
        }
    }
}

/// Sequential FMA chain: the accumulation order every kernel shares.
#[inline(always)]
pub fn dot(q: &[f32], row: &[f32]) -> f32 {
    q.iter()
        .zip(row)
        .fold(0.0f32, |acc, (&a, &b)| a.mul_add(b, acc))
}

pub fn scores_i8(
    q: &QueryI8,
    blocks: &[i8],
    rscale: &[f32],
    nb: usize,
    out: &mut [f32],
    stride: usize,
) {
    let d4 = q.dim4;
    for t in 0..q.n {
        let qt = &q.q[t * d4..(t + 1) * d4];
        for b in 0..nb {
            let blk = &blocks[b * d4 * BLOCK..(b + 1) * d4 * BLOCK];
            for j in 0..BLOCK {
                let mut acc = 0i32;
                for (d, &qv) in qt.iter().enumerate() {
                    acc += i32::from(qv) * i32::from(blk[(d / 4) * 4 * BLOCK + j * 4 + d % 4]);
                }
                out[t * stride + b * BLOCK + j] = (acc as f32 * rscale[b * BLOCK + j]) * q.scale[t];
            }
        }
    }
}
