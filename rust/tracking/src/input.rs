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

/// One `observe` call's templates: row i is a template of track `track_ids[i]`, computed from a
/// face whose quality gave it `weights[i]`.
#[derive(Debug, Clone, Copy)]
pub struct Templates<'a> {
    pub track_ids: &'a [i64],
    /// m x dim, row-major.
    pub values: &'a [f32],
    pub weights: &'a [f32],
}

/// Everything `observe` rejects before it changes anything; returns the template dimension
/// (0 when there are no rows).
pub(crate) fn check_templates(
    template_dim: Option<usize>,
    next_id: u64,
    ts: f64,
    t: &Templates<'_>,
    threshold: f32,
) -> Result<usize> {
    if !ts.is_finite() {
        return Err(TrackError::NonFiniteTimestamp { ts });
    }
    if !threshold.is_finite() {
        return Err(TrackError::InvalidThreshold { threshold });
    }
    let m = t.track_ids.len();
    if t.weights.len() != m {
        return Err(TrackError::ShapeMismatch {
            what: "weights (one per template)",
            expected: m,
            got: t.weights.len(),
        });
    }
    if m == 0 {
        return if t.values.is_empty() {
            Ok(0)
        } else {
            Err(TrackError::ShapeMismatch {
                what: "template values for no track ids",
                expected: 0,
                got: t.values.len(),
            })
        };
    }
    let dim = t.values.len() / m;
    if dim == 0 || dim * m != t.values.len() {
        return Err(TrackError::ShapeMismatch {
            what: "templates values (m x dim)",
            expected: m,
            got: t.values.len(),
        });
    }
    if let Some(expected) = template_dim {
        if expected != dim {
            return Err(TrackError::TemplateDim { expected, got: dim });
        }
    }
    for (i, row) in t.values.chunks_exact(dim).enumerate() {
        if row.iter().any(|v| !v.is_finite()) {
            return Err(TrackError::InvalidValue {
                what: "template",
                index: i,
            });
        }
        if row.iter().all(|&v| v == 0.0) {
            return Err(TrackError::ZeroTemplate { index: i });
        }
    }
    if let Some((index, &weight)) = t
        .weights
        .iter()
        .enumerate()
        .find(|(_, w)| !(w.is_finite() && **w >= 0.0))
    {
        return Err(TrackError::InvalidWeight { index, weight });
    }
    for (i, &track_id) in t.track_ids.iter().enumerate() {
        if track_id < 1 || track_id as u64 >= next_id {
            return Err(TrackError::UnknownTrack { track_id });
        }
        if t.track_ids[..i].contains(&track_id) {
            return Err(TrackError::DuplicateTrack { track_id });
        }
    }
    Ok(dim)
}
