//! Tracker parameters, their defaults and the reasons for them: the one definition of every
//! tracker setting. The bindings take keyword overrides on top of [`TrackerConfig::default`]
//! by the names in [`SETTINGS`], and the config file's `[tracker]` keys are the same names, so
//! only [`TrackerConfig::validate`] decides what is acceptable.
//!
//! Defaults are tuned for faces from YuNet at 5-25 analysed frames per second and SFace
//! templates (the same person across video frames typically scores 0.5-0.8 against an
//! enrolment photo, strangers below 0.3, the best of 1,000 strangers about 0.35-0.45).

use crate::error::{Result, TrackError};

#[derive(Debug, Clone, PartialEq)]
pub struct TrackerConfig {
    /// Templates fused into a track before it may alert. 3: on the sample clips a passer-by's
    /// first two templates against a 1,000-person list can look like somebody (one track of
    /// two frames fused to 0.457 with a margin of 0.167), three never did; at 25 fps the third
    /// template arrives 80 ms after the first.
    pub min_templates: u32,
    /// Open-set margin: the best identity's fused score must beat the runner-up identity's by
    /// this much. 0.12: on both sample clips against ~1,100 identities no passer-by's fused
    /// evidence (3 or more templates) led its runner-up by more than 0.104, while Lin-Manuel
    /// Miranda's tracks led by 0.18 or more.
    pub margin: f32,
    /// Seconds after an identity's last supporting evidence on a decided track during which a
    /// new track of the same identity (a broken and restarted track, a second pass) does not
    /// alert again.
    pub cooldown_s: f64,
    /// Matched frames before a track is born and gets a public id. 2 drops one-frame detector
    /// false positives before they cost an embedding.
    pub n_init: u32,
    /// Seconds without a match before a track dies. 1 s bridges a 0.5 s occlusion with margin
    /// while a constant-velocity prediction has not yet drifted onto another face.
    pub max_age_s: f64,
    /// Detections at or above this score drive the first association stage, start tracks and
    /// are the only ones embedded.
    pub high_score: f32,
    /// Detections below this score are ignored; between the two they only keep tracks alive.
    pub low_score: f32,
    /// Minimum IoU between a predicted track box and a detection for them to be associated.
    pub iou_threshold: f32,
    /// Seconds between templates for a decided track (alerted or covered by a cooldown): a few
    /// more looks in case the evidence comes to favour another identity.
    pub reembed_interval_s: f64,
    /// A face whose height grew by this factor since its last template is embedded again.
    pub growth_ratio: f32,
    /// Seconds between templates for an undecided track whose evidence is nowhere near a
    /// decision (most passers-by): a few looks per pass instead of one per frame.
    pub probe_interval_s: f64,
    /// A detection score this much above the score at the last template marks a clearer view.
    pub score_gain: f32,
    /// Cosine below which a template is taken to be a different person than the track's
    /// appearance (strangers score below 0.3); used to gate association and restart evidence.
    pub appearance_gate: f32,
    /// An undecided track whose fused evidence is within this of both the threshold and the
    /// margin is embedded on every frame, so a likely match is decided in a few frames.
    pub pending_band: f32,
    /// Least weight a template gets in the fused mean. Quality scores of small or blurred faces
    /// are often 0; the floor keeps every template counting a little, so a track of only poor
    /// views is the plain mean of its templates rather than undefined.
    pub min_weight: f32,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        Self {
            min_templates: 3,
            margin: 0.12,
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
            pending_band: 0.05,
            min_weight: 0.05,
        }
    }
}

/// A setting's value: integer settings refuse fractions, so `n_init = 2.5` is an error rather
/// than a silent truncation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    Int(i64),
    Float(f64),
}

/// How a setting is stored: which field, and whether it is an integer.
#[derive(Debug, Clone, Copy)]
enum Slot {
    U32(fn(&mut TrackerConfig) -> &mut u32),
    F32(fn(&mut TrackerConfig) -> &mut f32),
    F64(fn(&mut TrackerConfig) -> &mut f64),
}

/// Every setting by name, in documentation order.
const SLOTS: [(&str, Slot); 15] = [
    ("min_templates", Slot::U32(|c| &mut c.min_templates)),
    ("margin", Slot::F32(|c| &mut c.margin)),
    ("cooldown_s", Slot::F64(|c| &mut c.cooldown_s)),
    ("n_init", Slot::U32(|c| &mut c.n_init)),
    ("max_age_s", Slot::F64(|c| &mut c.max_age_s)),
    ("high_score", Slot::F32(|c| &mut c.high_score)),
    ("low_score", Slot::F32(|c| &mut c.low_score)),
    ("iou_threshold", Slot::F32(|c| &mut c.iou_threshold)),
    (
        "reembed_interval_s",
        Slot::F64(|c| &mut c.reembed_interval_s),
    ),
    ("growth_ratio", Slot::F32(|c| &mut c.growth_ratio)),
    ("probe_interval_s", Slot::F64(|c| &mut c.probe_interval_s)),
    ("score_gain", Slot::F32(|c| &mut c.score_gain)),
    ("appearance_gate", Slot::F32(|c| &mut c.appearance_gate)),
    ("pending_band", Slot::F32(|c| &mut c.pending_band)),
    ("min_weight", Slot::F32(|c| &mut c.min_weight)),
];

/// The names of all settings, in documentation order.
pub const SETTINGS: [&str; 15] = {
    let mut names = [""; 15];
    let mut i = 0;
    while i < SLOTS.len() {
        names[i] = SLOTS[i].0;
        i += 1;
    }
    names
};

fn check(ok: bool, field: &'static str, reason: &'static str) -> Result<()> {
    if ok {
        Ok(())
    } else {
        Err(TrackError::InvalidConfig { field, reason })
    }
}

fn slot(name: &str) -> Result<(&'static str, Slot)> {
    SLOTS
        .iter()
        .find(|(n, _)| *n == name)
        .copied()
        .ok_or_else(|| TrackError::UnknownSetting {
            name: name.to_owned(),
        })
}

impl TrackerConfig {
    /// The value of the setting `name`.
    pub fn get(&self, name: &str) -> Result<Value> {
        let mut copy = self.clone();
        Ok(match slot(name)?.1 {
            Slot::U32(f) => Value::Int(i64::from(*f(&mut copy))),
            Slot::F32(f) => Value::Float(f64::from(*f(&mut copy))),
            Slot::F64(f) => Value::Float(*f(&mut copy)),
        })
    }

    /// Every setting with its value, in documentation order.
    pub fn values(&self) -> Vec<(&'static str, Value)> {
        SETTINGS
            .iter()
            .map(|&n| (n, self.get(n).expect("every listed setting exists")))
            .collect()
    }

    /// Sets `name` to `value`; an unknown name, a fraction for an integer setting or an
    /// integer out of its range is an error. Ranges are checked by [`Self::validate`].
    pub fn set(&mut self, name: &str, value: Value) -> Result<()> {
        let (field, slot) = slot(name)?;
        match (slot, value) {
            (Slot::U32(f), Value::Int(v)) => {
                *f(self) = u32::try_from(v).map_err(|_| TrackError::InvalidConfig {
                    field,
                    reason: "must be an integer within 0..=4294967295",
                })?;
            }
            (Slot::U32(_), Value::Float(_)) => {
                return Err(TrackError::InvalidConfig {
                    field,
                    reason: "must be an integer",
                })
            }
            (Slot::F32(f), v) => *f(self) = v.as_f64() as f32,
            (Slot::F64(f), v) => *f(self) = v.as_f64(),
        }
        Ok(())
    }

    /// Rejects values the algorithms cannot work with; NaN fails every range check. The error
    /// names the setting as the config file spells it (`tracker.iou_threshold`).
    pub fn validate(&self) -> Result<()> {
        let unit = |v: f32| (0.0..=1.0).contains(&v);
        let finite_nonneg = |v: f64| v >= 0.0 && v.is_finite();
        check(
            self.min_templates >= 1,
            "min_templates",
            "must be at least 1",
        )?;
        check(
            (0.0..=2.0).contains(&self.margin),
            "margin",
            "must be within [0, 2]",
        )?;
        check(
            finite_nonneg(self.cooldown_s),
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
            finite_nonneg(self.reembed_interval_s),
            "reembed_interval_s",
            "must be finite and >= 0",
        )?;
        check(
            self.growth_ratio >= 1.0 && self.growth_ratio.is_finite(),
            "growth_ratio",
            "must be finite and >= 1",
        )?;
        check(
            finite_nonneg(self.probe_interval_s),
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
            (0.0..=2.0).contains(&self.pending_band),
            "pending_band",
            "must be within [0, 2]",
        )?;
        check(
            self.min_weight > 0.0 && self.min_weight.is_finite(),
            "min_weight",
            "must be finite and > 0",
        )
    }
}

impl Value {
    pub fn as_f64(self) -> f64 {
        match self {
            Self::Int(v) => v as f64,
            Self::Float(v) => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_by_name_round_trip_and_are_checked() {
        let mut c = TrackerConfig::default();
        assert_eq!(SETTINGS.len(), c.values().len());
        c.set("n_init", Value::Int(4)).unwrap();
        c.set("iou_threshold", Value::Int(1)).unwrap();
        assert_eq!(c.get("n_init").unwrap(), Value::Int(4));
        assert_eq!(c.iou_threshold, 1.0);
        assert!(c.validate().is_ok(), "1.0 is a valid IoU threshold");
        let e = c.set("n_init", Value::Float(2.5)).unwrap_err();
        assert_eq!(e.to_string(), "tracker.n_init: must be an integer");
        assert!(c.set("n_init", Value::Int(-1)).is_err());
        let e = c.set("min_hits", Value::Int(2)).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("tracker.min_hits: unknown setting"));
        c.set("iou_threshold", Value::Float(0.0)).unwrap();
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "tracker.iou_threshold: must be within (0, 1]"
        );
    }
}
