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
    /// A tracker parameter outside its valid range (named as the config file spells it).
    InvalidConfig {
        field: &'static str,
        reason: &'static str,
    },
    /// A tracker parameter name that does not exist.
    UnknownSetting { name: String },
    /// A template weight that is negative, NaN or infinite.
    InvalidWeight { index: usize, weight: f32 },
    /// A watchlist threshold that is not a finite cosine score.
    InvalidThreshold { threshold: f32 },
    /// `observe` for a track id this tracker never issued.
    UnknownTrack { track_id: i64 },
    /// A template whose length differs from the earlier templates of this tracker.
    TemplateDim { expected: usize, got: usize },
    /// A template of zeros: it has no direction, so it cannot be compared.
    ZeroTemplate { index: usize },
    /// The same track twice in one `observe` call (a track has one face per frame).
    DuplicateTrack { track_id: i64 },
    /// The watchlist search of the fused templates failed; nothing was folded.
    Search { detail: String },
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
            Self::InvalidConfig { field, reason } => write!(f, "tracker.{field}: {reason}"),
            Self::UnknownSetting { name } => write!(
                f,
                "tracker.{name}: unknown setting (known: {})",
                crate::config::SETTINGS.join(", ")
            ),
            Self::InvalidWeight { index, weight } => {
                write!(f, "weight {index} must be finite and >= 0, got {weight}")
            }
            Self::InvalidThreshold { threshold } => {
                write!(
                    f,
                    "threshold must be a finite cosine score, got {threshold}"
                )
            }
            Self::UnknownTrack { track_id } => {
                write!(f, "track id {track_id} was never issued by this tracker")
            }
            Self::TemplateDim { expected, got } => {
                write!(
                    f,
                    "template has {got} values, this tracker's templates have {expected}"
                )
            }
            Self::ZeroTemplate { index } => {
                write!(f, "template {index} is all zeros (no direction)")
            }
            Self::DuplicateTrack { track_id } => {
                write!(f, "track id {track_id} appears twice in one observe call")
            }
            Self::Search { detail } => write!(f, "watchlist search failed: {detail}"),
        }
    }
}

impl std::error::Error for TrackError {}

pub type Result<T> = std::result::Result<T, TrackError>;
