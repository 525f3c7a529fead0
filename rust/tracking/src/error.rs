//! Every way a caller can hand the tracker bad input. Checked before any state changes, so a
//! rejected call loses nothing and the tracker stays usable (the bindings map these to
//! `ValueError`).

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum TrackError {
    /// A timestamp that is NaN or infinite.
    NonFiniteTimestamp { ts: f64 },
    /// `update` timestamps must never decrease: the Kalman filter and max-age are time-based.
    TimestampBackwards { previous: f64, ts: f64 },
    /// Arrays of one call disagree in length, or a row has the wrong width.
    ShapeMismatch {
        what: &'static str,
        expected: usize,
        got: usize,
    },
    /// A box with NaN/infinite coordinates or a non-positive width or height.
    InvalidBox { index: usize, reason: &'static str },
    /// A NaN/infinite detection score or landmark.
    InvalidValue { what: &'static str, index: usize },
    /// A tracker parameter outside its valid range.
    InvalidConfig {
        field: &'static str,
        reason: &'static str,
    },
    /// `observe` for a track id this tracker never issued.
    UnknownTrack { track_id: i64 },
    /// A template whose length differs from the earlier templates of this tracker.
    TemplateDim { expected: usize, got: usize },
}

impl fmt::Display for TrackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NonFiniteTimestamp { ts } => write!(f, "timestamp must be finite, got {ts}"),
            Self::TimestampBackwards { previous, ts } => {
                write!(
                    f,
                    "timestamp went backwards: {ts} < previous update at {previous}"
                )
            }
            Self::ShapeMismatch {
                what,
                expected,
                got,
            } => {
                write!(f, "{what}: expected {expected}, got {got}")
            }
            Self::InvalidBox { index, reason } => write!(f, "box {index}: {reason}"),
            Self::InvalidValue { what, index } => {
                write!(f, "{what} {index} is NaN or infinite")
            }
            Self::InvalidConfig { field, reason } => write!(f, "{field}: {reason}"),
            Self::UnknownTrack { track_id } => {
                write!(f, "track id {track_id} was never issued by this tracker")
            }
            Self::TemplateDim { expected, got } => {
                write!(
                    f,
                    "template has {got} values, this tracker's templates have {expected}"
                )
            }
        }
    }
}

impl std::error::Error for TrackError {}

pub type Result<T> = std::result::Result<T, TrackError>;
