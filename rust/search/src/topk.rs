//! Streaming top-k with one entry per identity.
//!
//! Order: higher score first, ties broken by the lower identity slot (slots are handed out in
//! enrolment order), so results never depend on thread splits or kernel choice. An identity
//! appears once, with the best score seen for it. Keeping a per-chunk top-k and merging is exact:
//! an identity in the global top-k has fewer than `k` identities above it in any chunk.

use std::cmp::Ordering;

/// `(score, identity slot)`.
pub type Hit = (f32, u32);

/// Total order used everywhere: `Less` means `a` ranks before `b`.
#[inline]
pub fn rank(a: &Hit, b: &Hit) -> Ordering {
    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
}

/// A hit packed into one integer whose natural order is `rank`'s reverse (greater = better):
/// the score's total-order bits on top, the complemented slot below (lower slot = greater).
#[inline]
fn key(score: f32, ident: u32) -> i64 {
    let b = score.to_bits() as i32;
    let ordered = b ^ ((((b >> 31) as u32) >> 1) as i32);
    (i64::from(ordered) << 32) | i64::from(!ident)
}

#[inline]
fn unkey(k: i64) -> Hit {
    let ordered = (k >> 32) as i32;
    let b = ordered ^ ((((ordered >> 31) as u32) >> 1) as i32);
    (f32::from_bits(b as u32), !(k as u32))
}

/// The best `k` hits seen, one per identity: a binary min-heap of keys (worst at the root).
#[derive(Debug, Clone)]
pub struct TopK {
    k: usize,
    heap: Vec<i64>,
    /// Score of the worst kept hit when full, else -inf: anything strictly below cannot enter.
    floor: f32,
}

impl TopK {
    pub fn new(k: usize) -> Self {
        Self {
            k,
            heap: Vec::with_capacity(k),
            floor: f32::NEG_INFINITY,
        }
    }

    #[inline]
    pub fn floor(&self) -> f32 {
        self.floor
    }

    /// Offers one template's score for identity `ident`.
    #[inline]
    pub fn push(&mut self, score: f32, ident: u32) {
        if score < self.floor || self.k == 0 {
            return;
        }
        self.push_slow(key(score, ident), !ident);
    }

    fn push_slow(&mut self, key: i64, low: u32) {
        if let Some(i) = self.heap.iter().position(|&h| h as u32 == low) {
            // Already kept: keep its best score (a larger key only moves away from the root).
            if key > self.heap[i] {
                self.heap[i] = key;
                self.sift_down(i);
            }
        } else if self.heap.len() < self.k {
            self.heap.push(key);
            self.sift_up(self.heap.len() - 1);
        } else if key > self.heap[0] {
            self.heap[0] = key;
            self.sift_down(0);
        } else {
            return;
        }
        if self.heap.len() == self.k {
            self.floor = unkey(self.heap[0]).0;
        }
    }

    fn sift_up(&mut self, mut i: usize) {
        while i > 0 {
            let p = (i - 1) / 2;
            if self.heap[p] <= self.heap[i] {
                break;
            }
            self.heap.swap(p, i);
            i = p;
        }
    }

    fn sift_down(&mut self, mut i: usize) {
        let n = self.heap.len();
        loop {
            let (l, r) = (2 * i + 1, 2 * i + 2);
            let mut m = i;
            if l < n && self.heap[l] < self.heap[m] {
                m = l;
            }
            if r < n && self.heap[r] < self.heap[m] {
                m = r;
            }
            if m == i {
                return;
            }
            self.heap.swap(i, m);
            i = m;
        }
    }

    pub fn merge(&mut self, other: &TopK) {
        for &h in &other.heap {
            let (s, i) = unkey(h);
            self.push(s, i);
        }
    }

    /// The kept hits, best first.
    pub fn into_sorted(mut self) -> Vec<Hit> {
        self.heap.sort_unstable_by(|a, b| b.cmp(a));
        self.heap.into_iter().map(unkey).collect()
    }
}

/// The reference: best score per identity, sorted, first `k`.
pub fn naive(scores: &[f32], idents: &[u32], k: usize) -> Vec<Hit> {
    let mut best: std::collections::HashMap<u32, f32> = std::collections::HashMap::new();
    for (&s, &i) in scores.iter().zip(idents) {
        let e = best.entry(i).or_insert(s);
        if s.total_cmp(e) == Ordering::Greater {
            *e = s;
        }
    }
    let mut hits: Vec<Hit> = best.into_iter().map(|(i, s)| (s, i)).collect();
    hits.sort_by(rank);
    hits.truncate(k);
    hits
}
