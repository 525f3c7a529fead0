//! lfr-tracking: pure Rust, no PyO3. Follows faces across the frames of one camera so that
//! a person gets one alert per pass and the embedder sees a fraction of the faces.
//!
//! - [`Tracker::update`] associates a frame's detections with tracks (ByteTrack stages,
//!   constant-velocity Kalman motion, IoU and optional appearance cost, exact assignment)
//!   and says which detections need a template now ([`schedule`]).
//! - [`Tracker::observe`] folds templates into their track's fused template (a
//!   quality-weighted mean, [`evidence`]), has the caller search the watchlist with it and
//!   decides ([`decision`]): at most one alert per track, revised when the evidence moves to
//!   another identity, cooldown per identity.

pub mod assoc;
pub mod config;
pub mod decision;
pub mod error;
pub mod evidence;
pub mod geometry;
pub mod input;
pub mod kalman;
pub mod lap;
pub mod observe;
pub mod schedule;
pub mod stats;
pub mod track;
pub mod tracker;

pub use config::{TrackerConfig, Value, SETTINGS};
pub use decision::{AlertEvent, EventKind};
pub use error::{Result, TrackError};
pub use stats::Stats;
pub use tracker::{Detections, Templates, Tracker};
