//! The gallery end to end: every kernel, storage and split against a reference built from first
//! principles (normalise, FMA-ordered dot, best per identity, sort).

use lfr_search::topk::{naive, rank};
use lfr_search::{Gallery, Kernel, Options, SearchError, Storage};
use proptest::prelude::*;

fn unit(v: &[f32]) -> Vec<f32> {
    let n = v
        .iter()
        .map(|&x| f64::from(x) * f64::from(x))
        .sum::<f64>()
        .sqrt();
    let s = (1.0 / n) as f32;
    v.iter().map(|x| x * s).collect()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .fold(0.0f32, |acc, (&x, &y)| x.mul_add(y, acc))
}

/// Reference search: `enrolled` is (name, template) in enrolment order.
fn reference(enrolled: &[(String, Vec<f32>)], q: &[f32], k: usize) -> Vec<(String, f32)> {
    let mut names: Vec<&str> = Vec::new();
    let (mut scores, mut slots) = (Vec::new(), Vec::new());
    let qn = unit(q);
    for (name, t) in enrolled {
        let slot = names.iter().position(|n| n == name).unwrap_or_else(|| {
            names.push(name);
            names.len() - 1
        });
        scores.push(dot(&qn, &unit(t)));
        slots.push(slot as u32);
    }
    naive(&scores, &slots, k)
        .into_iter()
        .map(|(s, i)| (names[i as usize].to_owned(), s))
        .collect()
}

fn gallery(dim: usize, storage: Storage, kernel: Kernel, threads: usize) -> Gallery {
    Gallery::new(
        dim,
        Options {
            storage,
            kernel: Some(kernel),
            threads: Some(threads),
        },
    )
    .unwrap()
}

fn plain(r: Vec<Vec<lfr_search::Match>>) -> Vec<Vec<(String, f32)>> {
    r.into_iter()
        .map(|q| q.into_iter().map(|(n, s)| (n.to_string(), s)).collect())
        .collect()
}

/// (dim, enrolled (name, template), queries, k, names to remove).
type Data = (
    usize,
    Vec<(String, Vec<f32>)>,
    Vec<Vec<f32>>,
    usize,
    Vec<String>,
);

fn data() -> impl Strategy<Value = Data> {
    (1usize..40, 0usize..120, 1usize..10, 1usize..12).prop_flat_map(|(dim, n, nq, k)| {
        let row = move || {
            prop::collection::vec(prop_oneof![Just(0.5f32), -1.0f32..1.0], dim)
                .prop_filter("non-zero", |v| v.iter().any(|&x| x != 0.0))
        };
        (
            Just(dim),
            prop::collection::vec(((0u8..30).prop_map(|i| format!("id{i}")), row()), n),
            prop::collection::vec(row(), nq),
            Just(k),
            prop::collection::vec((0u8..30).prop_map(|i| format!("id{i}")), 0..4),
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn search_matches_reference_for_every_kernel_storage_and_split((dim, enrolled, queries, k, removed) in data()) {
        let flat_q: Vec<f32> = queries.concat();
        let kept: Vec<(String, Vec<f32>)> = enrolled.iter().filter(|(n, _)| !removed.contains(n)).cloned().collect();
        let want: Vec<Vec<(String, f32)>> = queries.iter().map(|q| reference(&kept, q, k)).collect();
        for kernel in Kernel::available() {
            for storage in [Storage::F32, Storage::Int8] {
                let mut g = gallery(dim, storage, kernel, 2);
                let ids: Vec<&str> = enrolled.iter().map(|e| e.0.as_str()).collect();
                let flat: Vec<f32> = enrolled.iter().flat_map(|e| e.1.clone()).collect();
                g.add(&ids, &flat).unwrap();
                let mut gone = 0;
                for r in &removed {
                    gone += g.remove(r);
                }
                prop_assert_eq!(g.len(), kept.len());
                prop_assert_eq!(gone, enrolled.len() - kept.len());
                // At most 30 identities < the re-rank candidate count, so int8 must be exact too.
                for parts in [None, Some(1), Some(3)] {
                    let got = plain(g.search_parts(&flat_q, k, parts).unwrap());
                    prop_assert_eq!(&got, &want, "kernel {} storage {:?} parts {:?}", kernel.name(), storage, parts);
                }
            }
        }
    }
}

/// Deterministic pseudo-random floats (xorshift), so the recall test needs no extra crate.
fn noise(seed: &mut u64, n: usize) -> Vec<f32> {
    (0..n)
        .map(|_| {
            *seed ^= *seed << 13;
            *seed ^= *seed >> 7;
            *seed ^= *seed << 17;
            ((*seed >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        })
        .collect()
}

#[test]
fn int8_recall_at_10_against_exact_search() {
    let (dim, n, nq, k) = (64, 20_000, 50, 10);
    let mut seed = 0x9e37_79b9_7f4a_7c15;
    let templates = noise(&mut seed, n * dim);
    let ids: Vec<String> = (0..n).map(|i| format!("p{}", i / 2)).collect(); // two templates each
                                                                            // Queries: a noisy copy of an enrolled template, so each has a clear best match.
    let mut queries = Vec::new();
    for i in 0..nq {
        let r = (i * 397) % n;
        let e = noise(&mut seed, dim);
        queries.extend(
            templates[r * dim..(r + 1) * dim]
                .iter()
                .zip(e)
                .map(|(t, e)| t + 0.5 * e),
        );
    }
    let mut exact = gallery(dim, Storage::F32, Kernel::best(), 2);
    let mut compact = gallery(dim, Storage::Int8, Kernel::best(), 2);
    exact.add(&ids, &templates).unwrap();
    compact.add(&ids, &templates).unwrap();
    let (a, b) = (
        exact.search(&queries, k).unwrap(),
        compact.search(&queries, k).unwrap(),
    );
    let mut found = 0;
    for (qa, qb) in a.iter().zip(&b) {
        assert_eq!(qa[0].0, qb[0].0, "the clear best match is never lost");
        found += qa.iter().filter(|x| qb.iter().any(|y| y.0 == x.0)).count();
        assert!(
            qb.windows(2)
                .all(|w| rank(&(w[0].1, 0), &(w[1].1, 0)).is_le()),
            "sorted best first"
        );
    }
    let recall = found as f64 / (nq * k) as f64;
    assert!(recall >= 0.99, "recall@10 {recall}");
}

#[test]
fn bad_input_is_refused_and_leaves_the_gallery_unchanged() {
    let mut g = Gallery::new(4, Options::default()).unwrap();
    g.add(&["a"], &[1.0, 0.0, 0.0, 0.0]).unwrap();
    let cases: Vec<(Result<(), SearchError>, &str)> = vec![
        (g.add(&["b"], &[1.0, 0.0, 0.0]), "ids but"),
        (
            g.add(&["b", "c"], &[1.0, 0.0, 0.0, 0.0, f32::NAN, 0.0, 0.0, 0.0]),
            "NaN or infinity at row 1, column 0",
        ),
        (g.add(&["b"], &[0.0; 4]), "all zeros"),
        (g.add(&[""], &[1.0; 4]), "empty string"),
    ];
    for (r, msg) in cases {
        assert!(r.unwrap_err().to_string().contains(msg), "{msg}");
    }
    assert_eq!((g.len(), g.identities().len()), (1, 1));
    assert!(matches!(
        g.search(&[1.0; 4], 0),
        Err(SearchError::InvalidK { .. })
    ));
    assert!(matches!(
        g.search(&[1.0; 4], 5000),
        Err(SearchError::InvalidK { .. })
    ));
    assert!(matches!(
        g.search(&[1.0; 3], 1),
        Err(SearchError::DimMismatch { .. })
    ));
    assert!(matches!(
        g.search(&[1.0, f32::INFINITY, 0.0, 0.0], 1),
        Err(SearchError::NonFinite { .. })
    ));
    assert_eq!(g.remove("nobody"), 0);
    assert!(Gallery::new(0, Options::default()).is_err());
    assert!(Gallery::new(
        4,
        Options {
            threads: Some(0),
            ..Options::default()
        }
    )
    .is_err());
    for k in Kernel::ALL.into_iter().filter(|k| !k.is_available()) {
        assert!(Gallery::new(
            4,
            Options {
                kernel: Some(k),
                ..Options::default()
            }
        )
        .is_err());
    }
}

#[test]
fn empty_gallery_and_short_results() {
    let mut g = Gallery::new(2, Options::default()).unwrap();
    assert_eq!(
        plain(g.search(&[1.0, 0.0, 0.0, 1.0], 3).unwrap()),
        vec![vec![], vec![]]
    );
    g.add(&["x", "y", "x"], &[1.0, 0.0, 0.0, 1.0, 3.0, 3.0])
        .unwrap();
    let r = plain(g.search(&[2.0, 0.0], 5).unwrap());
    assert_eq!(
        r[0].iter().map(|h| h.0.as_str()).collect::<Vec<_>>(),
        vec!["x", "y"]
    );
    assert_eq!(
        r[0][0].1, 1.0,
        "query and templates are normalised: cosine 1"
    );
    assert_eq!(
        g.identities()
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        vec!["x", "y"]
    );
    assert_eq!(g.remove("x"), 2);
    assert_eq!((g.len(), g.identities().len()), (1, 1));
}
