//! Streaming per-identity top-k against a naive sort, including ties and chunked merges.

use lfr_search::topk::{naive, TopK};
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn streaming_matches_naive_sort(
        // Few distinct score values and identities force ties and repeated identities.
        hits in prop::collection::vec((0u8..8, 0u32..12), 0..200),
        k in 1usize..15,
        cut in 0usize..200,
    ) {
        let scores: Vec<f32> = hits.iter().map(|h| f32::from(h.0) / 8.0 - 0.5).collect();
        let idents: Vec<u32> = hits.iter().map(|h| h.1).collect();
        let want = naive(&scores, &idents, k);

        let mut one = TopK::new(k);
        scores.iter().zip(&idents).for_each(|(&s, &i)| one.push(s, i));
        prop_assert_eq!(&one.into_sorted(), &want);

        // Two chunks merged in either order give the same answer.
        let cut = cut.min(scores.len());
        let chunk = |r: std::ops::Range<usize>| {
            let mut t = TopK::new(k);
            r.for_each(|j| t.push(scores[j], idents[j]));
            t
        };
        let (a, b) = (chunk(0..cut), chunk(cut..scores.len()));
        let mut ab = a.clone();
        ab.merge(&b);
        let mut ba = b;
        ba.merge(&a);
        prop_assert_eq!(&ab.into_sorted(), &want);
        prop_assert_eq!(&ba.into_sorted(), &want);
    }
}

proptest! {
    #[test]
    fn special_values_order_like_total_cmp(
        hits in prop::collection::vec((prop_oneof![
            Just(-0.0f32), Just(0.0), Just(f32::INFINITY), Just(f32::NEG_INFINITY),
            Just(f32::MIN_POSITIVE / 2.0), Just(-f32::MIN_POSITIVE / 2.0), any::<f32>().prop_filter("finite", |x| x.is_finite()),
        ], 0u32..6), 0..60),
        k in 1usize..8,
    ) {
        let scores: Vec<f32> = hits.iter().map(|h| h.0).collect();
        let idents: Vec<u32> = hits.iter().map(|h| h.1).collect();
        let mut t = TopK::new(k);
        scores.iter().zip(&idents).for_each(|(&s, &i)| t.push(s, i));
        let got: Vec<(u32, u32)> = t.into_sorted().iter().map(|h| (h.0.to_bits(), h.1)).collect();
        let want: Vec<(u32, u32)> = naive(&scores, &idents, k).iter().map(|h| (h.0.to_bits(), h.1)).collect();
        prop_assert_eq!(got, want);
    }
}

#[test]
fn one_entry_per_identity_with_its_best_score_and_ties_by_slot() {
    let mut t = TopK::new(3);
    for (s, i) in [(0.5, 7), (0.9, 7), (0.5, 2), (0.5, 1), (0.1, 9), (0.2, 7)] {
        t.push(s, i);
    }
    assert_eq!(t.into_sorted(), vec![(0.9, 7), (0.5, 1), (0.5, 2)]);
}
