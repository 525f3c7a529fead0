//! Property tests: whatever the detections, one frame never gives two detections the same
//! track, ids are never reused, and bad input is an error (never a panic) that changes nothing.

use std::collections::HashMap;

use lfr_tracking::{Detections, Templates, TrackError, Tracker, TrackerConfig};
use proptest::prelude::*;

#[derive(Debug, Clone)]
struct Frame {
    dt: f64,
    boxes: Vec<[f32; 4]>,
    scores: Vec<f32>,
}

fn frame() -> impl Strategy<Value = Frame> {
    let det = (
        0.0f32..600.0,
        0.0f32..400.0,
        8.0f32..120.0,
        8.0f32..120.0,
        0.0f32..1.0,
    );
    (0.0f64..0.4, prop::collection::vec(det, 0..12)).prop_map(|(dt, dets)| Frame {
        dt,
        boxes: dets
            .iter()
            .map(|&(x, y, w, h, _)| [x, y, x + w, y + h])
            .collect(),
        scores: dets.iter().map(|d| d.4).collect(),
    })
}

/// A frame built from a previous one by small moves, so tracks actually persist.
fn scenes() -> impl Strategy<Value = Vec<Frame>> {
    (
        frame(),
        prop::collection::vec((0.0f64..0.3, -6.0f32..6.0, any::<bool>()), 1..40),
    )
        .prop_map(|(first, steps)| {
            let mut frames = vec![first];
            for (dt, shift, drop_last) in steps {
                let mut f = frames.last().expect("non-empty").clone();
                f.dt = dt;
                for b in &mut f.boxes {
                    b[0] += shift;
                    b[2] += shift;
                }
                if drop_last {
                    f.boxes.pop();
                    f.scores.pop();
                }
                frames.push(f);
            }
            frames
        })
}

fn flat(f: &Frame) -> (Vec<f32>, Vec<f32>) {
    (
        f.boxes.iter().flatten().copied().collect(),
        vec![1.0; f.boxes.len() * 10],
    )
}

fn run(t: &mut Tracker, ts: f64, f: &Frame) -> Result<(Vec<i64>, Vec<bool>), TrackError> {
    let (boxes, lms) = flat(f);
    let (mut ids, mut embed) = (vec![0; f.scores.len()], vec![false; f.scores.len()]);
    let d = Detections {
        boxes: &boxes,
        scores: &f.scores,
        landmarks: &lms,
        templates: None,
    };
    t.update(ts, d, &mut ids, &mut embed)?;
    Ok((ids, embed))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn one_track_per_detection_and_ids_never_reused(frames in scenes(), n_init in 1u32..4) {
        let cfg = TrackerConfig { n_init, ..TrackerConfig::default() };
        let max_age = cfg.max_age_s;
        let mut t = Tracker::new(cfg).unwrap();
        let mut ts = 100.0;
        let mut last_seen: HashMap<i64, f64> = HashMap::new();
        let mut highest = 0i64;
        for f in &frames {
            ts += f.dt;
            let (ids, embed) = run(&mut t, ts, f).unwrap();
            let mut tracked: Vec<i64> = ids.iter().copied().filter(|&i| i >= 0).collect();
            let n = tracked.len();
            tracked.sort_unstable();
            tracked.dedup();
            prop_assert_eq!(tracked.len(), n, "two detections share a track: {:?}", ids);
            let highest_before = highest;
            for (i, &id) in ids.iter().enumerate() {
                prop_assert!(id >= -1 && id != 0);
                prop_assert!(!embed[i] || id > 0, "embed asked for an untracked detection");
                if id < 0 { continue; }
                match last_seen.get(&id) {
                    Some(&seen) => prop_assert!(ts - seen <= max_age + 1e-9, "id {} came back after it ended", id),
                    None => { prop_assert!(id > highest_before, "id {} reused", id); highest = highest.max(id); }
                }
                last_seen.insert(id, ts);
            }
            prop_assert!(t.active_tracks() as u64 <= t.stats().tracks_started);
        }
    }

    #[test]
    fn bad_input_is_an_error_and_changes_nothing(frames in scenes(), which in 0usize..7, pick in any::<prop::sample::Index>()) {
        let mut t = Tracker::new(TrackerConfig::default()).unwrap();
        let mut ts = 0.0;
        for f in &frames {
            ts += f.dt;
            run(&mut t, ts, f).unwrap();
        }
        let before = (*t.stats(), t.active_tracks());
        let mut bad = frames.last().unwrap().clone();
        let mut bad_ts = ts + 0.1;
        if bad.boxes.is_empty() {
            bad.boxes.push([10.0, 10.0, 50.0, 50.0]);
            bad.scores.push(0.9);
        }
        let i = pick.index(bad.boxes.len());
        let expect_err = match which {
            0 => { bad_ts = ts - 0.01; true }
            1 => { bad_ts = f64::NAN; true }
            2 => { bad.boxes[i][1] = f32::NAN; true }
            3 => { bad.boxes[i][2] = bad.boxes[i][0] - 5.0; true }
            4 => { bad.scores[i] = f32::NAN; true }
            5 => { bad_ts = f64::INFINITY; true }
            _ => { bad.scores.push(0.5); true }
        };
        let (boxes, lms) = flat(&bad);
        let (mut ids, mut embed) = (vec![0; bad.scores.len()], vec![false; bad.scores.len()]);
        let d = Detections { boxes: &boxes, scores: &bad.scores, landmarks: &lms, templates: None };
        let r = t.update(bad_ts, d, &mut ids, &mut embed);
        prop_assert_eq!(r.is_err(), expect_err);
        prop_assert!(!r.unwrap_err().to_string().is_empty());
        prop_assert_eq!((*t.stats(), t.active_tracks()), before);
        // Still usable afterwards.
        run(&mut t, ts + 0.1, frames.last().unwrap()).unwrap();
    }

    /// Any templates, weights, ids, timestamps and thresholds: `observe` returns Ok or an
    /// error, never panics, and an error changes nothing (the same call made valid after it
    /// gives the same events as on a fresh tracker).
    #[test]
    fn observe_never_panics_and_errors_change_nothing(
        track_ids in prop::collection::vec(-3i64..6, 0..4),
        ts in prop_oneof![Just(f64::NAN), -10.0f64..10.0],
        values in prop::collection::vec(prop_oneof![Just(f32::NAN), Just(0.0f32), -1.0f32..1.0], 0..10),
        weights in prop::collection::vec(prop_oneof![Just(f32::NAN), Just(-1.0f32), 0.0f32..2.0], 0..4),
        threshold in prop_oneof![Just(f32::NAN), Just(f32::INFINITY), -1.0f32..1.0],
        fail_search in any::<bool>(),
    ) {
        let fresh = || {
            let mut t = Tracker::new(TrackerConfig { n_init: 1, min_templates: 1, ..TrackerConfig::default() }).unwrap();
            let f = Frame { dt: 0.0, boxes: vec![[0.0, 0.0, 40.0, 40.0], [100.0, 0.0, 140.0, 40.0]], scores: vec![0.9, 0.9] };
            run(&mut t, 0.0, &f).unwrap();
            t
        };
        let mut t = fresh();
        let dim = (values.len() / track_ids.len().max(1)).max(1);
        let search = |q: &[f32]| -> Result<Vec<Vec<(String, f32)>>, TrackError> {
            if fail_search {
                return Err(TrackError::Search { detail: "test".into() });
            }
            Ok(q.chunks(dim).map(|_| vec![("a".to_owned(), 0.9), ("b".to_owned(), 0.1)]).collect())
        };
        let tpl = Templates { track_ids: &track_ids, values: &values, weights: &weights };
        let mut out = Vec::new();
        let r = t.observe(ts, tpl, threshold, search, &mut out);
        if r.is_err() {
            prop_assert!(out.is_empty());
            prop_assert_eq!(t.stats().observations, 0);
            prop_assert_eq!(t.tracks_holding_templates(), 0, "nothing was folded");
        } else {
            prop_assert!(out.len() <= track_ids.len(), "at most one event per track");
        }
    }
}

/// Mostly plausible pixel coordinates, sometimes any float at all.
fn coord() -> impl Strategy<Value = f32> {
    prop_oneof![4 => 0.0f32..300.0, 1 => any::<f32>()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Arbitrary floats anywhere (NaN, infinities, huge values, reversed corners, time jumps):
    /// every call returns, as Ok or as an error, and a valid frame still works afterwards.
    #[test]
    fn arbitrary_floats_never_panic_or_hang(
        calls in prop::collection::vec(
            (
                prop_oneof![3 => 0.0f64..10.0, 1 => any::<f64>()],
                prop::collection::vec((prop::array::uniform4(coord()), prop_oneof![3 => 0.0f32..1.0, 1 => any::<f32>()]), 0..6),
            ),
            1..12,
        ),
    ) {
        let mut t = Tracker::new(TrackerConfig { n_init: 1, ..TrackerConfig::default() }).unwrap();
        let mut ok_ts = f64::NEG_INFINITY;
        for (ts, dets) in &calls {
            let f = Frame { dt: 0.0, boxes: dets.iter().map(|d| d.0).collect(), scores: dets.iter().map(|d| d.1).collect() };
            if run(&mut t, *ts, &f).is_ok() {
                prop_assert!(ts.is_finite() && *ts >= ok_ts);
                ok_ts = *ts;
            }
        }
        let ts = if ok_ts.is_finite() { ok_ts } else { 0.0 };
        let good = Frame { dt: 0.0, boxes: vec![[0.0, 0.0, 30.0, 30.0]], scores: vec![0.9] };
        let (ids, _) = run(&mut t, ts, &good).unwrap();
        prop_assert!(ids[0] >= 1);
    }
}

#[test]
fn invalid_configs_are_rejected() {
    for cfg in [
        TrackerConfig {
            min_templates: 0,
            ..TrackerConfig::default()
        },
        TrackerConfig {
            max_age_s: f64::NAN,
            ..TrackerConfig::default()
        },
        TrackerConfig {
            low_score: 0.9,
            high_score: 0.5,
            ..TrackerConfig::default()
        },
        TrackerConfig {
            iou_threshold: 0.0,
            ..TrackerConfig::default()
        },
        TrackerConfig {
            growth_ratio: 0.5,
            ..TrackerConfig::default()
        },
    ] {
        assert!(matches!(
            Tracker::new(cfg),
            Err(TrackError::InvalidConfig { .. })
        ));
    }
}

#[test]
fn template_for_an_ended_track_is_counted_not_an_error() {
    let mut t = Tracker::new(TrackerConfig {
        n_init: 1,
        ..TrackerConfig::default()
    })
    .unwrap();
    let f = Frame {
        dt: 0.0,
        boxes: vec![[0.0, 0.0, 40.0, 40.0]],
        scores: vec![0.9],
    };
    let (ids, embed) = run(&mut t, 0.0, &f).unwrap();
    assert_eq!((ids[0], embed[0]), (1, true));
    let empty = Frame {
        dt: 0.0,
        boxes: vec![],
        scores: vec![],
    };
    run(&mut t, 5.0, &empty).unwrap();
    assert_eq!(t.active_tracks(), 0);
    let mut out = Vec::new();
    let mut searched = false;
    let one = |id: &'static [i64]| Templates {
        track_ids: id,
        values: &[1.0, 0.0],
        weights: &[1.0],
    };
    let search = |q: &[f32]| -> Result<Vec<Vec<(&str, f32)>>, TrackError> {
        searched = true;
        Ok(vec![vec![("x", 0.9)]; q.len() / 2])
    };
    let unmatched = t.observe(0.0, one(&[1]), 0.5, search, &mut out).unwrap();
    assert!(
        out.is_empty() && !searched,
        "nothing to search for an ended track"
    );
    assert_eq!((unmatched, t.stats().observations_dropped), (1, 1));
    assert!(matches!(
        t.observe(
            0.0,
            one(&[2]),
            0.5,
            |_| Ok(Vec::<Vec<(&str, f32)>>::new()),
            &mut out
        ),
        Err(TrackError::UnknownTrack { .. })
    ));
}
