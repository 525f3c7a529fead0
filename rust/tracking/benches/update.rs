//! One `Tracker::update` with 10, 50 and 200 faces in view, all tracked (steady state), and
//! one `Tracker::observe` folding a 128-d template into each of 10 tracks and deciding (the
//! watchlist search is a fixed answer here: the gallery's own benchmark times the search).
//!
//! Faces sit on a grid (80 px boxes, 96 px apart, like a crowd filling a 1080p frame) and
//! sway sideways over a 64-frame cycle at 25 fps, so every update predicts, gates, associates,
//! updates the filters and runs the embed schedule. Frames are precomputed; timing covers the
//! update alone.

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use lfr_tracking::{Detections, Templates, TrackError, Tracker, TrackerConfig};

const CYCLE: usize = 64;
const FPS: f64 = 25.0;

struct Frames {
    boxes: Vec<Vec<f32>>,
    scores: Vec<f32>,
    landmarks: Vec<f32>,
}

fn frames(n: usize) -> Frames {
    let cols = 20;
    let boxes = (0..CYCLE)
        .map(|f| {
            let phase = (f as f32 / CYCLE as f32) * std::f32::consts::TAU;
            (0..n)
                .flat_map(|i| {
                    let x = 20.0 + 96.0 * (i % cols) as f32 + 12.0 * (phase + i as f32).sin();
                    let y = 20.0 + 96.0 * (i / cols) as f32 + 4.0 * (phase + i as f32).cos();
                    [x, y, x + 80.0, y + 80.0]
                })
                .collect()
        })
        .collect();
    Frames {
        boxes,
        scores: vec![0.9; n],
        landmarks: vec![0.0; n * 10],
    }
}

fn bench_update(c: &mut Criterion) {
    let mut group = c.benchmark_group("update");
    group
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(30);
    for n in [10usize, 50, 200] {
        let fr = frames(n);
        let mut t = Tracker::new(TrackerConfig::default()).expect("default config is valid");
        let (mut ids, mut embed) = (vec![0i64; n], vec![false; n]);
        let mut frame = 0usize;
        let mut step = |t: &mut Tracker, ids: &mut [i64], embed: &mut [bool]| {
            let d = Detections {
                boxes: &fr.boxes[frame % CYCLE],
                scores: &fr.scores,
                landmarks: &fr.landmarks,
                templates: None,
            };
            t.update(frame as f64 / FPS, d, ids, embed)
                .expect("valid frame");
            frame += 1;
        };
        for _ in 0..CYCLE {
            step(&mut t, &mut ids, &mut embed);
        }
        assert_eq!(t.active_tracks(), n, "every face is tracked before timing");
        assert!(ids.iter().all(|&i| i > 0));
        group.bench_with_input(BenchmarkId::from_parameter(n), &n, |b, _| {
            b.iter(|| {
                step(&mut t, &mut ids, &mut embed);
                black_box(&ids);
            })
        });
        assert_eq!(
            t.active_tracks(),
            n,
            "no track lost or duplicated while timing"
        );
        assert_eq!(t.stats().tracks_started, n as u64);
    }
    group.finish();
}

fn bench_observe(c: &mut Criterion) {
    const DIM: usize = 128;
    let n = 10usize;
    let fr = frames(n);
    let mut t = Tracker::new(TrackerConfig::default()).expect("default config is valid");
    let (mut ids, mut embed) = (vec![0i64; n], vec![false; n]);
    for f in 0..4 {
        let d = Detections {
            boxes: &fr.boxes[f],
            scores: &fr.scores,
            landmarks: &fr.landmarks,
            templates: None,
        };
        t.update(f as f64 / FPS, d, &mut ids, &mut embed)
            .expect("valid frame");
    }
    let values: Vec<f32> = (0..n * DIM)
        .map(|i| ((i * 7919) % 97) as f32 - 48.0)
        .collect();
    let weights = vec![0.5f32; n];
    let hits: Vec<Vec<(&str, f32)>> = vec![vec![("someone", 0.3), ("other", 0.28)]; n];
    let mut out = Vec::new();
    let mut ts = 1.0;
    c.bench_function("observe/10", |b| {
        b.iter(|| {
            let rows = Templates {
                track_ids: &ids,
                values: &values,
                weights: &weights,
            };
            let search = |_: &[f32]| Ok::<_, TrackError>(hits.clone());
            ts += 1e-6;
            t.observe(ts, rows, 0.5, search, &mut out)
                .expect("valid templates");
            black_box(&out);
        })
    });
}

criterion_group!(benches, bench_update, bench_observe);
criterion_main!(benches);
