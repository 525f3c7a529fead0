//! Every kernel, forced in turn, against the scalar reference: bit-identical scores, because all
//! kernels accumulate each template's score in the same order (FMA chain / exact integers).

use lfr_search::kernels::scalar;
use lfr_search::layout::BLOCK;
use lfr_search::{Kernel, QueryI8};
use proptest::prelude::*;

fn simd_kernels() -> Vec<Kernel> {
    let ks: Vec<Kernel> = Kernel::ALL
        .into_iter()
        .filter(|&k| k != Kernel::Scalar)
        .collect();
    for k in &ks {
        if !k.is_available() {
            eprintln!(
                "kernel {} not available on this CPU: not exercised",
                k.name()
            );
        }
    }
    ks.into_iter().filter(|k| k.is_available()).collect()
}

#[derive(Debug, Clone)]
struct Case {
    dim: usize,
    nq: usize,
    nb: usize,
    pad: usize,
    queries: Vec<f32>,
    blocks: Vec<f32>,
    codes: Vec<i8>,
    scales: Vec<f32>,
}

fn case() -> impl Strategy<Value = Case> {
    // nq up to 19 covers every micro-kernel query count and the tail; nb up to 9 every block tail.
    (1usize..70, 0usize..20, 1usize..10, 0usize..3).prop_flat_map(|(dim, nq, nb, pad)| {
        let d4 = dim.div_ceil(4) * 4;
        (
            prop::collection::vec(-1.0f32..1.0, nq * dim),
            prop::collection::vec(-1.0f32..1.0, nb * dim * BLOCK),
            prop::collection::vec(-127i8..=127, nb * d4 * BLOCK),
            prop::collection::vec(1e-4f32..0.02, nb * BLOCK),
        )
            .prop_map(move |(queries, blocks, codes, scales)| Case {
                dim,
                nq,
                nb,
                pad,
                queries,
                blocks,
                codes,
                scales,
            })
    })
}

fn zero_padding(mut codes: Vec<i8>, dim: usize, nb: usize) -> Vec<i8> {
    // Dimensions past `dim` are zero in real storage: the kernels may rely on it.
    let d4 = dim.div_ceil(4) * 4;
    for (i, c) in codes.iter_mut().enumerate() {
        let d = (i % (d4 * BLOCK)) / (4 * BLOCK) * 4 + i % 4;
        if d >= dim {
            *c = 0;
        }
    }
    assert_eq!(codes.len(), nb * d4 * BLOCK);
    codes
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn f32_kernels_match_scalar(c in case()) {
        let stride = c.nb * BLOCK + c.pad;
        let mut want = vec![f32::NAN; c.nq * stride];
        scalar::scores_f32(&c.queries, c.nq, c.dim, &c.blocks, c.nb, &mut want, stride);
        for k in simd_kernels() {
            let mut got = vec![f32::NAN; c.nq * stride];
            k.dispatch().unwrap().scores_f32(&c.queries, c.dim, &c.blocks, &mut got, stride);
            for t in 0..c.nq {
                let (w, g) = (&want[t * stride..t * stride + c.nb * BLOCK], &got[t * stride..t * stride + c.nb * BLOCK]);
                prop_assert!(w.iter().zip(g).all(|(a, b)| a.to_bits() == b.to_bits()), "kernel {} query {}", k.name(), t);
            }
        }
    }

    #[test]
    fn i8_kernels_match_scalar(c in case()) {
        let codes = zero_padding(c.codes.clone(), c.dim, c.nb);
        let d4 = c.dim.div_ceil(4) * 4;
        let rowsum: Vec<i32> = (0..c.nb * BLOCK)
            .map(|r| (0..d4).map(|d| i32::from(codes[(r / BLOCK) * d4 * BLOCK + (d / 4) * 4 * BLOCK + (r % BLOCK) * 4 + d % 4])).sum())
            .collect();
        let q = QueryI8::new(&c.queries, c.dim);
        let stride = c.nb * BLOCK + c.pad;
        let mut want = vec![f32::NAN; c.nq * stride];
        scalar::scores_i8(&q, &codes, &c.scales, c.nb, &mut want, stride);
        // The reference itself against a direct integer dot product.
        for t in 0..c.nq {
            for r in 0..c.nb * BLOCK {
                let dot: i32 = (0..c.dim)
                    .map(|d| i32::from(q.q[t * d4 + d]) * i32::from(codes[(r / BLOCK) * d4 * BLOCK + (d / 4) * 4 * BLOCK + (r % BLOCK) * 4 + d % 4]))
                    .sum();
                prop_assert_eq!(want[t * stride + r], (dot as f32 * c.scales[r]) * q.scale[t]);
            }
        }
        for k in simd_kernels() {
            let mut got = vec![f32::NAN; c.nq * stride];
            k.dispatch().unwrap().scores_i8(&q, &codes, &rowsum, &c.scales, &mut got, stride);
            for t in 0..c.nq {
                let (w, g) = (&want[t * stride..t * stride + c.nb * BLOCK], &got[t * stride..t * stride + c.nb * BLOCK]);
                prop_assert!(w.iter().zip(g).all(|(a, b)| a.to_bits() == b.to_bits()), "kernel {} query {}", k.name(), t);
            }
        }
    }
}

#[test]
fn scalar_f32_reference_is_a_dot_product() {
    // Block of 16 rows, dim 3: row j = (j, 1, -j); query (1, 2, 0.5).
    let dim = 3;
    let mut blocks = vec![0.0f32; dim * BLOCK];
    for j in 0..BLOCK {
        blocks[j] = j as f32;
        blocks[BLOCK + j] = 1.0;
        blocks[2 * BLOCK + j] = -(j as f32);
    }
    let mut out = vec![0.0; BLOCK];
    scalar::scores_f32(&[1.0, 2.0, 0.5], 1, dim, &blocks, 1, &mut out, BLOCK);
    for (j, &s) in out.iter().enumerate() {
        assert_eq!(s, j as f32 + 2.0 - 0.5 * j as f32);
    }
}

#[test]
fn unavailable_kernels_cannot_be_dispatched_and_names_round_trip() {
    for k in Kernel::ALL {
        assert_eq!(Kernel::from_name(k.name()), Some(k));
        assert_eq!(k.dispatch().is_some(), k.is_available());
    }
    assert!(Kernel::Scalar.is_available());
    assert_eq!(Kernel::from_name("sse9"), None);
    #[cfg(target_arch = "x86_64")]
    assert!(!Kernel::Neon.is_available());
}
