//! Dot-product kernels over blocked templates (see `layout`), picked once at runtime.
//!
//! Every kernel fills `out[t * stride + b * 16 + j]` with the score of query `t` against row `j`
//! of block `b`. The scalar kernel is the reference: the SIMD kernels accumulate each score in
//! the same order with fused multiply-adds (f32) or exact integer sums (int8), so they agree
//! with it bit for bit, which the property tests check with each kernel forced in turn.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "aarch64")]
mod neon;
pub mod scalar;

use crate::layout::{dim4, quantize, BLOCK};

/// An instruction-set path. Only `Dispatch` (built after a CPU check) can run one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    Scalar,
    /// AVX2 + FMA.
    Avx2,
    /// AVX-512 F + BW + VNNI (Ice Lake, Zen 4 and later).
    Avx512,
    /// aarch64 Advanced SIMD.
    Neon,
}

impl Kernel {
    pub const ALL: [Kernel; 4] = [Kernel::Scalar, Kernel::Avx2, Kernel::Avx512, Kernel::Neon];

    pub fn name(self) -> &'static str {
        match self {
            Kernel::Scalar => "scalar",
            Kernel::Avx2 => "avx2",
            Kernel::Avx512 => "avx512",
            Kernel::Neon => "neon",
        }
    }

    pub fn from_name(name: &str) -> Option<Kernel> {
        Kernel::ALL.into_iter().find(|k| k.name() == name)
    }

    pub fn is_available(self) -> bool {
        match self {
            Kernel::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => {
                is_x86_feature_detected!("avx512f")
                    && is_x86_feature_detected!("avx512bw")
                    && is_x86_feature_detected!("avx512vnni")
            }
            #[cfg(target_arch = "aarch64")]
            Kernel::Neon => std::arch::is_aarch64_feature_detected!("neon"),
            #[allow(unreachable_patterns)]
            _ => false,
        }
    }

    /// Kernels this CPU can run, slowest first.
    pub fn available() -> Vec<Kernel> {
        Kernel::ALL
            .into_iter()
            .filter(|k| k.is_available())
            .collect()
    }

    /// The fastest available kernel.
    pub fn best() -> Kernel {
        *Kernel::available().last().unwrap_or(&Kernel::Scalar)
    }

    /// A runnable handle, or `None` when the CPU lacks the instructions.
    pub fn dispatch(self) -> Option<Dispatch> {
        self.is_available().then_some(Dispatch(self))
    }
}

/// Queries quantised for the int8 kernels, in every form some kernel wants.
#[derive(Debug, Clone)]
pub struct QueryI8 {
    pub n: usize,
    pub dim4: usize,
    /// `n * dim4` signed values.
    pub q: Vec<i8>,
    /// `q + 128` as unsigned (VNNI multiplies unsigned by signed).
    pub biased: Vec<u8>,
    /// `|q|` (AVX2 `maddubs` sign trick).
    pub abs: Vec<u8>,
    pub scale: Vec<f32>,
}

impl QueryI8 {
    /// `queries`: `n * dim` floats, row-major.
    pub fn new(queries: &[f32], dim: usize) -> Self {
        let n = queries.len() / dim;
        let d4 = dim4(dim);
        let mut q = vec![0i8; n * d4];
        let scale = queries
            .chunks_exact(dim)
            .zip(q.chunks_exact_mut(d4))
            .map(|(row, out)| quantize(row, out))
            .collect();
        let biased = q.iter().map(|&v| (v as u8) ^ 0x80).collect();
        let abs = q.iter().map(|&v| v.unsigned_abs()).collect();
        Self {
            n,
            dim4: d4,
            q,
            biased,
            abs,
            scale,
        }
    }
}

/// Exact scores of `q` against each row, each accumulated like every kernel (one FMA chain
/// over `d`), so a re-ranked score equals the f32 search's score bit for bit. Four chains run
/// interleaved to hide the FMA latency, on the hardware FMA when there is one (`mul_add`
/// without it is a libm call per element).
pub fn exact_dots(q: &[f32], rows: &[&[f32]], out: &mut Vec<f32>) {
    #[cfg(target_arch = "x86_64")]
    if is_x86_feature_detected!("fma") {
        // SAFETY: the FMA instructions were just detected.
        return unsafe { exact_dots_fma(q, rows, out) };
    }
    exact_dots_generic(q, rows, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "fma")]
unsafe fn exact_dots_fma(q: &[f32], rows: &[&[f32]], out: &mut Vec<f32>) {
    exact_dots_generic(q, rows, out)
}

#[inline(always)]
fn exact_dots_generic(q: &[f32], rows: &[&[f32]], out: &mut Vec<f32>) {
    out.clear();
    let mut quads = rows.chunks_exact(4);
    for r in &mut quads {
        let mut acc = [0.0f32; 4];
        for (d, &qv) in q.iter().enumerate() {
            for (a, row) in acc.iter_mut().zip(r) {
                *a = qv.mul_add(row[d], *a);
            }
        }
        out.extend_from_slice(&acc);
    }
    out.extend(quads.remainder().iter().map(|r| scalar::dot(q, r)));
}

/// A kernel proven runnable on this CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dispatch(Kernel);

impl Dispatch {
    pub fn kernel(self) -> Kernel {
        self.0
    }

    /// Scores of `queries` (`nq * dim`, row-major) against `blocks` (whole blocks) into `out`.
    pub fn scores_f32(
        self,
        queries: &[f32],
        dim: usize,
        blocks: &[f32],
        out: &mut [f32],
        stride: usize,
    ) {
        let nq = queries.len() / dim;
        let nb = blocks.len() / (dim * BLOCK);
        assert!(queries.len() == nq * dim && blocks.len() == nb * dim * BLOCK);
        assert!(stride >= nb * BLOCK && (nq == 0 || out.len() >= (nq - 1) * stride + nb * BLOCK));
        match self.0 {
            // SAFETY: `Dispatch` exists only for kernels whose CPU features were detected, and
            // the slice bounds the kernels rely on were asserted above.
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => unsafe {
                avx512::scores_f32(queries, nq, dim, blocks, nb, out, stride)
            },
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => unsafe { avx2::scores_f32(queries, nq, dim, blocks, nb, out, stride) },
            #[cfg(target_arch = "aarch64")]
            Kernel::Neon => unsafe { neon::scores_f32(queries, nq, dim, blocks, nb, out, stride) },
            _ => scalar::scores_f32(queries, nq, dim, blocks, nb, out, stride),
        }
    }

    /// Approximate scores of int8 `queries` against int8 `blocks` (with their row sums and
    /// scales) into `out`: `((q . g) as f32 * row_scale) * query_scale`.
    pub fn scores_i8(
        self,
        queries: &QueryI8,
        blocks: &[i8],
        rowsum: &[i32],
        rscale: &[f32],
        out: &mut [f32],
        stride: usize,
    ) {
        let nb = rowsum.len() / BLOCK;
        let nq = queries.n;
        assert!(blocks.len() == nb * queries.dim4 * BLOCK && rscale.len() == nb * BLOCK);
        assert!(queries.q.len() == nq * queries.dim4 && queries.scale.len() == nq);
        assert!(stride >= nb * BLOCK && (nq == 0 || out.len() >= (nq - 1) * stride + nb * BLOCK));
        match self.0 {
            // SAFETY: as in `scores_f32`.
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => unsafe {
                avx512::scores_i8(queries, blocks, rowsum, rscale, nb, out, stride)
            },
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2 => unsafe { avx2::scores_i8(queries, blocks, rscale, nb, out, stride) },
            #[cfg(target_arch = "aarch64")]
            Kernel::Neon => unsafe { neon::scores_i8(queries, blocks, rscale, nb, out, stride) },
            _ => scalar::scores_i8(queries, blocks, rscale, nb, out, stride),
        }
    }
}
