//! Input checks for `update` and `observe`: every way a caller can hand the tracker bad
//! data is found here, before any state changes, so a rejected call loses nothing.

use crate::error::{Result, TrackError};
use crate::geometry::BBox;

/// One frame's detections as flat row-major slices (zero-copy views of numpy arrays).
#[derive(Debug, Clone, Copy)]
pub struct Detections<'a> {
    /// n x 4: x1, y1, x2, y2 in pixels.
    pub boxes: &'a [f32],
    /// n detector scores.
    pub scores: &'a [f32],
    /// n x 10: five (x, y) landmarks. Validated, not used by the association.
    pub landmarks: &'a [f32],
    /// Optional n x dim templates already computed for these detections; when given they gate
    /// and weigh association against tracks that have an appearance.
    pub templates: Option<&'a [f32]>,
}

impl<'a> Detections<'a> {
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scores.is_empty()
    }
}

/// Everything `update` rejects, checked before any state changes; returns n.
pub(crate) fn check_frame(
    last_ts: Option<f64>,
    template_dim: Option<usize>,
    ts: f64,
    d: &Detections<'_>,
    out_ids: &[i64],
    out_embed: &[bool],
) -> Result<usize> {
    if !ts.is_finite() {
        return Err(TrackError::NonFiniteTimestamp { ts });
    }
    if let Some(previous) = last_ts {
        if ts < previous {
            return Err(TrackError::TimestampBackwards { previous, ts });
        }
    }
    let n = d.scores.len();
    let shape = |what, expected: usize, got: usize| {
        if expected == got {
            Ok(())
        } else {
            Err(TrackError::ShapeMismatch {
                what,
                expected,
                got,
            })
        }
    };
    shape("boxes values (n x 4)", n * 4, d.boxes.len())?;
    shape("landmarks values (n x 10)", n * 10, d.landmarks.len())?;
    shape("track_ids output length", n, out_ids.len())?;
    shape("need_embed output length", n, out_embed.len())?;
    if let (Some(t), Some(dim)) = (
        d.templates,
        d.templates.and_then(|t| t.len().checked_div(n)),
    ) {
        {
            if dim == 0 || dim * n != t.len() {
                return Err(TrackError::ShapeMismatch {
                    what: "templates values (n x dim)",
                    expected: n,
                    got: t.len(),
                });
            }
            if let Some(expected) = template_dim {
                shape("template dimension", expected, dim)?;
            }
            if let Some(i) = t.iter().position(|v| !v.is_finite()) {
                return Err(TrackError::InvalidValue {
                    what: "template of detection",
                    index: i / dim,
                });
            }
        }
    }
    for (i, c) in d.boxes.chunks_exact(4).enumerate() {
        if let Some(reason) = BBox::from_corners([c[0], c[1], c[2], c[3]]).invalid_reason() {
            return Err(TrackError::InvalidBox { index: i, reason });
        }
    }
    if let Some(i) = d.scores.iter().position(|s| !s.is_finite()) {
        return Err(TrackError::InvalidValue {
            what: "score",
            index: i,
        });
    }
    if let Some(i) = d.landmarks.iter().position(|v| !v.is_finite()) {
        return Err(TrackError::InvalidValue {
            what: "landmarks of detection",
            index: i / 10,
        });
    }
    Ok(n)
}

/// Everything `observe` rejects before it looks the track up.
pub(crate) fn check_observation(
    template_dim: Option<usize>,
    ts: f64,
    template: &[f32],
    n_ids: usize,
    scores: &[f32],
) -> Result<()> {
    if !ts.is_finite() {
        return Err(TrackError::NonFiniteTimestamp { ts });
    }
    if template.is_empty() {
        return Err(TrackError::ShapeMismatch {
            what: "template length",
            expected: 1,
            got: 0,
        });
    }
    if let Some(expected) = template_dim {
        if expected != template.len() {
            return Err(TrackError::TemplateDim {
                expected,
                got: template.len(),
            });
        }
    }
    if let Some(i) = template.iter().position(|v| !v.is_finite()) {
        return Err(TrackError::InvalidValue {
            what: "template value",
            index: i,
        });
    }
    if scores.len() < n_ids {
        return Err(TrackError::ShapeMismatch {
            what: "scores (one per id)",
            expected: n_ids,
            got: scores.len(),
        });
    }
    if let Some(i) = scores[..n_ids].iter().position(|s| s.is_nan()) {
        return Err(TrackError::InvalidValue {
            what: "score",
            index: i,
        });
    }
    if let Some(i) = scores[n_ids..].iter().position(|&s| s != f32::NEG_INFINITY) {
        return Err(TrackError::ShapeMismatch {
            what: "scores beyond the ids must be -inf padding; ids given",
            expected: n_ids,
            got: n_ids + i + 1,
        });
    }
    Ok(())
}
