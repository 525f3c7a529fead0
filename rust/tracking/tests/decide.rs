//! The decision per track, driven through `Tracker::observe` with hand-made templates: fused
//! evidence, the margin over the runner-up, revisions instead of second alerts, and fused
//! state that dies with its track.

use lfr_tracking::{
    AlertEvent, Detections, EventKind, Templates, TrackError, Tracker, TrackerConfig,
};

const DIM: usize = 4;
const ALICE: [f32; DIM] = [1.0, 0.0, 0.0, 0.0];
const BOB: [f32; DIM] = [0.0, 1.0, 0.0, 0.0];

fn unit(v: [f32; DIM]) -> [f32; DIM] {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.map(|x| x / n)
}

type Hits = Vec<Vec<(&'static str, f32)>>;
/// A bad `observe` call: track ids, template values, weights, threshold, and what the error
/// must say.
type BadCall = (
    &'static [i64],
    &'static [f32],
    &'static [f32],
    f32,
    &'static str,
);

/// Exact search over a small watchlist: each identity's score is the cosine with its template.
fn search<'a>(
    list: &'a [(&'static str, [f32; DIM])],
) -> impl Fn(&[f32]) -> Result<Hits, TrackError> + 'a {
    move |fused: &[f32]| {
        Ok(fused
            .chunks_exact(DIM)
            .map(|q| {
                let mut hits: Vec<(&str, f32)> = list
                    .iter()
                    .map(|(n, t)| (*n, q.iter().zip(t).map(|(a, b)| a * b).sum()))
                    .collect();
                hits.sort_by(|a, b| b.1.total_cmp(&a.1));
                hits
            })
            .collect())
    }
}

/// One face standing still at 10 fps; n_init 1 so it is born on the first frame.
struct Stand {
    t: Tracker,
    ts: f64,
}

impl Stand {
    fn new(cfg: TrackerConfig) -> Self {
        Self {
            t: Tracker::new(TrackerConfig { n_init: 1, ..cfg }).unwrap(),
            ts: 0.0,
        }
    }

    /// The next frame; when the schedule asks, observes `tpl` with `weight`.
    fn frame(
        &mut self,
        tpl: [f32; DIM],
        weight: f32,
        list: &[(&'static str, [f32; DIM])],
        threshold: f32,
    ) -> (bool, Vec<AlertEvent>) {
        let (mut ids, mut embed) = ([0i64], [false]);
        let d = Detections {
            boxes: &[100.0, 100.0, 160.0, 170.0],
            scores: &[0.9],
            landmarks: &[0.0; 10],
            templates: None,
        };
        self.t.update(self.ts, d, &mut ids, &mut embed).unwrap();
        let mut out = Vec::new();
        if embed[0] {
            let t = Templates {
                track_ids: &ids,
                values: &tpl,
                weights: &[weight],
            };
            self.t
                .observe(self.ts, t, threshold, search(list), &mut out)
                .unwrap();
        }
        self.ts += 0.1;
        (embed[0], out)
    }
}

#[test]
fn alerts_after_min_templates_once_and_never_twice() {
    let list = [("alice", ALICE), ("bob", BOB)];
    let mut s = Stand::new(TrackerConfig::default());
    let mut events = Vec::new();
    for _ in 0..40 {
        events.extend(s.frame(unit([1.0, 0.2, 0.1, 0.0]), 1.0, &list, 0.5).1);
    }
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(
        (e.kind, e.identity.as_str(), e.templates),
        (EventKind::Alert, "alice", 3)
    );
    assert!(
        (e.ts - 0.2).abs() < 1e-9,
        "three consecutive frames: {}",
        e.ts
    );
    assert_eq!(e.track_started, 0.0);
    assert!(e.score > 0.9 && e.runner_up < 0.3);
    assert_eq!(s.t.stats().alerts, 1);
}

#[test]
fn a_runner_up_within_the_margin_blocks_the_alert() {
    // Equally like both: the best clears the threshold, the margin fails, forever.
    let list = [("alice", ALICE), ("bob", BOB)];
    let mut s = Stand::new(TrackerConfig::default());
    let mut embeds = 0;
    for _ in 0..30 {
        let (embedded, ev) = s.frame(unit([1.0, 0.95, 0.0, 0.0]), 1.0, &list, 0.5);
        assert!(ev.is_empty());
        embeds += usize::from(embedded);
    }
    assert!(
        embeds <= 12,
        "3 to gather, then a probe every 0.5 s: {embeds}"
    );
    // With one identity there is no runner-up: the same face alerts.
    let mut s = Stand::new(TrackerConfig::default());
    let events: Vec<_> = (0..5)
        .flat_map(|_| s.frame(unit([1.0, 0.95, 0.0, 0.0]), 1.0, &list[..1], 0.5).1)
        .collect();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].runner_up, f32::NEG_INFINITY);
}

#[test]
fn fused_evidence_decides_what_single_frames_cannot() {
    // Each look alone leads its runner-up by 0.05 (bob on one look, carol on the other); their
    // confusions cancel in the mean, which leads by far more than the margin.
    let list = [
        ("alice", ALICE),
        ("bob", BOB),
        ("carol", [0.0, 0.0, 1.0, 0.0]),
    ];
    let looks = [
        unit([0.5, 0.45, 0.0, 0.74]),
        unit([0.5, 0.0, 0.45, 0.74]),
        unit([0.5, 0.45, 0.0, 0.74]),
    ];
    for tpl in looks {
        let single = search(&list)(&tpl).unwrap().remove(0);
        assert!(single[0].1 - single[1].1 < 0.06, "{single:?}");
    }
    let mut s = Stand::new(TrackerConfig::default());
    let events: Vec<_> = looks
        .into_iter()
        .flat_map(|tpl| s.frame(tpl, 1.0, &list, 0.45).1)
        .collect();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].identity, "alice");
    assert!(events[0].score - events[0].runner_up > 0.2);
}

#[test]
fn quality_weights_favour_the_good_views() {
    // Two poor views that look like bob, one good view of alice: weighted, alice leads.
    let list = [("alice", ALICE), ("bob", BOB)];
    let run = |w_poor: f32| {
        let mut s = Stand::new(TrackerConfig::default());
        let mut ev = Vec::new();
        ev.extend(s.frame(unit([0.2, 1.0, 0.3, 0.0]), w_poor, &list, 0.5).1);
        ev.extend(s.frame(unit([0.2, 1.0, -0.3, 0.0]), w_poor, &list, 0.5).1);
        ev.extend(s.frame(unit([1.0, 0.1, 0.0, 0.0]), 1.0, &list, 0.5).1);
        ev
    };
    let weighted = run(0.05);
    assert_eq!(weighted.len(), 1);
    assert_eq!(weighted[0].identity, "alice");
    let unweighted = run(1.0);
    assert!(
        unweighted.iter().all(|e| e.identity != "alice"),
        "{unweighted:?}"
    );
}

#[test]
fn evidence_moving_to_another_identity_revises_the_one_alert() {
    let list = [("alice", ALICE), ("bob", BOB)];
    let mut s = Stand::new(TrackerConfig {
        reembed_interval_s: 0.0,
        ..TrackerConfig::default()
    });
    let mut events = Vec::new();
    // Alice for 3 frames, then the view turns slowly towards bob (never abruptly enough to
    // look like another person to the appearance gate).
    for f in 0..60 {
        let a = (f as f32 * 0.05).min(1.4);
        events.extend(
            s.frame(unit([a.cos(), a.sin(), 0.0, 0.0]), 1.0, &list, 0.5)
                .1,
        );
    }
    let kinds: Vec<_> = events
        .iter()
        .map(|e| (e.kind, e.identity.as_str(), e.revision))
        .collect();
    assert_eq!(
        kinds,
        [
            (EventKind::Alert, "alice", 0),
            (EventKind::AlertUpdate, "bob", 1)
        ]
    );
    assert_eq!(events[1].previous_identity.as_deref(), Some("alice"));
    assert_eq!(events[1].track_id, events[0].track_id);
    assert_eq!((s.t.stats().alerts, s.t.stats().revisions), (1, 1));
    assert_eq!(s.t.stats().appearance_resets, 0);
}

#[test]
fn another_person_on_the_track_restarts_its_evidence() {
    // An abrupt change (cosine 0 with the track's appearance): the fused templates restart, so
    // bob is decided from bob's templates alone, as a revision of the track's one alert.
    let list = [("alice", ALICE), ("bob", BOB)];
    let mut s = Stand::new(TrackerConfig {
        reembed_interval_s: 0.0,
        ..TrackerConfig::default()
    });
    let mut events = Vec::new();
    for f in 0..8 {
        let tpl = if f < 4 { ALICE } else { BOB };
        events.extend(s.frame(tpl, 1.0, &list, 0.5).1);
    }
    assert_eq!(s.t.stats().appearance_resets, 1);
    let bob = events
        .iter()
        .find(|e| e.identity == "bob")
        .expect("revised to bob");
    assert_eq!((bob.kind, bob.templates), (EventKind::AlertUpdate, 3));
}

#[test]
fn fused_templates_die_with_their_track() {
    let list = [("alice", ALICE)];
    let mut s = Stand::new(TrackerConfig::default());
    s.frame(BOB, 1.0, &list, 0.5);
    assert_eq!(s.t.tracks_holding_templates(), 1);
    let (mut ids, mut embed) = ([0i64; 0], [false; 0]);
    let empty = Detections {
        boxes: &[],
        scores: &[],
        landmarks: &[],
        templates: None,
    };
    s.t.update(s.ts + 1.5, empty, &mut ids, &mut embed).unwrap();
    assert_eq!(s.t.active_tracks(), 0);
    assert_eq!(
        s.t.tracks_holding_templates(),
        0,
        "no template outlives its track"
    );
}

#[test]
fn bad_observations_are_refused_before_anything_changes() {
    let list = [("alice", ALICE)];
    let mut s = Stand::new(TrackerConfig::default());
    s.frame(ALICE, 1.0, &list, 0.5);
    let before = *s.t.stats();
    let mut out = Vec::new();
    let cases: [BadCall; 6] = [
        (&[1], &[1.0, 0.0, 0.0, 0.0], &[-1.0], 0.5, "weight 0"),
        (&[1], &[0.0; 4], &[1.0], 0.5, "all zeros"),
        (&[1], &[1.0, 0.0, f32::NAN, 0.0], &[1.0], 0.5, "NaN"),
        (
            &[1, 1],
            &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0],
            &[1.0, 1.0],
            0.5,
            "twice",
        ),
        (&[1], &[1.0, 0.0, 0.0], &[1.0], 0.5, "template has 3 values"),
        (&[1], &[1.0, 0.0, 0.0, 0.0], &[1.0], f32::NAN, "threshold"),
    ];
    for (ids, values, weights, threshold, msg) in cases {
        let t = Templates {
            track_ids: ids,
            values,
            weights,
        };
        let err =
            s.t.observe(s.ts, t, threshold, search(&list), &mut out)
                .unwrap_err();
        assert!(err.to_string().contains(msg), "{err} lacks {msg:?}");
    }
    let failing = |_: &[f32]| -> Result<Vec<Vec<(&str, f32)>>, TrackError> {
        Err(TrackError::Search {
            detail: "down".into(),
        })
    };
    let t = Templates {
        track_ids: &[1],
        values: &ALICE,
        weights: &[1.0],
    };
    assert!(s.t.observe(s.ts, t, 0.5, failing, &mut out).is_err());
    assert_eq!(*s.t.stats(), before, "nothing counted, nothing folded");
    assert!(out.is_empty());
}
