//! The alert rule and its dedup across tracks of one camera.
//!
//! Per (track, identity): alert once when `min_hits` templates scored at or above
//! `match_threshold`; later, a score better by `update_margin` than the one reported gives an
//! `alert_update` (a better crop for the officer), never a second alert.
//!
//! Per identity (this tracker = one camera): a new track's alert is suppressed while the
//! identity is inside its cooldown, i.e. less than `cooldown_s` after the last template that
//! matched it on an alerted or suppressed track. Counting from the last evidence rather than
//! from the alert means a person who lingers and whose track breaks every few seconds is not
//! re-alerted, while one who leaves and comes back after the cooldown is.

use std::collections::HashMap;

use crate::config::TrackerConfig;
use crate::evidence::{Evidence, Status};

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
    pub score: f32,
    pub hits: u32,
    pub ts: f64,
}

/// Outcome counters the tracker folds into its stats.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub alerts: u64,
    pub alert_updates: u64,
    pub suppressed_by_cooldown: u64,
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

    /// Folds one above-threshold score for `identity` on a track and decides.
    #[allow(clippy::too_many_arguments)]
    pub fn apply(
        &mut self,
        cfg: &TrackerConfig,
        track_id: u64,
        evidence: &mut Evidence,
        identity: u32,
        score: f32,
        ts: f64,
        tally: &mut Tally,
        out: &mut Vec<AlertEvent>,
    ) {
        let e = evidence.entry(identity);
        e.hits += 1;
        e.best = e.best.max(score);
        let clock = &mut self.last_evidence[identity as usize];
        let event = match e.status {
            Status::Pending if e.hits >= cfg.min_hits => {
                if ts - *clock < cfg.cooldown_s {
                    e.status = Status::Covered;
                    tally.suppressed_by_cooldown += 1;
                    None
                } else {
                    e.status = Status::Alerted { reported: e.best };
                    tally.alerts += 1;
                    Some((EventKind::Alert, e.best))
                }
            }
            Status::Pending => return,
            Status::Alerted { reported } if score >= reported + cfg.update_margin => {
                e.status = Status::Alerted { reported: score };
                tally.alert_updates += 1;
                Some((EventKind::AlertUpdate, score))
            }
            Status::Alerted { .. } | Status::Covered => None,
        };
        *clock = clock.max(ts);
        if let Some((kind, score)) = event {
            out.push(AlertEvent {
                kind,
                track_id,
                identity: self.names[identity as usize].clone(),
                score,
                hits: e.hits,
                ts,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_alert_then_updates_then_cooldown_for_another_track() {
        let cfg = TrackerConfig::default();
        let mut d = Decider::default();
        let (mut tally, mut out) = (Tally::default(), Vec::new());
        let a = d.intern("alice");
        let mut ev = Evidence::default();
        d.apply(&cfg, 1, &mut ev, a, 0.5, 0.0, &mut tally, &mut out);
        assert!(out.is_empty(), "one hit is not enough with min_hits=2");
        d.apply(&cfg, 1, &mut ev, a, 0.45, 0.1, &mut tally, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(
            (out[0].kind, out[0].score, out[0].hits),
            (EventKind::Alert, 0.5, 2)
        );
        d.apply(&cfg, 1, &mut ev, a, 0.52, 0.2, &mut tally, &mut out);
        assert_eq!(out.len(), 1, "a marginally better score is not an update");
        d.apply(&cfg, 1, &mut ev, a, 0.7, 0.3, &mut tally, &mut out);
        assert_eq!(out.last().map(|e| e.kind), Some(EventKind::AlertUpdate));
        let mut other = Evidence::default();
        d.apply(&cfg, 2, &mut other, a, 0.7, 10.0, &mut tally, &mut out);
        d.apply(&cfg, 2, &mut other, a, 0.7, 10.1, &mut tally, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(tally.suppressed_by_cooldown, 1);
        assert_eq!(d.intern("alice"), a);
    }
}
