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

#[derive(Debug, Clone)]
pub struct TopK {
    k: usize,
    hits: Vec<Hit>,
    /// Index of the worst kept hit (valid when full).
    worst: usize,
    /// Score of the worst kept hit when full, else -inf: anything strictly below cannot enter.
    floor: f32,
}

impl TopK {
    pub fn new(k: usize) -> Self {
        Self { k, hits: Vec::with_capacity(k), worst: 0, floor: f32::NEG_INFINITY }
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
        self.push_slow((score, ident));
    }

    fn push_slow(&mut self, hit: Hit) {
        if let Some(i) = self.hits.iter().position(|h| h.1 == hit.1) {
            if hit.0.total_cmp(&self.hits[i].0) == Ordering::Greater {
                self.hits[i].0 = hit.0;
                if i == self.worst && self.hits.len() == self.k {
                    self.refresh_worst();
                }
            }
            return;
        }
        if self.hits.len() < self.k {
            self.hits.push(hit);
            if self.hits.len() == self.k {
                self.refresh_worst();
            }
        } else if rank(&hit, &self.hits[self.worst]) == Ordering::Less {
            self.hits[self.worst] = hit;
            self.refresh_worst();
        }
    }

    fn refresh_worst(&mut self) {
        let (i, h) = self
            .hits
            .iter()
            .enumerate()
            .max_by(|a, b| rank(a.1, b.1))
            .expect("refresh_worst is only called on a full, non-empty top-k");
        self.worst = i;
        self.floor = h.0;
    }

    pub fn merge(&mut self, other: &TopK) {
        for h in &other.hits {
            self.push(h.0, h.1);
        }
    }

    /// The kept hits, best first.
    pub fn into_sorted(mut self) -> Vec<Hit> {
        self.hits.sort_by(rank);
        self.hits
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
