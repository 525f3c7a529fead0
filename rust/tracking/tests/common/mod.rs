//! A synthetic camera with known truth: people on scripted paths, a detector with box jitter
//! and misses, an embedder whose templates of one person score about 0.6-0.7 with each other
//! (strangers about 0 +- 0.09, as SFace behaves), and a watchlist search. Each scene runs the
//! real tracker in the pipeline's loop (update -> embed the asked detections -> observe) and
//! records which track every person's detections got.
#![allow(dead_code)]

use lfr_tracking::{AlertEvent, Detections, EventKind, Templates, Tracker, TrackerConfig};

pub const DIM: usize = 128;
/// Per-component noise giving cos(template, template') ~ 1 / (1 + NOISE^2 * DIM) ~ 0.65.
const NOISE: f32 = 0.065;

/// Small deterministic generator (xorshift64*), so scenes need no extra dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    pub fn normal(&mut self) -> f32 {
        let (u1, u2) = (self.uniform().max(1e-7), self.uniform());
        (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
    }
}

fn normalized(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter_mut().for_each(|x| *x /= n);
    v
}

fn noisy(base: &[f32], rng: &mut Rng) -> Vec<f32> {
    normalized(base.iter().map(|b| b + NOISE * rng.normal()).collect())
}

fn cos(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Where a person's face is at time t: centre x, centre y, height; `None` when not visible.
pub type Path = Box<dyn Fn(f64) -> Option<[f32; 3]>>;

pub struct Person {
    pub name: String,
    pub listed: bool,
    pub path: Path,
    identity: Vec<f32>,
}

/// A straight walk from (x0, y0) at (vx, vy) px/s, visible during [t0, t1).
pub fn walk(x0: f32, y0: f32, vx: f32, vy: f32, size: f32, t0: f64, t1: f64) -> Path {
    Box::new(move |t| {
        (t >= t0 && t < t1).then(|| {
            let dt = (t - t0) as f32;
            [x0 + vx * dt, y0 + vy * dt, size]
        })
    })
}

pub struct Scene {
    pub people: Vec<Person>,
    pub fps: f64,
    pub duration: f64,
    /// Box corner jitter, standard deviation as a fraction of face height.
    pub jitter: f32,
    /// Frames on which the detector sees nobody.
    pub miss: fn(usize) -> bool,
    /// Also hand every detection's template to `update` (appearance-aided association).
    pub templates_in_update: bool,
    pub cfg: TrackerConfig,
    /// The watchlist's threshold handed to `observe` (SFace's 1:1 threshold by default).
    pub threshold: f32,
    pub seed: u64,
    watchlist: Vec<(String, Vec<f32>)>,
    rng: Rng,
}

#[derive(Debug, Default)]
pub struct Outcome {
    /// Per person, the track id of each of their detections in frame order (-1 = none yet).
    pub ids: Vec<Vec<i64>>,
    /// Per person, the events raised by their templates.
    pub events: Vec<Vec<AlertEvent>>,
    pub detections: u64,
    pub embeds: u64,
    pub stats: lfr_tracking::Stats,
}

impl Outcome {
    /// Times a person's track id changed from one tracked detection to the next.
    pub fn id_switches(&self, person: usize) -> usize {
        let ids: Vec<i64> = self.ids[person]
            .iter()
            .copied()
            .filter(|&i| i >= 0)
            .collect();
        ids.windows(2).filter(|w| w[0] != w[1]).count()
    }

    pub fn total_switches(&self) -> usize {
        (0..self.ids.len()).map(|p| self.id_switches(p)).sum()
    }

    /// Distinct track ids a person was given.
    pub fn tracks_of(&self, person: usize) -> Vec<i64> {
        let mut v: Vec<i64> = self.ids[person]
            .iter()
            .copied()
            .filter(|&i| i >= 0)
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Track ids that were given to more than one person (a swap or a merge).
    pub fn shared_tracks(&self) -> usize {
        let mut owner = std::collections::HashMap::new();
        let mut shared = std::collections::HashSet::new();
        for (p, ids) in self.ids.iter().enumerate() {
            for &id in ids.iter().filter(|&&i| i >= 0) {
                if *owner.entry(id).or_insert(p) != p {
                    shared.insert(id);
                }
            }
        }
        shared.len()
    }

    pub fn alerts(&self, person: usize) -> usize {
        self.events[person]
            .iter()
            .filter(|e| e.kind == EventKind::Alert)
            .count()
    }
}

impl Scene {
    pub fn new(seed: u64) -> Self {
        Self {
            people: Vec::new(),
            fps: 10.0,
            duration: 6.0,
            jitter: 0.02,
            miss: |_| false,
            templates_in_update: false,
            cfg: TrackerConfig::default(),
            threshold: 0.363,
            seed,
            watchlist: Vec::new(),
            rng: Rng::new(seed),
        }
    }

    /// Adds a person; a listed one is enrolled on the watchlist under their name.
    pub fn person(&mut self, name: &str, listed: bool, path: Path) -> usize {
        let identity = normalized((0..DIM).map(|_| self.rng.normal()).collect());
        if listed {
            let enrolled = noisy(&identity, &mut self.rng);
            self.watchlist.push((name.to_owned(), enrolled));
        }
        self.people.push(Person {
            name: name.to_owned(),
            listed,
            path,
            identity,
        });
        self.people.len() - 1
    }

    /// The best identities of each fused template (rows of `DIM`), best first.
    pub fn search(&self, fused: &[f32]) -> Vec<Vec<(String, f32)>> {
        fused
            .chunks_exact(DIM)
            .map(|q| {
                let mut hits: Vec<(String, f32)> = self
                    .watchlist
                    .iter()
                    .map(|(n, t)| (n.clone(), cos(q, t)))
                    .collect();
                hits.sort_by(|a, b| b.1.total_cmp(&a.1));
                hits.truncate(3);
                hits
            })
            .collect()
    }

    pub fn run(&mut self) -> Outcome {
        // Distractor identities nobody in the scene resembles.
        for i in 0..20 {
            let t = normalized((0..DIM).map(|_| self.rng.normal()).collect());
            self.watchlist.push((format!("distractor-{i}"), t));
        }
        let mut tracker = Tracker::new(self.cfg.clone()).expect("valid config");
        let mut out = Outcome {
            ids: vec![Vec::new(); self.people.len()],
            events: vec![Vec::new(); self.people.len()],
            ..Outcome::default()
        };
        let frames = (self.duration * self.fps).round() as usize;
        for f in 0..frames {
            let ts = f as f64 / self.fps;
            let (mut boxes, mut scores, mut lms, mut who, mut tpls) =
                (vec![], vec![], vec![], vec![], vec![]);
            if !(self.miss)(f) {
                for (p, person) in self.people.iter().enumerate() {
                    let Some([cx, cy, h]) = (person.path)(ts) else {
                        continue;
                    };
                    let j = self.jitter * h;
                    let w = h * 0.8;
                    let b = [
                        cx - w / 2.0 + j * self.rng.normal(),
                        cy - h / 2.0 + j * self.rng.normal(),
                        cx + w / 2.0 + j * self.rng.normal(),
                        cy + h / 2.0 + j * self.rng.normal(),
                    ];
                    boxes.extend_from_slice(&b);
                    scores.push(0.75 + 0.2 * self.rng.uniform());
                    let (ex, ey) = (w * 0.2, h * 0.15);
                    lms.extend_from_slice(&[
                        cx - ex,
                        cy - ey,
                        cx + ex,
                        cy - ey,
                        cx,
                        cy,
                        cx - ex,
                        cy + ey,
                        cx + ex,
                        cy + ey,
                    ]);
                    tpls.extend(noisy(&person.identity, &mut self.rng));
                    who.push(p);
                }
            }
            let n = who.len();
            let (mut ids, mut embed) = (vec![0i64; n], vec![false; n]);
            let dets = Detections {
                boxes: &boxes,
                scores: &scores,
                landmarks: &lms,
                templates: self.templates_in_update.then_some(tpls.as_slice()),
            };
            tracker
                .update(ts, dets, &mut ids, &mut embed)
                .expect("valid frame");
            out.detections += n as u64;
            let (mut rows, mut row_ids, mut row_tpls) = (vec![], vec![], vec![]);
            for (i, &p) in who.iter().enumerate() {
                out.ids[p].push(ids[i]);
                if embed[i] {
                    assert!(ids[i] >= 0, "only tracked detections are embedded");
                    out.embeds += 1;
                    rows.push(p);
                    row_ids.push(ids[i]);
                    row_tpls.extend_from_slice(&tpls[i * DIM..(i + 1) * DIM]);
                }
            }
            let weights = vec![1.0; rows.len()];
            let t = Templates {
                track_ids: &row_ids,
                values: &row_tpls,
                weights: &weights,
            };
            let mut events = Vec::new();
            let scene = &*self;
            tracker
                .observe(ts, t, self.threshold, |f| Ok(scene.search(f)), &mut events)
                .expect("valid observation");
            for e in events {
                out.events[rows[e.index]].push(e);
            }
        }
        out.stats = *tracker.stats();
        out
    }
}
