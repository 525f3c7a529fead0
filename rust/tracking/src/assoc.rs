//! One association stage: which candidate track takes which candidate detection.
//!
//! Pairs are first gated by the caller's cost function (IoU below the threshold, or
//! appearance of a different person, means "never"). The gated pairs form a bipartite graph
//! whose connected groups are independent problems: a face on the left of the frame cannot
//! compete with one on the right. Each group is solved exactly with the Hungarian method;
//! a lone track-detection pair (the common case) needs no solver at all. This keeps an update
//! near-linear in the number of faces while staying optimal where faces cross.

use crate::lap::Hungarian;

/// Cost given to pairs absent from the gated graph inside a group's dense matrix; anything the
/// solver assigns at this cost is dropped afterwards.
const FORBIDDEN: f64 = 1.0e6;

#[derive(Debug, Clone, Copy)]
struct Edge {
    track: u32,
    det: u32,
    cost: f64,
}

/// Scratch space for association, reused across updates (no allocation in steady state).
#[derive(Debug, Default, Clone)]
pub struct Associator {
    edges: Vec<Edge>,
    parent: Vec<u32>,
    nodes: Vec<(u32, u32)>, // (root, node) for every node that has an edge
    slot: Vec<u32>,         // node -> position inside its group's dense matrix
    cost: Vec<f64>,
    out: Vec<Option<usize>>,
    group_tracks: Vec<u32>,
    group_dets: Vec<u32>,
    solver: Hungarian,
}

fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let up = parent[parent[x as usize] as usize];
        parent[x as usize] = up;
        x = up;
    }
    x
}

impl Associator {
    /// Matches `n_tracks` candidate tracks with `n_dets` candidate detections (local indices)
    /// at minimum total cost over the pairs `cost` allows (`None` = forbidden), trying every
    /// pair. Appends `(track, det)` pairs to `matches`; each index appears at most once.
    pub fn solve(
        &mut self,
        n_tracks: usize,
        n_dets: usize,
        cost: impl Fn(usize, usize) -> Option<f64>,
        matches: &mut Vec<(usize, usize)>,
    ) {
        self.begin();
        for t in 0..n_tracks {
            for d in 0..n_dets {
                if let Some(c) = cost(t, d) {
                    self.allow(t, d, c);
                }
            }
        }
        self.finish(n_tracks, n_dets, matches);
    }

    /// Starts a problem whose allowed pairs the caller lists with `allow` (when it can find
    /// them faster than by trying every pair), then solves it with `finish`.
    pub fn begin(&mut self) {
        self.edges.clear();
    }

    /// Allows the pair (track `t`, detection `d`) at `cost`; each pair at most once.
    pub fn allow(&mut self, t: usize, d: usize, cost: f64) {
        // The solver needs finite costs to terminate; a non-finite one is no evidence.
        if !cost.is_finite() || cost >= FORBIDDEN {
            return;
        }
        self.edges.push(Edge {
            track: t as u32,
            det: d as u32,
            cost,
        });
    }

    /// Solves the problem listed since `begin`; see `solve`.
    pub fn finish(&mut self, n_tracks: usize, n_dets: usize, matches: &mut Vec<(usize, usize)>) {
        if self.edges.is_empty() {
            return;
        }
        // Union-find over tracks [0, n_tracks) and detections [n_tracks, n_tracks + n_dets).
        let nodes = n_tracks + n_dets;
        self.parent.clear();
        self.parent.extend(0..nodes as u32);
        for e in &self.edges {
            let a = find(&mut self.parent, e.track);
            let b = find(&mut self.parent, n_tracks as u32 + e.det);
            if a != b {
                self.parent[a.max(b) as usize] = a.min(b);
            }
        }
        // Group the connected nodes by root; edges by their track's root.
        self.nodes.clear();
        self.slot.clear();
        self.slot.resize(nodes, u32::MAX);
        for e in &self.edges {
            for node in [e.track, n_tracks as u32 + e.det] {
                if self.slot[node as usize] == u32::MAX {
                    self.slot[node as usize] = 0;
                    let root = find(&mut self.parent, node);
                    self.nodes.push((root, node));
                }
            }
        }
        self.nodes.sort_unstable();
        let parent = &mut self.parent;
        self.edges.sort_unstable_by_key(|e| find(parent, e.track));

        let (mut ni, mut ei) = (0usize, 0usize);
        while ni < self.nodes.len() {
            let root = self.nodes[ni].0;
            self.group_tracks.clear();
            self.group_dets.clear();
            while ni < self.nodes.len() && self.nodes[ni].0 == root {
                let node = self.nodes[ni].1;
                if (node as usize) < n_tracks {
                    self.slot[node as usize] = self.group_tracks.len() as u32;
                    self.group_tracks.push(node);
                } else {
                    self.slot[node as usize] = self.group_dets.len() as u32;
                    self.group_dets.push(node - n_tracks as u32);
                }
                ni += 1;
            }
            let start = ei;
            while ei < self.edges.len() && find(&mut self.parent, self.edges[ei].track) == root {
                ei += 1;
            }
            let group = &self.edges[start..ei];
            if group.len() == 1 {
                matches.push((group[0].track as usize, group[0].det as usize));
                continue;
            }
            let (rows, cols) = (self.group_tracks.len(), self.group_dets.len());
            self.cost.clear();
            self.cost.resize(rows * cols, FORBIDDEN);
            for e in group {
                let r = self.slot[e.track as usize] as usize;
                let c = self.slot[n_tracks + e.det as usize] as usize;
                self.cost[r * cols + c] = e.cost;
            }
            self.solver.solve(&self.cost, rows, cols, &mut self.out);
            for (r, c) in self.out.iter().enumerate() {
                if let Some(c) = *c {
                    if self.cost[r * cols + c] < FORBIDDEN {
                        matches.push((self.group_tracks[r] as usize, self.group_dets[c] as usize));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(costs: &[&[Option<f64>]]) -> Vec<(usize, usize)> {
        let mut a = Associator::default();
        let mut m = Vec::new();
        let n_dets = costs.first().map_or(0, |r| r.len());
        a.solve(costs.len(), n_dets, |t, d| costs[t][d], &mut m);
        m.sort_unstable();
        m
    }

    #[test]
    fn optimal_not_greedy_inside_a_group() {
        // Greedy would give det 0 to track 0 (cost 0.1) and leave track 1 unmatched.
        let m = run(&[&[Some(0.1), Some(0.2)], &[Some(0.15), None]]);
        assert_eq!(m, vec![(0, 1), (1, 0)]);
    }

    #[test]
    fn independent_groups_and_forbidden_pairs() {
        let m = run(&[
            &[Some(0.5), None, None],
            &[None, None, Some(0.3)],
            &[None, None, Some(0.1)],
            &[None, None, None],
        ]);
        assert_eq!(m, vec![(0, 0), (2, 2)]);
    }
}
