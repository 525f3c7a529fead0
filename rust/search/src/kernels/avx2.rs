//! AVX2 + FMA kernels: a 16-template block is two ymm per dimension. int8 uses the classic
//! `sign` + `maddubs` + `madd` sequence (no VNNI), exact because values stay in -127..=127.

#![allow(clippy::needless_range_loop, clippy::int_plus_one)]

use std::arch::x86_64::*;

use super::QueryI8;
use crate::layout::BLOCK;

#[inline]
#[target_feature(enable = "avx2,fma")]
unsafe fn micro_f32<const R: usize, const M: usize>(
    q: *const f32,
    dim: usize,
    blk: *const f32,
    out: *mut f32,
    stride: usize,
) {
    let mut acc = [[[_mm256_setzero_ps(); 2]; M]; R];
    for d in 0..dim {
        let mut v = [[_mm256_setzero_ps(); 2]; R];
        for (r, vr) in v.iter_mut().enumerate() {
            let p = blk.add(r * dim * BLOCK + d * BLOCK);
            *vr = [_mm256_loadu_ps(p), _mm256_loadu_ps(p.add(8))];
        }
        for m in 0..M {
            let qb = _mm256_set1_ps(*q.add(m * dim + d));
            for r in 0..R {
                acc[r][m][0] = _mm256_fmadd_ps(qb, v[r][0], acc[r][m][0]);
                acc[r][m][1] = _mm256_fmadd_ps(qb, v[r][1], acc[r][m][1]);
            }
        }
    }
    for (r, accr) in acc.iter().enumerate() {
        for (m, a) in accr.iter().enumerate() {
            let o = out.add(m * stride + r * BLOCK);
            _mm256_storeu_ps(o, a[0]);
            _mm256_storeu_ps(o.add(8), a[1]);
        }
    }
}

/// # Safety
/// Needs AVX2 + FMA; slices sized as `Dispatch::scores_f32` asserts.
#[target_feature(enable = "avx2,fma")]
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
        let m = (nq - t).min(6);
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
            2 => run!(2, 2),
            3 => run!(2, 3),
            4 => run!(1, 4),
            5 => run!(1, 5),
            _ => run!(1, 6),
        }
        t += m;
    }
}

#[inline]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn micro_i8<const M: usize>(
    qv: *const i8,
    qa: *const u8,
    qscale: *const f32,
    d4: usize,
    blk: *const i8,
    rscale: *const f32,
    out: *mut f32,
    stride: usize,
) {
    let ones = _mm256_set1_epi16(1);
    let mut acc = [[_mm256_setzero_si256(); 2]; M];
    for g in 0..d4 / 4 {
        let p = blk.add(g * 4 * BLOCK) as *const __m256i;
        let v = [_mm256_loadu_si256(p), _mm256_loadu_si256(p.add(1))];
        for (m, am) in acc.iter_mut().enumerate() {
            let w = _mm256_set1_epi32((qv.add(m * d4 + g * 4) as *const i32).read_unaligned());
            let a = _mm256_set1_epi32((qa.add(m * d4 + g * 4) as *const i32).read_unaligned());
            for h in 0..2 {
                // |q| * (g * sign(q)) = q * g, pairs summed in i16 (at most 2 * 127 * 127).
                let prod = _mm256_maddubs_epi16(a, _mm256_sign_epi8(v[h], w));
                am[h] = _mm256_add_epi32(am[h], _mm256_madd_epi16(prod, ones));
            }
        }
    }
    for (m, am) in acc.iter().enumerate() {
        let qs = _mm256_set1_ps(*qscale.add(m));
        for (h, a) in am.iter().enumerate() {
            let sc = _mm256_loadu_ps(rscale.add(h * 8));
            let s = _mm256_mul_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(*a), sc), qs);
            _mm256_storeu_ps(out.add(m * stride + h * 8), s);
        }
    }
}

/// # Safety
/// Needs AVX2; slices sized as `Dispatch::scores_i8` asserts.
#[target_feature(enable = "avx2,fma")]
pub unsafe fn scores_i8(
    q: &QueryI8,
    blocks: &[i8],
    rscale: &[f32],
    nb: usize,
    out: &mut [f32],
    stride: usize,
) {
    let d4 = q.dim4;
    let bw = d4 * BLOCK;
    let mut t = 0;
    while t < q.n {
        let m = (q.n - t).min(4);
        let (qv, qa, qs) = (
            q.q.as_ptr().add(t * d4),
            q.abs.as_ptr().add(t * d4),
            q.scale.as_ptr().add(t),
        );
        let ot = out.as_mut_ptr().add(t * stride);
        for b in 0..nb {
            let (bp, sc, o) = (
                blocks.as_ptr().add(b * bw),
                rscale.as_ptr().add(b * BLOCK),
                ot.add(b * BLOCK),
            );
            match m {
                1 => micro_i8::<1>(qv, qa, qs, d4, bp, sc, o, stride),
                2 => micro_i8::<2>(qv, qa, qs, d4, bp, sc, o, stride),
                3 => micro_i8::<3>(qv, qa, qs, d4, bp, sc, o, stride),
                _ => micro_i8::<4>(qv, qa, qs, d4, bp, sc, o, stride),
            }
        }
        t += m;
    }
}
