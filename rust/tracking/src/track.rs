//! One followed face: its motion, its age, the look its last template came from, its
//! appearance and its identity evidence.

use crate::evidence::Evidence;
use crate::geometry::BBox;
use crate::kalman::BoxFilter;
use crate::schedule::EmbedState;

/// Weight of the running appearance when a new template arrives: a slow average so one
/// blurred template does not redefine who the track is.
const APPEARANCE_MOMENTUM: f32 = 0.8;

#[derive(Debug, Clone)]
pub struct Track {
    /// Public id, assigned at birth (after `n_init` hits); `None` while tentative.
    pub id: Option<u64>,
    filter: BoxFilter,
    /// The filter's box at the current update's timestamp.
    pub predicted: BBox,
    pub hits: u32,
    /// When its first detection was seen (before birth): the start of its time to alert.
    pub started: f64,
    pub last_seen: f64,
    predicted_at: f64,
    pub embed: EmbedState,
    /// L2-normalised running template, once one has been seen.
    pub appearance: Option<Vec<f32>>,
    pub evidence: Evidence,
}

impl Track {
    pub fn new(b: BBox, ts: f64) -> Self {
        let (cx, cy) = b.center();
        Self {
            id: None,
            filter: BoxFilter::new(cx, cy, b.width(), b.height()),
            predicted: b,
            hits: 1,
            started: ts,
            last_seen: ts,
            predicted_at: ts,
            embed: EmbedState::default(),
            appearance: None,
            evidence: Evidence::default(),
        }
    }

    pub fn predict_to(&mut self, ts: f64) {
        self.filter.predict((ts - self.predicted_at) as f32);
        self.predicted_at = ts;
        let [cx, cy, w, h] = self.filter.state();
        self.predicted = BBox::from_center(cx, cy, w, h);
    }

    pub fn absorb(&mut self, b: BBox, ts: f64) {
        let (cx, cy) = b.center();
        self.filter.update(cx, cy, b.width(), b.height());
        self.hits = self.hits.saturating_add(1);
        self.last_seen = ts;
    }

    /// Cosine between the track's appearance and a template (any norm), if it has one.
    pub fn similarity(&self, template: &[f32]) -> Option<f32> {
        let app = self.appearance.as_ref()?;
        let (mut dot, mut nn) = (0.0f32, 0.0f32);
        for (a, t) in app.iter().zip(template) {
            dot += a * t;
            nn += t * t;
        }
        Some(if nn > 0.0 { dot / nn.sqrt() } else { 0.0 })
    }

    /// Whether `template` looks like someone else than the track's appearance so far.
    pub fn breaks(&self, template: &[f32], gate: f32) -> bool {
        self.similarity(template).is_some_and(|c| c < gate)
    }

    /// Folds a template into the appearance. When the template looks like someone else
    /// (cosine below `gate`) the track has been handed to another person: the appearance
    /// restarts from the new face and the fused templates are dropped. Returns whether that
    /// happened.
    pub fn fold_appearance(&mut self, template: &[f32], gate: f32) -> bool {
        let norm = template.iter().map(|v| v * v).sum::<f32>().sqrt();
        let inv = if norm > 0.0 { 1.0 / norm } else { 0.0 };
        let broke = self.breaks(template, gate);
        match &mut self.appearance {
            Some(app) if !broke => {
                let mut n2 = 0.0f32;
                for (a, t) in app.iter_mut().zip(template) {
                    *a = APPEARANCE_MOMENTUM * *a + (1.0 - APPEARANCE_MOMENTUM) * t * inv;
                    n2 += *a * *a;
                }
                let k = if n2 > 0.0 { 1.0 / n2.sqrt() } else { 0.0 };
                app.iter_mut().for_each(|a| *a *= k);
            }
            Some(app) => {
                app.clear();
                app.extend(template.iter().map(|t| t * inv));
                self.evidence.restart();
            }
            None => self.appearance = Some(template.iter().map(|t| t * inv).collect()),
        }
        broke
    }
}
