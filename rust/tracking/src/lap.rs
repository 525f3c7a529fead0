//! Minimum-cost rectangular assignment (the Hungarian method with potentials, in its
//! shortest-augmenting-path form, O(n^2 m)). Exact, unlike greedy matching, which lets the
//! first-considered pair steal a detection from a track that needed it more (two faces
//! crossing). Callers keep matrices small by solving each connected group of gated pairs
//! separately (see `assoc`), so the cubic cost never meets a whole crowd.
//!
//! The solver keeps its buffers between calls: no allocation in steady state.

#[derive(Debug, Default, Clone)]
pub struct Hungarian {
    u: Vec<f64>,
    v: Vec<f64>,
    p: Vec<usize>,
    way: Vec<usize>,
    minv: Vec<f64>,
    used: Vec<bool>,
    transposed: Vec<f64>,
}

impl Hungarian {
    /// Assigns rows to columns of the row-major `rows x cols` matrix `cost`, minimising the
    /// total. Writes `out[r] = Some(c)` for every assigned row (all rows when rows <= cols).
    /// Costs must be finite; callers encode "forbidden" as a large finite cost and drop such
    /// pairs afterwards.
    pub fn solve(&mut self, cost: &[f64], rows: usize, cols: usize, out: &mut Vec<Option<usize>>) {
        debug_assert_eq!(cost.len(), rows * cols);
        out.clear();
        out.resize(rows, None);
        if rows == 0 || cols == 0 {
            return;
        }
        if rows <= cols {
            self.run(cost, rows, cols, |r, c| out[r] = Some(c));
        } else {
            // Solve the transpose (columns as rows) so the n <= m precondition holds.
            let mut t = std::mem::take(&mut self.transposed);
            t.clear();
            t.extend(
                (0..cols)
                    .flat_map(|c| (0..rows).map(move |r| (r, c)))
                    .map(|(r, c)| cost[r * cols + c]),
            );
            self.run(&t, cols, rows, |c, r| out[r] = Some(c));
            self.transposed = t;
        }
    }

    fn run(&mut self, a: &[f64], n: usize, m: usize, mut assign: impl FnMut(usize, usize)) {
        let inf = f64::INFINITY;
        self.u.clear();
        self.u.resize(n + 1, 0.0);
        self.v.clear();
        self.v.resize(m + 1, 0.0);
        self.p.clear();
        self.p.resize(m + 1, 0);
        self.way.clear();
        self.way.resize(m + 1, 0);
        for i in 1..=n {
            self.p[0] = i;
            let mut j0 = 0usize;
            self.minv.clear();
            self.minv.resize(m + 1, inf);
            self.used.clear();
            self.used.resize(m + 1, false);
            loop {
                self.used[j0] = true;
                let i0 = self.p[j0];
                let mut delta = inf;
                let mut j1 = 0usize;
                let row = &a[(i0 - 1) * m..i0 * m];
                for j in 1..=m {
                    if !self.used[j] {
                        let cur = row[j - 1] - self.u[i0] - self.v[j];
                        if cur < self.minv[j] {
                            self.minv[j] = cur;
                            self.way[j] = j0;
                        }
                        if self.minv[j] < delta {
                            delta = self.minv[j];
                            j1 = j;
                        }
                    }
                }
                for j in 0..=m {
                    if self.used[j] {
                        self.u[self.p[j]] += delta;
                        self.v[j] -= delta;
                    } else {
                        self.minv[j] -= delta;
                    }
                }
                j0 = j1;
                if self.p[j0] == 0 {
                    break;
                }
            }
            loop {
                let j1 = self.way[j0];
                self.p[j0] = self.p[j1];
                j0 = j1;
                if j0 == 0 {
                    break;
                }
            }
        }
        for j in 1..=m {
            if self.p[j] != 0 {
                assign(self.p[j] - 1, j - 1);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn brute(cost: &[f64], rows: usize, cols: usize) -> f64 {
        // Best total over all injective maps of the smaller side into the larger.
        fn rec(
            cost: &[f64],
            rows: usize,
            cols: usize,
            r: usize,
            used: &mut Vec<bool>,
            acc: f64,
            best: &mut f64,
        ) {
            if r == rows {
                *best = best.min(acc);
                return;
            }
            for c in 0..cols {
                if !used[c] {
                    used[c] = true;
                    rec(
                        cost,
                        rows,
                        cols,
                        r + 1,
                        used,
                        acc + cost[r * cols + c],
                        best,
                    );
                    used[c] = false;
                }
            }
        }
        let mut best = f64::INFINITY;
        if rows <= cols {
            rec(cost, rows, cols, 0, &mut vec![false; cols], 0.0, &mut best);
        } else {
            let t: Vec<f64> = (0..cols)
                .flat_map(|c| (0..rows).map(move |r| cost[r * cols + c]))
                .collect();
            rec(&t, cols, rows, 0, &mut vec![false; rows], 0.0, &mut best);
        }
        best
    }

    #[test]
    fn matches_brute_force_on_small_matrices() {
        let mut h = Hungarian::default();
        let mut out = Vec::new();
        let mut seed = 12345u64;
        for rows in 1..=5 {
            for cols in 1..=5 {
                for _ in 0..20 {
                    let cost: Vec<f64> = (0..rows * cols)
                        .map(|_| {
                            seed = seed
                                .wrapping_mul(6364136223846793005)
                                .wrapping_add(1442695040888963407);
                            ((seed >> 33) % 1000) as f64 / 100.0
                        })
                        .collect();
                    h.solve(&cost, rows, cols, &mut out);
                    let mut seen = vec![false; cols];
                    let mut total = 0.0;
                    for (r, c) in out.iter().enumerate() {
                        if let Some(c) = c {
                            assert!(!seen[*c], "column {c} assigned twice");
                            seen[*c] = true;
                            total += cost[r * cols + c];
                        }
                    }
                    assert_eq!(out.iter().filter(|c| c.is_some()).count(), rows.min(cols));
                    assert!((total - brute(&cost, rows, cols)).abs() < 1e-9);
                }
            }
        }
    }
}
