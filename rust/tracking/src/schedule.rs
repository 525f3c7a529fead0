//! Which detections need a template now. Embedding costs about 10 ms per face on a CPU, so
//! a face is embedded when a new look can change a decision, not on every frame:
//! - every frame until a track holds the `min_templates` a decision needs, so a genuine match
//!   is decided a few frames after the track is born;
//! - every frame while the fused evidence is close to a decision (within `pending_band`);
//! - a passer-by far from any decision every `probe_interval_s` (a few looks per pass);
//! - a decided track every `reembed_interval_s` (the evidence may move to another identity);
//! - any track whose face grew by `growth_ratio` or whose detection score rose by
//!   `score_gain` since its last template (closer or clearer view).
//!
//! Only detections at or above `high_score` are embedded: low-score boxes are blurred or
//! turned faces whose templates would mislead more than inform.

use crate::config::TrackerConfig;
use crate::evidence::Phase;

/// The look a track's last template was computed from.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmbedState {
    last_ts: Option<f64>,
    height: f32,
    score: f32,
}

impl EmbedState {
    pub fn due(&self, cfg: &TrackerConfig, phase: Phase, ts: f64, height: f32, score: f32) -> bool {
        if score < cfg.high_score {
            return false;
        }
        let Some(last) = self.last_ts else {
            return true;
        };
        let interval = match phase {
            Phase::Gathering | Phase::Pending => 0.0,
            Phase::Unknown => cfg.probe_interval_s,
            Phase::Decided => cfg.reembed_interval_s,
        };
        ts - last >= interval
            || height >= self.height * cfg.growth_ratio
            || score >= self.score + cfg.score_gain
    }

    pub fn mark(&mut self, ts: f64, height: f32, score: f32) {
        *self = Self {
            last_ts: Some(ts),
            height,
            score,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_growth_and_score() {
        let cfg = TrackerConfig::default();
        let mut s = EmbedState::default();
        assert!(s.due(&cfg, Phase::Unknown, 0.0, 50.0, 0.9));
        assert!(
            !s.due(&cfg, Phase::Unknown, 0.0, 50.0, 0.5),
            "low score never embedded"
        );
        s.mark(0.0, 50.0, 0.8);
        assert!(!s.due(&cfg, Phase::Unknown, 0.4, 50.0, 0.8));
        assert!(s.due(&cfg, Phase::Unknown, 0.5, 50.0, 0.8));
        assert!(s.due(&cfg, Phase::Pending, 0.1, 50.0, 0.8));
        assert!(s.due(&cfg, Phase::Gathering, 0.04, 50.0, 0.8));
        assert!(!s.due(&cfg, Phase::Decided, 1.9, 50.0, 0.8));
        assert!(s.due(&cfg, Phase::Decided, 2.0, 50.0, 0.8));
        assert!(s.due(&cfg, Phase::Decided, 0.1, 65.0, 0.8), "grew 1.3x");
        assert!(s.due(&cfg, Phase::Decided, 0.1, 50.0, 0.95), "clearer");
    }
}
