//! Bindings for `lfr-tracking` (the per-camera tracker).
//!
//! Inputs are read as zero-copy numpy views when they are C-contiguous (anything else
//! array-like, Fortran order and strided views included, is copied once in row-major order);
//! outputs are numpy arrays the core writes into with the GIL released. Every bad input is a
//! `ValueError` (a wrong kind of value a `TypeError`) raised before the tracker changes.
//!
//! `observe` is the one place that uses both pure crates: it folds the templates into their
//! tracks, searches the watchlist `Gallery` with the fused templates and decides, in one call
//! with the GIL released.

use lfr_tracking::{
    AlertEvent as CoreEvent, Detections, Templates, TrackError, Tracker as CoreTracker,
    TrackerConfig,
};
use numpy::{PyArray1, PyArrayMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyString};

use crate::search::PyGallery;
use crate::tracking_input::{
    check_shape, int_array, setting_value, settings_dict, values, FloatArray,
};

/// `update`'s result: track id per detection (-1 = none) and whether to embed it now.
type UpdateOutput<'py> = (Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<bool>>);
/// The best identities `observe` asks the gallery for: the leader and its runner-up.
const RANKED: usize = 2;

fn value_error(e: TrackError) -> PyErr {
    match e {
        TrackError::UnknownSetting { .. } => PyTypeError::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// One camera's face tracker: associates detections with tracks, says which faces to embed,
/// fuses each track's templates and decides its one alert.
#[pyclass(module = "lfr._native", name = "Tracker")]
pub struct PyTracker {
    inner: CoreTracker,
}

#[pymethods]
impl PyTracker {
    /// Keyword overrides on top of `Tracker.defaults()`; a name that is not a setting is a
    /// `TypeError`, a value out of range a `ValueError` naming the config key.
    #[new]
    #[pyo3(signature = (**overrides))]
    fn new(overrides: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let mut cfg = TrackerConfig::default();
        for (key, value) in overrides.into_iter().flatten() {
            let name = key.cast::<PyString>()?.to_cow()?;
            let value = setting_value(&name, &value)?;
            cfg.set(&name, value).map_err(value_error)?;
        }
        Ok(Self {
            inner: CoreTracker::new(cfg).map_err(value_error)?,
        })
    }

    /// Every setting with its default, by keyword (ints for integer settings).
    #[staticmethod]
    fn defaults(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
        settings_dict(py, &TrackerConfig::default())
    }

    /// Associates one frame's detections; returns (track_ids int64[n], need_embed bool[n]).
    #[pyo3(signature = (ts, boxes, scores, landmarks, templates = None))]
    fn update<'py>(
        &mut self,
        py: Python<'py>,
        ts: f64,
        boxes: FloatArray<'py>,
        scores: FloatArray<'py>,
        landmarks: FloatArray<'py>,
        templates: Option<FloatArray<'py>>,
    ) -> PyResult<UpdateOutput<'py>> {
        check_shape("scores", scores.shape(), &[None])?;
        let n = scores.shape()[0];
        check_shape("boxes", boxes.shape(), &[Some(n), Some(4)])?;
        if landmarks.ndim() == 3 {
            check_shape("landmarks", landmarks.shape(), &[Some(n), Some(5), Some(2)])?;
        } else {
            check_shape("landmarks", landmarks.shape(), &[Some(n), Some(10)])?;
        }
        if let Some(t) = &templates {
            check_shape("templates", t.shape(), &[Some(n), None])?;
        }
        let ids = PyArray1::<i64>::zeros(py, n, false);
        let embed = PyArray1::<bool>::zeros(py, n, false);
        {
            let (b, s) = (values("boxes", &boxes)?, values("scores", &scores)?);
            let l = values("landmarks", &landmarks)?;
            let t = templates
                .as_ref()
                .map(|t| values("templates", t))
                .transpose()?;
            let mut ids_rw = ids.readwrite();
            let mut embed_rw = embed.readwrite();
            let out_ids = ids_rw.as_slice_mut().expect("fresh array is contiguous");
            let out_embed = embed_rw.as_slice_mut().expect("fresh array is contiguous");
            let dets = Detections {
                boxes: &b,
                scores: &s,
                landmarks: &l,
                templates: t.as_deref(),
            };
            let inner = &mut self.inner;
            py.detach(|| inner.update(ts, dets, out_ids, out_embed))
                .map_err(value_error)?;
        }
        Ok((ids, embed))
    }

    /// Folds templates (m x dim) of `track_ids` (m), weighted by face quality (m), into their
    /// tracks, searches `gallery` with each track's fused template and decides at the
    /// watchlist's `threshold`. Returns the alerts and revisions raised, and how many templates
    /// left their track below the threshold (or found it ended).
    #[allow(clippy::too_many_arguments)]
    fn observe<'py>(
        &mut self,
        py: Python<'py>,
        ts: f64,
        track_ids: &Bound<'py, PyAny>,
        templates: FloatArray<'py>,
        weights: FloatArray<'py>,
        gallery: &Bound<'py, PyGallery>,
        threshold: f64,
    ) -> PyResult<(Vec<PyAlertEvent>, usize)> {
        let track_ids = int_array("track_ids", track_ids)?;
        check_shape("track_ids", track_ids.shape(), &[None])?;
        let m = track_ids.shape()[0];
        check_shape("templates", templates.shape(), &[Some(m), None])?;
        check_shape("weights", weights.shape(), &[Some(m)])?;
        let gallery = gallery.get();
        let dim = gallery.read().dim();
        if m > 0 && templates.shape()[1] != dim {
            return Err(PyValueError::new_err(format!(
                "templates have {} values, the gallery's have {dim}",
                templates.shape()[1]
            )));
        }
        let ids = values("track_ids", &track_ids)?;
        let (t, w) = (
            values("templates", &templates)?,
            values("weights", &weights)?,
        );
        let rows = Templates {
            track_ids: &ids,
            values: &t,
            weights: &w,
        };
        let threshold = threshold as f32;
        let inner = &mut self.inner;
        let mut out = Vec::new();
        let unmatched = py
            .detach(|| {
                let core = gallery.read();
                let search = |q: &[f32]| {
                    core.search(q, RANKED).map_err(|e| TrackError::Search {
                        detail: e.to_string(),
                    })
                };
                inner.observe(ts, rows, threshold, search, &mut out)
            })
            .map_err(value_error)?;
        Ok((out.into_iter().map(PyAlertEvent::from).collect(), unmatched))
    }

    /// Born tracks alive now.
    fn active_tracks(&self) -> usize {
        self.inner.active_tracks()
    }

    /// Tracks holding templates (fused or appearance) now: none outlives its track.
    fn tracks_holding_templates(&self) -> usize {
        self.inner.tracks_holding_templates()
    }

    /// Counters since creation (updates, detections, embeds_requested, tracks_started, ...).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        for (k, v) in self.inner.stats().pairs() {
            d.set_item(k, v)?;
        }
        d.set_item("active_tracks", self.inner.active_tracks())?;
        Ok(d)
    }

    /// The settings in effect, by keyword.
    fn config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        settings_dict(py, self.inner.config())
    }
}

/// A track's decision: "alert" once, "alert_update" (revision 1, 2, ...) when the track's
/// evidence later favours another identity.
#[pyclass(module = "lfr._native", name = "AlertEvent", frozen)]
pub struct PyAlertEvent {
    #[pyo3(get)]
    kind: &'static str,
    #[pyo3(get)]
    track_id: i64,
    #[pyo3(get)]
    identity: String,
    #[pyo3(get)]
    previous_identity: Option<String>,
    #[pyo3(get)]
    score: f64,
    /// The runner-up identity's fused score; None when the watchlist has one identity.
    #[pyo3(get)]
    runner_up: Option<f64>,
    #[pyo3(get)]
    templates: u32,
    #[pyo3(get)]
    revision: u32,
    #[pyo3(get)]
    ts: f64,
    #[pyo3(get)]
    track_started: f64,
    /// The row of the `observe` call whose template tipped the decision.
    #[pyo3(get)]
    index: usize,
}

impl From<CoreEvent> for PyAlertEvent {
    fn from(e: CoreEvent) -> Self {
        Self {
            kind: e.kind.as_str(),
            track_id: e.track_id as i64,
            identity: e.identity,
            previous_identity: e.previous_identity,
            score: f64::from(e.score),
            runner_up: e.runner_up.is_finite().then_some(f64::from(e.runner_up)),
            templates: e.templates,
            revision: e.revision,
            ts: e.ts,
            track_started: e.track_started,
            index: e.index,
        }
    }
}

#[pymethods]
impl PyAlertEvent {
    fn __repr__(&self) -> String {
        format!(
            "AlertEvent(kind={:?}, track_id={}, identity={:?}, revision={}, score={:.4}, \
             templates={}, ts={})",
            self.kind,
            self.track_id,
            self.identity,
            self.revision,
            self.score,
            self.templates,
            self.ts
        )
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTracker>()?;
    m.add_class::<PyAlertEvent>()?;
    Ok(())
}
