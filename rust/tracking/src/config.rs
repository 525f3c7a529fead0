//! Tracker parameters, their defaults and the reasons for them.
//!
//! Defaults are tuned for faces from YuNet at 5-25 analysed frames per second and SFace
//! templates (cosine threshold 0.363; the same person across video frames typically scores
//! 0.5-0.8, strangers below 0.3).

use crate::error::{Result, TrackError};

#[derive(Debug, Clone, PartialEq)]
pub struct TrackerConfig {
    /// Cosine score at or above which a watchlist match counts as evidence (SFace: 0.363).
    pub match_threshold: f32,
    /// Templates at or above `match_threshold` for one identity on one track before it alerts.
    /// 2: a genuine face clears 0.363 on nearly every template, so the second hit costs one
    /// extra frame (pending tracks are embedded every frame); a single blurred or half-turned
    /// template of a stranger that happens to cross the threshold no longer alerts on its own.
    pub min_hits: u32,
    /// Seconds after an identity's last evidence on an alerted track during which a new track
    /// of the same identity (a broken and restarted track, a second pass) does not alert again.
    pub cooldown_s: f64,
    /// Matched frames before a track is born and gets a public id. 2 drops one-frame detector
    /// false positives before they cost an embedding.
    pub n_init: u32,
    /// Seconds without a match before a track dies. 1 s bridges a 0.5 s occlusion with margin
    /// while a constant-velocity prediction has not yet drifted onto another face.
    pub max_age_s: f64,
    /// Detections at or above this score drive the first association stage and start tracks.
    pub high_score: f32,
    /// Detections below this score are ignored; between the two they only keep tracks alive.
    pub low_score: f32,
    /// Minimum IoU between a predicted track box and a detection for them to be associated.
    pub iou_threshold: f32,
    /// Seconds between templates for a track that has already alerted.
    pub reembed_interval_s: f64,
    /// A face whose height grew by this factor since its last template is embedded again.
    pub growth_ratio: f32,
    /// Seconds between templates for a track without a pending or alerted identity (most
    /// passers-by): a few looks per pass instead of one per frame.
    pub probe_interval_s: f64,
    /// A detection score this much above the score at the last template marks a clearer view.
    pub score_gain: f32,
    /// Cosine below which a template is taken to be a different person than the track's
    /// appearance (strangers score below 0.3); used to gate association and reset evidence.
    pub appearance_gate: f32,
    /// An alerted track reports `alert_update` when its score beats the reported one by this.
    pub update_margin: f32,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            match_threshold: 0.363,
            min_hits: 2,
            cooldown_s: 30.0,
            n_init: 2,
            max_age_s: 1.0,
            high_score: 0.6,
            low_score: 0.3,
            iou_threshold: 0.3,
            reembed_interval_s: 2.0,
            growth_ratio: 1.3,
            probe_interval_s: 0.5,
            score_gain: 0.1,
            appearance_gate: 0.25,
            update_margin: 0.05,
        }
    }
}

fn check(ok: bool, field: &'static str, reason: &'static str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(TrackError::InvalidConfig { field, reason })
    }
}

impl TrackerConfig {
    /// Rejects values the algorithms cannot work with; NaN fails every range check.
    pub fn validate(&self) -> Result<()> {
        let unit = |v: f32| (0.0..=1.0).contains(&v);
        check(
            (-1.0..=1.0).contains(&self.match_threshold),
            "match_threshold",
            "must be within [-1, 1]",
        )?;
        check(self.min_hits >= 1, "min_hits", "must be at least 1")?;
        check(
            self.cooldown_s >= 0.0 && self.cooldown_s.is_finite(),
            "cooldown_s",
            "must be finite and >= 0",
        )?;
        check(self.n_init >= 1, "n_init", "must be at least 1")?;
        check(
            self.max_age_s > 0.0 && self.max_age_s.is_finite(),
            "max_age_s",
            "must be finite and > 0",
        )?;
        check(unit(self.high_score), "high_score", "must be within [0, 1]")?;
        check(unit(self.low_score), "low_score", "must be within [0, 1]")?;
        check(
            self.low_score <= self.high_score,
            "low_score",
            "must not exceed high_score",
        )?;
        check(
            self.iou_threshold > 0.0 && self.iou_threshold <= 1.0,
            "iou_threshold",
            "must be within (0, 1]",
        )?;
        check(
            self.reembed_interval_s >= 0.0 && self.reembed_interval_s.is_finite(),
            "reembed_interval_s",
            "must be finite and >= 0",
        )?;
        check(
            self.growth_ratio >= 1.0 && self.growth_ratio.is_finite(),
            "growth_ratio",
            "must be finite and >= 1",
        )?;
        check(
            self.probe_interval_s >= 0.0 && self.probe_interval_s.is_finite(),
            "probe_interval_s",
            "must be finite and >= 0",
        )?;
        check(
            self.score_gain >= 0.0 && self.score_gain.is_finite(),
            "score_gain",
            "must be finite and >= 0",
        )?;
        check(
            (-1.0..=1.0).contains(&self.appearance_gate),
            "appearance_gate",
            "must be within [-1, 1]",
        )?;
        check(
            self.update_margin >= 0.0 && self.update_margin.is_finite(),
            "update_margin",
            "must be finite and >= 0",
        )
    }
}
