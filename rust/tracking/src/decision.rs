//! The alert rule per track and its dedup across the tracks of one camera.
//!
//! Per track: once it holds `min_templates` templates, its fused template's best identity i1
//! alerts when score(i1) >= the watchlist's threshold T and score(i1) - score(i2) >= `margin`
//! (i2 the runner-up identity; none counts as -inf). At most one alert per track: when the
//! evidence later clears the same rule for another identity, the alert gets a new revision
//! (`alert_update`). A better score for the same identity is not a revision: it changes
//! nothing an officer acts on, and every revision interrupts one.
//!
//! Per identity (this tracker = one camera): a track whose decision falls inside the
//! identity's cooldown is covered, not alerted: less than `cooldown_s` after the last fused
//! evidence that supported the identity on a decided track. Counting from the last evidence
//! rather than from the alert means a person who lingers and whose track breaks every few
//! seconds is not re-alerted, while one who leaves and comes back after the cooldown is. A
//! revision is a correction of an alert already raised, so it is published whatever the new
//! identity's cooldown.

use std::collections::HashMap;

use crate::config::TrackerConfig;
use crate::evidence::{Evidence, Verdict};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    Alert,
    AlertUpdate,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Alert => "alert",
            Self::AlertUpdate => "alert_update",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AlertEvent {
    pub kind: EventKind,
    pub track_id: u64,
    pub identity: String,
    /// The identity the alert named before this revision (`None` for the first alert).
    pub previous_identity: Option<String>,
    /// The fused template's score for `identity`.
    pub score: f32,
    /// The runner-up identity's score (-inf when the watchlist has one identity).
    pub runner_up: f32,
    /// Templates fused into the decision.
    pub templates: u32,
    /// 0 for the alert, then 1, 2, ... for each change of identity.
    pub revision: u32,
    pub ts: f64,
    /// When the track's first detection was seen (tracker clock): `ts - track_started` is the
    /// time from a track's first frame to its alert.
    pub track_started: f64,
    /// The row of the `observe` call whose template tipped the decision.
    pub index: usize,
}

/// Outcome counters the tracker folds into its stats.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub alerts: u64,
    pub revisions: u64,
    pub suppressed_by_cooldown: u64,
}

/// The best two identities of one fused search, scores best first.
#[derive(Debug, Clone, Copy)]
pub struct Ranked<'a> {
    pub best: Option<(&'a str, f32)>,
    pub runner_up: f32,
}

/// Where a track is when one of its fused searches is decided.
#[derive(Debug, Clone, Copy)]
pub struct TrackRef {
    pub id: u64,
    pub started: f64,
    pub index: usize,
}

/// Identity names interned to small integers, with each identity's cooldown clock.
#[derive(Debug, Default, Clone)]
pub struct Decider {
    index: HashMap<String, u32>,
    names: Vec<String>,
    last_evidence: Vec<f64>,
}

impl Decider {
    /// The integer for `name`; allocates only the first time a name is seen.
    pub fn intern(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len() as u32;
        self.index.insert(name.to_owned(), i);
        self.names.push(name.to_owned());
        self.last_evidence.push(f64::NEG_INFINITY);
        i
    }

    /// Decides one track from its latest fused search at time `ts`; returns the event, if any.
    #[allow(clippy::too_many_arguments)]
    pub fn decide(
        &mut self,
        cfg: &TrackerConfig,
        track: TrackRef,
        evidence: &mut Evidence,
        ranked: Ranked<'_>,
        threshold: f32,
        ts: f64,
        tally: &mut Tally,
    ) -> Option<AlertEvent> {
        let Some((name, s1)) = ranked.best else {
            evidence.close = false;
            return None;
        };
        let lead = s1 - ranked.runner_up;
        let band = cfg.pending_band;
        evidence.close = s1 >= threshold - band && lead >= cfg.margin - band;
        let templates = evidence.fusion.templates();
        if templates < cfg.min_templates {
            return None;
        }
        let clears = s1 >= threshold && lead >= cfg.margin;
        let leader = self.intern(name);
        if s1 >= threshold && evidence.verdict.identity() == Some(leader) {
            let clock = &mut self.last_evidence[leader as usize];
            *clock = clock.max(ts);
        }
        if !clears || evidence.verdict.identity() == Some(leader) {
            return None;
        }
        let (kind, previous, revision) = match evidence.verdict {
            Verdict::Alerted { identity, revision } => {
                tally.revisions += 1;
                evidence.verdict = Verdict::Alerted {
                    identity: leader,
                    revision: revision + 1,
                };
                (EventKind::AlertUpdate, Some(identity), revision + 1)
            }
            Verdict::Undecided | Verdict::Covered { .. } => {
                if ts - self.last_evidence[leader as usize] < cfg.cooldown_s {
                    evidence.verdict = Verdict::Covered { identity: leader };
                    tally.suppressed_by_cooldown += 1;
                    self.touch(leader, ts);
                    return None;
                }
                tally.alerts += 1;
                evidence.verdict = Verdict::Alerted {
                    identity: leader,
                    revision: 0,
                };
                (EventKind::Alert, None, 0)
            }
        };
        self.touch(leader, ts);
        Some(AlertEvent {
            kind,
            track_id: track.id,
            identity: name.to_owned(),
            previous_identity: previous.map(|i| self.names[i as usize].clone()),
            score: s1,
            runner_up: ranked.runner_up,
            templates,
            revision,
            ts,
            track_started: track.started,
            index: track.index,
        })
    }

    fn touch(&mut self, identity: u32, ts: f64) {
        let clock = &mut self.last_evidence[identity as usize];
        *clock = clock.max(ts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decide(
        d: &mut Decider,
        ev: &mut Evidence,
        id: u64,
        best: (&str, f32),
        runner_up: f32,
        ts: f64,
        tally: &mut Tally,
    ) -> Option<AlertEvent> {
        ev.fusion.add(&[1.0], 1.0);
        let track = TrackRef {
            id,
            started: 0.0,
            index: 0,
        };
        let ranked = Ranked {
            best: Some(best),
            runner_up,
        };
        d.decide(&TrackerConfig::default(), track, ev, ranked, 0.5, ts, tally)
    }

    #[test]
    fn one_alert_per_track_revisions_and_cooldown_across_tracks() {
        let (mut d, mut tally) = (Decider::default(), Tally::default());
        let mut ev = Evidence::default();
        assert!(decide(&mut d, &mut ev, 1, ("alice", 0.7), 0.3, 0.0, &mut tally).is_none());
        assert!(decide(&mut d, &mut ev, 1, ("alice", 0.7), 0.3, 0.1, &mut tally).is_none());
        let a = decide(&mut d, &mut ev, 1, ("alice", 0.7), 0.3, 0.2, &mut tally).unwrap();
        assert_eq!((a.kind, a.revision, a.templates), (EventKind::Alert, 0, 3));
        assert!(
            decide(&mut d, &mut ev, 1, ("alice", 0.9), 0.3, 0.3, &mut tally).is_none(),
            "a better score for the same identity is no revision"
        );
        assert!(
            decide(&mut d, &mut ev, 1, ("bob", 0.7), 0.65, 0.4, &mut tally).is_none(),
            "another identity without the margin changes nothing"
        );
        let r = decide(&mut d, &mut ev, 1, ("bob", 0.7), 0.3, 0.5, &mut tally).unwrap();
        assert_eq!((r.kind, r.revision), (EventKind::AlertUpdate, 1));
        assert_eq!(r.previous_identity.as_deref(), Some("alice"));
        let mut other = Evidence::default();
        for ts in [10.0, 10.1, 10.2] {
            assert!(decide(&mut d, &mut other, 2, ("bob", 0.8), 0.3, ts, &mut tally).is_none());
        }
        assert_eq!(other.verdict, Verdict::Covered { identity: 1 });
        assert_eq!(
            (tally.alerts, tally.revisions, tally.suppressed_by_cooldown),
            (1, 1, 1)
        );
    }
}
