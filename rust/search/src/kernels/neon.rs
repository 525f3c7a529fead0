//! aarch64 Advanced SIMD kernels: a 16-template block is four q-registers per dimension.

#![allow(clippy::needless_range_loop, clippy::int_plus_one)]

use std::arch::aarch64::*;

use super::QueryI8;
use crate::layout::BLOCK;

#[inline]
#[target_feature(enable = "neon")]
unsafe fn micro_f32<const M: usize>(
    q: *const f32,
    dim: usize,
    blk: *const f32,
    out: *mut f32,
    stride: usize,
) {
    let mut acc = [[vdupq_n_f32(0.0); 4]; M];
    for d in 0..dim {
        let p = blk.add(d * BLOCK);
        let v = [
            vld1q_f32(p),
            vld1q_f32(p.add(4)),
            vld1q_f32(p.add(8)),
            vld1q_f32(p.add(12)),
        ];
        for (m, am) in acc.iter_mut().enumerate() {
            let qb = vdupq_n_f32(*q.add(m * dim + d));
            for (a, vh) in am.iter_mut().zip(v) {
                *a = vfmaq_f32(*a, qb, vh);
            }
        }
    }
    for (m, am) in acc.iter().enumerate() {
        for (h, a) in am.iter().enumerate() {
            vst1q_f32(out.add(m * stride + h * 4), *a);
        }
    }
}

/// # Safety
/// Needs NEON; slices sized as `Dispatch::scores_f32` asserts.
#[target_feature(enable = "neon")]
pub unsafe fn scores_f32(
    q: &[f32],
    nq: usize,
    dim: usize,
    blocks: &[f32],
    nb: usize,
    out: &mut [f32],
    stride: usize,
) {
    let mut t = 0;
    while t < nq {
        let m = (nq - t).min(4);
        let qp = q.as_ptr().add(t * dim);
        for b in 0..nb {
            let (bp, o) = (
                blocks.as_ptr().add(b * dim * BLOCK),
                out.as_mut_ptr().add(t * stride + b * BLOCK),
            );
            match m {
                1 => micro_f32::<1>(qp, dim, bp, o, stride),
                2 => micro_f32::<2>(qp, dim, bp, o, stride),
                3 => micro_f32::<3>(qp, dim, bp, o, stride),
                _ => micro_f32::<4>(qp, dim, bp, o, stride),
            }
        }
        t += m;
    }
}

/// # Safety
/// Needs NEON; slices sized as `Dispatch::scores_i8` asserts.
#[target_feature(enable = "neon")]
pub unsafe fn scores_i8(
    q: &QueryI8,
    blocks: &[i8],
    rscale: &[f32],
    nb: usize,
    out: &mut [f32],
    stride: usize,
) {
    let d4 = q.dim4;
    for t in 0..q.n {
        let qt = q.q.as_ptr().add(t * d4);
        let qs = vdupq_n_f32(q.scale[t]);
        for b in 0..nb {
            let blk = blocks.as_ptr().add(b * d4 * BLOCK);
            let mut acc = [vdupq_n_s32(0); 4];
            for g in 0..d4 / 4 {
                // The 4 query values of this group, repeated for each of 4 templates.
                let w = vreinterpretq_s8_s32(vdupq_n_s32(
                    (qt.add(g * 4) as *const i32).read_unaligned(),
                ));
                for (h, a) in acc.iter_mut().enumerate() {
                    let v = vld1q_s8(blk.add(g * 4 * BLOCK + h * 16));
                    // i8 * i8 fits i16; two pairwise widenings sum each template's 4 products.
                    let lo = vpaddlq_s16(vmull_s8(vget_low_s8(v), vget_low_s8(w)));
                    let hi = vpaddlq_s16(vmull_high_s8(v, w));
                    *a = vaddq_s32(*a, vpaddq_s32(lo, hi));
                }
            }
            for (h, a) in acc.iter().enumerate() {
                let sc = vld1q_f32(rscale.as_ptr().add(b * BLOCK + h * 4));
                let s = vmulq_f32(vmulq_f32(vcvtq_f32_s32(*a), sc), qs);
                vst1q_f32(out.as_mut_ptr().add(t * (stride) + b * BLOCK + h * 4), s);
            }
        }
    }
}
