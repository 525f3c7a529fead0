//! What one track has learned about who it is: the quality-weighted sum of its templates (the
//! fused template is that sum normalised), how its last fused search came out, and what it
//! decided.
//!
//! The fused sum is a template of whoever the track follows, match or not. It lives only here,
//! in memory, for the life of the track: it is cleared when the track turns out to follow
//! someone else and freed with the track when it dies; nothing writes it anywhere.

/// Where a track's decision stands. It never returns to `Undecided`, which is what makes
/// "at most one alert per track" hold: a later change of identity is a revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Undecided,
    /// Alerted for `identity`; `revision` counts the times the evidence moved to another
    /// identity since (0 for the first alert).
    Alerted {
        identity: u32,
        revision: u32,
    },
    /// Would have alerted for `identity`, but it was inside its cooldown.
    Covered {
        identity: u32,
    },
}

impl Verdict {
    pub fn identity(self) -> Option<u32> {
        match self {
            Self::Undecided => None,
            Self::Alerted { identity, .. } | Self::Covered { identity } => Some(identity),
        }
    }
}

/// What the embed schedule needs to know about a track's identification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Fewer templates than a decision needs: embed on every frame.
    Gathering,
    /// Undecided, evidence close to a decision: embed on every frame.
    Pending,
    /// Undecided, evidence nowhere near a decision: a passer-by so far.
    Unknown,
    /// Alerted or covered: an occasional look in case the evidence moves.
    Decided,
}

/// The running weighted sum of a track's L2-normalised templates.
#[derive(Debug, Default, Clone)]
pub struct Fusion {
    sum: Vec<f32>,
    templates: u32,
}

impl Fusion {
    pub fn templates(&self) -> u32 {
        self.templates
    }

    pub fn holds_template(&self) -> bool {
        !self.sum.is_empty()
    }

    /// Writes normalise(sum + weight * t / |t|) into `out` without changing the sum, starting
    /// from nothing when `restart` (the track follows someone else now).
    pub fn preview(&self, template: &[f32], weight: f32, restart: bool, out: &mut [f32]) {
        let k = weight * inv_norm(template);
        let base = if restart || self.sum.is_empty() {
            None
        } else {
            Some(&self.sum)
        };
        let mut n2 = 0.0f32;
        for (i, (o, t)) in out.iter_mut().zip(template).enumerate() {
            *o = base.map_or(0.0, |s| s[i]) + k * t;
            n2 += *o * *o;
        }
        let inv = if n2 > 0.0 { 1.0 / n2.sqrt() } else { 0.0 };
        out.iter_mut().for_each(|o| *o *= inv);
    }

    /// Adds `weight * t / |t|` to the sum.
    pub fn add(&mut self, template: &[f32], weight: f32) {
        let k = weight * inv_norm(template);
        if self.sum.is_empty() {
            self.sum = template.iter().map(|t| k * t).collect();
        } else {
            self.sum
                .iter_mut()
                .zip(template)
                .for_each(|(s, t)| *s += k * t);
        }
        self.templates = self.templates.saturating_add(1);
    }

    /// Forgets every template: two people's templates must never add up to one decision.
    pub fn clear(&mut self) {
        self.sum.fill(0.0);
        self.sum.clear();
        self.templates = 0;
    }
}

fn inv_norm(t: &[f32]) -> f32 {
    let n = t.iter().map(|v| v * v).sum::<f32>().sqrt();
    if n > 0.0 {
        1.0 / n
    } else {
        0.0
    }
}

/// A track's identification: its fused templates, its decision, and whether its last fused
/// search came close to a decision.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub fusion: Fusion,
    pub verdict: Verdict,
    pub close: bool,
}

impl Default for Evidence {
    fn default() -> Self {
        Self {
            fusion: Fusion::default(),
            verdict: Verdict::Undecided,
            close: false,
        }
    }
}

impl Evidence {
    pub fn phase(&self, min_templates: u32) -> Phase {
        if self.fusion.templates() < min_templates {
            Phase::Gathering
        } else if self.verdict != Verdict::Undecided {
            Phase::Decided
        } else if self.close {
            Phase::Pending
        } else {
            Phase::Unknown
        }
    }

    /// The track follows someone else now: its templates go, its decision stays (a new
    /// identity is then a revision of the same alert, never a second one).
    pub fn restart(&mut self) {
        self.fusion.clear();
        self.close = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fused_template_is_the_normalised_weighted_mean() {
        let mut f = Fusion::default();
        let mut out = [0.0f32; 2];
        f.preview(&[2.0, 0.0], 1.0, false, &mut out);
        assert_eq!(out, [1.0, 0.0], "templates are normalised before weighting");
        f.add(&[2.0, 0.0], 1.0);
        f.add(&[0.0, 1.0], 3.0);
        f.preview(&[0.0, 0.0], 0.0, false, &mut out);
        let n = (1.0f32 + 9.0).sqrt();
        assert!((out[0] - 1.0 / n).abs() < 1e-6 && (out[1] - 3.0 / n).abs() < 1e-6);
        f.preview(&[0.0, 5.0], 1.0, true, &mut out);
        assert_eq!(out, [0.0, 1.0], "a restart previews the new template alone");
        assert_eq!(f.templates(), 2);
        f.clear();
        assert!(!f.holds_template() && f.templates() == 0);
    }
}
