//! AVX-512 kernels. One zmm holds one dimension of a 16-template block, so a score needs no
//! horizontal sum; a micro-kernel keeps `R` blocks x `M` queries of accumulators in registers
//! so each loaded block feeds `M` FMAs and each broadcast query value feeds `R`.

#![allow(clippy::needless_range_loop, clippy::int_plus_one)]

use std::arch::x86_64::*;

use super::QueryI8;
use crate::layout::BLOCK;

#[inline]
#[target_feature(enable = "avx512f")]
unsafe fn micro_f32<const R: usize, const M: usize>(
    q: *const f32,
    dim: usize,
    blk: *const f32,
    out: *mut f32,
    stride: usize,
) {
    let mut acc = [[_mm512_setzero_ps(); M]; R];
    for d in 0..dim {
        let mut v = [_mm512_setzero_ps(); R];
        for (r, vr) in v.iter_mut().enumerate() {
            *vr = _mm512_loadu_ps(blk.add(r * dim * BLOCK + d * BLOCK));
        }
        for m in 0..M {
            let qb = _mm512_set1_ps(*q.add(m * dim + d));
            for r in 0..R {
                acc[r][m] = _mm512_fmadd_ps(qb, v[r], acc[r][m]);
            }
        }
    }
    for (r, accr) in acc.iter().enumerate() {
        for (m, a) in accr.iter().enumerate() {
            _mm512_storeu_ps(out.add(m * stride + r * BLOCK), *a);
        }
    }
}

/// # Safety
/// Needs AVX-512F; `q` holds `nq * dim`, `blocks` `nb * dim * 16` floats, `out` `nq` rows of
/// `stride >= nb * 16`.
#[target_feature(enable = "avx512f")]
pub unsafe fn scores_f32(
    q: &[f32],
    nq: usize,
    dim: usize,
    blocks: &[f32],
    nb: usize,
    out: &mut [f32],
    stride: usize,
) {
    let bw = dim * BLOCK;
    let (bp, op) = (blocks.as_ptr(), out.as_mut_ptr());
    let mut t = 0;
    while t < nq {
        let m = (nq - t).min(8);
        let (qp, ot) = (q.as_ptr().add(t * dim), op.add(t * stride));
        macro_rules! run {
            ($r:literal, $m:literal) => {{
                let mut b = 0;
                while b + $r <= nb {
                    micro_f32::<$r, $m>(qp, dim, bp.add(b * bw), ot.add(b * BLOCK), stride);
                    b += $r;
                }
                while b < nb {
                    micro_f32::<1, $m>(qp, dim, bp.add(b * bw), ot.add(b * BLOCK), stride);
                    b += 1;
                }
            }};
        }
        match m {
            1 => run!(4, 1),
            2 => run!(4, 2),
            3 => run!(4, 3),
            4 => run!(3, 4),
            5 => run!(2, 5),
            6 => run!(2, 6),
            7 => run!(2, 7),
            _ => run!(2, 8),
        }
        t += m;
    }
}

#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
#[allow(clippy::too_many_arguments)]
unsafe fn micro_i8<const R: usize, const M: usize>(
    qb: *const u8,
    qscale: *const f32,
    d4: usize,
    blk: *const i8,
    rowsum: *const i32,
    rscale: *const f32,
    out: *mut f32,
    stride: usize,
) {
    let mut acc = [[_mm512_setzero_si512(); M]; R];
    for g in 0..d4 / 4 {
        let mut v = [_mm512_setzero_si512(); R];
        for (r, vr) in v.iter_mut().enumerate() {
            *vr = _mm512_loadu_si512(blk.add(r * d4 * BLOCK + g * 4 * BLOCK) as *const _);
        }
        for m in 0..M {
            let w = _mm512_set1_epi32((qb.add(m * d4 + g * 4) as *const i32).read_unaligned());
            for r in 0..R {
                acc[r][m] = _mm512_dpbusd_epi32(acc[r][m], w, v[r]);
            }
        }
    }
    for (r, accr) in acc.iter().enumerate() {
        // (q + 128) . g = q . g + 128 * sum(g): remove the bias term exactly.
        let corr = _mm512_slli_epi32::<7>(_mm512_loadu_si512(rowsum.add(r * BLOCK) as *const _));
        let sc = _mm512_loadu_ps(rscale.add(r * BLOCK));
        for (m, a) in accr.iter().enumerate() {
            let dot = _mm512_cvtepi32_ps(_mm512_sub_epi32(*a, corr));
            let s = _mm512_mul_ps(_mm512_mul_ps(dot, sc), _mm512_set1_ps(*qscale.add(m)));
            _mm512_storeu_ps(out.add(m * stride + r * BLOCK), s);
        }
    }
}

/// # Safety
/// Needs AVX-512F/BW/VNNI; slices sized as `Dispatch::scores_i8` asserts.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub unsafe fn scores_i8(
    q: &QueryI8,
    blocks: &[i8],
    rowsum: &[i32],
    rscale: &[f32],
    nb: usize,
    out: &mut [f32],
    stride: usize,
) {
    let d4 = q.dim4;
    let bw = d4 * BLOCK;
    let (bp, op) = (blocks.as_ptr(), out.as_mut_ptr());
    let mut t = 0;
    while t < q.n {
        let m = (q.n - t).min(8);
        let (qp, qs, ot) = (
            q.biased.as_ptr().add(t * d4),
            q.scale.as_ptr().add(t),
            op.add(t * stride),
        );
        macro_rules! run {
            ($r:literal, $m:literal) => {{
                let mut b = 0;
                while b + $r <= nb {
                    let (rs, sc) = (
                        rowsum.as_ptr().add(b * BLOCK),
                        rscale.as_ptr().add(b * BLOCK),
                    );
                    micro_i8::<$r, $m>(
                        qp,
                        qs,
                        d4,
                        bp.add(b * bw),
                        rs,
                        sc,
                        ot.add(b * BLOCK),
                        stride,
                    );
                    b += $r;
                }
                while b < nb {
                    let (rs, sc) = (
                        rowsum.as_ptr().add(b * BLOCK),
                        rscale.as_ptr().add(b * BLOCK),
                    );
                    micro_i8::<1, $m>(
                        qp,
                        qs,
                        d4,
                        bp.add(b * bw),
                        rs,
                        sc,
                        ot.add(b * BLOCK),
                        stride,
                    );
                    b += 1;
                }
            }};
        }
        match m {
            1 => run!(4, 1),
            2 => run!(4, 2),
            3 => run!(4, 3),
            4 => run!(3, 4),
            5 => run!(2, 5),
            6 => run!(2, 6),
            7 => run!(2, 7),
            _ => run!(2, 8),
        }
        t += m;
    }
}
